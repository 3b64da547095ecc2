import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { FAKE_REPLY_WORDS, FAKE_TOOL_ARGUMENT_FRAGMENTS, FAKE_TOOL_ARGUMENTS } from "../fake-provider/openai";
import { anthropicClient, openaiClient } from "./support/sdk-clients";
import { FAKE_KEY_SECRET, useStack } from "./support/stack";

/**
 * Translation as the official clients see it: `wrangler dev` of the gateway in front of the fake
 * provider, the `openai` client served by an Anthropic binding and `@anthropic-ai/sdk` served by
 * OpenAI-format bindings (the fake provider's chat completions, and the built-in mock): a chain
 * mixing formats, the mock, tool calls. Plain answers, streams, fallback and broken streams of
 * every family through both SDKs are provider-sdk-conformance.test.ts.
 */

const FAKE_REPLY = FAKE_REPLY_WORDS.join(" ");
const FAKE_PROVIDER_KEY = `sk-fake-${randomBytes(8).toString("hex")}`;
const hello = [{ role: "user" as const, content: "hello" }];

const stack = useStack("e2e-translation", FAKE_PROVIDER_KEY, (root) => {
  const claude = (name: string, scenario: string) => ({
    name,
    type: "anthropic",
    base_url: root(scenario),
    api_key_secret: FAKE_KEY_SECRET,
  });
  const gpt = (name: string, scenario: string) => ({
    name,
    type: "openai-compatible",
    base_url: `${root(scenario)}/v1`,
    api_key_secret: FAKE_KEY_SECRET,
  });
  return {
    project: "e2e-translation",
    providers: [
      claude("claude", ""),
      claude("claude-529", "status-529"),
      gpt("gpt", ""),
      { name: "mock", type: "mock" },
    ],
    keys: [
      { name: "openai-on-claude", config: { providers: ["claude"] } },
      { name: "anthropic-on-gpt", config: { providers: ["gpt"] } },
      { name: "mixed", config: { providers: ["claude-529", "gpt"] } },
      { name: "mock", config: { providers: ["mock"] } },
    ],
  };
});
const fakeRequests = stack.fakeRequests;

const openai = (key: string) => openaiClient(stack, key);
const anthropic = (key: string) => anthropicClient(stack, key);

describe("@anthropic-ai/sdk, served by OpenAI-format bindings", () => {
  it("falls back from an overloaded (529) Anthropic binding to the OpenAI one", async () => {
    const { data, response } = await anthropic("mixed")
      .messages.create({ model: "gpt-test", max_tokens: 64, messages: hello })
      .withResponse();
    expect(data.content).toEqual([{ type: "text", text: FAKE_REPLY }]);
    expect(response.headers.get("x-langwatch-fallback-count")).toBe("1");
    expect((await fakeRequests()).map((r) => [r.scenario, r.path])).toEqual([
      ["status-529", "/v1/messages"],
      ["ok", "/v1/chat/completions"],
    ]);
  });

  it("the built-in mock answers, streaming and not", async () => {
    const message = await anthropic("mock").messages.create({ model: "mock-echo", max_tokens: 64, messages: hello });
    expect(message.content[0]).toMatchObject({ type: "text", text: expect.stringContaining("You said: hello") });
    const final = await anthropic("mock")
      .messages.stream({ model: "mock-echo", max_tokens: 64, messages: hello })
      .finalMessage();
    expect(final.content[0]).toMatchObject({ type: "text", text: expect.stringContaining("You said: hello") });
    expect(final.usage.output_tokens).toBeGreaterThan(0);
  });
});

describe("a tool call, translated, as the official clients parse it", () => {
  // tool_choice forces a call, so the fake provider answers with one (test/fake-provider/worker.ts).
  const weather = [{ role: "user" as const, content: "Weather in Paris?" }];
  const schema = { type: "object" as const, properties: { city: { type: "string" } }, required: ["city"] };
  const openaiTools = [{ type: "function" as const, function: { name: "get_weather", parameters: schema } }];
  const anthropicTools = [{ name: "get_weather", input_schema: schema }];

  it("openai, served by Anthropic, not streamed: a tool call with its JSON arguments", async () => {
    const completion = await openai("openai-on-claude").chat.completions.create({
      model: "claude-test",
      messages: weather,
      tools: openaiTools,
      tool_choice: "required",
    });
    expect(completion.choices[0]?.finish_reason).toBe("tool_calls");
    const call = completion.choices[0]?.message.tool_calls?.[0];
    if (call?.type !== "function") throw new Error(`expected a function tool call, got ${JSON.stringify(call)}`);
    expect(call.function.name).toBe("get_weather");
    expect(JSON.parse(call.function.arguments)).toEqual(FAKE_TOOL_ARGUMENTS);
    const [upstream] = await fakeRequests();
    expect(upstream?.path).toBe("/v1/messages");
  });

  it("openai, served by Anthropic, streamed: the SDK assembles the argument deltas into the call", async () => {
    const stream = openai("openai-on-claude").chat.completions.stream({
      model: "claude-test",
      messages: weather,
      tools: openaiTools,
      tool_choice: "required",
    });
    const deltas: string[] = [];
    stream.on("tool_calls.function.arguments.delta", (e) => deltas.push(e.arguments_delta));
    const final = await stream.finalChatCompletion();
    // The call's first chunk opens it with empty arguments; the fragments follow as they streamed.
    expect(deltas.filter((d) => d !== "")).toEqual([...FAKE_TOOL_ARGUMENT_FRAGMENTS]);
    expect(final.choices[0]?.finish_reason).toBe("tool_calls");
    const call = final.choices[0]?.message.tool_calls?.[0];
    if (call?.type !== "function") throw new Error(`expected a function tool call, got ${JSON.stringify(call)}`);
    expect(call.function.name).toBe("get_weather");
    expect(JSON.parse(call.function.arguments)).toEqual(FAKE_TOOL_ARGUMENTS);
  });

  it("@anthropic-ai/sdk, served by OpenAI, not streamed: a tool_use block with its input", async () => {
    const message = await anthropic("anthropic-on-gpt").messages.create({
      model: "gpt-test",
      max_tokens: 64,
      messages: weather,
      tools: anthropicTools,
      tool_choice: { type: "any" },
    });
    expect(message.stop_reason).toBe("tool_use");
    expect(message.content).toEqual([
      expect.objectContaining({ type: "tool_use", name: "get_weather", input: FAKE_TOOL_ARGUMENTS }),
    ]);
    const [upstream] = await fakeRequests();
    expect(upstream?.path).toBe("/v1/chat/completions");
  });

  it("@anthropic-ai/sdk, served by OpenAI, streamed: input_json deltas assemble into the tool_use input", async () => {
    const stream = anthropic("anthropic-on-gpt").messages.stream({
      model: "gpt-test",
      max_tokens: 64,
      messages: weather,
      tools: anthropicTools,
      tool_choice: { type: "tool", name: "get_weather" },
    });
    const partials: string[] = [];
    stream.on("inputJson", (partial) => partials.push(partial));
    const final = await stream.finalMessage();
    expect(partials.join("")).toBe(FAKE_TOOL_ARGUMENT_FRAGMENTS.join(""));
    expect(final.stop_reason).toBe("tool_use");
    expect(final.content).toEqual([
      expect.objectContaining({ type: "tool_use", name: "get_weather", input: FAKE_TOOL_ARGUMENTS }),
    ]);
  });
});
