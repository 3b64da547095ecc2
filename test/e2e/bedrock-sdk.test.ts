import { describe, expect, it } from "vitest";
import {
  FAKE_AWS_ACCESS_KEY_ID,
  FAKE_AWS_SECRET_ACCESS_KEY,
  FAKE_TOOL_INPUT,
  FAKE_TOOL_TEXT,
  FAKE_TOOL_USE_ID,
} from "../fake-provider/bedrock";
import { anthropicClient, openaiClient } from "./support/sdk-clients";
import { FAKE_KEY_SECRET, useStack } from "./support/stack";

/**
 * Issue 5, the AWS Bedrock family's tool calls as the official clients see them: `wrangler dev` of
 * the gateway in front of the fake provider's Converse and ConverseStream (binary event stream)
 * endpoints, SigV4-signed with the fake's credentials, driven by the `openai` client on
 * /v1/chat/completions and by `@anthropic-ai/sdk` on /v1/messages (Anthropic → OpenAI → Converse and
 * back). Plain answers, streams, fallback and broken streams are the bedrock row of
 * provider-sdk-conformance.test.ts.
 */

const MODEL = "anthropic.claude-3-5-haiku-20241022-v1:0";
const MODEL_PATH = "/model/anthropic.claude-3-5-haiku-20241022-v1%3A0";
const TOOL_ARGUMENTS = JSON.stringify(FAKE_TOOL_INPUT);
/** The fake streams the tool input in two halves (test/fake-provider/bedrock.ts). */
const TOOL_FRAGMENTS = [
  TOOL_ARGUMENTS.slice(0, Math.floor(TOOL_ARGUMENTS.length / 2)),
  TOOL_ARGUMENTS.slice(Math.floor(TOOL_ARGUMENTS.length / 2)),
];
const weather = [{ role: "user" as const, content: "Weather in Paris?" }];
const schema = { type: "object" as const, properties: { city: { type: "string" } }, required: ["city"] };
const openaiTools = [{ type: "function" as const, function: { name: "get_weather", parameters: schema } }];
const anthropicTools = [{ name: "get_weather", input_schema: schema }];

// The binding is seeded with its `settings` (region, access key id); the Worker secret it names
// holds the fake's secret access key.
const stack = useStack("e2e-bedrock", FAKE_AWS_SECRET_ACCESS_KEY, (root) => ({
  project: "e2e-bedrock",
  providers: [
    {
      name: "bedrock",
      type: "bedrock",
      base_url: root(""),
      api_key_secret: FAKE_KEY_SECRET,
      settings: { region: "eu-west-3", access_key_id: FAKE_AWS_ACCESS_KEY_ID },
    },
  ],
  keys: [{ name: "bedrock", config: { providers: ["bedrock"] } }],
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
