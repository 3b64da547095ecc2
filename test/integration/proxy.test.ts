import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FAKE_ANTHROPIC_USAGE, messageStreamEvents } from "../fake-provider/anthropic";
import {
  converseStreamEvents,
  eventMessage,
  FAKE_AWS_ACCESS_KEY_ID,
  FAKE_AWS_SECRET_ACCESS_KEY,
  FAKE_BEDROCK_API_KEY,
  FAKE_BEDROCK_USAGE,
} from "../fake-provider/bedrock";
import { FAKE_REPLY_WORDS, openAIError, streamFrames } from "../fake-provider/openai";
import { estimatePromptTokens } from "../../src/lib/estimate-tokens";
import { familyFor } from "../../src/providers/registry";
import { ANTHROPIC_VERSION } from "../../src/providers/anthropic/anthropic";
import { adminCall, createKey, createProvider, uniqueName, type ProviderReply } from "../helpers/admin";
import { fakeAnthropicBaseUrl } from "../helpers/anthropic";
import { FAKE_BASE, fakeRoot, installFakeUpstream, recorded } from "../helpers/fake-upstream";
import { fetchWithEnv, GATEWAY, readOpenAIError, REQUEST_ID, TRACE_ID, USER_MESSAGE } from "../helpers/gateway";
import { drainOutbox, FAKE_USAGE, ledgerRows, PRICED_MODEL, type LedgerRow } from "../helpers/limits";
import { seedProvider } from "../helpers/seed";

/**
 * Issue 6 item 6, ANY /proxy/:provider/* (contract §2): a raw passthrough to one binding of the key's
 * chain, only for keys with `"proxy": true`; body, method, path and query untouched, the binding's
 * own auth instead of the client's credentials, the answer back untouched, no fallback; policy, rate
 * limits and budgets apply, and usage is settled after the response.
 */

beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

const FAKE_KEY = "sk-fake-provider-key"; // the FAKE_OPENAI_KEY Worker secret (vitest.config.ts)
const CHAT = { model: "gpt-4o-mini", messages: USER_MESSAGE };
/** 1000 µUSD per input token, 100 per cached one, 2000 per output token. */
const PRICE = { input_per_mtok: "1000", output_per_mtok: "2000", cache_read_per_mtok: "100" };

interface ProxyInit {
  method?: string;
  /** Sent as `Authorization: Bearer`; null sends no key. */
  secret: string | null;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

function proxyRequest(path: string, init: ProxyInit): Request {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  if (init.secret !== null) headers.authorization ??= `Bearer ${init.secret}`;
  if (init.body !== undefined) headers["content-type"] ??= "application/json";
  return new Request(`${GATEWAY}/proxy/${path}`, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers,
    body: init.body,
  });
}

interface Reply {
  status: number;
  headers: Headers;
  text: string;
}

/** Through the app: reads the whole body, then waits for settlement. */
async function proxied(path: string, init: ProxyInit, overrides: Record<string, unknown> = {}): Promise<Reply> {
  const { response, settled } = await fetchWithEnv(proxyRequest(path, init), overrides);
  const text = await response.text();
  await settled();
  return { status: response.status, headers: response.headers, text };
}

/** The gateway's OpenAI error envelope of a reply already read. */
function errorOf(reply: Reply): Promise<{ type: string; code: string; message: string; param: string | null }> {
  return readOpenAIError(new Response(reply.text, { headers: reply.headers }));
}

/** A key with `proxy: true` (unless `config` says otherwise) whose chain is `providers`. */
function proxyKey(providers: ProviderReply[], config: Record<string, unknown> = {}) {
  return createKey({
    config: {
      providers: providers.map((p) => p.name),
      proxy: true,
      fallback: { max_attempts: 3, attempt_timeout_ms: 1_000 },
      ...config,
    },
  });
}

/** A fake OpenAI-shaped binding playing `scenario`; its API root is …/v1. */
const fakeOpenAI = (scenario = "", fields: Record<string, unknown> = {}) =>
  createProvider({ base_url: `${FAKE_BASE}${scenario ? `/s/${scenario}` : ""}/v1`, ...fields });

async function settledRows(vkId: string): Promise<LedgerRow[]> {
  await drainOutbox(vkId);
  return ledgerRows(vkId);
}

