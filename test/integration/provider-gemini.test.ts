import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { geminiError } from "../fake-provider/gemini";
import { FAKE_REPLY_WORDS } from "../fake-provider/openai";
import { createProvider, keyForChain, uniqueName, type ProviderReply } from "../helpers/admin";
import { FAKE_BASE, FAKE_PROVIDER_KEY, fakeRoot, installFakeUpstream, recorded } from "../helpers/fake-upstream";
import { parseSse, postChat, readOpenAIError, streamedContent, USER_MESSAGE } from "../helpers/gateway";
import { chatSettled, drainOutbox, FAKE_USAGE, ledgerRows } from "../helpers/limits";
import type { ProviderBinding } from "../../src/contract/bundle";
import { GEMINI_BASE_URL } from "../../src/providers/openai-shaped/gemini";
import { familyFor } from "../../src/providers/registry";

/**
 * Issue 5, the Google Gemini family through Google's OpenAI-compatible endpoint: OpenAI's body and
 * usage under /v1beta/openai, the key as a Bearer token, Google's array-shaped errors classified by
 * status, fallback across families.
 */

beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

const MODEL = "gemini-2.5-flash";
const BODY = { model: MODEL, messages: USER_MESSAGE };
const CHAT_PATH = "/v1beta/openai/chat/completions";

/** The API root of a fake Gemini playing `scenario`. */
const geminiRoot = (scenario?: string) => `${fakeRoot(scenario)}/v1beta/openai`;

function createGemini(fields: Record<string, unknown> = {}): Promise<ProviderReply> {
  return createProvider({ name: uniqueName("gemini"), type: "gemini", base_url: geminiRoot(), ...fields });
}

