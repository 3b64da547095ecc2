import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FAKE_REPLY_WORDS } from "../fake-provider/openai";
import { adminRequest, createKey, createProvider, uniqueName, type ProviderReply } from "../helpers/admin";
import { ANTHROPIC_BODY, fakeAnthropicBaseUrl, postMessages } from "../helpers/anthropic";
import { logLines } from "../helpers/control-plane";
import { fakeBaseUrl, installFakeUpstream, recorded } from "../helpers/fake-upstream";
import { fetchWithEnv, GATEWAY, parseSse } from "../helpers/gateway";
import { FAKE_USAGE, keyWithBindings } from "../helpers/limits";

/**
 * An Anthropic Messages client (`/v1/messages`) served by OpenAI-format bindings, through
 * translation: the request and answer translated, cache markers stripped, chains mixing formats,
 * the built-in mock. The answer, streams, usage, errors and fallback every family must handle are
 * the OpenAI-shaped rows of provider-conformance.test.ts (Anthropic client).
 */

beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

const REPLY = FAKE_REPLY_WORDS.join(" ");
/** The fake OpenAI usage (11 prompt tokens, 3 of them cached, 7 completion) as Anthropic reports it. */
const ANTHROPIC_USAGE = {
  input_tokens: FAKE_USAGE.prompt - FAKE_USAGE.cached,
  cache_read_input_tokens: FAKE_USAGE.cached,
  cache_creation_input_tokens: 0,
  output_tokens: FAKE_USAGE.completion,
};

interface Message {
  type: string;
  role: string;
  model: string;
  content: { type: string; text?: string }[];
  stop_reason: string;
  usage: Record<string, number>;
}

const eventData = (data: string) => JSON.parse(data) as Record<string, unknown> & { type: string };

const streamedText = (text: string) =>
  parseSse(text)
    .filter((e) => e.event === "content_block_delta")
    .map((e) => (eventData(e.data) as unknown as { delta: { text: string } }).delta.text)
    .join("");

describe("not streamed", () => {
  it("the request reaches /chat/completions in OpenAI's shape, the answer comes back as a message", async () => {
    const { key, bindings } = await keyWithBindings([""]);
    const res = await postMessages(key.secret, { ...ANTHROPIC_BODY, system: "Be brief.", stop_sequences: ["END"] });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("x-langwatch-provider")).toBe(bindings[0]);
    const body = await res.json<Message>();
    expect(body).toMatchObject({ type: "message", role: "assistant", model: "claude-test", stop_reason: "end_turn" });
    expect(body.content).toEqual([{ type: "text", text: REPLY }]);
    expect(body.usage).toEqual(ANTHROPIC_USAGE);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]?.path).toBe("/v1/chat/completions");
    expect(recorded[0]?.headers.authorization).toBe("Bearer sk-fake-provider-key");
    expect(recorded[0]?.body).toEqual({
      model: "claude-test",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "hi" },
      ],
      max_tokens: 64,
      stop: ["END"],
    });
  });

  it("cache_control markers are stripped on the way to OpenAI, and the drop is logged", async () => {
    const info = vi.spyOn(console, "log");
    const { key } = await keyWithBindings([""]);
    const marker = { cache_control: { type: "ephemeral" } };
    const res = await postMessages(key.secret, {
      ...ANTHROPIC_BODY,
      system: [{ type: "text", text: "You are terse.", ...marker }],
      tools: [{ name: "lookup", input_schema: { type: "object" }, ...marker }],
      messages: [{ role: "user", content: [{ type: "text", text: "hi", ...marker }] }],
    });
    expect(res.status).toBe(200);
    expect(recorded[0]?.raw).not.toContain("cache_control");
    expect(recorded[0]?.body).toMatchObject({
      messages: [{ role: "system", content: "You are terse." }, { role: "user" }],
      tools: [{ type: "function", function: { name: "lookup" } }],
    });
    const dropped = logLines(info, "translation_dropped_params");
    expect(dropped).toHaveLength(1);
    expect(dropped[0]).toMatchObject({ level: "info", dropped: "cache_control" });
  });
});

