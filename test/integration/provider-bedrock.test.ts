import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  FAKE_AWS_ACCESS_KEY_ID,
  FAKE_AWS_SECRET_ACCESS_KEY,
  FAKE_BEDROCK_API_KEY,
  FAKE_TOOL_INPUT,
  FAKE_TOOL_TEXT,
  FAKE_TOOL_USE_ID,
} from "../fake-provider/bedrock";
import {
  adminFetch,
  createKey,
  createProvider,
  expectInvalid,
  keyForChain,
  uniqueName,
  type ProviderReply,
} from "../helpers/admin";
import { postMessages } from "../helpers/anthropic";
import { logLines } from "../helpers/control-plane";
import { fakeRoot, installFakeUpstream, recorded } from "../helpers/fake-upstream";
import { parseSse, postChat, readOpenAIError, REQUEST_ID, streamedContent, type SseEvent } from "../helpers/gateway";
import { chatSettled, drainOutbox, ledgerRows } from "../helpers/limits";

/**
 * Issue 5, what only the AWS Bedrock family has: the Converse request's translation (system,
 * inferenceConfig, images), a signature made with the wrong secret, cache writes in OpenAI's usage,
 * tools both ways, prompt-cache markers as cachePoints, catalogue prices, settings checked when a
 * binding is written, and the parameters it drops. What every family must do (the Converse URL,
 * SigV4 or a Bedrock API key, usage, Bedrock's errors and which are retried, fallback, streams cut,
 * broken or left midway) is the bedrock rows of provider-conformance.test.ts.
 */

beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

const MODEL = "anthropic.claude-3-5-haiku-20241022-v1:0";
const MODEL_PATH = "/model/anthropic.claude-3-5-haiku-20241022-v1%3A0";
const CHAT = {
  model: MODEL,
  messages: [
    { role: "system", content: "Be brief." },
    { role: "user", content: "hi" },
  ],
};
const MESSAGES = { model: MODEL, max_tokens: 64, system: "Be brief.", messages: [{ role: "user", content: "hi" }] };
const WEATHER_TOOL = {
  type: "function",
  function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } },
};
const ANTHROPIC_WEATHER_TOOL = { name: "get_weather", input_schema: WEATHER_TOOL.function.parameters };

/** A SigV4 binding at the fake provider, signing with `secret` (the fake's by default). */
function createBedrock(scenario?: string, opts: { secret?: string } = {}): Promise<ProviderReply> {
  return createProvider({
    name: uniqueName("bedrock"),
    type: "bedrock",
    base_url: fakeRoot(scenario),
    api_key_secret: null,
    api_key: opts.secret ?? FAKE_AWS_SECRET_ACCESS_KEY,
    settings: { region: "eu-west-3", access_key_id: FAKE_AWS_ACCESS_KEY_ID },
  });
}

async function chain(...scenarios: string[]) {
  const providers: ProviderReply[] = [];
  for (const s of scenarios) providers.push(await createBedrock(s || undefined));
  return { providers, key: await keyForChain(providers) };
}

interface Completion {
  model: string;
  choices: {
    message: { content: string | null; tool_calls?: { id: string; function: { name: string; arguments: string } }[] };
    finish_reason: string;
  }[];
  usage: { prompt_tokens: number; completion_tokens: number; prompt_tokens_details: Record<string, number> };
}

/** Tool-call argument fragments of a chat stream, joined per tool call. */
function streamedToolCalls(events: SseEvent[]): { id?: string; name?: string; arguments: string }[] {
  const calls: { id?: string; name?: string; arguments: string }[] = [];
  for (const e of events) {
    if (e.event !== null || e.data === "[DONE]") continue;
    const chunk = JSON.parse(e.data) as {
      choices: {
        delta: { tool_calls?: { index: number; id?: string; function?: { name?: string; arguments?: string } }[] };
      }[];
    };
    for (const t of chunk.choices[0]?.delta.tool_calls ?? []) {
      const call = (calls[t.index] ??= { arguments: "" });
      if (t.id) call.id = t.id;
      if (t.function?.name) call.name = t.function.name;
      call.arguments += t.function?.arguments ?? "";
    }
  }
  return calls;
}

