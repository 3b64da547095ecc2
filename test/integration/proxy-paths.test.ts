import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createKey, createProvider } from "../helpers/admin";
import { FAKE_BASE, installFakeUpstream, recorded } from "../helpers/fake-upstream";
import { fetchWithEnv, GATEWAY, USER_MESSAGE } from "../helpers/gateway";
import { drainOutbox, FAKE_USAGE, ledgerRows } from "../helpers/limits";

/**
 * `/proxy/<binding>/v1/chat/completions`, as the runbook writes it, on a binding whose API root
 * already ends in `/v1`: the provider's own API path goes upstream once, not as `/v1/v1/…`; a path
 * relative to the root keeps working.
 */

beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

const CHAT = JSON.stringify({ model: "gpt-4o-mini", messages: USER_MESSAGE });

async function proxied(path: string, secret: string, body?: string) {
  const request = new Request(`${GATEWAY}/proxy/${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
    body,
  });
  const { response, settled } = await fetchWithEnv(request, {});
  const text = await response.text();
  await settled();
  return { status: response.status, headers: response.headers, text };
}

async function proxyKeyFor(baseUrl: string) {
  const provider = await createProvider({ base_url: baseUrl });
  const key = await createKey({ config: { providers: [provider.name], proxy: true } });
  return { provider, key };
}

describe("the provider's own API path", () => {
  it("POST /proxy/<binding>/v1/chat/completions reaches /v1/chat/completions once, answered and settled", async () => {
    const { provider, key } = await proxyKeyFor(`${FAKE_BASE}/v1`);
    const reply = await proxied(`${provider.name}/v1/chat/completions`, key.secret, CHAT);
    expect(reply.status, reply.text).toBe(200);
    expect(JSON.parse(reply.text)).toMatchObject({ object: "chat.completion" });
    expect(recorded.map((r) => r.path)).toEqual(["/v1/chat/completions"]);
    await drainOutbox(key.id);
    expect(await ledgerRows(key.id)).toEqual([
      expect.objectContaining({ outcome: "ok", input_tokens: FAKE_USAGE.prompt, output_tokens: FAKE_USAGE.completion }),
    ]);
  });

  it("a path relative to the root still goes under it, query and all", async () => {
    const { provider, key } = await proxyKeyFor(`${FAKE_BASE}/v1`);
    expect((await proxied(`${provider.name}/chat/completions`, key.secret, CHAT)).status).toBe(200);
    await proxied(`${provider.name}/v1/models?limit=2`, key.secret);
    expect(recorded.map((r) => [r.path, r.query])).toEqual([
      ["/v1/chat/completions", {}],
      ["/v1/models", { limit: "2" }],
    ]);
  });

  it("a root with a longer path (Gemini's /v1beta/openai) takes its whole path or a relative one", async () => {
    const { provider, key } = await proxyKeyFor(`${FAKE_BASE}/v1beta/openai`);
    await proxied(`${provider.name}/v1beta/openai/chat/completions`, key.secret, CHAT);
    await proxied(`${provider.name}/chat/completions`, key.secret, CHAT);
    expect(recorded.map((r) => r.path)).toEqual(["/v1beta/openai/chat/completions", "/v1beta/openai/chat/completions"]);
  });
});
