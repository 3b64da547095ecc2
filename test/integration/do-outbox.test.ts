import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { drainBackoffMs, drainOutbox, nextDrainAt, OUTBOX_FLUSH_DELAY_MS } from "../../durable-objects/outbox";
import { charge, failingLedger, freshKeyLimiter, NO_LIMITS, setClock, usageRecord } from "../helpers/do-counters";
import { ledgerRows } from "../helpers/limits";

/**
 * The usage outbox (issue 4, ledger): records reach D1 `usage_ledger` through the KeyLimiter's
 * alarm, in batches, deleted from the outbox only after D1 accepted them, never counted twice.
 */

const T = Date.UTC(2031, 6, 1, 8, 0, 0);

afterEach(() => {
  vi.useRealTimers();
});

const uniqueVk = () => `vk_outbox_${crypto.randomUUID()}`;

describe("outbox → usage_ledger", () => {
  it("a settled request's record reaches D1 on the alarm, with every field", async () => {
    setClock(T);
    const stub = freshKeyLimiter();
    const vkId = uniqueVk();
    const budget = charge({ id: "bdg_ledger", scope: "virtual_key" });
    await stub.admit({ requestId: "grq_l1", limits: NO_LIMITS, tokens: 100, budgets: [budget] });
    const record = usageRecord({
      requestId: "grq_l1",
      vkId,
      principalId: "usr_1",
      inputTokens: 70,
      outputTokens: 30,
      cacheReadTokens: 20,
      cacheWriteTokens: 5,
      costMicros: 987,
      outcome: "stream_failed",
    });
    await stub.settle({ requestId: "grq_l1", tokens: 100, costMicros: 987, record });
    expect((await stub.getState()).outbox).toEqual({ pending: 1, lastDrainAt: null, lastError: null });
    expect(await ledgerRows(vkId)).toEqual([]);

    // Scheduled a short flush delay ahead, so rows arriving together share a batch.
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).toBe(T + OUTBOX_FLUSH_DELAY_MS);
    vi.setSystemTime(T + OUTBOX_FLUSH_DELAY_MS);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await ledgerRows(vkId)).toEqual([
      {
        request_id: "grq_l1",
        at: record.at,
        vk_id: vkId,
        project_id: record.projectId,
        principal_id: "usr_1",
        provider: "openai",
        model: "gpt-4o-mini",
        input_tokens: 70,
        output_tokens: 30,
        cache_read_tokens: 20,
        cache_write_tokens: 5,
        cost_micros: 987,
        outcome: "stream_failed",
      },
    ]);
    expect((await stub.getState()).outbox).toEqual({
      pending: 0,
      lastDrainAt: T + OUTBOX_FLUSH_DELAY_MS,
      lastError: null,
    });
    // Nothing left to do until the reservation sweep would be due: no outbox alarm remains.
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).toBeNull();
  });

  it("never double counts: alarms run twice, settles retried, a batch re-sent after a crash", async () => {
    setClock(T);
    const stub = freshKeyLimiter();
    const vkId = uniqueVk();
    const records = Array.from({ length: 3 }, (_, i) =>
      usageRecord({ requestId: `grq_dup_${vkId}_${i}`, vkId, costMicros: 100 + i }),
    );
    for (const r of records) await stub.record(r);
    await stub.record(records[0]!); // the same record queued twice stays one row
    expect((await stub.getState()).outbox.pending).toBe(3);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await runDurableObjectAlarm(stub)).toBe(false); // nothing scheduled any more
    // A retried settle re-queues a record D1 already has; the ledger ignores it.
    await stub.settle({
      requestId: records[1]!.requestId,
      tokens: 0,
      costMicros: 0,
      record: { ...records[1]!, costMicros: 999_999 },
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    // A drain that crashed after D1 accepted the batch but before deleting it re-sends the batch.
    await runInDurableObject(stub, (instance) => instance.record(records[2]!));
    await runInDurableObject(stub, async (_instance, state) => {
      await drainOutbox(state.storage.sql, env.DB);
      await drainOutbox(state.storage.sql, env.DB);
    });
    const rows = await ledgerRows(vkId);
    expect(rows.map((r) => [r.request_id, r.cost_micros])).toEqual(records.map((r) => [r.requestId, r.costMicros]));
    expect((await stub.getState()).outbox.pending).toBe(0);
  });

  it("keeps rows while D1 fails, records the error and backs off, then drains once D1 is back", async () => {
    setClock(T);
    const stub = freshKeyLimiter();
    const vkId = uniqueVk();
    for (let i = 0; i < 3; i++) await stub.record(usageRecord({ requestId: `grq_fail_${vkId}_${i}`, vkId }));

    const outcome = await runInDurableObject(stub, (_instance, state) =>
      drainOutbox(state.storage.sql, failingLedger()),
    );
    expect(outcome).toEqual({ drained: 0, remaining: 3, error: "D1_ERROR: simulated outage" });
    await runInDurableObject(stub, (_instance, state) => drainOutbox(state.storage.sql, failingLedger("still down")));
    expect((await stub.getState()).outbox).toEqual({ pending: 3, lastDrainAt: null, lastError: "still down" });
    expect(await ledgerRows(vkId)).toEqual([]);

    // The next drain is due no earlier than the backoff after two failures (10 s), even for new rows.
    await stub.record(usageRecord({ requestId: `grq_fail_${vkId}_3`, vkId }));
    expect(await runInDurableObject(stub, (_instance, state) => nextDrainAt(state.storage.sql))).toBe(
      T + drainBackoffMs(2),
    );

    // D1 is back: the alarm drains everything and clears the error.
    vi.setSystemTime(T + drainBackoffMs(2));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await ledgerRows(vkId)).map((r) => r.request_id)).toEqual([0, 1, 2, 3].map((i) => `grq_fail_${vkId}_${i}`));
    expect((await stub.getState()).outbox).toEqual({ pending: 0, lastDrainAt: T + drainBackoffMs(2), lastError: null });
  });

  it("backs off exponentially, capped at five minutes", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(drainBackoffMs)).toEqual([
      5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000,
    ]);
  });

  it("drains in batches of 100 and reschedules itself while rows remain", async () => {
    setClock(T);
    const stub = freshKeyLimiter();
    const vkId = uniqueVk();
    await runInDurableObject(stub, (instance) => {
      for (let i = 0; i < 520; i++)
        instance.record(usageRecord({ requestId: `grq_bulk_${vkId}_${String(i).padStart(3, "0")}`, vkId }));
    });
    vi.setSystemTime(T + OUTBOX_FLUSH_DELAY_MS);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    // Five batches per alarm run; the rest goes in a follow-up alarm that is already due.
    expect((await stub.getState()).outbox.pending).toBe(20);
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).toBeLessThanOrEqual(Date.now());
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await stub.getState()).outbox.pending).toBe(0);
    expect(await ledgerRows(vkId)).toHaveLength(520);
  });

  it("pending rows survive eviction", async () => {
    setClock(T);
    const stub = freshKeyLimiter();
    const vkId = uniqueVk();
    await stub.record(usageRecord({ requestId: `grq_evict_${vkId}`, vkId }));
    await evictDurableObject(stub);
    expect((await stub.getState()).outbox.pending).toBe(1);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await ledgerRows(vkId)).toHaveLength(1);
  });

  it("refuses a malformed record rather than letting it block the outbox", async () => {
    const stub = freshKeyLimiter();
    await runInDurableObject(stub, (instance) => {
      expect(() => instance.record({ ...usageRecord(), projectId: "" })).toThrow(/record.projectId/);
      expect(() => instance.record({ ...usageRecord(), outcome: "weird" as "ok" })).toThrow(/record.outcome/);
    });
    expect((await stub.getState()).outbox.pending).toBe(0);
  });
});