describe("who may use the proxy", () => {
  it("a request without a key is a 401, before anything else", async () => {
    const provider = await fakeOpenAI();
    const reply = await proxied(`${provider.name}/chat/completions`, { secret: null, body: JSON.stringify(CHAT) });
    expect(reply.status).toBe(401);
    expect(await errorOf(reply)).toMatchObject({ type: "invalid_api_key", code: "missing_key" });
    expect(recorded).toEqual([]);
  });

  it('a key without "proxy": true is a 403 that says how to enable it, and nothing is sent', async () => {
    const provider = await fakeOpenAI();
    const key = await proxyKey([provider], { proxy: false });
    const reply = await proxied(`${provider.name}/chat/completions`, {
      secret: key.secret,
      body: JSON.stringify(CHAT),
    });
    expect(reply.status).toBe(403);
    expect(reply.headers.get("x-langwatch-request-id")).toMatch(REQUEST_ID);
    expect(reply.headers.get("x-langwatch-provider")).toBeNull();
    const error = await errorOf(reply);
    expect(error).toMatchObject({ type: "invalid_request_error", code: "proxy_disabled", param: null });
    expect(error.message).toContain('"proxy": true');
    expect(recorded).toEqual([]);
  });

  it("the default config (proxy unset) is refused too", async () => {
    const provider = await fakeOpenAI();
    const key = await createKey({ config: { providers: [provider.name] } });
    const reply = await proxied(`${provider.name}/models`, { secret: key.secret });
    expect(reply.status).toBe(403);
    expect(await errorOf(reply)).toMatchObject({ code: "proxy_disabled" });
  });

  it("a name that is not a binding of the key's chain is a 404 listing the chain", async () => {
    const [a, b, other] = [await fakeOpenAI(), await fakeOpenAI(), await fakeOpenAI()];
    const key = await proxyKey([a, b]);
    const reply = await proxied(`${other.name}/models`, { secret: key.secret });
    expect(reply.status).toBe(404);
    const error = await errorOf(reply);
    expect(error).toMatchObject({ type: "invalid_request_error", code: "unknown_provider" });
    expect(error.message).toContain(`"${other.name}"`);
    expect(error.message).toContain(`${a.name}, ${b.name}`);
    expect(recorded).toEqual([]);
  });

  it("a binding whose family has no passthrough is a 400 naming its type", async () => {
    expect(familyFor("workers-ai")?.proxy).toBeUndefined(); // the premise of this test
    const name = uniqueName("wai");
    await seedProvider({ name, type: "workers-ai" });
    const key = await createKey({ config: { providers: [name], proxy: true } });
    const reply = await proxied(`${name}/chat/completions`, { secret: key.secret, body: JSON.stringify(CHAT) });
    expect(reply.status).toBe(400);
    const error = await errorOf(reply);
    expect(error).toMatchObject({ type: "invalid_request_error", code: "proxy_unsupported" });
    expect(error.message).toContain('"workers-ai"');
  });

  it("a path with a `..` segment (even percent-encoded) is a 400 and is not sent", async () => {
    const provider = await fakeOpenAI();
    const key = await proxyKey([provider]);
    const reply = await proxied(`${provider.name}/..%2F..%2Fadmin`, { secret: key.secret });
    expect(reply.status).toBe(400);
    expect(await errorOf(reply)).toMatchObject({ type: "invalid_request_error", code: "invalid_proxy_path" });
    expect(recorded).toEqual([]);
  });

  it("the body cap applies before authentication (413)", async () => {
    const provider = await fakeOpenAI();
    const reply = await proxied(
      `${provider.name}/chat/completions`,
      { secret: null, body: JSON.stringify(CHAT) },
      { SERVER_MAX_REQUEST_BODY_BYTES: "16" },
    );
    expect(reply.status).toBe(413);
    expect(await errorOf(reply)).toMatchObject({ type: "payload_too_large" });
  });
});