describe("the request on the wire", () => {
  it("translates the system message, max_tokens, temperature and stop into Converse's fields; the secret never goes out", async () => {
    const bedrock = await createBedrock();
    const key = await keyForChain([bedrock]);
    const res = await postChat(key.secret, { ...CHAT, temperature: 0.2, max_tokens: 50, stop: "END" });
    expect(res.status).toBe(200);
    const sent = recorded[0];
    expect(JSON.stringify(sent?.headers)).not.toContain(FAKE_AWS_SECRET_ACCESS_KEY);
    expect(sent?.body).toEqual({
      system: [{ text: "Be brief." }],
      messages: [{ role: "user", content: [{ text: "hi" }] }],
      inferenceConfig: { maxTokens: 50, temperature: 0.2, stopSequences: ["END"] },
    });
  });

  it("an OpenAI client reads Bedrock's cache writes as prompt_tokens_details.cache_write_tokens", async () => {
    const { key } = await chain("");
    const usage = {
      prompt_tokens: 19,
      completion_tokens: 7,
      total_tokens: 26,
      prompt_tokens_details: { cached_tokens: 3, cache_write_tokens: 5 },
    };
    expect((await (await postChat(key.secret, CHAT)).json<Completion>()).usage).toEqual(usage);
    const res = await postChat(key.secret, { ...CHAT, stream: true, stream_options: { include_usage: true } });
    const last = JSON.parse(parseSse(await res.text()).at(-2)?.data ?? "null") as { usage: unknown };
    expect(last.usage).toEqual(usage);
  });

  it("a signature made with the wrong secret is Bedrock's 403, passed through in OpenAI's envelope, not retried", async () => {
    const wrong = await createBedrock(undefined, { secret: "not-the-secret" });
    const healthy = await createBedrock();
    const key = await keyForChain([wrong, healthy]);
    const res = await postChat(key.secret, CHAT);
    expect(res.status).toBe(403);
    expect(res.headers.get("x-langwatch-provider")).toBe(wrong.name);
    expect(await readOpenAIError(res)).toEqual({
      type: "authentication_error",
      code: "InvalidSignatureException",
      message: "The request signature we calculated does not match the signature you provided.",
      param: null,
    });
    expect(recorded).toHaveLength(1);
  });

  it("refuses a remote image URL with a 400 naming the field, without calling Bedrock", async () => {
    const { key } = await chain("");
    const res = await postChat(key.secret, {
      model: MODEL,
      messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "https://example.com/cat.png" } }] }],
    });
    expect(res.status).toBe(400);
    const error = await readOpenAIError(res);
    expect(error).toMatchObject({
      type: "invalid_request_error",
      code: "untranslatable_request",
      param: "messages[0].content[0].image_url.url",
    });
    expect(error.message).toMatch(/Bedrock does not fetch URLs/);
    expect(recorded).toHaveLength(0);
  });

  it("sends inline images as base64 bytes", async () => {
    const { key } = await chain("");
    const res = await postChat(key.secret, {
      model: MODEL,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What is it?" },
            { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
          ],
        },
      ],
    });
    expect(res.status).toBe(200);
    expect(recorded[0]?.body).toMatchObject({
      messages: [
        {
          role: "user",
          content: [{ text: "What is it?" }, { image: { format: "png", source: { bytes: "iVBORw0KGgo=" } } }],
        },
      ],
    });
  });
});

