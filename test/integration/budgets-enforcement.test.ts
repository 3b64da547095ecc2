import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { BudgetQuery, BudgetStatus } from "../../durable-objects/types";
import { estimatePromptTokens } from "../../src/lib/estimate-tokens";
import { createKey, createProject, uniqueName } from "../helpers/admin";
import { fakeBaseUrl, installFakeUpstream, recorded } from "../helpers/fake-upstream";
import { readOpenAIError, USER_MESSAGE } from "../helpers/gateway";
import {
  budgetById,
  budgetCounterStub,
  budgetedKey,
  chatConcurrently,
  chatSettled,
  createBudget,
  createPricedProvider,
  drainOutbox,
  FAKE_USAGE,
  keyObjectState,
  keyWithBindings,
  ledgerRows,
  PRICED_MODEL,
  sendChat,
  sumCost,
  type BudgetReply,
  type SettledReply,
} from "../helpers/limits";

/**
 * Issue 4, budgets: reserved before dispatch, settled to the real cost after, never past a blocking
 * limit under concurrency; warn budgets pass with the header; refusals and failures cost nothing.
 */

beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

/**
 * Output tokens only, 1000 µUSD each: the fake provider's 7 output tokens cost exactly 7000 µUSD,
 * and with max_tokens 7 the worst case reserved is that same 7000, so a budget of N × 7000 admits
 * exactly N requests however they interleave.
 */
const OUTPUT_ONLY = { input_per_mtok: "0", output_per_mtok: "1000" };
const PER_REQUEST = FAKE_USAGE.completion * 1000;
const BODY = { model: PRICED_MODEL, messages: USER_MESSAGE, max_tokens: FAKE_USAGE.completion };
const N = 5;
const usd = (micros: number) => String(micros / 1_000_000);

async function expectBudgetExceeded(reply: SettledReply, label: string): Promise<string> {
  expect(reply.status).toBe(402);
  expect(reply.headers.get("retry-after")).toBeNull();
  const error = await readOpenAIError(new Response(reply.text, { headers: reply.headers }));
  expect(error).toMatchObject({ type: "budget_exceeded", code: "budget_exceeded", param: null });
  expect(error.message).toContain(label);
  return error.message;
}

const query = (b: BudgetReply): BudgetQuery => ({
  id: b.id,
  scope: b.scope as BudgetQuery["scope"],
  window: b.window as BudgetQuery["window"],
  limitMicros: Math.round(Number(b.limit_usd) * 1_000_000),
  onBreach: b.on_breach as BudgetQuery["onBreach"],
});

async function scopeStatus(object: string, budget: BudgetReply): Promise<BudgetStatus> {
  const state = await budgetCounterStub(object).getState([query(budget)]);
  return budgetById(state.budgets, budget.id);
}