describe("the request on the wire", () => {
  it("keeps the body bytes, method, path and query; the provider's key replaces the client's", async () => {
    const provider = await fakeOpenAI();
    const key = await proxyKey([provider]);
    // Odd spacing, key order, unicode and an escaped slash: any re-serialisation would change them.
    const raw = `{ "messages":[{"role":"user","content":"h\\u00e9llo \\/ ünïcode"}],\n  "model" : "gpt-4o-mini" ,"extra":1.50}`;
    const reply = await proxied(`${provider.name}/chat/completions?foo=bar&n=2`, {
      secret: key.secret,
      body: raw,
      headers: {
        "x-api-key": key.secret,
        "api-key": key.secret,
        "x-goog-api-key": key.secret,
        "openai-organization": "org-client",
        "openai-beta": "assistants=v2",
        cookie: "session=1",
      },
    });
    expect(reply.status).toBe(200);
    expect(recorded).toHaveLength(1);
    const sent = recorded[0];
    expect(sent?.method).toBe("POST");
    expect(sent?.path).toBe("/v1/chat/completions");
    expect(sent?.query).toEqual({ foo: "bar", n: "2" });
    expect(sent?.raw).toBe(raw);
    expect(sent?.headers.authorization).toBe(`Bearer ${FAKE_KEY}`);
    expect(sent?.headers["content-type"]).toBe("application/json");
    expect(sent?.headers["openai-beta"]).toBe("assistants=v2");
    for (const name of ["x-api-key", "api-key", "x-goog-api-key", "openai-organization", "cookie"]) {
      expect(sent?.headers[name], name).toBeUndefined();
    }
    expect(JSON.stringify(sent?.headers)).not.toContain(key.secret);

    expect(reply.headers.get("content-type")).toContain("application/json");
    expect(reply.headers.get("x-langwatch-provider")).toBe(provider.name);
    expect(reply.headers.get("x-langwatch-model")).toBe("gpt-4o-mini");
    expect(reply.headers.get("x-langwatch-fallback-count")).toBe("0");
    expect(reply.headers.get("x-langwatch-request-id")).toMatch(REQUEST_ID);
    expect(reply.headers.get("x-langwatch-trace-id")).toMatch(TRACE_ID);
    const body = JSON.parse(reply.text) as { choices: { message: { content: string } }[] };
    expect(body.choices[0]?.message.content).toBe(FAKE_REPLY_WORDS.join(" "));
  });

  it("a GET goes as a GET, without a body, with its query", async () => {
    const provider = await fakeOpenAI();
    const key = await proxyKey([provider]);
    const reply = await proxied(`${provider.name}/models?limit=2`, { secret: key.secret });
    expect(reply.status).toBe(200);
    expect(recorded[0]).toMatchObject({ method: "GET", path: "/v1/models", query: { limit: "2" }, raw: "" });
    expect(JSON.parse(reply.text)).toMatchObject({ object: "list" });
    expect(reply.headers.get("x-langwatch-model")).toBeNull(); // no model was named
  });

  it("other methods go through as they are", async () => {
    const provider = await fakeOpenAI();
    const key = await proxyKey([provider]);
    const reply = await proxied(`${provider.name}/files/file-1`, { secret: key.secret, method: "DELETE" });
    expect(recorded[0]).toMatchObject({ method: "DELETE", path: "/v1/files/file-1" });
    expect(reply.status).toBe(404); // the fake provider's own answer for a route it lacks, passed through
    expect(JSON.parse(reply.text)).toMatchObject({ error: { type: "invalid_request_error" } });
  });

  it("anthropic: x-api-key and a default anthropic-version are set; the client's Authorization is not sent", async () => {
    const provider = await createProvider({ type: "anthropic", base_url: fakeAnthropicBaseUrl() });
    const key = await proxyKey([provider]);
    const body = JSON.stringify({ model: "claude-test", max_tokens: 16, messages: USER_MESSAGE });
    const reply = await proxied(`${provider.name}/v1/messages`, {
      secret: key.secret,
      body,
      headers: { "anthropic-beta": "tools-2024-05-16" },
    });
    expect(reply.status).toBe(200);
    const sent = recorded[0];
    expect(sent?.path).toBe("/v1/messages");
    expect(sent?.raw).toBe(body);
    expect(sent?.headers["x-api-key"]).toBe(FAKE_KEY);
    expect(sent?.headers["anthropic-version"]).toBe(ANTHROPIC_VERSION);
    expect(sent?.headers["anthropic-beta"]).toBe("tools-2024-05-16");
    expect(sent?.headers.authorization).toBeUndefined();
    expect(JSON.parse(reply.text)).toMatchObject({ type: "message", model: "claude-test" });
  });

  it("anthropic: the client's anthropic-version is kept, and a VK sent as x-api-key never reaches the provider", async () => {
    const provider = await createProvider({ type: "anthropic", base_url: fakeAnthropicBaseUrl() });
    const key = await proxyKey([provider]);
    const reply = await proxied(`${provider.name}/v1/messages`, {
      secret: null,
      body: JSON.stringify({ model: "claude-test", max_tokens: 16, messages: USER_MESSAGE }),
      headers: { "x-api-key": key.secret, "anthropic-version": "2024-01-01" },
    });
    expect(reply.status).toBe(200);
    expect(recorded[0]?.headers["anthropic-version"]).toBe("2024-01-01");
    expect(recorded[0]?.headers["x-api-key"]).toBe(FAKE_KEY);
  });

  it("azure: the path goes under the resource endpoint with the key in api-key, never Authorization", async () => {
    const provider = await createProvider({ name: uniqueName("azure"), type: "azure", base_url: FAKE_BASE });
    const key = await proxyKey([provider]);
    const reply = await proxied(
      `${provider.name}/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21`,
      { secret: key.secret, body: JSON.stringify({ messages: USER_MESSAGE }) },
    );
    expect(reply.status, reply.text).toBe(200);
    const sent = recorded[0];
    expect(sent?.path).toBe("/openai/deployments/gpt-4o-mini/chat/completions");
    expect(sent?.query).toEqual({ "api-version": "2024-10-21" });
    expect(sent?.headers["api-key"]).toBe(FAKE_KEY);
    expect(sent?.headers.authorization).toBeUndefined();
  });

  it("mock (development only): its chat completions through the proxy", async () => {
    const name = uniqueName("mock");
    await seedProvider({ name, type: "mock" });
    const key = await createKey({ config: { providers: [name], proxy: true } });
    const path = `${name}/chat/completions`;
    const init = { secret: key.secret, body: JSON.stringify({ model: "mock-echo", messages: USER_MESSAGE }) };
    const dev = await proxied(path, init, { ENVIRONMENT: "development" });
    expect(dev.status, dev.text).toBe(200);
    expect(JSON.parse(dev.text)).toMatchObject({ object: "chat.completion", model: "mock-echo" });
    const other = await proxied(`${name}/files`, init, { ENVIRONMENT: "development" });
    expect(other.status).toBe(404);

    const prod = await proxied(path, init);
    expect(prod.status).toBe(502);
    const error = await errorOf(prod);
    expect(error).toMatchObject({ type: "provider_error", code: "binding_misconfigured" });
    expect(error.message).toContain("ENVIRONMENT=development");
  });
});