describe("settleBatch", () => {
  it("applies settlements and records of many requests in one call", async () => {
    setClock(T);
    const stub = freshKeyLimiter();
    const vkId = uniqueVk();
    const budget = charge({ id: "bdg_batch", scope: "virtual_key" });
    await stub.admit({ requestId: "grq_b1", limits: NO_LIMITS, tokens: 100, budgets: [budget] });
    await stub.admit({ requestId: "grq_b2", limits: NO_LIMITS, tokens: 100, budgets: [budget] });
    await stub.settleBatch({
      settlements: [
        { requestId: "grq_b1", tokens: 10, costMicros: 300, record: usageRecord({ requestId: "grq_b1", vkId }) },
        { requestId: "grq_b2", tokens: 10, costMicros: 200, record: null },
      ],
      records: [usageRecord({ requestId: "grq_b3", vkId })],
    });
    const state = await stub.getState();
    expect(state.reservations).toEqual([]);
    expect(state.budgets[0]).toMatchObject({ spentMicros: 500, reservedMicros: 0 });
    expect(state.outbox.pending).toBe(2);
  });

  it("rejects the whole batch, writing nothing, when one item is invalid", async () => {
    setClock(T);
    const stub = freshKeyLimiter();
    const vkId = uniqueVk();
    const budget = charge({ id: "bdg_batch_bad", scope: "virtual_key" });
    await stub.admit({ requestId: "grq_c1", limits: NO_LIMITS, tokens: 100, budgets: [budget] });
    // On the instance: a rejecting RPC through a stub leaks an unhandled rejection in the vitest pool.
    await runInDurableObject(stub, (instance) => {
      expect(() =>
        instance.settleBatch({
          settlements: [{ requestId: "grq_c1", tokens: 10, costMicros: 300, record: null }],
          records: [usageRecord({ requestId: "grq_c2", vkId, inputTokens: -1 })],
        }),
      ).toThrow(/record.inputTokens/);
    });
    const state = await stub.getState();
    expect(state.reservations).toHaveLength(1);
    expect(state.outbox.pending).toBe(0);
  });
});