describe("a blocking budget worth N requests, under 3N concurrent requests", () => {
  it("virtual_key: admits exactly N; spend equals the limit and the sum of the settled costs", async () => {
    const { key, budgets } = await budgetedKey({
      price: OUTPUT_ONLY,
      budgets: ({ vkId }) => [
        { scope: "virtual_key", scope_id: vkId, window: "day", limit_usd: usd(N * PER_REQUEST), on_breach: "block" },
      ],
    });
    const replies = await chatConcurrently(3 * N, key.secret, BODY);
    expect(replies.filter((r) => r.status === 200)).toHaveLength(N);
    const refused = replies.filter((r) => r.status !== 200);
    expect(refused).toHaveLength(2 * N);
    for (const r of refused) await expectBudgetExceeded(r, "virtual_key:day");
    expect(recorded).toHaveLength(N);

    const status = budgetById((await keyObjectState(key.id)).budgets, budgets[0]?.id ?? "");
    expect(status).toMatchObject({
      spentMicros: N * PER_REQUEST,
      reservedMicros: 0,
      limitMicros: N * PER_REQUEST,
      percent: 100,
    });
    await drainOutbox(key.id);
    const rows = await ledgerRows(key.id);
    expect(rows).toHaveLength(N);
    expect(rows.every((r) => r.cost_micros === PER_REQUEST && r.outcome === "ok")).toBe(true);
    expect(sumCost(rows)).toBe(status.spentMicros);
  });

  it("project: admits exactly N across the project's keys; spend equals the sum of the settled costs", async () => {
    const { key, provider, budgets } = await budgetedKey({
      price: OUTPUT_ONLY,
      budgets: ({ projectId }) => [
        { scope: "project", scope_id: projectId, window: "month", limit_usd: usd(N * PER_REQUEST), on_breach: "block" },
      ],
    });
    const sibling = await createKey({ project_id: key.project_id, config: { providers: [provider.name] } });
    const replies = await Promise.all([
      chatConcurrently(2 * N, key.secret, BODY),
      chatConcurrently(N, sibling.secret, { ...BODY, stream: true }),
    ]).then((r) => r.flat());
    expect(replies.filter((r) => r.status === 200)).toHaveLength(N);
    const refused = replies.filter((r) => r.status !== 200);
    expect(refused).toHaveLength(2 * N);
    for (const r of refused) await expectBudgetExceeded(r, "project:month");

    const budget = budgets[0] as BudgetReply;
    const status = await scopeStatus(`project:${key.project_id}`, budget);
    expect(status).toMatchObject({ spentMicros: N * PER_REQUEST, reservedMicros: 0 });
    await Promise.all([drainOutbox(key.id), drainOutbox(sibling.id)]);
    const rows = [...(await ledgerRows(key.id)), ...(await ledgerRows(sibling.id))];
    expect(rows).toHaveLength(N);
    expect(sumCost(rows)).toBe(status.spentMicros);
  });

  it("never lets spend pass the limit when reservations exceed the real cost", async () => {
    // Input, cache-read and output all priced: the real cost (8 fresh + 3 cached input tokens, 7
    // output) is below the reserved worst case (estimated prompt + max_tokens), so how many pass
    // depends on how settlements interleave; the limit holds either way.
    const price = { input_per_mtok: "1000", output_per_mtok: "1000", cache_read_per_mtok: "100" };
    const messages = [{ role: "user", content: "Tell me something about rate limits, please." }];
    const reserve = estimatePromptTokens(messages) * 1000 + FAKE_USAGE.completion * 1000;
    const real =
      (FAKE_USAGE.prompt - FAKE_USAGE.cached) * 1000 + FAKE_USAGE.cached * 100 + FAKE_USAGE.completion * 1000;
    expect(reserve).toBeGreaterThan(real);
    const limit = 3 * reserve + Math.floor(real / 2);
    const { key, budgets } = await budgetedKey({
      price,
      budgets: ({ vkId }) => [
        { scope: "virtual_key", scope_id: vkId, window: "hour", limit_usd: usd(limit), on_breach: "block" },
      ],
    });
    const body = { model: PRICED_MODEL, messages, max_tokens: FAKE_USAGE.completion };
    const replies = await chatConcurrently(15, key.secret, body);
    const ok = replies.filter((r) => r.status === 200).length;
    expect(ok).toBeGreaterThanOrEqual(3);
    for (const r of replies.filter((x) => x.status !== 200)) await expectBudgetExceeded(r, "virtual_key:hour");

    let status = budgetById((await keyObjectState(key.id)).budgets, budgets[0]?.id ?? "");
    expect(status.reservedMicros).toBe(0);
    expect(status.spentMicros).toBe(ok * real);
    expect(status.spentMicros).toBeLessThanOrEqual(limit);
    // Settlement handed back what the burst reserved beyond its real cost: more requests pass, one
    // at a time, until one more worst case no longer fits.
    let more = 0;
    for (;;) {
      const reply = await chatSettled(key.secret, body);
      if (reply.status !== 200) {
        await expectBudgetExceeded(reply, "virtual_key:hour");
        break;
      }
      more++;
    }
    status = budgetById((await keyObjectState(key.id)).budgets, budgets[0]?.id ?? "");
    expect(status.spentMicros).toBe((ok + more) * real);
    expect(status.spentMicros).toBeLessThanOrEqual(limit);
    expect(limit - status.spentMicros).toBeLessThan(reserve);
    await drainOutbox(key.id);
    const rows = await ledgerRows(key.id);
    expect(rows).toHaveLength(ok + more);
    expect(sumCost(rows)).toBe(status.spentMicros);
  });
});

