import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FAKE_COUNTED_TOKENS } from "../fake-provider/anthropic";
import { createKey, createProvider } from "../helpers/admin";
import { anthropicChain, fakeAnthropicBaseUrl, messagesInit, readAnthropicError } from "../helpers/anthropic";
import { logLines } from "../helpers/control-plane";
import { FAKE_PROVIDER_KEY, installFakeUpstream, recorded } from "../helpers/fake-upstream";
import { fetchWithEnv, GATEWAY, gatewayFetch, REQUEST_ID } from "../helpers/gateway";
import {
  budgetedKey,
  countingNamespace,
  drainOutbox,
  keyObjectState,
  keyWithBindings,
  ledgerRows,
  PRICED_MODEL,
} from "../helpers/limits";

/**
 * POST /v1/messages/count_tokens: the key, the body, the model and the policy as on /v1/messages;
 * one request in rpm and rpd, nothing in tpm or budgets, no ledger row; counted by an Anthropic
 * binding (its own endpoint, the client's bytes, beta header and query), estimated for the others
 * and for an Anthropic-compatible server without the endpoint, and `X-LangWatch-Token-Count` says which.
 */

beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

const COUNT_BODY = {
  model: "claude-test",
  system: "Be brief.",
  messages: [{ role: "user", content: "How many tokens is this?" }],
  tools: [{ name: "lookup", input_schema: { type: "object" } }],
};

/** What the gateway estimates for COUNT_BODY: UTF-8 bytes of [system, ...messages, ...tools] as JSON / 4, rounded up. */
const estimateOf = (body: { system?: unknown; messages: unknown[]; tools?: unknown[] }): number =>
  Math.ceil(
    new TextEncoder().encode(
      JSON.stringify([...(body.system === undefined ? [] : [body.system]), ...body.messages, ...(body.tools ?? [])]),
    ).byteLength / 4,
  );

const PATH = "/v1/messages/count_tokens";

function postCount(
  secret: string | null,
  body: unknown,
  headers: Record<string, string> = {},
  query = "",
): Promise<Response> {
  return gatewayFetch(`${PATH}${query}`, messagesInit(secret, body, headers));
}

/** Through the app with `overrides` of the env, waiting for the work after the response (the rate-limit settlement). */
async function countSettled(
  secret: string,
  body: unknown,
  overrides: Record<string, unknown> = {},
  path = PATH,
): Promise<{ status: number; headers: Headers; json: unknown }> {
  const { response, settled } = await fetchWithEnv(
    new Request(`${GATEWAY}${path}`, messagesInit(secret, body)),
    overrides,
  );
  const json: unknown = await response.json();
  await settled();
  return { status: response.status, headers: response.headers, json };
}

const linesOf = (spy: { mock: { calls: unknown[][] } }, event: string, res: Response) =>
  logLines(spy, event).filter((l) => l.request_id === res.headers.get("x-langwatch-request-id"));