describe("bedrock bindings", () => {
  const MODEL = "anthropic.claude-3-5-haiku-20241022-v1:0";
  const CONVERSE = `/model/${encodeURIComponent(MODEL)}/converse`;
  /** A raw Converse body, spaced and escaped so that any re-serialisation would change it. */
  const RAW = `{ "messages" : [{"role":"user","content":[{"text":"h\\u00e9llo \\/ ünïcode"}]}],\n "inferenceConfig":{"maxTokens":16} }`;

  /** A bedrock binding at the fake provider: SigV4 with the fake's key id, or its Bedrock API key. */
  const fakeBedrock = (opts: { bearer?: boolean; secret?: string; scenario?: string } = {}) =>
    createProvider({
      name: uniqueName("bedrock"),
      type: "bedrock",
      base_url: fakeRoot(opts.scenario),
      api_key_secret: null,
      api_key: opts.bearer ? FAKE_BEDROCK_API_KEY : (opts.secret ?? FAKE_AWS_SECRET_ACCESS_KEY),
      settings: opts.bearer ? { region: "eu-west-3" } : { region: "eu-west-3", access_key_id: FAKE_AWS_ACCESS_KEY_ID },
    });

  it("a raw Converse call goes under the runtime root, bytes untouched, SigV4-signed; the virtual key stays behind", async () => {
    const provider = await fakeBedrock();
    const key = await proxyKey([provider]);
    const reply = await proxied(`${provider.name}${CONVERSE}?trace=on`, {
      secret: key.secret,
      body: RAW,
      headers: { "x-api-key": key.secret, "x-goog-api-key": key.secret, accept: "application/json" },
    });
    // The fake provider recomputed the signature over what it received: a 200 means it matched.
    expect(reply.status, reply.text).toBe(200);
    expect(recorded).toHaveLength(1);
    const sent = recorded[0];
    expect(sent?.method).toBe("POST");
    expect(sent?.path).toBe(CONVERSE);
    expect(sent?.query).toEqual({ trace: "on" });
    expect(sent?.raw).toBe(RAW);
    const date = sent?.headers["x-amz-date"] ?? "";
    expect(date).toMatch(/^\d{8}T\d{6}Z$/);
    expect(sent?.headers.authorization).toMatch(
      new RegExp(
        `^AWS4-HMAC-SHA256 Credential=${FAKE_AWS_ACCESS_KEY_ID}/${date.slice(0, 8)}/eu-west-3/bedrock/aws4_request, SignedHeaders=accept;host;x-amz-date, Signature=[0-9a-f]{64}$`,
      ),
    );
    expect(sent?.headers["content-type"]).toBe("application/json");
    for (const name of ["x-api-key", "x-goog-api-key"]) expect(sent?.headers[name], name).toBeUndefined();
    expect(JSON.stringify(sent)).not.toContain(key.secret);
    expect(JSON.stringify(sent)).not.toContain(FAKE_AWS_SECRET_ACCESS_KEY);

    expect(reply.headers.get("x-langwatch-provider")).toBe(provider.name);
    expect(JSON.parse(reply.text)).toMatchObject({
      output: { message: { role: "assistant", content: [{ text: FAKE_REPLY_WORDS.join(" ") }] } },
      stopReason: "end_turn",
      usage: FAKE_BEDROCK_USAGE,
    });
    expect(reply.text).not.toContain(key.secret);
  });

  it("with a Bedrock API key, the key goes as a bearer token and nothing is signed", async () => {
    const provider = await fakeBedrock({ bearer: true });
    const key = await proxyKey([provider]);
    const reply = await proxied(`${provider.name}${CONVERSE}`, { secret: key.secret, body: RAW });
    expect(reply.status, reply.text).toBe(200);
    expect(recorded[0]?.headers.authorization).toBe(`Bearer ${FAKE_BEDROCK_API_KEY}`);
    expect(recorded[0]?.headers["x-amz-date"]).toBeUndefined();
    expect(recorded[0]?.raw).toBe(RAW);
  });

  it("a ConverseStream answer (binary event stream) passes through byte for byte", async () => {
    const provider = await fakeBedrock();
    const key = await proxyKey([provider]);
    const { response, settled } = await fetchWithEnv(
      proxyRequest(`${provider.name}/model/${encodeURIComponent(MODEL)}/converse-stream`, {
        secret: key.secret,
        body: RAW,
      }),
      {},
    );
    const bytes = new Uint8Array(await response.arrayBuffer());
    await settled();
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/vnd.amazon.eventstream");
    const events = converseStreamEvents(JSON.parse(RAW) as object).map(([type, payload]) =>
      eventMessage(type, payload),
    );
    expect(bytes).toEqual(new Uint8Array(events.flatMap((e) => [...e])));
  });

  it("a signature made with the wrong secret gets Bedrock's 403 back as it came, and no fallback", async () => {
    const wrong = await fakeBedrock({ secret: "not-the-secret-access-key" });
    const healthy = await fakeBedrock();
    const key = await proxyKey([wrong, healthy]);
    const reply = await proxied(`${wrong.name}${CONVERSE}`, { secret: key.secret, body: RAW });
    expect(reply.status).toBe(403);
    expect(JSON.parse(reply.text)).toEqual({
      message: "The request signature we calculated does not match the signature you provided.",
    });
    expect(recorded).toHaveLength(1);
  });

  it.each([
    ["a well-formed cachePoint after its block", [{ text: "hi" }, { cachePoint: { type: "default", ttl: "1h" } }], 200],
    ["a cachePoint that opens the content", [{ cachePoint: { type: "default" } }, { text: "hi" }], 400],
    ["a cachePoint of another type", [{ text: "hi" }, { cachePoint: { type: "ephemeral" } }], 400],
    ["a cachePoint with a TTL Bedrock lacks", [{ text: "hi" }, { cachePoint: { type: "default", ttl: "2h" } }], 400],
  ])("raw Converse with %s: Bedrock's answer (%i) comes back as it is", async (_, content, status) => {
    const provider = await fakeBedrock();
    const key = await proxyKey([provider]);
    const raw = JSON.stringify({ messages: [{ role: "user", content }] });
    const reply = await proxied(`${provider.name}${CONVERSE}`, { secret: key.secret, body: raw });
    expect(reply.status, reply.text).toBe(status);
    expect(recorded[0]?.raw).toBe(raw);
    expect(reply.text).toContain(status === 200 ? '"stopReason":"end_turn"' : "a cachePoint must");
  });

  it("the model named in the path is the one policy checks: outside models_allowed it is a 403, and nothing is sent", async () => {
    const provider = await fakeBedrock();
    const key = await proxyKey([provider], { models_allowed: ["amazon.nova-pro-v1:0"] });
    const reply = await proxied(`${provider.name}${CONVERSE}`, { secret: key.secret, body: RAW });
    expect(reply.status).toBe(403);
    expect(await errorOf(reply)).toMatchObject({ code: "model_not_allowed" });
    expect(recorded).toEqual([]);
  });

  it("on a governed key, the path's model is allowed, priced and settled at the usage Converse reports", async () => {
    const provider = await fakeBedrock();
    const key = await proxyKey([provider], { models_allowed: [MODEL] });
    const reply = await proxied(`${provider.name}${CONVERSE}`, { secret: key.secret, body: RAW });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.headers.get("x-langwatch-model")).toBe(MODEL);
    const u = FAKE_BEDROCK_USAGE;
    // 11 uncached at $0.80/Mtok, 3 cache reads at $0.08, 5 cache writes at $1, 7 out at $4: 42.04 µUSD, rounded up.
    expect(await settledRows(key.id)).toEqual([
      expect.objectContaining({
        provider: provider.name,
        model: MODEL,
        input_tokens: u.inputTokens + u.cacheReadInputTokens + u.cacheWriteInputTokens,
        output_tokens: u.outputTokens,
        cache_read_tokens: u.cacheReadInputTokens,
        cache_write_tokens: u.cacheWriteInputTokens,
        cost_micros: 43,
        outcome: "ok",
      }),
    ]);
  });

  it("a binding whose settings broke after the fact is a 502 naming the field, and nothing is sent", async () => {
    const provider = await fakeBedrock();
    await env.DB.prepare("UPDATE providers SET settings = ?, revision = revision + 1 WHERE name = ?")
      .bind(JSON.stringify({ access_key_id: FAKE_AWS_ACCESS_KEY_ID }), provider.name)
      .run();
    const key = await proxyKey([provider]);
    const reply = await proxied(`${provider.name}${CONVERSE}`, { secret: key.secret, body: RAW });
    expect(reply.status).toBe(502);
    const error = await errorOf(reply);
    expect(error).toMatchObject({ type: "provider_error", code: "binding_misconfigured" });
    expect(error.message).toContain(`binding ${provider.name} (bedrock) has an invalid settings.region`);
    expect(recorded).toEqual([]);
  });
});