describe("the request on the wire", () => {
  it("posts OpenAI's body to {base_url}/chat/completions with the key as a Bearer token", async () => {
    const gemini = await createGemini();
    const key = await keyForChain([gemini]);
    const res = await postChat(key.secret, { ...BODY, temperature: 0.3 });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-langwatch-provider")).toBe(gemini.name);
    expect(res.headers.get("x-langwatch-model")).toBe(MODEL);
    const body = await res.json<{ choices: { message: { content: string } }[] }>();
    expect(body.choices[0]?.message.content).toBe(FAKE_REPLY_WORDS.join(" "));

    expect(recorded).toHaveLength(1);
    const sent = recorded[0];
    expect(sent?.method).toBe("POST");
    expect(sent?.path).toBe(CHAT_PATH);
    expect(sent?.query).toEqual({});
    expect(sent?.headers.authorization).toBe(`Bearer ${FAKE_PROVIDER_KEY}`);
    expect(sent?.headers["api-key"]).toBeUndefined();
    expect(sent?.headers["x-goog-api-key"]).toBeUndefined();
    expect(sent?.body).toEqual({ ...BODY, temperature: 0.3 });
  });

  it("without a base_url, calls Google's OpenAI-compatible root", async () => {
    vi.restoreAllMocks();
    const seen: { url: string; headers: Headers }[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      seen.push({ url: request.url, headers: request.headers });
      return Response.json({ ok: true });
    });
    const binding: ProviderBinding = {
      id: "prv_gemini_default",
      name: "gemini-default",
      type: "gemini",
      baseUrl: null,
      apiKeySecret: "FAKE_OPENAI_KEY",
      apiKey: null,
      models: [],
      prices: {},
      settings: {},
    };
    const family = familyFor("gemini");
    expect(family?.format).toBe("openai-chat");
    const json = { ...BODY };
    await family?.send(
      binding,
      { json, bytes: JSON.stringify(json) },
      {
        env,
        signal: new AbortController().signal,
        development: false,
        forwardHeaders: {},
      },
    );
    expect(GEMINI_BASE_URL).toBe("https://generativelanguage.googleapis.com/v1beta/openai");
    expect(seen.map((s) => s.url)).toEqual([`${GEMINI_BASE_URL}/chat/completions`]);
    expect(seen[0]?.headers.get("authorization")).toBe(`Bearer ${FAKE_PROVIDER_KEY}`);
  });

  it("the fake endpoint refuses a request without a Bearer key, in Google's shape (what the test double checks)", async () => {
    const res = await fetch(`${geminiRoot()}/chat/completions`, {
      method: "POST",
      headers: { "x-goog-api-key": FAKE_PROVIDER_KEY, "content-type": "application/json" },
      body: JSON.stringify(BODY),
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual([
      { error: expect.objectContaining({ code: 401, status: "UNAUTHENTICATED" }) as unknown },
    ]);
  });
});

describe("streaming", () => {
  it("streams through with the usage chunk requested upstream and hidden from a client that did not ask", async () => {
    const gemini = await createGemini();
    const key = await keyForChain([gemini]);
    const res = await postChat(key.secret, { ...BODY, stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const events = parseSse(await res.text());
    expect(streamedContent(events)).toBe(FAKE_REPLY_WORDS.join(" "));
    expect(events.at(-1)?.data).toBe("[DONE]");
    expect(events.some((e) => e.data.includes('"usage":{'))).toBe(false);
    expect(recorded[0]?.path).toBe(CHAT_PATH);
    expect(recorded[0]?.headers.authorization).toBe(`Bearer ${FAKE_PROVIDER_KEY}`);
    expect(recorded[0]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it("a client that asked for usage gets the usage chunk", async () => {
    const gemini = await createGemini();
    const key = await keyForChain([gemini]);
    const res = await postChat(key.secret, { ...BODY, stream: true, stream_options: { include_usage: true } });
    const events = parseSse(await res.text());
    const usage = events.find((e) => e.data.includes('"usage":{'));
    expect(JSON.parse(usage?.data ?? "{}")).toMatchObject({ choices: [], usage: { prompt_tokens: FAKE_USAGE.prompt } });
  });
});

describe("usage", () => {
  it.each([
    ["a JSON answer", false],
    ["a stream", true],
  ])("%s is recorded with its tokens", async (_, stream) => {
    const gemini = await createGemini();
    const key = await keyForChain([gemini]);
    const reply = await chatSettled(key.secret, { ...BODY, stream });
    expect(reply.status).toBe(200);
    await drainOutbox(key.id);
    expect(await ledgerRows(key.id)).toMatchObject([
      {
        provider: gemini.name,
        model: MODEL,
        input_tokens: FAKE_USAGE.prompt,
        output_tokens: FAKE_USAGE.completion,
        cache_read_tokens: FAKE_USAGE.cached,
        outcome: "ok",
      },
    ]);
  });
});

describe("errors and fallback", () => {
  it.each(["status-429", "status-500", "status-503"])(
    "Google's %s (an array-shaped error) moves on to the next binding",
    async (scenario) => {
      const failing = await createGemini({ base_url: geminiRoot(scenario) });
      const healthy = await createGemini();
      const key = await keyForChain([failing, healthy]);
      const res = await postChat(key.secret, BODY);
      expect(res.status).toBe(200);
      expect(res.headers.get("x-langwatch-provider")).toBe(healthy.name);
      expect(res.headers.get("x-langwatch-fallback-count")).toBe("1");
      expect(recorded.map((r) => r.scenario)).toEqual([scenario, "ok"]);
    },
  );

  it("falls back from Gemini to a binding of another family before the first byte of a stream", async () => {
    const failing = await createGemini({ base_url: geminiRoot("status-503") });
    const azure = await createProvider({ name: uniqueName("azure"), type: "azure", base_url: FAKE_BASE });
    const key = await keyForChain([failing, azure]);
    const res = await postChat(key.secret, { ...BODY, stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-langwatch-provider")).toBe(azure.name);
    expect(streamedContent(parseSse(await res.text()))).toBe(FAKE_REPLY_WORDS.join(" "));
    expect(recorded.map((r) => r.path)).toEqual([CHAT_PATH, `/openai/deployments/${MODEL}/chat/completions`]);
  });

  it("a 400 is final and passed through unchanged, Google's array shape included", async () => {
    const failing = await createGemini({ base_url: geminiRoot("status-400") });
    const healthy = await createGemini();
    const key = await keyForChain([failing, healthy]);
    const res = await postChat(key.secret, BODY);
    expect(res.status).toBe(400);
    expect(res.headers.get("x-langwatch-provider")).toBe(failing.name);
    expect(await res.json()).toEqual(geminiError(400));
    expect(recorded).toHaveLength(1);
  });

  it("exhausting the chain lists each Gemini attempt", async () => {
    const a = await createGemini({ base_url: geminiRoot("status-503") });
    const b = await createGemini({ base_url: geminiRoot("status-429") });
    const key = await keyForChain([a, b]);
    const res = await postChat(key.secret, BODY);
    expect(res.status).toBe(502);
    const error = await readOpenAIError(res);
    expect(error.message).toContain(`attempt 1 ${a.name}: HTTP 503`);
    expect(error.message).toContain(`attempt 2 ${b.name}: HTTP 429`);
  });
});
