import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FAKE_ANTHROPIC_USAGE } from "../fake-provider/anthropic";
import { FAKE_REPLY_WORDS } from "../fake-provider/openai";
import { createKey, createProvider } from "../helpers/admin";
import { anthropicChain, fakeAnthropicBaseUrl } from "../helpers/anthropic";
import { logLines } from "../helpers/control-plane";
import { fakeBaseUrl, installFakeUpstream, recorded } from "../helpers/fake-upstream";
import { parseSse, postChat, readOpenAIError, streamedContent, USER_MESSAGE } from "../helpers/gateway";
import { chatSettled, drainOutbox, ledgerRows, PRICED_MODEL } from "../helpers/limits";

/**
 * An OpenAI chat-completions client served by Anthropic Messages bindings, through translation: the
 * request and answer translated, dropped parameters, Anthropic's error event mid-stream, a broken
 * stream's usage, chains mixing formats. The answer, usage, errors, fallback and broken streams
 * every family must handle are the anthropic row of provider-conformance.test.ts (OpenAI client).
 */

beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

const REPLY = FAKE_REPLY_WORDS.join(" ");
const U = FAKE_ANTHROPIC_USAGE;
/** Every prompt token Anthropic reported, as OpenAI counts them (cache reads and writes included). */
const PROMPT_TOKENS = U.input_tokens + U.cache_read_input_tokens + U.cache_creation_input_tokens;
const CHAT = { model: "claude-test", messages: USER_MESSAGE };

interface Completion {
  object: string;
  model: string;
  choices: { message: { role: string; content: string | null }; finish_reason: string }[];
  usage: { prompt_tokens: number; completion_tokens: number; prompt_tokens_details: { cached_tokens: number } };
}

describe("not streamed", () => {
  it("the request reaches /v1/messages in Anthropic's shape, the answer comes back as a chat completion", async () => {
    const { key, bindings } = await anthropicChain([""]);
    const res = await postChat(key.secret, {
      ...CHAT,
      messages: [{ role: "system", content: "Be brief." }, ...USER_MESSAGE],
      temperature: 0.2,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("x-langwatch-provider")).toBe(bindings[0]);
    const body = await res.json<Completion>();
    expect(body.object).toBe("chat.completion");
    expect(body.model).toBe("claude-test");
    expect(body.choices[0]?.message).toMatchObject({ role: "assistant", content: REPLY });
    expect(body.choices[0]?.finish_reason).toBe("stop");
    expect(body.usage).toMatchObject({
      prompt_tokens: PROMPT_TOKENS,
      completion_tokens: U.output_tokens,
      prompt_tokens_details: { cached_tokens: U.cache_read_input_tokens },
    });
    expect(recorded).toHaveLength(1);
    expect(recorded[0]?.path).toBe("/v1/messages");
    expect(recorded[0]?.headers["x-api-key"]).toBe("sk-fake-provider-key");
    expect(recorded[0]?.body).toEqual({
      model: "claude-test",
      max_tokens: 4096,
      system: "Be brief.",
      messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }],
      temperature: 0.2,
    });
  });

  it("parameters Anthropic cannot honour are dropped and logged at info", async () => {
    const info = vi.spyOn(console, "log");
    const { key } = await anthropicChain([""]);
    const res = await postChat(key.secret, { ...CHAT, presence_penalty: 0.5, seed: 7 });
    expect(res.status).toBe(200);
    expect((recorded[0]?.body as Record<string, unknown>).presence_penalty).toBeUndefined();
    const lines = logLines(info, "translation_dropped_params");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: "info", model: "claude-test" });
    expect(String(lines[0]?.dropped)).toContain("presence_penalty");
    expect(String(lines[0]?.dropped)).toContain("seed");
  });

  it("an untranslatable request is the client's 400, and nothing is sent", async () => {
    const { key } = await anthropicChain([""]);
    const res = await postChat(key.secret, {
      ...CHAT,
      messages: [{ role: "user", content: [{ type: "input_audio", input_audio: { data: "AA==", format: "wav" } }] }],
    });
    expect(res.status).toBe(400);
    expect(await readOpenAIError(res)).toMatchObject({ code: "untranslatable_request" });
    expect(recorded).toEqual([]);
  });
});

