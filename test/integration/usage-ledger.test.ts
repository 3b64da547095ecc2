import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { KeyLimiter } from "../../durable-objects/key-limiter";
import { createKey, createProject } from "../helpers/admin";
import { installFakeUpstream } from "../helpers/fake-upstream";
import { USER_MESSAGE } from "../helpers/gateway";
import {
  budgetById,
  chatSettled,
  createBudget,
  createPricedProvider,
  drainOutbox,
  FAKE_USAGE,
  keyLimiterStub,
  keyObjectState,
  keyWithBindings,
  ledgerRows,
  PRICED_MODEL,
  sendChat,
  sumCost,
} from "../helpers/limits";

/**
 * Issue 4, the ledger: every request that reached dispatch, with or without limits, lands in D1
 * `usage_ledger` once the key's outbox alarm has run, with its real tokens and cost, exactly once.
 */

beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

/** 1000 µUSD per input token, 100 per cached one, 2000 per output token. */
const PRICE = { input_per_mtok: "1000", output_per_mtok: "2000", cache_read_per_mtok: "100" };
const COST = (FAKE_USAGE.prompt - FAKE_USAGE.cached) * 1000 + FAKE_USAGE.cached * 100 + FAKE_USAGE.completion * 2000;
const BODY = { model: PRICED_MODEL, messages: USER_MESSAGE };

async function pricedKey(fields: Record<string, unknown> = {}, config: Record<string, unknown> = {}) {
  const provider = await createPricedProvider(PRICE);
  const project = await createProject();
  const key = await createKey({ project_id: project.id, ...fields, config: { providers: [provider.name], ...config } });
  return { key, provider, project };
}

describe("a completed request", () => {
  it.each([
    ["without limits", {}],
    ["with limits", { rate_limits: { rpm: 10 } }],
  ])("%s is recorded with its tokens (cache included), cost, provider and model", async (_, config) => {
    const { key, provider, project } = await pricedKey({ principal_id: "ledger-principal" }, config);
    const reply = await chatSettled(key.secret, BODY);
    expect(reply.status).toBe(200);
    expect(await ledgerRows(key.id)).toEqual([]); // not before the alarm has run
    expect((await keyObjectState(key.id)).outbox.pending).toBe(1);
    await drainOutbox(key.id);
    const rows = await ledgerRows(key.id);
    expect(rows).toEqual([
      {
        request_id: reply.headers.get("x-langwatch-request-id"),
        at: expect.any(Number) as number,
        vk_id: key.id,
        project_id: project.id,
        principal_id: "ledger-principal",
        provider: provider.name,
        model: PRICED_MODEL,
        input_tokens: FAKE_USAGE.prompt,
        output_tokens: FAKE_USAGE.completion,
        cache_read_tokens: FAKE_USAGE.cached,
        cache_write_tokens: 0,
        cost_micros: COST,
        outcome: "ok",
      },
    ]);
    const state = await keyObjectState(key.id);
    expect(state.outbox).toMatchObject({ pending: 0, lastError: null });
    expect(state.outbox.lastDrainAt).toEqual(expect.any(Number));
  });
});