describe("the refusal", () => {
  it("names the scope and window, the spend and the limit", async () => {
    const principal = uniqueName("user");
    const provider = await createPricedProvider(OUTPUT_ONLY);
    const [a, b] = await Promise.all([
      createKey({ principal_id: principal, config: { providers: [provider.name] } }),
      createKey({ principal_id: principal, config: { providers: [provider.name] } }),
    ]);
    await createBudget({
      scope: "principal",
      scope_id: principal,
      window: "week",
      limit_usd: usd(PER_REQUEST),
      on_breach: "block",
    });
    expect((await chatSettled(a?.secret ?? "", BODY)).status).toBe(200);
    // The principal's budget is shared by all its keys.
    const message = await expectBudgetExceeded(await chatSettled(b?.secret ?? "", BODY), "principal:week");
    expect(message).toContain("$0.007");
    expect(message).toContain("is exhausted");
    expect(message).toMatch(/resets at \d{4}-\d{2}-\d{2}T00:00:00\.000Z/);
  });

  it("says so when the budget has room, but not for this request's worst case", async () => {
    const { key } = await budgetedKey({
      price: OUTPUT_ONLY,
      budgets: ({ vkId }) => [
        { scope: "virtual_key", scope_id: vkId, window: "day", limit_usd: usd(3 * PER_REQUEST), on_breach: "block" },
      ],
    });
    // Nothing spent, and a worst case (max_tokens 28) of 4 × PER_REQUEST: $0.028 against a $0.021 limit.
    const reply = await chatSettled(key.secret, { ...BODY, max_tokens: 4 * FAKE_USAGE.completion });
    const message = await expectBudgetExceeded(reply, "virtual_key:day");
    expect(message).toContain("worst-case cost of $0.028000 does not fit");
    expect(message).toContain("has $0.021000 left ($0.000000 spent and $0.000000 reserved");
    expect(message).toContain("set a lower max_tokens");
    expect(message).not.toContain("exhausted");
    expect(recorded).toHaveLength(0);
    // A request whose worst case fits passes.
    expect((await chatSettled(key.secret, BODY)).status).toBe(200);
  });
});