describe("counted by an Anthropic binding", () => {
  it("goes to the binding's count_tokens with its key, the client's bytes, beta header and query", async () => {
    const info = vi.spyOn(console, "log");
    const { key, bindings } = await anthropicChain([""]);
    const sent = JSON.stringify(COUNT_BODY, null, 1); // unusual spacing: only a byte copy keeps it
    const res = await postCount(key.secret, sent, { "anthropic-beta": "token-counting-2024-11-01" }, "?beta=true");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-langwatch-token-count")).toBe("provider");
    expect(res.headers.get("x-langwatch-provider")).toBe(bindings[0]);
    expect(res.headers.get("x-langwatch-model")).toBe("claude-test");
    expect(res.headers.get("x-langwatch-fallback-count")).toBe("0");
    expect(await res.json()).toEqual({ input_tokens: FAKE_COUNTED_TOKENS });
    expect(recorded).toHaveLength(1);
    const call = recorded[0];
    expect(call?.path).toBe(PATH);
    expect(call?.query).toEqual({ beta: "true" });
    expect(call?.headers["x-api-key"]).toBe(FAKE_PROVIDER_KEY);
    expect(call?.headers["anthropic-version"]).toBe("2023-06-01");
    expect(call?.headers["anthropic-beta"]).toBe("token-counting-2024-11-01");
    expect(call?.raw).toBe(sent);
    expect(linesOf(info, "count_tokens_served", res)).toEqual([
      expect.objectContaining({ source: "provider", input_tokens: FAKE_COUNTED_TOKENS, provider: bindings[0] }),
    ]);
  });

  it("an alias is rewritten to the concrete model, the rest of the body kept", async () => {
    const provider = await createProvider({ type: "anthropic", base_url: fakeAnthropicBaseUrl() });
    const key = await createKey({
      config: { providers: [provider.name], model_aliases: { smart: `${provider.name}/claude-test` } },
    });
    const res = await postCount(key.secret, { ...COUNT_BODY, model: "smart" });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-langwatch-model")).toBe("claude-test");
    expect(recorded[0]?.body).toEqual({ ...COUNT_BODY, model: "claude-test" });
  });

  it("falls back past a 503 to the next Anthropic binding", async () => {
    const { key, bindings } = await anthropicChain(["status-503", ""]);
    const res = await postCount(key.secret, COUNT_BODY);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-langwatch-provider")).toBe(bindings[1]);
    expect(res.headers.get("x-langwatch-fallback-count")).toBe("1");
    expect(await res.json()).toEqual({ input_tokens: FAKE_COUNTED_TOKENS });
    expect(recorded.map((r) => [r.scenario, r.path])).toEqual([
      ["status-503", PATH],
      ["ok", PATH],
    ]);
  });

  it("the provider's own 4xx is its verdict: passed through, not retried, not estimated", async () => {
    const { key, bindings } = await anthropicChain(["status-400", ""]);
    const res = await postCount(key.secret, COUNT_BODY);
    expect(res.status).toBe(400);
    expect(res.headers.get("x-langwatch-provider")).toBe(bindings[0]);
    expect(res.headers.get("x-langwatch-token-count")).toBeNull();
    expect(await res.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    expect(recorded).toHaveLength(1);
  });

  it("every binding failing is a 502 in Anthropic's envelope naming each attempt", async () => {
    const { key, bindings } = await anthropicChain(["status-503", "html-502", "text-200"]);
    const res = await postCount(key.secret, COUNT_BODY);
    expect(res.status).toBe(502);
    const error = await readAnthropicError(res);
    expect(error).toMatchObject({ type: "provider_error", code: "all_attempts_failed" });
    expect(error.message).toContain(`attempt 1 ${bindings[0]}: HTTP 503`);
    expect(error.message).toContain(`attempt 2 ${bindings[1]}: HTTP 502 (HTML error page)`);
    expect(error.message).toContain(`attempt 3 ${bindings[2]}: returned a body that is not JSON (HTTP 200)`);
    expect(error.message).toMatch(/Retry later/);
  });

  it("a provider's own rate limit on the last attempt is a 429 that says so, without the key's dimension", async () => {
    const { key, bindings } = await anthropicChain(["status-429"]);
    const res = await postCount(key.secret, COUNT_BODY);
    expect(res.status).toBe(429);
    expect(res.headers.get("x-langwatch-provider")).toBe(bindings[0]);
    expect(res.headers.get("x-langwatch-ratelimit-dimension")).toBeNull();
    expect(await readAnthropicError(res)).toMatchObject({ type: "rate_limit_exceeded", code: "upstream_rate_limited" });
  });

  it("a binding that does not answer in time is a 504, not a hang", async () => {
    const { key } = await anthropicChain(["hang"], { fallback: { max_attempts: 1, attempt_timeout_ms: 100 } });
    const res = await postCount(key.secret, COUNT_BODY);
    expect(res.status).toBe(504);
    expect(await readAnthropicError(res)).toMatchObject({ type: "upstream_timeout", code: "upstream_timeout" });
  });
});

describe("estimated where no binding counts", () => {
  it("an OpenAI-shaped binding: nothing is sent upstream, the estimate is marked", async () => {
    const info = vi.spyOn(console, "log");
    const { key } = await keyWithBindings([""]);
    const res = await postCount(key.secret, COUNT_BODY, {}, "?beta=true");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("x-langwatch-token-count")).toBe("estimated");
    expect(res.headers.get("x-langwatch-model")).toBe("claude-test");
    expect(res.headers.get("x-langwatch-provider")).toBeNull(); // no provider was called
    expect(await res.json()).toEqual({ input_tokens: estimateOf(COUNT_BODY) });
    expect(recorded).toEqual([]);
    expect(linesOf(info, "count_tokens_served", res)).toEqual([
      expect.objectContaining({ source: "estimated", input_tokens: estimateOf(COUNT_BODY) }),
    ]);
  });

  it("an Anthropic-compatible server without the endpoint (404): estimated, the key's chain not walked on", async () => {
    const { key } = await anthropicChain(["no-count-tokens", ""]);
    const res = await postCount(key.secret, COUNT_BODY);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-langwatch-token-count")).toBe("estimated");
    expect(await res.json()).toEqual({ input_tokens: estimateOf(COUNT_BODY) });
    expect(recorded.map((r) => r.scenario)).toEqual(["no-count-tokens"]);
  });

  it("an Anthropic binding that fails, then an OpenAI one: the estimate, after the failed attempt", async () => {
    const claude = await createProvider({ type: "anthropic", base_url: fakeAnthropicBaseUrl("status-529") });
    const gpt = await createProvider();
    const key = await createKey({ config: { providers: [claude.name, gpt.name] } });
    const res = await postCount(key.secret, COUNT_BODY);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-langwatch-token-count")).toBe("estimated");
    expect(res.headers.get("x-langwatch-provider")).toBe(claude.name); // the provider tried last
    expect(recorded.map((r) => r.path)).toEqual([PATH]);
  });
});

