import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import {
  FAKE_AWS_ACCESS_KEY_ID,
  FAKE_AWS_SECRET_ACCESS_KEY,
  FAKE_BEDROCK_USAGE,
  FAKE_TOOL_INPUT,
  FAKE_TOOL_TEXT,
  FAKE_TOOL_USE_ID,
} from "../fake-provider/bedrock";
import { FAKE_REPLY_WORDS } from "../fake-provider/openai";
import { anthropicClient, collect, contentOf, openaiClient } from "./support/sdk-clients";
import { FAKE_KEY_SECRET, useStack } from "./support/stack";

/**
 * Issue 5, the AWS Bedrock family as the official clients see it: `wrangler dev` of the gateway in
 * front of the fake provider's Converse and ConverseStream (binary event stream) endpoints, SigV4-signed
 * with the fake's credentials, driven by the `openai` client on /v1/chat/completions and by
 * `@anthropic-ai/sdk` on /v1/messages (Anthropic → OpenAI → Converse and back).
 */

const MODEL = "anthropic.claude-3-5-haiku-20241022-v1:0";
const MODEL_PATH = "/model/anthropic.claude-3-5-haiku-20241022-v1%3A0";
const REPLY = FAKE_REPLY_WORDS.join(" ");
const U = FAKE_BEDROCK_USAGE;
const TOOL_ARGUMENTS = JSON.stringify(FAKE_TOOL_INPUT);
/** The fake streams the tool input in two halves (test/fake-provider/bedrock.ts). */
const TOOL_FRAGMENTS = [
  TOOL_ARGUMENTS.slice(0, Math.floor(TOOL_ARGUMENTS.length / 2)),
  TOOL_ARGUMENTS.slice(Math.floor(TOOL_ARGUMENTS.length / 2)),
];
const hello = [{ role: "user" as const, content: "hello" }];
const weather = [{ role: "user" as const, content: "Weather in Paris?" }];
const schema = { type: "object" as const, properties: { city: { type: "string" } }, required: ["city"] };
const openaiTools = [{ type: "function" as const, function: { name: "get_weather", parameters: schema } }];
const anthropicTools = [{ name: "get_weather", input_schema: schema }];

/** The bindings, by name, and the fake provider scenario each plays. */
const BINDINGS = {
  bedrock: "",
  "bedrock-throttled": "status-429",
  "bedrock-stream-throttled": "exception-after-0",
  "bedrock-exception": "exception-after-3",
};

// The bindings are seeded with their `settings` (region, access key id); the Worker secret they name
// holds the fake's secret access key.
const stack = useStack("e2e-bedrock", FAKE_AWS_SECRET_ACCESS_KEY, (root) => ({
  project: "e2e-bedrock",
  providers: Object.entries(BINDINGS).map(([name, scenario]) => ({
    name,
    type: "bedrock",
    base_url: root(scenario),
    api_key_secret: FAKE_KEY_SECRET,
    settings: { region: "eu-west-3", access_key_id: FAKE_AWS_ACCESS_KEY_ID },
  })),
  keys: [
    { name: "bedrock", config: { providers: ["bedrock"] } },
    { name: "fallback", config: { providers: ["bedrock-throttled", "bedrock"] } },
    { name: "stream-fallback", config: { providers: ["bedrock-stream-throttled", "bedrock"] } },
    { name: "exception", config: { providers: ["bedrock-exception", "bedrock"] } },
  ],
}));
const fakeRequests = stack.fakeRequests;

const openai = (key: string) => openaiClient(stack, key);
const anthropic = (key: string) => anthropicClient(stack, key);

/** Every request the fake received in this test was SigV4-signed with the binding's key id, and carried no virtual key. */
async function expectSigV4Only(key: string, paths: string[]) {
  const requests = await fakeRequests();
  expect(requests.map((r) => r.path)).toEqual(paths);
  for (const r of requests) {
    const date = r.headers["x-amz-date"] ?? "";
    expect(date).toMatch(/^\d{8}T\d{6}Z$/);
    expect(r.headers.authorization).toMatch(
      new RegExp(
        `^AWS4-HMAC-SHA256 Credential=${FAKE_AWS_ACCESS_KEY_ID}/${date.slice(0, 8)}/eu-west-3/bedrock/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$`,
      ),
    );
  }
  // Neither the virtual key nor the secret access key went anywhere: headers, query or body.
  const wire = JSON.stringify(requests);
  expect(wire).not.toContain(stack.secret(key));
  expect(wire).not.toContain(FAKE_AWS_SECRET_ACCESS_KEY);
}