describe("the answer comes back untouched", () => {
  it.each([400, 404, 422, 429, 500, 503])(
    "the provider's %i: same status and bytes, no fallback to the next binding",
    async (status) => {
      const failing = await fakeOpenAI(`status-${status}`);
      const healthy = await fakeOpenAI();
      const key = await proxyKey([failing, healthy]);
      const reply = await proxied(`${failing.name}/chat/completions`, {
        secret: key.secret,
        body: JSON.stringify(CHAT),
      });
      expect(reply.status).toBe(status);
      expect(reply.text).toBe(JSON.stringify(openAIError(status)));
      expect(reply.headers.get("content-type")).toContain("application/json");
      expect(reply.headers.get("x-langwatch-provider")).toBe(failing.name);
      expect(reply.headers.get("x-langwatch-fallback-count")).toBe("0");
      expect(recorded).toHaveLength(1);
      const rows = await settledRows(key.id);
      expect(rows).toMatchObject([
        { outcome: status >= 500 ? "provider_error" : "provider_4xx", input_tokens: 0, output_tokens: 0 },
      ]);
    },
  );

  it("an HTML error page passes through as it is", async () => {
    const provider = await fakeOpenAI("html-502");
    const key = await proxyKey([provider]);
    const reply = await proxied(`${provider.name}/chat/completions`, {
      secret: key.secret,
      body: JSON.stringify(CHAT),
    });
    expect(reply.status).toBe(502);
    expect(reply.headers.get("content-type")).toBe("text/html");
    expect(reply.text).toContain("<h1>502</h1>");
  });

  it("an OpenAI stream passes through byte for byte, and its usage chunk is settled", async () => {
    const provider = await fakeOpenAI("", { prices: { [PRICED_MODEL]: PRICE } });
    const key = await proxyKey([provider]);
    const request = {
      model: PRICED_MODEL,
      messages: USER_MESSAGE,
      stream: true,
      stream_options: { include_usage: true },
    };
    const reply = await proxied(`${provider.name}/chat/completions`, {
      secret: key.secret,
      body: JSON.stringify(request),
    });
    expect(reply.status).toBe(200);
    expect(reply.headers.get("content-type")).toContain("text/event-stream");
    const expected = streamFrames(request, "chatcmpl-fake1")
      .map((f) => `data: ${f}\n\n`)
      .join("");
    expect(reply.text).toBe(expected);
    const rows = await settledRows(key.id);
    expect(rows).toMatchObject([
      {
        provider: provider.name,
        model: PRICED_MODEL,
        input_tokens: FAKE_USAGE.prompt,
        output_tokens: FAKE_USAGE.completion,
        cache_read_tokens: FAKE_USAGE.cached,
        outcome: "ok",
      },
    ]);
  });

  it("an Anthropic stream passes through byte for byte, usage with cache tokens settled", async () => {
    const provider = await createProvider({ type: "anthropic", base_url: fakeAnthropicBaseUrl() });
    const key = await proxyKey([provider]);
    const request = { model: "claude-test", max_tokens: 16, messages: USER_MESSAGE, stream: true };
    const reply = await proxied(`${provider.name}/v1/messages`, { secret: key.secret, body: JSON.stringify(request) });
    expect(reply.status).toBe(200);
    expect(reply.text).toBe(messageStreamEvents(request, "msg_fake1").join(""));
    const u = FAKE_ANTHROPIC_USAGE;
    expect(await settledRows(key.id)).toMatchObject([
      {
        input_tokens: u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens,
        output_tokens: u.output_tokens,
        cache_read_tokens: u.cache_read_input_tokens,
        cache_write_tokens: u.cache_creation_input_tokens,
        outcome: "ok",
      },
    ]);
  });

  it("a stream that reports no usage is settled at the admission estimate", async () => {
    const provider = await fakeOpenAI();
    const key = await proxyKey([provider]);
    const raw = JSON.stringify({ ...CHAT, stream: true, max_tokens: 50 });
    const reply = await proxied(`${provider.name}/chat/completions`, { secret: key.secret, body: raw });
    expect(reply.status).toBe(200);
    expect(reply.text.endsWith("data: [DONE]\n\n")).toBe(true);
    expect(await settledRows(key.id)).toMatchObject([
      { input_tokens: estimatePromptTokens([raw]), output_tokens: 50, outcome: "ok" },
    ]);
  });

  it("a provider stream that breaks ends with the terminal error frame and is settled as failed", async () => {
    const provider = await fakeOpenAI("drop-after-3");
    const key = await proxyKey([provider]);
    const reply = await proxied(`${provider.name}/chat/completions`, {
      secret: key.secret,
      body: JSON.stringify({ ...CHAT, stream: true }),
    });
    expect(reply.status).toBe(200);
    expect(reply.text).toContain('"code":"upstream_mid_stream_failure"');
    expect(await settledRows(key.id)).toMatchObject([{ outcome: "stream_failed" }]);
  });

  it("a client that goes away cancels the upstream request", async () => {
    const provider = await fakeOpenAI("slow-20");
    const key = await proxyKey([provider]);
    const { response, settled } = await fetchWithEnv(
      proxyRequest(`${provider.name}/chat/completions`, {
        secret: key.secret,
        body: JSON.stringify({ ...CHAT, stream: true }),
      }),
      {},
    );
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toMatch(/^data: /);
    expect(recorded[0]?.aborted).toBe(false);
    await reader.cancel();
    await vi.waitFor(() => expect(recorded[0]?.aborted).toBe(true), { timeout: 2_000, interval: 10 });
    await settled();
    expect(await settledRows(key.id)).toMatchObject([{ outcome: "cancelled" }]);
  });
});