describe("governed like /v1/messages", () => {
  it.each([
    ["not JSON", "{nope", "invalid_json", /not valid JSON/],
    ["model missing", { messages: COUNT_BODY.messages }, "invalid_request", /^model is required/],
    ["messages missing", { model: "claude-test" }, "invalid_request", /^messages is required/],
    [
      "an unknown role",
      { model: "claude-test", messages: [{ role: "tool", content: "x" }] },
      "invalid_request",
      /^messages\[0\]\.role must be one of "user", "assistant", "system"/,
    ],
  ])("%s is a 400 in Anthropic's envelope, nothing sent", async (_, body, code, message) => {
    const { key } = await anthropicChain([""]);
    const res = await postCount(key.secret, body);
    expect(res.status).toBe(400);
    const error = await readAnthropicError(res);
    expect(error).toMatchObject({ type: "invalid_request_error", code });
    expect(error.message).toMatch(message);
    expect(recorded).toEqual([]);
  });

  it("a request without a key is a 401 with a request id", async () => {
    const res = await postCount(null, COUNT_BODY);
    expect(res.status).toBe(401);
    expect(res.headers.get("x-langwatch-request-id")).toMatch(REQUEST_ID);
    expect(await readAnthropicError(res)).toMatchObject({ type: "invalid_api_key" });
  });

  it("needs no max_tokens, and takes a system turn inside messages", async () => {
    const { key } = await anthropicChain([""]);
    const body = { model: "claude-test", messages: [{ role: "system", content: "Be brief." }, ...COUNT_BODY.messages] };
    const res = await postCount(key.secret, body);
    expect(res.status).toBe(200);
    expect(recorded[0]?.body).toEqual(body);
  });

  it("a model outside models_allowed is a 403, nothing sent", async () => {
    const { key } = await anthropicChain([""], { models_allowed: ["claude-other"] });
    const res = await postCount(key.secret, COUNT_BODY);
    expect(res.status).toBe(403);
    expect(await readAnthropicError(res)).toMatchObject({ type: "model_not_allowed" });
    expect(recorded).toEqual([]);
  });

  it("a tool the key's rules deny is a 403, nothing sent", async () => {
    const { key } = await anthropicChain([""], { policy_rules: { tools: { allow: null, deny: ["^lookup$"] } } });
    const res = await postCount(key.secret, COUNT_BODY);
    expect(res.status).toBe(403);
    expect(await readAnthropicError(res)).toMatchObject({ type: "tool_not_allowed" });
    expect(recorded).toEqual([]);
  });

  it("counts one request in rpm and rpd, no tokens in tpm, holds nothing, writes no ledger row", async () => {
    const { key } = await anthropicChain([""], { rate_limits: { rpm: 2, rpd: 100, tpm: 1_000 } });
    expect((await countSettled(key.secret, COUNT_BODY)).status).toBe(200);
    expect((await countSettled(key.secret, COUNT_BODY)).status).toBe(200);
    const state = await keyObjectState(key.id);
    expect(state.windows.rpm.used).toBe(2);
    expect(state.windows.rpd.used).toBe(2);
    expect(state.windows.tpm.used).toBe(0);
    expect(state.reservations).toEqual([]);
    const refused = await countSettled(key.secret, COUNT_BODY);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("x-langwatch-ratelimit-dimension")).toBe("rpm");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(recorded).toHaveLength(2);
    await drainOutbox(key.id);
    expect(await ledgerRows(key.id)).toEqual([]);
  });

  it("costs nothing against budgets: no budget object is asked or charged, as /v1/messages's are", async () => {
    const { key } = await budgetedKey({
      price: { input_per_mtok: "1", output_per_mtok: "1" },
      providerFields: { type: "anthropic", base_url: fakeAnthropicBaseUrl() },
      budgets: ({ vkId, projectId }) => [
        { scope: "virtual_key", scope_id: vkId, window: "day", limit_usd: "10.00", on_breach: "block" },
        { scope: "project", scope_id: projectId, window: "month", limit_usd: "10.00", on_breach: "block" },
      ],
    });
    const body = { ...COUNT_BODY, model: PRICED_MODEL };
    const counted = { key: countingNamespace(env.KEY_LIMITER), scope: countingNamespace(env.BUDGET_COUNTER) };
    const overrides = { KEY_LIMITER: counted.key.namespace, BUDGET_COUNTER: counted.scope.namespace };
    const res = await countSettled(key.secret, body, overrides);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ input_tokens: FAKE_COUNTED_TOKENS });
    expect(res.headers.get("x-langwatch-budget-warning")).toBeNull();
    expect(counted.key.calls).toEqual([]); // no rate limit and no budget consulted: no object at all
    expect(counted.scope.calls).toEqual([]);
    // The same body as a message is checked against both budgets (the contrast that shows the wrapping counts).
    const message = await countSettled(key.secret, { ...body, max_tokens: 8 }, overrides, "/v1/messages");
    expect(message.status).toBe(200);
    expect(counted.key.calls).toContain("admit");
    expect(counted.scope.calls).toContain("admit");
  });
});
