import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FAKE_REPLY_WORDS } from "../fake-provider/openai";
import { createProvider, keyForChain, uniqueName, type ProviderReply } from "../helpers/admin";
import { FAKE_BASE, FAKE_PROVIDER_KEY, fakeRoot, installFakeUpstream, recorded } from "../helpers/fake-upstream";
import { parseSse, postChat, streamedContent, USER_MESSAGE } from "../helpers/gateway";
import type { ProviderBinding } from "../../src/contract/bundle";
import { GEMINI_BASE_URL } from "../../src/providers/openai-shaped/gemini";
import { familyFor } from "../../src/providers/registry";

/**
 * Issue 5, what only the Google Gemini family has: Google's OpenAI-compatible root when a binding
 * names none, the fake's Google-shaped refusal, and a fallback from Gemini to another family. What
 * every family must do (OpenAI's body under /v1beta/openai with the key as a Bearer token, usage,
 * Google's array-shaped errors, fallback, broken streams) is the gemini row of
 * provider-conformance.test.ts.
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

describe("fallback across families", () => {
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
});