describe("requests that did not complete", () => {
  it.each([
    ["every provider failed", ["status-503"], false, "provider_error", 502],
    ["the provider refused the request", ["status-400"], false, "provider_4xx", 400],
    ["the stream broke", ["drop-after-3"], true, "stream_failed", 200],
  ] as const)("%s: recorded with outcome %s and no cost", async (_, scenarios, stream, outcome, status) => {
    const { key, bindings } = await keyWithBindings([...scenarios], {}, { prices: { [PRICED_MODEL]: PRICE } });
    const reply = await chatSettled(key.secret, { ...BODY, stream });
    expect(reply.status).toBe(status);
    await drainOutbox(key.id);
    expect(await ledgerRows(key.id)).toEqual([
      expect.objectContaining({
        provider: bindings[0],
        model: PRICED_MODEL,
        input_tokens: 0,
        output_tokens: 0,
        cost_micros: 0,
        outcome,
      }),
    ]);
  });

  it("a stream the client cancelled is recorded as cancelled", async () => {
    const { key } = await keyWithBindings(["hang-after-2"], {}, { prices: { [PRICED_MODEL]: PRICE } });
    const { response, settled } = await sendChat(key.secret, { ...BODY, stream: true });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    await reader.cancel();
    await settled();
    await drainOutbox(key.id);
    expect(await ledgerRows(key.id)).toEqual([expect.objectContaining({ outcome: "cancelled", cost_micros: 0 })]);
  });

  it("a fallback is one record, for the binding that answered", async () => {
    const { key, bindings } = await keyWithBindings(
      ["status-503", "status-500", ""],
      {},
      { prices: { [PRICED_MODEL]: PRICE } },
    );
    const reply = await chatSettled(key.secret, BODY);
    expect(reply.headers.get("x-langwatch-fallback-count")).toBe("2");
    await drainOutbox(key.id);
    expect(await ledgerRows(key.id)).toEqual([
      expect.objectContaining({ provider: bindings[2], cost_micros: COST, outcome: "ok" }),
    ]);
  });

  it("a refused request is not usage", async () => {
    const { key } = await pricedKey({}, { rate_limits: { rpm: 1 } });
    expect((await chatSettled(key.secret, BODY)).status).toBe(200);
    expect((await chatSettled(key.secret, BODY)).status).toBe(429);
    await drainOutbox(key.id);
    expect(await ledgerRows(key.id)).toHaveLength(1);
  });
});

describe("idempotence", () => {
  it("alarms retried twice do not double count", async () => {
    const { key } = await pricedKey({}, { rate_limits: { rpm: 100 } });
    for (let i = 0; i < 3; i++) expect((await chatSettled(key.secret, BODY)).status).toBe(200);
    const stub = keyLimiterStub(key.id);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const once = await ledgerRows(key.id);
    expect(once).toHaveLength(3);
    // A retried alarm (the runtime retries one that threw after D1 accepted the rows) runs again
    // over whatever is left: twice more, directly, whether or not one is scheduled.
    await runInDurableObject(stub, (instance: KeyLimiter) => instance.alarm());
    await runInDurableObject(stub, (instance: KeyLimiter) => instance.alarm());
    await runDurableObjectAlarm(stub);
    expect(await ledgerRows(key.id)).toEqual(once);
    expect(sumCost(await ledgerRows(key.id))).toBe(3 * COST);
  });

  it("a settlement delivered twice counts once", async () => {
    const { key } = await pricedKey({}, { rate_limits: { rpm: 100 } });
    const budget = await createBudget({
      scope: "virtual_key",
      scope_id: key.id,
      window: "total",
      limit_usd: "5",
      on_breach: "block",
    });
    const reply = await chatSettled(key.secret, { ...BODY, max_tokens: 100 });
    expect(reply.status).toBe(200);
    const requestId = reply.headers.get("x-langwatch-request-id") ?? "";
    await drainOutbox(key.id);
    const [row] = await ledgerRows(key.id);
    const stub = keyLimiterStub(key.id);
    await stub.settle({
      requestId,
      tokens: FAKE_USAGE.prompt + FAKE_USAGE.completion,
      costMicros: COST,
      record: {
        requestId,
        at: row?.at ?? 0,
        vkId: key.id,
        projectId: key.project_id,
        principalId: null,
        provider: row?.provider ?? null,
        model: PRICED_MODEL,
        inputTokens: FAKE_USAGE.prompt,
        outputTokens: FAKE_USAGE.completion,
        cacheReadTokens: FAKE_USAGE.cached,
        cacheWriteTokens: 0,
        costMicros: COST,
        outcome: "ok",
      },
    });
    await drainOutbox(key.id);
    expect(await ledgerRows(key.id)).toHaveLength(1);
    const state = await keyObjectState(key.id);
    expect(budgetById(state.budgets, budget.id).spentMicros).toBe(COST);
    expect(state.windows.rpm.used).toBe(1);
  });
});