describe("X-LangWatch-Budget-Warning", () => {
  it("a warn budget passes every request, with the header once it is 80 % used or more before the request", async () => {
    const { key, budgets } = await budgetedKey({
      price: OUTPUT_ONLY,
      budgets: ({ vkId }) => [
        { scope: "virtual_key", scope_id: vkId, window: "day", limit_usd: usd(PER_REQUEST), on_breach: "warn" },
      ],
    });
    const headers: (string | null)[] = [];
    for (let i = 0; i < 3; i++) {
      const reply = await chatSettled(key.secret, BODY);
      expect(reply.status).toBe(200);
      headers.push(reply.headers.get("x-langwatch-budget-warning"));
    }
    // The first request's own worst case (100 % of the limit) is not counted: the budget was empty.
    expect(headers).toEqual([null, "virtual_key:day=100%", "virtual_key:day=200%"]);
    const status = budgetById((await keyObjectState(key.id)).budgets, budgets[0]?.id ?? "");
    expect(status.spentMicros).toBe(3 * PER_REQUEST);
  });

  it("a blocking budget shows from 80 % spent before the request", async () => {
    const { key } = await budgetedKey({
      price: OUTPUT_ONLY,
      budgets: ({ vkId, projectId }) => [
        { scope: "project", scope_id: projectId, window: "month", limit_usd: usd(5 * PER_REQUEST), on_breach: "block" },
        { scope: "virtual_key", scope_id: vkId, window: "day", limit_usd: usd(10 * PER_REQUEST), on_breach: "block" },
      ],
    });
    const headers: (string | null)[] = [];
    for (let i = 0; i < 5; i++) {
      const reply = await chatSettled(key.secret, BODY);
      expect(reply.status).toBe(200);
      headers.push(reply.headers.get("x-langwatch-budget-warning"));
    }
    // Each request finds i × PER_REQUEST spent: 80 % of the project's limit before the fifth (the
    // key's is then at 40 %); its own worst case, which would have made that 100 %, is not counted.
    expect(headers).toEqual([null, null, null, null, "project:month=80%"]);
    await expectBudgetExceeded(await chatSettled(key.secret, BODY), "project:month");
  });

  it("lists every budget at 80 % or more together, broadest scope first", async () => {
    const { key } = await budgetedKey({
      price: OUTPUT_ONLY,
      budgets: ({ vkId, projectId }) => [
        { scope: "virtual_key", scope_id: vkId, window: "day", limit_usd: usd(5 * PER_REQUEST), on_breach: "warn" },
        { scope: "project", scope_id: projectId, window: "month", limit_usd: usd(4 * PER_REQUEST), on_breach: "warn" },
      ],
    });
    const headers: (string | null)[] = [];
    for (let i = 0; i < 5; i++) {
      const reply = await chatSettled(key.secret, BODY);
      expect(reply.status).toBe(200);
      headers.push(reply.headers.get("x-langwatch-budget-warning"));
    }
    // Before the fourth request the project is at 75 %; before the fifth at 100 %, the key at 80 %.
    expect(headers).toEqual([null, null, null, null, "project:month=100%,virtual_key:day=80%"]);
  });

  it("counts what other requests in flight hold, but not the request's own worst case", async () => {
    const healthy = await createPricedProvider(OUTPUT_ONLY);
    const hanging = await createPricedProvider(OUTPUT_ONLY, { base_url: fakeBaseUrl("hang-after-2") });
    const project = await createProject();
    const key = await createKey({ project_id: project.id, config: { providers: [healthy.name, hanging.name] } });
    await createBudget({
      scope: "virtual_key",
      scope_id: key.id,
      window: "day",
      limit_usd: usd(20 * PER_REQUEST),
      on_breach: "block",
    });
    // A stream that holds a worst case of 10 × PER_REQUEST (max_tokens 70) for as long as it is open.
    const held = await sendChat(key.secret, {
      ...BODY,
      model: `${hanging.name}/${PRICED_MODEL}`,
      stream: true,
      max_tokens: 10 * FAKE_USAGE.completion,
    });
    expect(held.response.status).toBe(200);
    const reader = (held.response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    const warnings: (string | null)[] = [];
    for (let i = 0; i < 7; i++) {
      const reply = await chatSettled(key.secret, { ...BODY, model: `${healthy.name}/${PRICED_MODEL}` });
      expect(reply.status).toBe(200);
      warnings.push(reply.headers.get("x-langwatch-budget-warning"));
    }
    // Request i finds i × PER_REQUEST spent and 10 × held by the stream: (i + 10) / 20. The seventh is
    // at 80 %; its own hold of 1 × PER_REQUEST would have made it 85 %.
    expect(warnings).toEqual([null, null, null, null, null, null, "virtual_key:day=80%"]);
    await reader.cancel();
    await held.settled();
  });
});

describe("what costs no budget", () => {
  it("a request refused by a rate limit holds nothing in any budget", async () => {
    const { key, budgets } = await budgetedKey({
      price: OUTPUT_ONLY,
      config: { rate_limits: { rpm: 1 } },
      budgets: ({ vkId, projectId }) => [
        { scope: "project", scope_id: projectId, window: "day", limit_usd: usd(10 * PER_REQUEST), on_breach: "block" },
        { scope: "virtual_key", scope_id: vkId, window: "day", limit_usd: usd(10 * PER_REQUEST), on_breach: "block" },
      ],
    });
    expect((await chatSettled(key.secret, BODY)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await chatSettled(key.secret, BODY)).status).toBe(429);
    const [project, own] = budgets as [BudgetReply, BudgetReply];
    expect(await scopeStatus(`project:${key.project_id}`, project)).toMatchObject({
      spentMicros: PER_REQUEST,
      reservedMicros: 0,
    });
    expect(budgetById((await keyObjectState(key.id)).budgets, own.id)).toMatchObject({
      spentMicros: PER_REQUEST,
      reservedMicros: 0,
    });
  });

  it("a request refused before admission (invalid body) touches no budget", async () => {
    const { key, budgets } = await budgetedKey({
      price: OUTPUT_ONLY,
      budgets: ({ projectId }) => [
        { scope: "project", scope_id: projectId, window: "day", limit_usd: usd(PER_REQUEST), on_breach: "block" },
      ],
    });
    const invalid = await chatSettled(key.secret, { ...BODY, messages: [] });
    expect(invalid.status).toBe(400);
    expect(await scopeStatus(`project:${key.project_id}`, budgets[0] as BudgetReply)).toMatchObject({
      spentMicros: 0,
      reservedMicros: 0,
    });
    expect((await chatSettled(key.secret, BODY)).status).toBe(200);
  });

  it("a request every provider failed settles at zero", async () => {
    const price = { prices: { [PRICED_MODEL]: OUTPUT_ONLY } };
    const { key } = await keyWithBindings(["status-503", "status-500"], {}, price);
    const budget = await createBudget({
      scope: "virtual_key",
      scope_id: key.id,
      window: "day",
      limit_usd: usd(PER_REQUEST),
      on_breach: "block",
    });
    expect((await chatSettled(key.secret, BODY)).status).toBe(502);
    expect(budgetById((await keyObjectState(key.id)).budgets, budget.id)).toMatchObject({
      spentMicros: 0,
      reservedMicros: 0,
    });
  });

  it("a fallback charges only the attempt that answered, once", async () => {
    const price = { prices: { [PRICED_MODEL]: OUTPUT_ONLY } };
    const { key, bindings } = await keyWithBindings(["status-503", ""], { rate_limits: { rpm: 100 } }, price);
    const budget = await createBudget({
      scope: "virtual_key",
      scope_id: key.id,
      window: "day",
      limit_usd: usd(10 * PER_REQUEST),
      on_breach: "block",
    });
    const reply = await chatSettled(key.secret, BODY);
    expect(reply.status).toBe(200);
    expect(reply.headers.get("x-langwatch-fallback-count")).toBe("1");
    const state = await keyObjectState(key.id);
    expect(state.windows.rpm.used).toBe(1);
    expect(budgetById(state.budgets, budget.id)).toMatchObject({ spentMicros: PER_REQUEST, reservedMicros: 0 });
    await drainOutbox(key.id);
    const rows = await ledgerRows(key.id);
    expect(rows).toEqual([expect.objectContaining({ provider: bindings[1], cost_micros: PER_REQUEST, outcome: "ok" })]);
  });
});

describe("a model without a price", () => {
  it("is refused (503 price_unknown) on a key with budgets, before any provider is called", async () => {
    const { key } = await budgetedKey({
      price: OUTPUT_ONLY,
      budgets: ({ projectId }) => [
        { scope: "project", scope_id: projectId, window: "total", limit_usd: "10", on_breach: "warn" },
      ],
    });
    const reply = await chatSettled(key.secret, { ...BODY, model: "faregate-unpriced-model" });
    expect(reply.status).toBe(503);
    const error = await readOpenAIError(new Response(reply.text, { headers: reply.headers }));
    expect(error).toMatchObject({ type: "service_unavailable", code: "price_unknown" });
    expect(error.message).toContain("faregate-unpriced-model");
    expect(error.message).toContain("prices");
    expect(error.message).toContain("unpriced");
    expect(recorded).toHaveLength(0);
  });

  it("is charged at zero when the binding says `unpriced: free`", async () => {
    const { key, budgets } = await budgetedKey({
      price: OUTPUT_ONLY,
      providerFields: { settings: { unpriced: "free" } },
      budgets: ({ projectId }) => [
        { scope: "project", scope_id: projectId, window: "total", limit_usd: "0.000001", on_breach: "block" },
      ],
    });
    for (let i = 0; i < 2; i++)
      expect((await chatSettled(key.secret, { ...BODY, model: "faregate-unpriced-model" })).status).toBe(200);
    expect(await scopeStatus(`project:${key.project_id}`, budgets[0] as BudgetReply)).toMatchObject({
      spentMicros: 0,
      reservedMicros: 0,
    });
    await drainOutbox(key.id);
    expect((await ledgerRows(key.id)).map((r) => r.cost_micros)).toEqual([0, 0]);
  });

  it("passes on a key without budgets, and is recorded with no cost", async () => {
    const project = await createProject();
    const provider = await createPricedProvider(OUTPUT_ONLY);
    const key = await createKey({ project_id: project.id, config: { providers: [provider.name] } });
    expect((await chatSettled(key.secret, { ...BODY, model: "faregate-unpriced-model" })).status).toBe(200);
    await drainOutbox(key.id);
    expect(await ledgerRows(key.id)).toEqual([
      expect.objectContaining({ cost_micros: null, model: "faregate-unpriced-model" }),
    ]);
  });
});