describe("tools", () => {
  it("an OpenAI client gets the tool call, and sends the result back as toolResult", async () => {
    const { key } = await chain("");
    const res = await postChat(key.secret, { ...CHAT, tools: [WEATHER_TOOL], tool_choice: "required" });
    const body = await res.json<Completion>();
    expect(body.choices[0]).toMatchObject({
      message: {
        content: FAKE_TOOL_TEXT,
        tool_calls: [
          {
            id: FAKE_TOOL_USE_ID,
            type: "function",
            function: { name: "get_weather", arguments: JSON.stringify(FAKE_TOOL_INPUT) },
          },
        ],
      },
      finish_reason: "tool_calls",
    });
    expect(recorded[0]?.body).toMatchObject({
      toolConfig: {
        tools: [{ toolSpec: { name: "get_weather", inputSchema: { json: WEATHER_TOOL.function.parameters } } }],
        toolChoice: { any: {} },
      },
    });

    const second = await postChat(key.secret, {
      model: MODEL,
      tools: [WEATHER_TOOL],
      messages: [
        { role: "user", content: "Weather in Paris?" },
        { role: "assistant", content: null, tool_calls: body.choices[0]?.message.tool_calls },
        { role: "tool", tool_call_id: FAKE_TOOL_USE_ID, content: '{"temp":21}' },
      ],
    });
    expect(second.status).toBe(200);
    expect(recorded[1]?.body).toMatchObject({
      messages: [
        { role: "user" },
        {
          role: "assistant",
          content: [{ toolUse: { toolUseId: FAKE_TOOL_USE_ID, name: "get_weather", input: FAKE_TOOL_INPUT } }],
        },
        {
          role: "user",
          content: [{ toolResult: { toolUseId: FAKE_TOOL_USE_ID, content: [{ text: '{"temp":21}' }] } }],
        },
      ],
    });
  });

  it("an OpenAI client streams the tool call's arguments in fragments", async () => {
    const { key } = await chain("");
    const res = await postChat(key.secret, { ...CHAT, stream: true, tools: [WEATHER_TOOL] });
    const events = parseSse(await res.text());
    expect(streamedContent(events)).toBe(FAKE_TOOL_TEXT);
    expect(streamedToolCalls(events)).toEqual([
      { id: FAKE_TOOL_USE_ID, name: "get_weather", arguments: JSON.stringify(FAKE_TOOL_INPUT) },
    ]);
    const fragments = events.filter((e) => e.data.includes('"arguments":"{') || e.data.includes('"arguments":"\\"'));
    expect(fragments.length).toBeGreaterThanOrEqual(1);
    const finish = events
      .filter((e) => e.event === null && e.data !== "[DONE]")
      .map((e) => (JSON.parse(e.data) as { choices: { finish_reason: string | null }[] }).choices[0]?.finish_reason)
      .filter(Boolean);
    expect(finish).toEqual(["tool_calls"]);
  });

  it("an Anthropic client gets a tool_use block, and its tool_result reaches Bedrock", async () => {
    const { key } = await chain("");
    const res = await postMessages(key.secret, { ...MESSAGES, tools: [ANTHROPIC_WEATHER_TOOL] });
    const body = await res.json<{ content: Record<string, unknown>[]; stop_reason: string }>();
    expect(body.stop_reason).toBe("tool_use");
    expect(body.content).toEqual([
      { type: "text", text: FAKE_TOOL_TEXT },
      { type: "tool_use", id: FAKE_TOOL_USE_ID, name: "get_weather", input: FAKE_TOOL_INPUT },
    ]);

    await postMessages(key.secret, {
      ...MESSAGES,
      tools: [ANTHROPIC_WEATHER_TOOL],
      messages: [
        { role: "user", content: "Weather in Paris?" },
        { role: "assistant", content: body.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: FAKE_TOOL_USE_ID, content: "21 degrees" }] },
      ],
    });
    expect(recorded[1]?.body).toMatchObject({
      messages: [
        { role: "user" },
        { role: "assistant", content: [{ text: FAKE_TOOL_TEXT }, { toolUse: { toolUseId: FAKE_TOOL_USE_ID } }] },
        { role: "user", content: [{ toolResult: { toolUseId: FAKE_TOOL_USE_ID, content: [{ text: "21 degrees" }] } }] },
      ],
    });
  });

  it("an Anthropic client streams the tool call as input_json_delta events", async () => {
    const { key } = await chain("");
    const res = await postMessages(key.secret, { ...MESSAGES, stream: true, tools: [ANTHROPIC_WEATHER_TOOL] });
    const events = parseSse(await res.text());
    const start = events.find((e) => e.event === "content_block_start" && e.data.includes("tool_use"));
    expect(JSON.parse(start?.data ?? "null")).toMatchObject({
      content_block: { type: "tool_use", id: FAKE_TOOL_USE_ID, name: "get_weather" },
    });
    const json = events
      .filter((e) => e.event === "content_block_delta" && e.data.includes("input_json_delta"))
      .map((e) => (JSON.parse(e.data) as { delta: { partial_json: string } }).delta.partial_json)
      .join("");
    expect(JSON.parse(json)).toEqual(FAKE_TOOL_INPUT);
    const delta = events.find((e) => e.event === "message_delta");
    expect(JSON.parse(delta?.data ?? "null")).toMatchObject({ delta: { stop_reason: "tool_use" } });
  });
});