describe("one fallback chain mixing formats", () => {
  it.each([
    ["not streamed", false],
    ["streamed", true],
  ])("%s: an Anthropic binding fails with 529, an OpenAI binding serves the /v1/messages client", async (_, stream) => {
    const claude = await createProvider({ type: "anthropic", base_url: fakeAnthropicBaseUrl("status-529") });
    const openai = await createProvider();
    const key = await createKey({ config: { providers: [claude.name, openai.name], fallback: { max_attempts: 2 } } });
    const res = await postMessages(key.secret, { ...ANTHROPIC_BODY, stream });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-langwatch-provider")).toBe(openai.name);
    expect(res.headers.get("x-langwatch-fallback-count")).toBe("1");
    const text = await res.text();
    if (stream) expect(streamedText(text)).toBe(REPLY);
    else expect((JSON.parse(text) as Message).content).toEqual([{ type: "text", text: REPLY }]);
    expect(recorded.map((r) => [r.scenario, r.path])).toEqual([
      ["status-529", "/v1/messages"],
      ["ok", "/v1/chat/completions"],
    ]);
  });

  it("an OpenAI binding failing with 503 hands the /v1/messages client to an Anthropic binding", async () => {
    const openai = await createProvider({ base_url: fakeBaseUrl("status-503") });
    const claude = await createProvider({ type: "anthropic", base_url: fakeAnthropicBaseUrl() });
    const key = await createKey({ config: { providers: [openai.name, claude.name], fallback: { max_attempts: 2 } } });
    const res = await postMessages(key.secret, ANTHROPIC_BODY);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-langwatch-provider")).toBe(claude.name);
    expect(recorded[1]?.raw).toBe(JSON.stringify(ANTHROPIC_BODY)); // native: the client's own bytes
  });
});

describe("the built-in mock provider answers /v1/messages (development)", () => {
  const DEV = { ENVIRONMENT: "development" };

  async function mockKey(): Promise<string> {
    const created = await fetchWithEnv(
      adminRequest("/providers", { body: { name: uniqueName("mock"), type: "mock" } }),
      DEV,
    );
    expect(created.response.status).toBe(201);
    const provider = await created.response.json<ProviderReply>();
    return (await createKey({ config: { providers: [provider.name] } })).secret;
  }

  const ask = (secret: string, body: unknown) =>
    fetchWithEnv(
      new Request(`${GATEWAY}/v1/messages`, {
        method: "POST",
        headers: { "x-api-key": secret, "anthropic-version": "2023-06-01", "content-type": "application/json" },
        body: JSON.stringify(body),
      }),
      DEV,
    );

  it("not streamed: a message with the mock's reply and usage", async () => {
    const secret = await mockKey();
    const { response } = await ask(secret, { ...ANTHROPIC_BODY, messages: [{ role: "user", content: "ping" }] });
    expect(response.status).toBe(200);
    const body = await response.json<Message>();
    expect(body).toMatchObject({ type: "message", role: "assistant" });
    expect(body.content[0]?.text).toContain("You said: ping");
    expect(body.usage.output_tokens).toBeGreaterThan(0);
    expect(body.usage.input_tokens).toBeGreaterThan(0);
  });

  it("streamed: Anthropic events ending in message_stop, usage included", async () => {
    const secret = await mockKey();
    const { response } = await ask(secret, {
      ...ANTHROPIC_BODY,
      stream: true,
      messages: [{ role: "user", content: "ping" }],
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(streamedText(text)).toContain("You said: ping");
    const events = parseSse(text);
    expect(events.at(-1)?.event).toBe("message_stop");
    const delta = eventData(events.at(-2)?.data ?? "{}") as { usage?: { output_tokens?: number } };
    expect(delta.usage?.output_tokens).toBeGreaterThan(0);
  });
});