describe("when the provider cannot be reached", () => {
  it("a network failure is a 502 provider_error, without fallback and without secrets", async () => {
    const down = await createProvider({ base_url: "https://down.test/v1" });
    const healthy = await fakeOpenAI();
    const key = await proxyKey([down, healthy]);
    const fetchSpy = vi.mocked(globalThis.fetch);
    const fake = fetchSpy.getMockImplementation();
    fetchSpy.mockImplementation((input, init) => {
      const url = new Request(input, init).url;
      if (new URL(url).hostname === "down.test") return Promise.reject(new TypeError("Network connection lost."));
      return (fake as typeof fetch)(input, init);
    });
    const reply = await proxied(`${down.name}/chat/completions`, { secret: key.secret, body: JSON.stringify(CHAT) });
    expect(reply.status).toBe(502);
    expect(reply.headers.get("x-langwatch-provider")).toBe(down.name);
    const error = await errorOf(reply);
    expect(error).toMatchObject({ type: "provider_error", code: "provider_unreachable" });
    expect(error.message).toContain("Network connection lost");
    expect(reply.text).not.toContain(FAKE_KEY);
    expect(reply.text).not.toContain(key.secret);
    expect(recorded).toEqual([]); // the healthy binding was not tried
    expect(await settledRows(key.id)).toMatchObject([{ outcome: "provider_error", input_tokens: 0 }]);
  });

  it("a provider that does not answer in time is a 504 upstream_timeout", async () => {
    const provider = await fakeOpenAI("hang");
    const key = await proxyKey([provider], { fallback: { max_attempts: 1, attempt_timeout_ms: 200 } });
    const reply = await proxied(`${provider.name}/chat/completions`, {
      secret: key.secret,
      body: JSON.stringify(CHAT),
    });
    expect(reply.status).toBe(504);
    const error = await errorOf(reply);
    expect(error).toMatchObject({ type: "upstream_timeout", code: "upstream_timeout" });
    expect(error.message).toContain("200 ms");
    expect(recorded[0]?.aborted).toBe(true);
  });

  it("a binding without its key is a 502 that says how to fix it, and nothing is sent", async () => {
    const provider = await createProvider({
      type: "openai",
      base_url: `${FAKE_BASE}/v1`,
      api_key_secret: "NO_SUCH_SECRET",
    });
    const key = await proxyKey([provider]);
    const reply = await proxied(`${provider.name}/models`, { secret: key.secret });
    expect(reply.status).toBe(502);
    const error = await errorOf(reply);
    expect(error).toMatchObject({ type: "provider_error", code: "binding_misconfigured" });
    expect(error.message).toContain("NO_SUCH_SECRET");
    expect(recorded).toEqual([]);
  });
});

