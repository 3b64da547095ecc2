import { env as workerEnv } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { estimatePromptTokens } from "../../src/lib/estimate-tokens";
import { fakeVector } from "../fake-provider/embeddings";
import { FAKE_REPLY_WORDS, FAKE_TOOL_ARGUMENT_FRAGMENTS, FAKE_TOOL_ARGUMENTS } from "../fake-provider/openai";
import {
  FAKE_AI_REASONING,
  FAKE_AI_USAGE,
  fakeAI,
  workersAIError,
  type FakeAIOptions,
  type FakeAIShape,
} from "../fake-provider/workers-ai";
import {
  adminFetch,
  createProvider,
  expectInvalid,
  keyForChain,
  uniqueName,
  type ProviderReply,
} from "../helpers/admin";
import { logLines } from "../helpers/control-plane";
import { installFakeUpstream, recorded } from "../helpers/fake-upstream";
import { fetchWithEnv, GATEWAY, parseSse, REQUEST_ID, streamedContent, type SseEvent } from "../helpers/gateway";
import { drainOutbox, ledgerRows } from "../helpers/limits";

/**
 * Issue 5, what only the Workers AI family has: models called through the Worker's AI binding
 * (`env.AI.run`), a fake binding injected into the env (test/fake-provider/workers-ai.ts) in both of
 * Workers AI's output shapes: what older models accept, reasoning, whole outputs to streaming
 * requests, tools, a missing or odd binding, catalogue prices, settings, and /v1/embeddings with an
 * embeddings model. What every family must do (the call, usage, Workers AI's errors and which are
 * retried, fallback, broken streams, timeouts, a client that leaves) is the workers-ai rows of
 * provider-conformance.test.ts.
 */

beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

const MODEL = "@cf/meta/llama-3.1-8b-instruct"; // in the price catalogue
const HI = [{ role: "user", content: "hi" }];
const REPLY = FAKE_REPLY_WORDS.join(" ");
const SHAPES: FakeAIShape[] = ["native", "openai"];

const WEATHER_TOOL = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

function createWorkersAI(settings?: Record<string, unknown>): Promise<ProviderReply> {
  return createProvider({
    name: uniqueName("wai"),
    type: "workers-ai",
    base_url: null,
    api_key_secret: null,
    ...(settings ? { settings } : {}),
  });
}

interface Reply {
  status: number;
  headers: Headers;
  text: string;
}