describe("the openai client, served by a SigV4 Bedrock binding", () => {
  it("not streamed: a chat completion with Bedrock's usage, cache reads as cached tokens", async () => {
    const { data, response } = await openai("bedrock")
      .chat.completions.create({ model: MODEL, messages: hello })
      .withResponse();
    expect(data.object).toBe("chat.completion");
    expect(data.model).toBe(MODEL);
    expect(data.choices[0]?.message.content).toBe(REPLY);
    expect(data.choices[0]?.finish_reason).toBe("stop");
    expect(data.usage).toMatchObject({
      prompt_tokens: U.inputTokens + U.cacheReadInputTokens + U.cacheWriteInputTokens,
      completion_tokens: U.outputTokens,
      prompt_tokens_details: { cached_tokens: U.cacheReadInputTokens },
    });
    expect(response.headers.get("x-langwatch-provider")).toBe("bedrock");
    expect(response.headers.get("x-langwatch-fallback-count")).toBe("0");
    await expectSigV4Only("bedrock", [`${MODEL_PATH}/converse`]);
  });

  it("streamed: content chunks from the binary event stream, one finish reason, the usage chunk", async () => {
    const stream = await openai("bedrock").chat.completions.create({
      model: MODEL,
      messages: hello,
      stream: true,
      stream_options: { include_usage: true },
    });
    const { chunks, error } = await collect(stream);
    expect(error).toBeNull();
    expect(contentOf(chunks)).toBe(REPLY);
    expect(chunks.map((c) => c.choices[0]?.finish_reason).filter(Boolean)).toEqual(["stop"]);
    expect(chunks.at(-1)?.choices).toEqual([]);
    expect(chunks.at(-1)?.usage).toMatchObject({
      prompt_tokens: U.inputTokens + U.cacheReadInputTokens + U.cacheWriteInputTokens,
      completion_tokens: U.outputTokens,
      prompt_tokens_details: { cached_tokens: U.cacheReadInputTokens },
    });
    await expectSigV4Only("bedrock", [`${MODEL_PATH}/converse-stream`]);
  });

  it("a forced tool call, not streamed: the SDK parses the call and its JSON arguments", async () => {
    const completion = await openai("bedrock").chat.completions.create({
      model: MODEL,
      messages: weather,
      tools: openaiTools,
      tool_choice: "required",
    });
    expect(completion.choices[0]?.finish_reason).toBe("tool_calls");
    expect(completion.choices[0]?.message.content).toBe(FAKE_TOOL_TEXT);
    const call = completion.choices[0]?.message.tool_calls?.[0];
    if (call?.type !== "function") throw new Error(`expected a function tool call, got ${JSON.stringify(call)}`);
    expect(call.id).toBe(FAKE_TOOL_USE_ID);
    expect(call.function.name).toBe("get_weather");
    expect(JSON.parse(call.function.arguments)).toEqual(FAKE_TOOL_INPUT);
    await expectSigV4Only("bedrock", [`${MODEL_PATH}/converse`]);
  });

  it("a forced tool call, streamed: the SDK assembles the argument fragments into the call", async () => {
    const stream = openai("bedrock").chat.completions.stream({
      model: MODEL,
      messages: weather,
      tools: openaiTools,
      tool_choice: "required",
    });
    const deltas: string[] = [];
    stream.on("tool_calls.function.arguments.delta", (e) => deltas.push(e.arguments_delta));
    const final = await stream.finalChatCompletion();
    expect(deltas.filter((d) => d !== "")).toEqual(TOOL_FRAGMENTS);
    expect(final.choices[0]?.finish_reason).toBe("tool_calls");
    expect(final.choices[0]?.message.content).toBe(FAKE_TOOL_TEXT);
    const call = final.choices[0]?.message.tool_calls?.[0];
    if (call?.type !== "function") throw new Error(`expected a function tool call, got ${JSON.stringify(call)}`);
    expect(call.id).toBe(FAKE_TOOL_USE_ID);
    expect(call.function.name).toBe("get_weather");
    expect(JSON.parse(call.function.arguments)).toEqual(FAKE_TOOL_INPUT);
    await expectSigV4Only("bedrock", [`${MODEL_PATH}/converse-stream`]);
  });
});