describe("prompt caching", () => {
  const EPHEMERAL = { type: "ephemeral" } as const;
  const POINT = { cachePoint: { type: "default" } };
  const TOOL_SPEC = { toolSpec: { name: "get_weather", inputSchema: { json: WEATHER_TOOL.function.parameters } } };

  /** A key on one healthy SigV4 binding whose config sets `cache.mode`. */
  async function cachingKey(mode: "respect" | "disable") {
    const bedrock = await createBedrock();
    return createKey({ config: { providers: [bedrock.name], cache: { mode } } });
  }

  const CACHED_CHAT = {
    model: MODEL,
    messages: [
      { role: "system", content: [{ type: "text", text: "Long rules.", cache_control: EPHEMERAL }] },
      {
        role: "user",
        content: [{ type: "text", text: "A long document.", cache_control: { ...EPHEMERAL, ttl: "1h" } }],
      },
      { role: "assistant", content: "Read it." },
      { role: "user", content: "Weather in Paris?", cache_control: EPHEMERAL },
    ],
    tools: [{ ...WEATHER_TOOL, cache_control: EPHEMERAL }],
  };

  const CACHED_MESSAGES = {
    model: MODEL,
    max_tokens: 64,
    system: [{ type: "text", text: "Long rules.", cache_control: EPHEMERAL }],
    tools: [{ ...ANTHROPIC_WEATHER_TOOL, cache_control: EPHEMERAL }],
    messages: [
      { role: "user", content: [{ type: "text", text: "Weather in Paris?", cache_control: EPHEMERAL }] },
      {
        role: "assistant",
        content: [{ type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris" } }],
      },
      {
        role: "user",
        content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "21°C", cache_control: EPHEMERAL }],
      },
    ],
  };

  it("respect: an OpenAI client's markers become cachePoints after the system block, the parts and the tool", async () => {
    const key = await cachingKey("respect");
    const res = await postChat(key.secret, CACHED_CHAT);
    // The fake provider checks every cachePoint's shape and place: a 200 means Bedrock would take them.
    expect(res.status).toBe(200);
    expect(recorded[0]?.body).toMatchObject({
      system: [{ text: "Long rules." }, POINT],
      messages: [
        { role: "user", content: [{ text: "A long document." }, { cachePoint: { type: "default", ttl: "1h" } }] },
        { role: "assistant", content: [{ text: "Read it." }] },
        { role: "user", content: [{ text: "Weather in Paris?" }, POINT] },
      ],
      toolConfig: { tools: [TOOL_SPEC, POINT] },
    });
    const body = await res.json<Completion>();
    expect(body.usage.prompt_tokens_details).toMatchObject({ cached_tokens: 3, cache_write_tokens: 5 });
  });

  it("respect: an Anthropic client's markers survive the translation and become cachePoints", async () => {
    const key = await cachingKey("respect");
    const res = await postMessages(key.secret, CACHED_MESSAGES);
    expect(res.status).toBe(200);
    expect(recorded[0]?.body).toMatchObject({
      system: [{ text: "Long rules." }, POINT],
      messages: [
        { role: "user", content: [{ text: "Weather in Paris?" }, POINT] },
        { role: "assistant", content: [{ toolUse: { toolUseId: "toolu_1", name: "get_weather" } }] },
        { role: "user", content: [{ toolResult: { toolUseId: "toolu_1", content: [{ text: "21°C" }] } }, POINT] },
      ],
      toolConfig: { tools: [TOOL_SPEC, POINT] },
    });
    expect(await res.json<Record<string, unknown>>()).toMatchObject({
      usage: { cache_read_input_tokens: 3, cache_creation_input_tokens: 5 },
    });
  });

  it("respect on a stream: the ConverseStream request carries the cachePoints too", async () => {
    const key = await cachingKey("respect");
    const res = await postChat(key.secret, { ...CACHED_CHAT, stream: true });
    expect(res.status).toBe(200);
    await res.text();
    expect(recorded[0]?.path).toBe(`${MODEL_PATH}/converse-stream`);
    expect(recorded[0]?.body).toMatchObject({ system: [{ text: "Long rules." }, POINT] });
  });

  it.each([
    ["an OpenAI client", () => CACHED_CHAT, postChat],
    ["an Anthropic client", () => CACHED_MESSAGES, postMessages],
  ] as const)("disable: %s's markers are stripped, no cachePoint is sent", async (_, body, post) => {
    const key = await cachingKey("disable");
    const res = await post(key.secret, body());
    expect(res.status).toBe(200);
    expect(recorded[0]?.raw).not.toContain("cachePoint");
    expect(recorded[0]?.raw).not.toContain("cache_control");
    expect(recorded[0]?.body).toMatchObject({
      system: [{ text: "Long rules." }],
      toolConfig: { tools: [TOOL_SPEC] },
    });
  });
});