describe("governance applies to the proxy", () => {
  it("rate limits: with rpm 1 the second call is a 429 and is not sent", async () => {
    const provider = await fakeOpenAI();
    const key = await proxyKey([provider], { rate_limits: { rpm: 1 } });
    const first = await proxied(`${provider.name}/models`, { secret: key.secret });
    expect(first.status).toBe(200);
    const second = await proxied(`${provider.name}/models`, { secret: key.secret });
    expect(second.status).toBe(429);
    expect(second.headers.get("x-langwatch-ratelimit-dimension")).toBe("rpm");
    expect(Number(second.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await errorOf(second)).toMatchObject({ type: "rate_limit_exceeded" });
    expect(recorded).toHaveLength(1);
  });

  it("tpm counts the body: a body far over the limit can never pass", async () => {
    const provider = await fakeOpenAI();
    const key = await proxyKey([provider], { rate_limits: { tpm: 10 } });
    const body = JSON.stringify({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "x".repeat(400) }],
      max_tokens: 1,
    });
    const reply = await proxied(`${provider.name}/chat/completions`, { secret: key.secret, body });
    expect(reply.status).toBe(429);
    expect(reply.headers.get("x-langwatch-ratelimit-dimension")).toBe("tpm");
    expect(recorded).toEqual([]);
  });

  it("policy: a denied tool is a 403 tool_not_allowed, and nothing is sent", async () => {
    const provider = await fakeOpenAI();
    const key = await proxyKey([provider], { policy_rules: { tools: { allow: null, deny: ["^shell\\."] } } });
    const body = JSON.stringify({
      ...CHAT,
      tools: [{ type: "function", function: { name: "shell.exec", parameters: { type: "object" } } }],
    });
    const reply = await proxied(`${provider.name}/chat/completions`, { secret: key.secret, body });
    expect(reply.status).toBe(403);
    const error = await errorOf(reply);
    expect(error).toMatchObject({ type: "tool_not_allowed" });
    expect(error.message).toContain("shell.exec");
    expect(recorded).toEqual([]);
  });

  it("policy: a model outside models_allowed is a 403 model_not_allowed", async () => {
    const provider = await fakeOpenAI();
    const key = await proxyKey([provider], { models_allowed: ["gpt-4o"] });
    const reply = await proxied(`${provider.name}/chat/completions`, {
      secret: key.secret,
      body: JSON.stringify({ ...CHAT, model: "gpt-4o-mini" }),
    });
    expect(reply.status).toBe(403);
    expect(await errorOf(reply)).toMatchObject({ type: "model_not_allowed" });
    expect(recorded).toEqual([]);
    const allowed = await proxied(`${provider.name}/chat/completions`, {
      secret: key.secret,
      body: JSON.stringify({ ...CHAT, model: "gpt-4o" }),
    });
    expect(allowed.status).toBe(200);
  });

  it.each([
    ["a models_allowed list", { models_allowed: ["gpt-4o"] }],
    ["policy_rules.models", { policy_rules: { models: { allow: null, deny: ["^o1"] } } }],
  ])("a call that names no model is refused on a key with %s, and nothing is sent", async (why, config) => {
    const provider = await fakeOpenAI();
    const key = await proxyKey([provider], config);
    const reply = await proxied(`${provider.name}/models`, { secret: key.secret });
    expect(reply.status).toBe(400);
    const error = await errorOf(reply);
    expect(error).toMatchObject({ type: "invalid_request_error", code: "proxy_model_required" });
    expect(error.message).toContain(why);
    expect(recorded).toEqual([]);
  });

  it("a JSON answer's usage is recorded with its cost, provider and model", async () => {
    const provider = await fakeOpenAI("", { prices: { [PRICED_MODEL]: PRICE } });
    const key = await proxyKey([provider]);
    const reply = await proxied(`${provider.name}/chat/completions`, {
      secret: key.secret,
      body: JSON.stringify({ ...CHAT, model: PRICED_MODEL }),
    });
    expect(reply.status).toBe(200);
    const cost =
      (FAKE_USAGE.prompt - FAKE_USAGE.cached) * 1000 + FAKE_USAGE.cached * 100 + FAKE_USAGE.completion * 2000;
    expect(await settledRows(key.id)).toEqual([
      expect.objectContaining({
        request_id: reply.headers.get("x-langwatch-request-id"),
        provider: provider.name,
        model: PRICED_MODEL,
        input_tokens: FAKE_USAGE.prompt,
        output_tokens: FAKE_USAGE.completion,
        cache_read_tokens: FAKE_USAGE.cached,
        cost_micros: cost,
        outcome: "ok",
      }),
    ]);
  });

  it("budgets: an unpriced model on a key with budgets fails closed (503), as on /v1", async () => {
    const provider = await fakeOpenAI();
    const key = await proxyKey([provider]);
    const budget = { scope: "virtual_key", scope_id: key.id, window: "month", limit_usd: "1.00", on_breach: "block" };
    expect((await adminCall("/budgets", { body: budget })).status).toBe(201);
    const reply = await proxied(`${provider.name}/chat/completions`, {
      secret: key.secret,
      body: JSON.stringify({ ...CHAT, model: "no-price-model" }),
    });
    expect(reply.status).toBe(503);
    expect(await errorOf(reply)).toMatchObject({ type: "service_unavailable", code: "price_unknown" });
    expect(recorded).toEqual([]);
  });

  it("the provider key and the virtual key never appear in what the client receives", async () => {
    const provider = await fakeOpenAI("status-401");
    const key = await proxyKey([provider]);
    const reply = await proxied(`${provider.name}/chat/completions`, {
      secret: key.secret,
      body: JSON.stringify(CHAT),
    });
    expect(reply.status).toBe(401);
    const everything = `${reply.text}\n${JSON.stringify([...reply.headers])}`;
    expect(everything).not.toContain(FAKE_KEY);
    expect(everything).not.toContain(key.secret);
    expect(env.FAKE_OPENAI_KEY).toBe(FAKE_KEY);
  });
});