describe("@anthropic-ai/sdk on /v1/messages, served by a SigV4 Bedrock binding", () => {
  it("not streamed: a message with Bedrock's usage split into Anthropic's cache fields", async () => {
    const { data, response } = await anthropic("bedrock")
      .messages.create({ model: MODEL, max_tokens: 64, system: "Be brief.", messages: hello })
      .withResponse();
    expect(data.type).toBe("message");
    expect(data.content).toEqual([{ type: "text", text: REPLY }]);
    expect(data.stop_reason).toBe("end_turn");
    expect(data.usage).toMatchObject({
      input_tokens: U.inputTokens,
      output_tokens: U.outputTokens,
      cache_read_input_tokens: U.cacheReadInputTokens,
      cache_creation_input_tokens: U.cacheWriteInputTokens,
    });
    expect(response.headers.get("x-langwatch-provider")).toBe("bedrock");
    await expectSigV4Only("bedrock", [`${MODEL_PATH}/converse`]);
  });

  it("streamed: the SDK's text events and final message", async () => {
    const stream = anthropic("bedrock").messages.stream({ model: MODEL, max_tokens: 64, messages: hello });
    const texts: string[] = [];
    stream.on("text", (t) => texts.push(t));
    const final = await stream.finalMessage();
    expect(texts.join("")).toBe(REPLY);
    expect(final.content).toEqual([{ type: "text", text: REPLY }]);
    expect(final.stop_reason).toBe("end_turn");
    expect(final.usage).toMatchObject({ input_tokens: U.inputTokens, output_tokens: U.outputTokens });
    await expectSigV4Only("bedrock", [`${MODEL_PATH}/converse-stream`]);
  });

  it("tool use, not streamed: the text and the tool_use block with its input", async () => {
    const message = await anthropic("bedrock").messages.create({
      model: MODEL,
      max_tokens: 64,
      messages: weather,
      tools: anthropicTools,
      tool_choice: { type: "any" },
    });
    expect(message.stop_reason).toBe("tool_use");
    expect(message.content).toEqual([
      { type: "text", text: FAKE_TOOL_TEXT },
      expect.objectContaining({ type: "tool_use", id: FAKE_TOOL_USE_ID, name: "get_weather", input: FAKE_TOOL_INPUT }),
    ]);
    await expectSigV4Only("bedrock", [`${MODEL_PATH}/converse`]);
  });

  it("tool use, streamed: input_json deltas assemble into the tool_use input", async () => {
    const stream = anthropic("bedrock").messages.stream({
      model: MODEL,
      max_tokens: 64,
      messages: weather,
      tools: anthropicTools,
      tool_choice: { type: "tool", name: "get_weather" },
    });
    const partials: string[] = [];
    stream.on("inputJson", (partial) => partials.push(partial));
    const final = await stream.finalMessage();
    expect(partials.join("")).toBe(TOOL_ARGUMENTS);
    expect(final.stop_reason).toBe("tool_use");
    expect(final.content).toEqual([
      { type: "text", text: FAKE_TOOL_TEXT },
      expect.objectContaining({ type: "tool_use", id: FAKE_TOOL_USE_ID, name: "get_weather", input: FAKE_TOOL_INPUT }),
    ]);
    await expectSigV4Only("bedrock", [`${MODEL_PATH}/converse-stream`]);
  });
});

describe("Bedrock failing", () => {
  it("a ThrottlingException (429) moves on to the healthy binding: the openai client gets the answer", async () => {
    const { data, response } = await openai("fallback")
      .chat.completions.create({ model: MODEL, messages: hello })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe(REPLY);
    expect(response.headers.get("x-langwatch-provider")).toBe("bedrock");
    expect(response.headers.get("x-langwatch-fallback-count")).toBe("1");
    expect((await fakeRequests()).map((r) => r.scenario)).toEqual(["status-429", "ok"]);
    await expectSigV4Only("fallback", [`${MODEL_PATH}/converse`, `${MODEL_PATH}/converse`]);
  });

  it("a throttlingException opening the event stream moves on too: the Anthropic stream is whole", async () => {
    const { data: stream, response } = await anthropic("stream-fallback")
      .messages.stream({ model: MODEL, max_tokens: 64, messages: hello })
      .withResponse();
    const final = await stream.finalMessage();
    expect(final.content).toEqual([{ type: "text", text: REPLY }]);
    expect(response.headers.get("x-langwatch-provider")).toBe("bedrock");
    expect(response.headers.get("x-langwatch-fallback-count")).toBe("1");
    expect((await fakeRequests()).map((r) => r.scenario)).toEqual(["exception-after-0", "ok"]);
    await expectSigV4Only("stream-fallback", [`${MODEL_PATH}/converse-stream`, `${MODEL_PATH}/converse-stream`]);
  });

  it("an exception mid-stream: the openai client raises the gateway's terminal error after the partial text", async () => {
    const stream = await openai("exception").chat.completions.create({ model: MODEL, messages: hello, stream: true });
    const { chunks, error } = await collect(stream);
    const partial = contentOf(chunks);
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(REPLY.length);
    expect(REPLY.startsWith(partial)).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.finish_reason).filter(Boolean)).toEqual([]);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error).toMatchObject({ type: "provider_error", code: "upstream_mid_stream_failure" });
    expect((error as Error).message).toMatch(/throttlingException/);
    // Content already reached the client: no fallback to the healthy binding.
    expect((await fakeRequests()).map((r) => r.scenario)).toEqual(["exception-after-3"]);
  });

  it("an exception mid-stream: the Anthropic SDK's finalMessage rejects instead of returning a cut answer", async () => {
    const stream = anthropic("exception").messages.stream({ model: MODEL, max_tokens: 64, messages: hello });
    const texts: string[] = [];
    stream.on("text", (t) => texts.push(t));
    const error: unknown = await stream.finalMessage().then(
      (message) => new Error(`expected the stream to fail, got ${JSON.stringify(message)}`),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect((error as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
      type: "error",
      error: { type: "provider_error", code: "upstream_mid_stream_failure" },
    });
    expect(texts.join("").length).toBeGreaterThan(0);
    expect(texts.join("").length).toBeLessThan(REPLY.length);
    expect(REPLY.startsWith(texts.join(""))).toBe(true);
    expect((await fakeRequests()).map((r) => r.scenario)).toEqual(["exception-after-3"]);
  });
});