describe("prices", () => {
  it("come from the amazon-bedrock catalogue, cache reads and writes included", async () => {
    const { key, providers } = await chain("");
    expect((await chatSettled(key.secret, CHAT)).status).toBe(200);
    await drainOutbox(key.id);
    // 11 uncached at $0.80/Mtok, 3 cache reads at $0.08, 5 cache writes at $1, 7 out at $4: 42.04 µUSD, rounded up.
    expect(await ledgerRows(key.id)).toMatchObject([{ provider: providers[0]?.name, model: MODEL, cost_micros: 43 }]);
  });
});

describe("settings", () => {
  const write = (settings: unknown, fields: Record<string, unknown> = {}) =>
    adminFetch("/providers", {
      body: { name: uniqueName("bedrock"), type: "bedrock", api_key: FAKE_BEDROCK_API_KEY, settings, ...fields },
    });

  it.each([
    ["no region", {}, "settings.region", /is required/],
    ["no settings at all", undefined, "settings.region", /is required/],
    ["a region that is not one", { region: "Frankfurt" }, "settings.region", /AWS region such as us-east-1/],
    ["a bad access key id", { region: "us-east-1", access_key_id: "me" }, "settings.access_key_id", /access key id/],
    [
      "a secret access key",
      { region: "us-east-1", secret_access_key: "s" },
      "settings.secret_access_key",
      /stored unencrypted.*api_key/,
    ],
  ])("the admin API refuses %s", async (_, settings, param, message) => {
    expect(await expectInvalid(await write(settings), param)).toMatch(message);
  });

  it("needs no base_url: the region names the endpoint", async () => {
    const res = await write({ region: "us-east-1" });
    expect(res.status).toBe(201);
  });

  it("a PATCH to type bedrock needs a region", async () => {
    const plain = await createProvider();
    const res = await adminFetch(`/providers/${plain.id}`, { method: "PATCH", body: { type: "bedrock" } });
    await expectInvalid(res, "settings.region");
  });

  it("settings broken after the fact fail the attempt, naming binding and field, and the next binding serves", async () => {
    const broken = await createBedrock();
    await env.DB.prepare("UPDATE providers SET settings = ?, revision = revision + 1 WHERE name = ?")
      .bind(JSON.stringify({ region: 42 }), broken.name)
      .run();
    const healthy = await createBedrock();
    const key = await keyForChain([broken, healthy]);
    const res = await postChat(key.secret, CHAT);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-langwatch-provider")).toBe(healthy.name);
    expect(recorded).toHaveLength(1);

    const alone = await keyForChain([broken]);
    const failed = await postChat(alone.secret, CHAT);
    expect(failed.status).toBe(502);
    expect((await readOpenAIError(failed)).message).toContain(
      `binding ${broken.name} (bedrock) has an invalid settings.region`,
    );
  });
});

describe("logs", () => {
  it("parameters Bedrock cannot honour are logged with the request's id", async () => {
    const info = vi.spyOn(console, "log");
    const { providers, key } = await chain("");
    const res = await postChat(key.secret, { ...CHAT, presence_penalty: 0.5, seed: 7 });
    expect(res.status).toBe(200);
    const lines = logLines(info, "translation_dropped_params");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: "info",
      request_id: res.headers.get("x-langwatch-request-id"),
      provider: providers[0]?.name,
      model: MODEL,
    });
    expect(lines[0]?.request_id).toMatch(REQUEST_ID);
    expect(String(lines[0]?.dropped)).toContain("presence_penalty");
    expect(String(lines[0]?.dropped)).toContain("seed");
  });
});