/** POSTs `body` to the gateway with `env` merged into its bindings; reads the reply and waits for settlement. */
async function call(path: string, secret: string, body: unknown, env: Record<string, unknown>): Promise<Reply> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (path === "/v1/messages") Object.assign(headers, { "x-api-key": secret, "anthropic-version": "2023-06-01" });
  else headers.authorization = `Bearer ${secret}`;
  const request = new Request(`${GATEWAY}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
  const { response, settled } = await fetchWithEnv(request, env);
  const text = await response.text();
  await settled();
  return { status: response.status, headers: response.headers, text };
}

const chat = (secret: string, body: unknown, env: Record<string, unknown>) =>
  call("/v1/chat/completions", secret, body, env);
const messages = (secret: string, body: unknown, env: Record<string, unknown>) =>
  call("/v1/messages", secret, body, env);

/** One workers-ai binding on a fake AI binding named AI; returns the key's secret and id, and the fake. */
async function single(opts: FakeAIOptions = {}) {
  const provider = await createWorkersAI();
  const key = await keyForChain([provider]);
  const ai = fakeAI(opts);
  return { provider, key, ai, env: { AI: ai.binding } };
}

/** A workers-ai binding whose AI binding (AI_FAILING) throws `error`, then a healthy one (AI). */
async function failingThenHealthy(error: unknown) {
  const failing = await createWorkersAI({ binding: "AI_FAILING" });
  const healthy = await createWorkersAI();
  const key = await keyForChain([failing, healthy]);
  const bad = fakeAI({ throws: error });
  const good = fakeAI();
  return { failing, healthy, key, bad, good, env: { AI_FAILING: bad.binding, AI: good.binding } };
}

interface Chunk {
  choices: { delta: Record<string, unknown>; finish_reason: string | null }[];
  usage?: Record<string, number> | null;
}

const chunksOf = (events: SseEvent[]): Chunk[] =>
  events.filter((e) => e.event === null && e.data !== "[DONE]").map((e) => JSON.parse(e.data) as Chunk);

const toolDeltas = (chunks: Chunk[]) =>
  chunks.flatMap((c) => (c.choices[0]?.delta.tool_calls as Record<string, unknown>[] | undefined) ?? []);

describe("a chat completion through the AI binding", () => {
  it("openai output: the model's reasoning_content reaches the client, whole and streamed; nothing goes over HTTP", async () => {
    const { key, env } = await single({ shape: "openai" });
    const whole = await chat(key.secret, { model: MODEL, messages: HI }, env);
    expect(JSON.parse(whole.text)).toMatchObject({ choices: [{ message: { reasoning_content: FAKE_AI_REASONING } }] });
    const streamed = chunksOf(
      parseSse((await chat(key.secret, { model: MODEL, messages: HI, stream: true }, env)).text),
    );
    expect(streamed.some((c) => c.choices[0]?.delta.reasoning_content === FAKE_AI_REASONING)).toBe(true);
    expect(recorded).toHaveLength(0);
  });

  it("sends what older models accept: string content, max_tokens; OpenAI-only parameters left out", async () => {
    const { key, ai, env } = await single({ shape: "native" });
    const body = {
      model: MODEL,
      messages: [
        {
          role: "system",
          content: [
            { type: "text", text: "Be brief." },
            { type: "text", text: "Be kind." },
          ],
        },
        { role: "user", content: "hi" },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{}" } }],
        },
        { role: "tool", tool_call_id: "c1", content: "done" },
      ],
      max_completion_tokens: 64,
      user: "someone",
      logit_bias: { "50256": -100 },
      seed: 7,
      stop: null,
    };
    const reply = await chat(key.secret, body, env);
    expect(reply.status, reply.text).toBe(200);
    expect(ai.calls[0]?.inputs).toEqual({
      messages: [
        { role: "system", content: "Be brief.\nBe kind." },
        { role: "user", content: "hi" },
        { role: "assistant", content: "", tool_calls: body.messages[2]?.tool_calls },
        { role: "tool", tool_call_id: "c1", content: "done" },
      ],
      max_tokens: 64,
      seed: 7,
    });
  });

  it("a native answer that reached max_tokens finishes with length", async () => {
    const { key, env } = await single({ shape: "native" });
    const reply = await chat(
      key.secret,
      { model: MODEL, messages: HI, max_tokens: FAKE_AI_USAGE.completion_tokens },
      env,
    );
    expect((JSON.parse(reply.text) as { choices: { finish_reason: string }[] }).choices[0]?.finish_reason).toBe(
      "length",
    );
  });

  it("settings.binding names the Worker binding to call", async () => {
    const provider = await createWorkersAI({ binding: "AI_EU" });
    const key = await keyForChain([provider]);
    const eu = fakeAI();
    const other = fakeAI();
    const reply = await chat(key.secret, { model: MODEL, messages: HI }, { AI_EU: eu.binding, AI: other.binding });
    expect(reply.status, reply.text).toBe(200);
    expect(eu.calls).toHaveLength(1);
    expect(other.calls).toHaveLength(0);
  });

  it("is priced from the cloudflare-workers-ai catalogue", async () => {
    const { provider, key, env } = await single();
    expect((await chat(key.secret, { model: MODEL, messages: HI }, env)).status).toBe(200);
    await drainOutbox(key.id);
    const rows = await ledgerRows(key.id);
    expect(rows).toMatchObject([{ provider: provider.name, model: MODEL }]);
    expect(rows[0]?.cost_micros).toBeGreaterThan(0);
  });
});

describe("streaming", () => {
  it("a model that answers a streaming request with a whole output is streamed in one go", async () => {
    const { key, env } = await single({ shape: "openai", wholeWhenStreaming: true });
    const reply = await chat(key.secret, { model: MODEL, messages: HI, stream: true }, env);
    const events = parseSse(reply.text);
    expect(streamedContent(events)).toBe(REPLY);
    expect(events.at(-1)?.data).toBe("[DONE]");
  });

  it("an OpenAI-shaped stream that gave its finish reason but no [DONE] still ends normally", async () => {
    const { key, env } = await single({ shape: "openai", withoutDone: true });
    const events = parseSse((await chat(key.secret, { model: MODEL, messages: HI, stream: true }, env)).text);
    expect(streamedContent(events)).toBe(REPLY);
    expect(events.at(-1)?.data).toBe("[DONE]");
  });
});

describe("tools", () => {
  const TOOL_BODY = { model: MODEL, messages: HI, tools: [WEATHER_TOOL], tool_choice: "required" };

  it.each(SHAPES)("%s output: the call comes back as an OpenAI tool call with JSON arguments", async (shape) => {
    const { key, ai, env } = await single({ shape });
    const reply = await chat(key.secret, TOOL_BODY, env);
    expect(reply.status, reply.text).toBe(200);
    const choice = (JSON.parse(reply.text) as { choices: Record<string, unknown>[] }).choices[0];
    expect(choice).toMatchObject({
      finish_reason: "tool_calls",
      message: {
        content: null,
        tool_calls: [
          { type: "function", function: { name: "get_weather", arguments: JSON.stringify(FAKE_TOOL_ARGUMENTS) } },
        ],
      },
    });
    const call = (choice?.message as { tool_calls: { id: string }[] }).tool_calls[0];
    expect(call?.id).toMatch(/\S/);
    expect(ai.calls[0]?.inputs).toMatchObject({ tools: [WEATHER_TOOL], tool_choice: "required" });
  });

  it.each(SHAPES)("%s stream: one tool call opened, its arguments in fragments, finish tool_calls", async (shape) => {
    const { key, env } = await single({ shape });
    const events = parseSse((await chat(key.secret, { ...TOOL_BODY, stream: true }, env)).text);
    const chunks = chunksOf(events);
    const deltas = toolDeltas(chunks);
    expect(deltas[0]).toMatchObject({ index: 0, type: "function", function: { name: "get_weather" } });
    expect(typeof deltas[0]?.id).toBe("string");
    expect(deltas.map((d) => (d.function as { arguments?: string }).arguments).join("")).toBe(
      FAKE_TOOL_ARGUMENT_FRAGMENTS.join(""),
    );
    expect(deltas.every((d) => d.index === 0)).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.finish_reason).filter(Boolean)).toEqual(["tool_calls"]);
    expect(events.at(-1)?.data).toBe("[DONE]");
  });
});

describe("tools for an Anthropic client (/v1/messages), translated", () => {
  const MESSAGE = { model: MODEL, max_tokens: 64, messages: [{ role: "user", content: "hi" }] };
  const TOOL = { name: "get_weather", input_schema: WEATHER_TOOL.function.parameters };

  it("a forced tool comes back as a tool_use block, streamed and not", async () => {
    const { key, env } = await single();
    const body = { ...MESSAGE, tools: [TOOL], tool_choice: { type: "any" } };
    const whole = JSON.parse((await messages(key.secret, body, env)).text) as Record<string, unknown>;
    expect(whole).toMatchObject({
      stop_reason: "tool_use",
      content: [{ type: "tool_use", name: "get_weather", input: FAKE_TOOL_ARGUMENTS }],
    });
    const events = parseSse((await messages(key.secret, { ...body, stream: true }, env)).text);
    const json = events
      .filter((e) => e.event === "content_block_delta")
      .map((e) => (JSON.parse(e.data) as { delta: { partial_json?: string } }).delta.partial_json ?? "")
      .join("");
    expect(JSON.parse(json)).toEqual(FAKE_TOOL_ARGUMENTS);
  });
});

describe("errors and fallback", () => {
  it.each([
    ["no such env entry", undefined],
    ["an env entry that is not an AI binding", { run: "not a function" }],
  ])(
    "a Worker without the AI binding (%s): the next binding serves, and alone it is a 502 saying what to add",
    async (_, value) => {
      const missing = await createWorkersAI({ binding: "AI_MISSING" });
      const fallback = await createProvider();
      const both = await keyForChain([missing, fallback]);
      const served = await chat(both.secret, { model: MODEL, messages: HI }, { AI_MISSING: value });
      expect(served.status).toBe(200);
      expect(served.headers.get("x-langwatch-provider")).toBe(fallback.name);
      expect(recorded).toHaveLength(1);

      const alone = await keyForChain([missing]);
      const reply = await chat(alone.secret, { model: MODEL, messages: HI }, { AI_MISSING: value });
      expect(reply.status).toBe(502);
      expect(reply.text).toContain('add [ai] binding = \\"AI_MISSING\\" to wrangler.toml');
    },
  );

  it("an unreadable output is a 502 that moves on to the next binding", async () => {
    const failing = await createWorkersAI({ binding: "AI_ODD" });
    const healthy = await createWorkersAI();
    const key = await keyForChain([failing, healthy]);
    const odd = { run: () => Promise.resolve({ result: "what?" }) };
    const reply = await chat(key.secret, { model: MODEL, messages: HI }, { AI_ODD: odd, AI: fakeAI().binding });
    expect(reply.status).toBe(200);
    expect(reply.headers.get("x-langwatch-provider")).toBe(healthy.name);
  });
});

describe("settings", () => {
  it.each([
    [{ binding: "AI-EU" }, /must name a Worker binding/],
    [{ binding: 5 }, /string/],
  ])("the admin API refuses settings %j", async (settings, message) => {
    const res = await adminFetch("/providers", {
      body: { name: uniqueName("wai"), type: "workers-ai", settings },
    });
    expect(await expectInvalid(res, "settings.binding")).toMatch(message);
  });

  it("a bad setting stored past the admin API fails the attempt naming it; alone, the 502 says so", async () => {
    const broken = await createWorkersAI();
    await workerEnv.DB.prepare("UPDATE providers SET settings = ?, revision = revision + 1 WHERE name = ?")
      .bind(JSON.stringify({ binding: 5 }), broken.name)
      .run();
    const key = await keyForChain([broken]);
    const reply = await chat(key.secret, { model: MODEL, messages: HI }, { AI: fakeAI().binding });
    expect(reply.status).toBe(502);
    expect(reply.text).toContain(
      `binding ${broken.name} (workers-ai) has an invalid settings.binding: it must be a string`,
    );
  });

  it("a binding needs neither base_url nor a key", async () => {
    const provider = await createWorkersAI({ binding: "AI" });
    expect(provider.type).toBe("workers-ai");
  });
});

describe("logs", () => {
  it("parameters Workers AI cannot honour are logged with the request's id", async () => {
    const info = vi.spyOn(console, "log");
    const { provider, key, env } = await single();
    const reply = await chat(key.secret, { model: MODEL, messages: HI, user: "someone", logit_bias: { "42": 1 } }, env);
    expect(reply.status, reply.text).toBe(200);
    const lines = logLines(info, "translation_dropped_params");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: "info",
      request_id: reply.headers.get("x-langwatch-request-id"),
      provider: provider.name,
      model: MODEL,
    });
    expect(lines[0]?.request_id).toMatch(REQUEST_ID);
    expect(String(lines[0]?.dropped)).toContain("user");
    expect(String(lines[0]?.dropped)).toContain("logit_bias");
  });
});

describe("/v1/embeddings through the AI binding", () => {
  const EMBED_MODEL = "@cf/baai/bge-base-en-v1.5";

  interface EmbeddingsOut {
    object: string;
    data: { object: string; index: number; embedding: number[] | string }[];
    model: string;
    usage: { prompt_tokens: number; total_tokens: number };
  }

  const embed = (secret: string, body: unknown, env: Record<string, unknown>) =>
    call("/v1/embeddings", secret, body, env);

  const errorOf = (reply: Reply) =>
    (JSON.parse(reply.text) as { error: { type: string; code: string | null; message: string; param: string | null } })
      .error;

  /** The float32 values of a base64 embedding, little-endian as OpenAI encodes them. */
  function float32s(base64: string): number[] {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const view = new DataView(bytes.buffer);
    return Array.from({ length: bytes.length / 4 }, (_, i) => view.getFloat32(i * 4, true));
  }

  it("one text: run with { text }, its vector back in OpenAI's shape with estimated usage", async () => {
    const { provider, key, ai, env } = await single();
    const reply = await embed(key.secret, { model: EMBED_MODEL, input: "hello" }, env);
    expect(reply.status, reply.text).toBe(200);
    expect(reply.headers.get("x-langwatch-provider")).toBe(provider.name);
    const tokens = estimatePromptTokens(["hello"]);
    expect(JSON.parse(reply.text)).toEqual({
      object: "list",
      data: [{ object: "embedding", index: 0, embedding: fakeVector("hello") }],
      model: EMBED_MODEL,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
    expect(ai.calls).toHaveLength(1);
    expect(ai.calls[0]).toMatchObject({ model: EMBED_MODEL, inputs: { text: "hello" } });
    expect(ai.calls[0]?.signal).toBeInstanceOf(AbortSignal);
    expect(recorded).toHaveLength(0);
  });

  it("a batch: one run, one vector per text in order; Workers AI's own parameters sent along", async () => {
    const { key, ai, env } = await single();
    const input = ["first text", "second", "the third one"];
    const reply = await embed(key.secret, { model: EMBED_MODEL, input, pooling: "cls", encoding_format: "float" }, env);
    expect(reply.status, reply.text).toBe(200);
    const body = JSON.parse(reply.text) as EmbeddingsOut;
    expect(body.data).toEqual(input.map((t, index) => ({ object: "embedding", index, embedding: fakeVector(t) })));
    expect(body.usage.prompt_tokens).toBe(estimatePromptTokens(input));
    expect(ai.calls.map((c) => c.inputs)).toEqual([{ text: input, pooling: "cls" }]);
  });

  it("encoding_format base64: each vector's float32 values, little-endian, base64-encoded", async () => {
    const { key, env } = await single();
    const input = ["alpha", "beta"];
    const reply = await embed(key.secret, { model: EMBED_MODEL, input, encoding_format: "base64" }, env);
    expect(reply.status, reply.text).toBe(200);
    const body = JSON.parse(reply.text) as EmbeddingsOut;
    expect(body.data.map((d) => typeof d.embedding)).toEqual(["string", "string"]);
    expect(body.data.map((d) => float32s(d.embedding as string))).toEqual(
      input.map((t) => fakeVector(t).map(Math.fround)),
    );
  });

  it.each<[string, Record<string, unknown>, string]>([
    ["token ids", { input: [1, 2, 3] }, "input"],
    ["arrays of token ids", { input: [[1, 2], [3]] }, "input"],
    ["dimensions", { input: "x", dimensions: 256 }, "dimensions"],
    ["an unknown encoding_format", { input: "x", encoding_format: "int8" }, "encoding_format"],
  ])("%s: a 400 naming the field, with no call", async (_, fields, param) => {
    const { key, ai, env } = await single();
    const reply = await embed(key.secret, { model: EMBED_MODEL, ...fields }, env);
    expect(reply.status).toBe(400);
    expect(errorOf(reply)).toMatchObject({ type: "invalid_request_error", code: "untranslatable_request", param });
    expect(errorOf(reply).message).toMatch(/^Cannot translate /);
    expect(ai.calls).toHaveLength(0);
    expect(recorded).toHaveLength(0);
  });

  it("token ids with an OpenAI binding behind: that binding serves them, no run", async () => {
    const workersAI = await createWorkersAI();
    const openai = await createProvider();
    const key = await keyForChain([workersAI, openai]);
    const ai = fakeAI();
    const reply = await embed(key.secret, { model: EMBED_MODEL, input: [1, 2, 3] }, { AI: ai.binding });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.headers.get("x-langwatch-provider")).toBe(openai.name);
    expect(ai.calls).toHaveLength(0);
    expect(recorded.map((r) => r.path)).toEqual(["/v1/embeddings"]);
  });

  it("usage Workers AI does not report: the estimate, logged as such, recorded in the ledger", async () => {
    const info = vi.spyOn(console, "log");
    const { provider, key, env } = await single();
    const input = ["a sentence to embed", "and another"];
    const reply = await embed(key.secret, { model: EMBED_MODEL, input, user: "someone" }, env);
    expect(reply.status, reply.text).toBe(200);
    const tokens = estimatePromptTokens(input);
    expect(tokens).toBeGreaterThan(0);
    const lines = logLines(info, "workers_ai_usage_estimated");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: "info",
      request_id: reply.headers.get("x-langwatch-request-id"),
      provider: provider.name,
      model: EMBED_MODEL,
      estimated_prompt_tokens: tokens,
    });
    expect(logLines(info, "translation_dropped_params")[0]).toMatchObject({ dropped: "user", model: EMBED_MODEL });
    await drainOutbox(key.id);
    expect(await ledgerRows(key.id)).toMatchObject([
      { provider: provider.name, model: EMBED_MODEL, input_tokens: tokens, output_tokens: 0, outcome: "ok" },
    ]);
  });

  it("usage Workers AI reports is the one answered and recorded; nothing is estimated", async () => {
    const info = vi.spyOn(console, "log");
    const { key, env } = await single({ embeddingUsage: { prompt_tokens: 42, total_tokens: 42 } });
    const reply = await embed(key.secret, { model: EMBED_MODEL, input: "hello" }, env);
    expect((JSON.parse(reply.text) as EmbeddingsOut).usage).toEqual({ prompt_tokens: 42, total_tokens: 42 });
    expect(logLines(info, "workers_ai_usage_estimated")).toHaveLength(0);
    await drainOutbox(key.id);
    expect(await ledgerRows(key.id)).toMatchObject([{ input_tokens: 42, output_tokens: 0, outcome: "ok" }]);
  });

  it("out of capacity moves on to the next binding", async () => {
    const error = workersAIError("InferenceUpstreamError", "3040: Capacity temporarily exceeded, please try again.");
    const { healthy, key, bad, good, env } = await failingThenHealthy(error);
    const reply = await embed(key.secret, { model: EMBED_MODEL, input: "hello" }, env);
    expect(reply.status, reply.text).toBe(200);
    expect(reply.headers.get("x-langwatch-provider")).toBe(healthy.name);
    expect(reply.headers.get("x-langwatch-fallback-count")).toBe("1");
    expect(bad.calls).toHaveLength(1);
    expect(good.calls).toHaveLength(1);
  });

  it("an output without one vector per text is a 502 that moves on to an OpenAI binding", async () => {
    const odd = await createWorkersAI({ binding: "AI_ODD" });
    const openai = await createProvider();
    const key = await keyForChain([odd, openai]);
    const short = { run: () => Promise.resolve({ shape: [1, 2], data: [[0.1, 0.2]] }) };
    const reply = await embed(key.secret, { model: EMBED_MODEL, input: ["a", "b"] }, { AI_ODD: short });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.headers.get("x-langwatch-provider")).toBe(openai.name);
    expect((JSON.parse(reply.text) as EmbeddingsOut).data).toHaveLength(2);

    const alone = await keyForChain([odd]);
    const failed = await embed(alone.secret, { model: EMBED_MODEL, input: ["a", "b"] }, { AI_ODD: short });
    expect(failed.status).toBe(502);
    expect(failed.text).toContain(`attempt 1 ${odd.name}: HTTP 502`);
  });

  it("a chat model named: Workers AI's input error, the client's 400 saying to use an embeddings model", async () => {
    const first = await createWorkersAI({ binding: "AI_FIRST" });
    const key = await keyForChain([first, await createWorkersAI()]);
    const bad = fakeAI();
    const good = fakeAI();
    const reply = await embed(
      key.secret,
      { model: MODEL, input: "hello" },
      { AI_FIRST: bad.binding, AI: good.binding },
    );
    expect(reply.status).toBe(400);
    expect(reply.headers.get("x-langwatch-provider")).toBe(first.name);
    const error = errorOf(reply);
    expect(error).toMatchObject({ type: "invalid_request_error", code: "workers_ai_5006", param: null });
    expect(error.message).toContain(`Workers AI could not run ${MODEL}`);
    expect(error.message).toContain("required properties at '/' are 'prompt'");
    expect(error.message).toContain(`text-embeddings model (such as ${EMBED_MODEL})`);
    expect(bad.calls).toEqual([expect.objectContaining({ model: MODEL, inputs: { text: "hello" } })]);
    expect(good.calls).toHaveLength(0);
  });

  it("an embeddings model on /v1/chat/completions is refused the same way, with the chat advice", async () => {
    const { key, env } = await single();
    const reply = await chat(key.secret, { model: EMBED_MODEL, messages: HI }, env);
    expect(reply.status).toBe(400);
    expect(errorOf(reply)).toMatchObject({ type: "invalid_request_error", code: "workers_ai_5006" });
  });
});