describe("streamed, the upstream ending in its own error", () => {
  it("an Anthropic error event mid-stream ends the client's stream with exactly one OpenAI terminal frame", async () => {
    const { key } = await anthropicChain([""]);
    const frames = [
      'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-test","content":[],"usage":{"input_tokens":4,"output_tokens":1}}}\n\n',
      'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n',
      'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hal"}}\n\n',
      'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n',
    ];
    vi.mocked(globalThis.fetch).mockImplementationOnce(() =>
      Promise.resolve(new Response(frames.join(""), { headers: { "content-type": "text/event-stream" } })),
    );
    const res = await postChat(key.secret, { ...CHAT, stream: true });
    const events = parseSse(await res.text());
    expect(streamedContent(events.filter((e) => e.event === null))).toBe("Hal");
    const errors = events.filter((e) => e.event === "error");
    expect(errors).toHaveLength(1);
    expect(events.at(-1)).toBe(errors[0]);
    const frame = JSON.parse(errors[0]?.data ?? "{}") as { error: { code: string; message: string } };
    expect(frame.error.code).toBe("upstream_mid_stream_failure");
    expect(frame.error.message).toContain("overloaded_error: Overloaded");
    expect(events.some((e) => e.data === "[DONE]")).toBe(false);
  });
});

describe("usage of a broken stream", () => {
  const PRICE = {
    input_per_mtok: "1000",
    output_per_mtok: "2000",
    cache_read_per_mtok: "100",
    cache_write_per_mtok: "1250",
  };
  it("a translated stream that breaks settles as stream_failed with the input usage", async () => {
    const { key } = await anthropicChain(["drop-after-3"], {}, { prices: { [PRICED_MODEL]: PRICE } });
    const reply = await chatSettled(key.secret, { model: PRICED_MODEL, messages: USER_MESSAGE, stream: true });
    expect(reply.status).toBe(200);
    await drainOutbox(key.id);
    expect(await ledgerRows(key.id)).toEqual([
      expect.objectContaining({ outcome: "stream_failed", input_tokens: PROMPT_TOKENS, output_tokens: 1 }),
    ]);
  });
});

describe("one fallback chain mixing formats", () => {
  it.each([
    ["not streamed", false],
    ["streamed", true],
  ])("%s: an OpenAI binding fails with 503, an Anthropic binding serves the chat client", async (_, stream) => {
    const openai = await createProvider({ base_url: fakeBaseUrl("status-503") });
    const claude = await createProvider({ type: "anthropic", base_url: fakeAnthropicBaseUrl() });
    const key = await createKey({ config: { providers: [openai.name, claude.name], fallback: { max_attempts: 2 } } });
    const res = await postChat(key.secret, { ...CHAT, stream });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-langwatch-provider")).toBe(claude.name);
    expect(res.headers.get("x-langwatch-fallback-count")).toBe("1");
    const text = await res.text();
    if (stream) expect(streamedContent(parseSse(text))).toBe(REPLY);
    else expect((JSON.parse(text) as Completion).choices[0]?.message.content).toBe(REPLY);
    expect(recorded.map((r) => [r.scenario, r.path])).toEqual([
      ["status-503", "/v1/chat/completions"],
      ["ok", "/v1/messages"],
    ]);
  });

  it("an Anthropic binding overloaded (529) hands the chat client to an OpenAI binding", async () => {
    const claude = await createProvider({ type: "anthropic", base_url: fakeAnthropicBaseUrl("status-529") });
    const openai = await createProvider();
    const key = await createKey({ config: { providers: [claude.name, openai.name], fallback: { max_attempts: 2 } } });
    const res = await postChat(key.secret, CHAT);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-langwatch-provider")).toBe(openai.name);
    expect((await res.json<Completion>()).usage.prompt_tokens).toBe(11);
  });

  it("exhaustion lists each attempt, whatever its format", async () => {
    const claude = await createProvider({ type: "anthropic", base_url: fakeAnthropicBaseUrl("status-529") });
    const openai = await createProvider({ base_url: fakeBaseUrl("status-503") });
    const key = await createKey({ config: { providers: [claude.name, openai.name], fallback: { max_attempts: 2 } } });
    const res = await postChat(key.secret, CHAT);
    expect(res.status).toBe(502);
    const error = await readOpenAIError(res);
    expect(error.code).toBe("all_attempts_failed");
    expect(error.message).toContain(`attempt 1 ${claude.name}: HTTP 529`);
    expect(error.message).toContain(`attempt 2 ${openai.name}: HTTP 503`);
  });
});
