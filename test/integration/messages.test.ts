import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FAKE_ANTHROPIC_USAGE } from "../fake-provider/anthropic";
import { FAKE_REPLY_WORDS } from "../fake-provider/openai";
import { CIRCUIT_COOL_DOWN_MS, CIRCUIT_FAILURE_THRESHOLD } from "../../src/pipeline/circuit-breaker";
import { createKey, createProvider } from "../helpers/admin";
import {
  ANTHROPIC_BODY,
  anthropicChain,
  messagesSettled,
  postMessages,
  readAnthropicError,
} from "../helpers/anthropic";
import { installFakeUpstream, recorded } from "../helpers/fake-upstream";
import { parseSse, REQUEST_ID, USER_MESSAGE } from "../helpers/gateway";
import { drainOutbox, ledgerRows, PRICED_MODEL } from "../helpers/limits";

/**
 * POST /v1/messages served natively by `anthropic` bindings (contract §2–§5): what the route and the
 * native passthrough add (validation, byte-for-byte bodies and events, aliases, cache markers, the
 * circuit breaker). What every family must do (auth on the wire, usage, errors, fallback, broken
 * streams) is the anthropic row of provider-conformance.test.ts.
 */

beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

const REPLY = FAKE_REPLY_WORDS.join(" ");
const FAKE_KEY = "sk-fake-provider-key"; // the FAKE_OPENAI_KEY Worker secret (vitest.config.ts)

interface AnthropicMessage {
  type: string;
  model: string;
  content: { type: string; text: string }[];
  usage: Record<string, number>;
}

const streamedText = (text: string) =>
  parseSse(text)
    .filter((e) => e.event === "content_block_delta")
    .map((e) => (JSON.parse(e.data) as { delta: { text: string } }).delta.text)
    .join("");

describe("authentication and validation, in Anthropic's error envelope", () => {
  it("a request without a key is a 401", async () => {
    const res = await postMessages(null, ANTHROPIC_BODY);
    expect(res.status).toBe(401);
    expect(res.headers.get("x-langwatch-request-id")).toMatch(REQUEST_ID);
    expect(await readAnthropicError(res)).toMatchObject({ type: "invalid_api_key" });
  });

  it("the key is accepted in x-api-key and as a Bearer token", async () => {
    const { key } = await anthropicChain([""]);
    expect((await postMessages(key.secret, ANTHROPIC_BODY)).status).toBe(200);
    const bearer = await postMessages(null, ANTHROPIC_BODY, { authorization: `Bearer ${key.secret}` });
    expect(bearer.status).toBe(200);
  });

  it.each([
    ["not JSON", "{nope", "invalid_json", /not valid JSON/],
    [
      "max_tokens missing",
      { model: "claude-test", messages: USER_MESSAGE },
      "invalid_request",
      /^max_tokens is required/,
    ],
    ["no messages", { ...ANTHROPIC_BODY, messages: [] }, "invalid_request", /^messages must contain at least one/],
    [
      "an unknown role in messages",
      { ...ANTHROPIC_BODY, messages: [{ role: "tool", content: "x" }] },
      "invalid_request",
      /^messages\[0\]\.role must be one of "user", "assistant", "system"/,
    ],
    ["model missing", { max_tokens: 5, messages: USER_MESSAGE }, "invalid_request", /^model is required/],
  ])("%s is a 400", async (_, body, code, message) => {
    const { key } = await anthropicChain([""]);
    const res = await postMessages(key.secret, body);
    expect(res.status).toBe(400);
    const error = await readAnthropicError(res);
    expect(error).toMatchObject({ type: "invalid_request_error", code });
    expect(error.message).toMatch(message);
    expect(recorded).toEqual([]);
  });

  it("a model no binding serves is a 400 naming what would work", async () => {
    const { key, bindings } = await anthropicChain([""], {}, { models: ["claude-test"] });
    const res = await postMessages(key.secret, { ...ANTHROPIC_BODY, model: "claude-other" });
    expect(res.status).toBe(400);
    const error = await readAnthropicError(res);
    expect(error).toMatchObject({ type: "invalid_request_error", code: "model_not_found" });
    expect(error.message).toContain(`${bindings[0]}/claude-test`);
  });
});

describe("a message, not streamed", () => {
  it("reaches the binding's /v1/messages with its key and version, and comes back untouched", async () => {
    const { key, bindings } = await anthropicChain([""]);
    const sent = JSON.stringify(ANTHROPIC_BODY, null, 1); // unusual spacing: only a byte copy keeps it
    const res = await postMessages(key.secret, sent, { "anthropic-beta": "prompt-caching-2024-07-31" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("x-langwatch-provider")).toBe(bindings[0]);
    expect(res.headers.get("x-langwatch-model")).toBe("claude-test");
    expect(res.headers.get("x-langwatch-fallback-count")).toBe("0");
    const body = await res.json<AnthropicMessage>();
    expect(body).toMatchObject({ type: "message", model: "claude-test", usage: FAKE_ANTHROPIC_USAGE });
    expect(body.content[0]?.text).toBe(REPLY);
    expect(recorded).toHaveLength(1);
    const call = recorded[0];
    expect(call?.path).toBe("/v1/messages");
    expect(call?.headers["x-api-key"]).toBe(FAKE_KEY);
    expect(call?.headers["anthropic-version"]).toBe("2023-06-01");
    expect(call?.headers["anthropic-beta"]).toBe("prompt-caching-2024-07-31");
    expect(call?.headers.authorization).toBeUndefined();
    expect(call?.raw).toBe(sent);
  });

  it("an alias is rewritten to the concrete model; the rest of the body is unchanged", async () => {
    const provider = await createProvider({ type: "anthropic", base_url: "https://fake.test" });
    const key = await createKey({
      config: { providers: [provider.name], model_aliases: { smart: `${provider.name}/claude-test` } },
    });
    const res = await postMessages(key.secret, { ...ANTHROPIC_BODY, model: "smart", temperature: 0.3 });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-langwatch-model")).toBe("claude-test");
    expect(recorded[0]?.body).toEqual({ ...ANTHROPIC_BODY, model: "claude-test", temperature: 0.3 });
  });
});

describe("a message, streamed", () => {
  it("passes Anthropic's events through byte for byte, message_stop last", async () => {
    const { key } = await anthropicChain([""]);
    const res = await postMessages(key.secret, { ...ANTHROPIC_BODY, stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const text = await res.text();
    const events = parseSse(text);
    expect(events.map((e) => e.event)).toEqual([
      "message_start",
      "content_block_start",
      "ping",
      ...FAKE_REPLY_WORDS.map(() => "content_block_delta"),
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect(streamedText(text)).toBe(REPLY);
    expect(recorded[0]?.body).toMatchObject({ stream: true });
  });
});

describe("usage of a broken stream", () => {
  /** 1000 µUSD per input token, 100 per cache read, 1250 per cache write, 2000 per output token. */
  const PRICE = {
    input_per_mtok: "1000",
    output_per_mtok: "2000",
    cache_read_per_mtok: "100",
    cache_write_per_mtok: "1250",
  };
  it("a broken stream settles as stream_failed with the input usage message_start reported", async () => {
    const { key } = await anthropicChain(["drop-after-3"], {}, { prices: { [PRICED_MODEL]: PRICE } });
    const reply = await messagesSettled(key.secret, { ...ANTHROPIC_BODY, model: PRICED_MODEL, stream: true });
    expect(reply.status).toBe(200);
    await drainOutbox(key.id);
    expect(await ledgerRows(key.id)).toEqual([
      expect.objectContaining({ outcome: "stream_failed", input_tokens: 19, cache_read_tokens: 3, output_tokens: 1 }),
    ]);
  });
});

describe("a stream that opens with an error event", () => {
  it("that is not retryable reaches the client as it is; no fallback", async () => {
    const { key, bindings } = await anthropicChain(["error-first-400", ""]);
    const res = await postMessages(key.secret, { ...ANTHROPIC_BODY, stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-langwatch-provider")).toBe(bindings[0]);
    const events = parseSse(await res.text());
    expect(events).toHaveLength(1);
    expect(events[0]?.event).toBe("error");
    expect(JSON.parse(events[0]?.data ?? "{}")).toMatchObject({ error: { type: "invalid_request_error" } });
    expect(recorded.map((r) => r.scenario)).toEqual(["error-first-400"]);
  });
});

// Bindings that speak OpenAI's format serve /v1/messages through translation: translation-*.test.ts.

describe("prompt caching markers", () => {
  const CACHED = {
    model: "claude-test",
    max_tokens: 64,
    system: [{ type: "text", text: "You are terse.", cache_control: { type: "ephemeral" } }],
    tools: [{ name: "lookup", input_schema: { type: "object" }, cache_control: { type: "ephemeral" } }],
    messages: [
      {
        role: "user",
        content: [
          { type: "text", text: "context", cache_control: { type: "ephemeral", ttl: "1h" } },
          {
            type: "tool_result",
            tool_use_id: "t1",
            content: [{ type: "text", text: "found", cache_control: { type: "ephemeral" } }],
          },
        ],
      },
    ],
  };
  const withoutMarkers = JSON.parse(
    JSON.stringify(CACHED, (k, v: unknown) => (k === "cache_control" ? undefined : v)),
  ) as unknown;

  it("respect: the body goes upstream byte for byte", async () => {
    const { key } = await anthropicChain([""], { cache: { mode: "respect" } });
    const sent = JSON.stringify(CACHED, null, 2);
    expect((await postMessages(key.secret, sent)).status).toBe(200);
    expect(recorded[0]?.raw).toBe(sent);
  });

  it("respect with a provider/model name: re-serialised, every marker kept", async () => {
    const { key, bindings } = await anthropicChain([""], { cache: { mode: "respect" } });
    const res = await postMessages(key.secret, { ...CACHED, model: `${bindings[0]}/claude-test` });
    expect(res.status).toBe(200);
    expect(recorded[0]?.body).toEqual(CACHED);
  });

  it("disable: every marker is stripped, nothing else changes", async () => {
    const { key } = await anthropicChain([""], { cache: { mode: "disable" } });
    expect((await postMessages(key.secret, CACHED)).status).toBe(200);
    expect(recorded[0]?.raw).not.toContain("cache_control");
    expect(recorded[0]?.body).toEqual(withoutMarkers);
  });

  it("disable with no marker in the body: still byte for byte", async () => {
    const { key } = await anthropicChain([""], { cache: { mode: "disable" } });
    const sent = JSON.stringify(ANTHROPIC_BODY, null, 3);
    expect((await postMessages(key.secret, sent)).status).toBe(200);
    expect(recorded[0]?.raw).toBe(sent);
  });
});

describe("the circuit breaker", () => {
  it(`opens after ${CIRCUIT_FAILURE_THRESHOLD} consecutive failures, skips the binding, then lets one probe through`, async () => {
    const { key, bindings } = await anthropicChain(["status-503", ""]);
    for (let i = 0; i < CIRCUIT_FAILURE_THRESHOLD; i++) {
      expect((await postMessages(key.secret, ANTHROPIC_BODY)).status).toBe(200);
    }
    expect(recorded.filter((r) => r.scenario === "status-503")).toHaveLength(CIRCUIT_FAILURE_THRESHOLD);

    recorded.length = 0;
    const skipped = await postMessages(key.secret, ANTHROPIC_BODY);
    expect(skipped.status).toBe(200);
    expect(skipped.headers.get("x-langwatch-provider")).toBe(bindings[1]);
    expect(skipped.headers.get("x-langwatch-fallback-count")).toBe("1");
    expect(recorded.map((r) => r.scenario)).toEqual(["ok"]);

    const alone = await createKey({ config: { providers: [bindings[0]] } });
    const open = await postMessages(alone.secret, ANTHROPIC_BODY);
    expect(open.status).toBe(502);
    expect((await readAnthropicError(open)).message).toMatch(
      new RegExp(
        `attempt 1 ${bindings[0]}: circuit open \\(${CIRCUIT_FAILURE_THRESHOLD} consecutive failures; next probe in \\d+ s\\)`,
      ),
    );

    const later = Date.now() + CIRCUIT_COOL_DOWN_MS + 1_000;
    vi.spyOn(Date, "now").mockReturnValue(later);
    recorded.length = 0;
    const probed = await postMessages(key.secret, ANTHROPIC_BODY);
    expect(probed.status).toBe(200);
    expect(recorded.map((r) => r.scenario)).toEqual(["status-503", "ok"]); // the probe failed: open again
    recorded.length = 0;
    await postMessages(key.secret, ANTHROPIC_BODY);
    expect(recorded.map((r) => r.scenario)).toEqual(["ok"]);
  });
});
