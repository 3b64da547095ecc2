import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { AdmitResult, BudgetCharge, BudgetStatus } from "../../durable-objects/types";
import { charge, freshBudgetCounter, freshKeyLimiter, NO_LIMITS, setClock } from "../helpers/do-counters";

/**
 * Budgets in both counters (issue 4, contract §6): calendar periods, block budgets that never let
 * spent + reserved pass the limit under concurrency, settlement to the real cost, release, warn
 * budgets, limit changes, and the sweep of reservations nobody settled.
 */

const utc = (y: number, m: number, d: number, h = 0, min = 0) => Date.UTC(y, m - 1, d, h, min);
const T = utc(2031, 5, 14, 10); // Wednesday 14 May 2031, years ahead of the real clock

afterEach(() => {
  vi.useRealTimers();
});

type KeyStub = ReturnType<typeof freshKeyLimiter>;
type ScopeStub = ReturnType<typeof freshBudgetCounter>;

/** The same calls on either counter: a BudgetCounter, or a KeyLimiter without rate limits. */
interface Counter {
  name: string;
  admit(requestId: string, budgets: BudgetCharge[]): Promise<AdmitResult>;
  settle(requestId: string, costMicros: number): Promise<void>;
  release(requestId: string): Promise<void>;
  statuses(): Promise<BudgetStatus[]>;
  stub: KeyStub | ScopeStub;
}

function scopeCounter(): Counter {
  const stub = freshBudgetCounter();
  return {
    name: "BudgetCounter",
    stub,
    admit: (requestId, budgets) => stub.admit({ requestId, budgets }),
    settle: (requestId, costMicros) => stub.settle({ requestId, costMicros }),
    release: (requestId) => stub.release(requestId),
    statuses: async () => (await stub.getState()).budgets,
  };
}

function keyCounter(): Counter {
  const stub = freshKeyLimiter();
  return {
    name: "KeyLimiter",
    stub,
    admit: (requestId, budgets) => stub.admit({ requestId, limits: NO_LIMITS, tokens: 10, budgets }),
    settle: (requestId, costMicros) => stub.settle({ requestId, tokens: 10, costMicros, record: null }),
    release: (requestId) => stub.release(requestId),
    statuses: async () => (await stub.getState()).budgets,
  };
}

function budgetRefusal(result: AdmitResult): BudgetStatus {
  if (result.ok || result.kind !== "budget")
    throw new Error(`expected a budget refusal, got ${JSON.stringify(result)}`);
  return result.budget;
}

describe.each([
  ["BudgetCounter", scopeCounter],
  ["KeyLimiter", keyCounter],
])("%s budgets", (_name, make) => {
  it("with a budget worth N reserves, 3N concurrent requests admit exactly N; spend is the sum of settled costs", async () => {
    setClock(T);
    const counter = make();
    const n = 10;
    const budget = charge({ id: "bdg_conc", window: "month", limitMicros: n * 1_000, reserveMicros: 1_000 });
    const results = await Promise.all(Array.from({ length: 3 * n }, (_, i) => counter.admit(`c${i}`, [budget])));
    const admitted = results.flatMap((r, i) => (r.ok ? [`c${i}`] : []));
    expect(admitted).toHaveLength(n);
    for (const r of results.filter((x) => !x.ok)) {
      expect(budgetRefusal(r)).toMatchObject({
        id: "bdg_conc",
        window: "month",
        limitMicros: n * 1_000,
        reservedMicros: n * 1_000,
      });
    }
    expect((await counter.statuses())[0]).toMatchObject({ spentMicros: 0, reservedMicros: n * 1_000, percent: 100 });

    const costs = admitted.map((_, i) => 300 + 61 * i);
    await Promise.all(admitted.map((id, i) => counter.settle(id, costs[i]!)));
    const settled = (await counter.statuses())[0]!;
    expect(settled.spentMicros).toBe(costs.reduce((a, b) => a + b, 0));
    expect(settled.reservedMicros).toBe(0);
    expect(settled.spentMicros).toBeLessThanOrEqual(settled.limitMicros);
  });

  it("admits at exactly spent + reserved + reserve = limit, and not one micro-dollar more", async () => {
    setClock(T);
    const counter = make();
    const budget = charge({ id: "bdg_edge", window: "day", limitMicros: 2_500 });
    expect((await counter.admit("e1", [{ ...budget, reserveMicros: 1_000 }])).ok).toBe(true);
    await counter.settle("e1", 800);
    expect((await counter.admit("e2", [{ ...budget, reserveMicros: 1_000 }])).ok).toBe(true);
    // 800 spent + 1 000 reserved: 700 fits exactly, 701 does not.
    expect(budgetRefusal(await counter.admit("e3", [{ ...budget, reserveMicros: 701 }]))).toMatchObject({
      spentMicros: 800,
      reservedMicros: 1_000,
    });
    expect((await counter.admit("e4", [{ ...budget, reserveMicros: 700 }])).ok).toBe(true);
  });

  it("settles once: a second settle, or a settle of an unknown request, changes nothing", async () => {
    setClock(T);
    const counter = make();
    const budget = charge({ id: "bdg_once", window: "week" });
    await counter.admit("s1", [budget]);
    await counter.settle("s1", 400);
    await counter.settle("s1", 400);
    await counter.settle("s1", 9_000);
    await counter.settle("unknown", 5_000);
    expect((await counter.statuses())[0]).toMatchObject({ spentMicros: 400, reservedMicros: 0 });
  });

  it("release gives the reservation back and spends nothing; releasing twice is harmless", async () => {
    setClock(T);
    const counter = make();
    const budget = charge({ id: "bdg_rel", limitMicros: 1_000, reserveMicros: 1_000 });
    expect((await counter.admit("r1", [budget])).ok).toBe(true);
    expect((await counter.admit("r2", [budget])).ok).toBe(false);
    await counter.release("r1");
    await counter.release("r1");
    expect((await counter.statuses())[0]).toMatchObject({ spentMicros: 0, reservedMicros: 0, percent: 0 });
    expect((await counter.admit("r3", [budget])).ok).toBe(true);
    // A released request settling later (it should not) books nothing.
    await counter.settle("r1", 700);
    expect((await counter.statuses())[0]).toMatchObject({ spentMicros: 0, reservedMicros: 1_000 });
  });

  it("reserves in every budget it is charged, and refuses with the first blocking one that cannot take it", async () => {
    setClock(T);
    const counter = make();
    const day = charge({ id: "bdg_a_day", window: "day", limitMicros: 5_000, reserveMicros: 2_000 });
    const month = charge({ id: "bdg_b_month", window: "month", limitMicros: 3_000, reserveMicros: 2_000 });
    const first = await counter.admit("m1", [day, month]);
    expect(first.ok && first.budgets.map((b) => [b.id, b.reservedMicros, b.percent])).toEqual([
      ["bdg_a_day", 2_000, 40],
      ["bdg_b_month", 2_000, 66],
    ]);
    expect(budgetRefusal(await counter.admit("m2", [day, month])).id).toBe("bdg_b_month");
    // The refusal reserved nothing in the budget that had room.
    expect((await counter.statuses()).map((b) => b.reservedMicros)).toEqual([2_000, 2_000]);
  });

  it("warn budgets always admit and report the percent, past 100", async () => {
    setClock(T);
    const counter = make();
    const warn = charge({ id: "bdg_warn", window: "hour", limitMicros: 1_000, onBreach: "warn", reserveMicros: 800 });
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await counter.admit(`w${i}`, [warn]));
    expect(results.map((r) => r.ok && r.budgets[0]!.percent)).toEqual([80, 160, 240]);
    await counter.settle("w0", 1_000);
    expect((await counter.statuses())[0]).toMatchObject({
      spentMicros: 1_000,
      reservedMicros: 1_600,
      percent: 260,
      onBreach: "warn",
    });
  });

  it("applies a changed limit or on_breach on the very next request", async () => {
    setClock(T);
    const counter = make();
    const budget = charge({ id: "bdg_change", limitMicros: 2_000, reserveMicros: 1_000 });
    await counter.admit("l1", [budget]);
    await counter.admit("l2", [budget]);
    expect((await counter.admit("l3", [budget])).ok).toBe(false);
    expect((await counter.admit("l4", [{ ...budget, limitMicros: 3_000 }])).ok).toBe(true);
    expect((await counter.admit("l5", [{ ...budget, limitMicros: 3_000 }])).ok).toBe(false);
    expect((await counter.admit("l6", [{ ...budget, limitMicros: 3_000, onBreach: "warn" }])).ok).toBe(true);
    // Lowered below what is already held: blocks until spend falls into a new period.
    expect(budgetRefusal(await counter.admit("l7", [{ ...budget, limitMicros: 500 }]))).toMatchObject({
      reservedMicros: 4_000,
      percent: 800,
    });
  });

  it("starts each calendar period at zero and reports when it resets", async () => {
    const counter = make();
    const day = charge({ id: "bdg_day", window: "day", limitMicros: 1_000, reserveMicros: 1_000 });
    setClock(utc(2031, 5, 14, 23, 59));
    expect((await counter.admit("d1", [day])).ok).toBe(true);
    await counter.settle("d1", 1_000);
    expect(budgetRefusal(await counter.admit("d2", [day]))).toMatchObject({
      spentMicros: 1_000,
      periodStart: utc(2031, 5, 14),
      resetsAt: utc(2031, 5, 15),
    });
    vi.setSystemTime(utc(2031, 5, 15));
    const next = await counter.admit("d3", [day]);
    expect(next.ok && next.budgets[0]).toMatchObject({
      spentMicros: 0,
      reservedMicros: 1_000,
      periodStart: utc(2031, 5, 15),
      resetsAt: utc(2031, 5, 16),
    });
  });

  it("weeks turn on Monday 00:00 UTC and months on the 1st, leap days included", async () => {
    const counter = make();
    const week = charge({ id: "bdg_week", window: "week", limitMicros: 1_000, reserveMicros: 1_000 });
    const month = charge({ id: "bdg_month", window: "month", limitMicros: 1_000, reserveMicros: 1_000 });
    // Sunday 2032-02-29 (a leap day) 23:59: both budgets fill up.
    setClock(utc(2032, 2, 29, 23, 59));
    expect(new Date(utc(2032, 2, 29)).getUTCDay()).toBe(0);
    expect((await counter.admit("p1", [week, month])).ok).toBe(true);
    await counter.settle("p1", 1_000);
    expect(budgetRefusal(await counter.admit("p2", [week]))).toMatchObject({
      periodStart: utc(2032, 2, 23),
      resetsAt: utc(2032, 3, 1),
    });
    expect(budgetRefusal(await counter.admit("p3", [month]))).toMatchObject({
      periodStart: utc(2032, 2, 1),
      resetsAt: utc(2032, 3, 1),
    });
    // Monday 2032-03-01 00:00: a new week and a new month.
    vi.setSystemTime(utc(2032, 3, 1));
    const fresh = await counter.admit("p4", [week, month]);
    expect(fresh.ok && fresh.budgets.map((b) => [b.spentMicros, b.periodStart])).toEqual([
      [0, utc(2032, 3, 1)],
      [0, utc(2032, 3, 1)],
    ]);
  });

  it("a total budget never resets", async () => {
    const counter = make();
    const total = charge({ id: "bdg_total", window: "total", limitMicros: 1_000, reserveMicros: 600 });
    setClock(utc(2031, 1, 1));
    await counter.admit("t1", [total]);
    await counter.settle("t1", 600);
    vi.setSystemTime(utc(2035, 1, 1));
    expect(budgetRefusal(await counter.admit("t2", [total]))).toMatchObject({
      spentMicros: 600,
      periodStart: 0,
      resetsAt: null,
    });
  });

  it("the alarm gives back reservations nobody settled within 15 minutes; a late settle still books its cost once", async () => {
    setClock(T);
    const counter = make();
    const budget = charge({ id: "bdg_sweep", limitMicros: 2_000, reserveMicros: 1_000 });
    await counter.admit("crashed", [budget]);
    vi.setSystemTime(T + 5 * 60_000);
    await counter.admit("recent", [budget]);
    expect((await counter.admit("blocked", [budget])).ok).toBe(false);

    vi.setSystemTime(T + 15 * 60_000 - 1);
    expect(await runDurableObjectAlarm(counter.stub)).toBe(true);
    expect((await counter.statuses())[0]).toMatchObject({ reservedMicros: 2_000 });

    vi.setSystemTime(T + 15 * 60_000);
    expect(await runDurableObjectAlarm(counter.stub)).toBe(true);
    expect((await counter.statuses())[0]).toMatchObject({ reservedMicros: 1_000, spentMicros: 0 });
    expect((await counter.admit("after-sweep", [budget])).ok).toBe(true);

    // The crashed isolate's request finishes after all: its real cost counts, once.
    await counter.settle("crashed", 250);
    await counter.settle("crashed", 250);
    expect((await counter.statuses())[0]).toMatchObject({ spentMicros: 250, reservedMicros: 2_000 });

    // The next alarm is due when "recent" turns 15 minutes old.
    const next = await runInDurableObject(counter.stub, (_instance, state) => state.storage.getAlarm());
    expect(next).toBe(T + 20 * 60_000);
  });

  it("keeps its budgets across eviction", async () => {
    setClock(T);
    const counter = make();
    const budget = charge({ id: "bdg_evict", limitMicros: 3_000, reserveMicros: 1_000 });
    await counter.admit("v1", [budget]);
    await counter.admit("v2", [budget]);
    await counter.settle("v1", 900);
    const before = await counter.statuses();
    await evictDurableObject(counter.stub);
    expect(await counter.statuses()).toEqual(before);
    await counter.settle("v2", 100);
    expect((await counter.statuses())[0]).toMatchObject({ spentMicros: 1_000, reservedMicros: 0 });
  });
});

describe("BudgetCounter.getState", () => {
  it("reports the budgets it was charged for, or exactly the ones asked about with their current limits", async () => {
    setClock(T);
    const stub = freshBudgetCounter();
    const project = charge({
      id: "bdg_p",
      scope: "project",
      window: "month",
      limitMicros: 10_000,
      reserveMicros: 2_500,
    });
    await stub.admit({ requestId: "g1", budgets: [project] });
    expect(await stub.getState()).toEqual({
      budgets: [
        {
          id: "bdg_p",
          scope: "project",
          window: "month",
          spentMicros: 0,
          reservedMicros: 2_500,
          limitMicros: 10_000,
          onBreach: "block",
          percent: 25,
          periodStart: utc(2031, 5, 1),
          resetsAt: utc(2031, 6, 1),
        },
      ],
    });
    const asked = await stub.getState([
      { id: "bdg_p", scope: "project", window: "month", limitMicros: 5_000, onBreach: "warn" },
      { id: "bdg_unused", scope: "project", window: "day", limitMicros: 1_000, onBreach: "block" },
    ]);
    expect(asked.budgets.map((b) => [b.id, b.reservedMicros, b.limitMicros, b.percent, b.onBreach])).toEqual([
      ["bdg_p", 2_500, 5_000, 50, "warn"],
      ["bdg_unused", 0, 1_000, 0, "block"],
    ]);
  });

  it("deletes the counters of past periods once nothing holds them", async () => {
    const stub = freshBudgetCounter();
    const day = charge({ id: "bdg_prune", window: "day" });
    setClock(utc(2031, 5, 14, 12));
    await stub.admit({ requestId: "old", budgets: [day] });
    await stub.settle({ requestId: "old", costMicros: 10 });
    vi.setSystemTime(utc(2031, 5, 15, 12));
    await stub.admit({ requestId: "new", budgets: [day] });
    vi.setSystemTime(utc(2031, 5, 15, 12, 15));
    await runDurableObjectAlarm(stub);
    const periods = await runInDurableObject(stub, (_instance, state) =>
      state.storage.sql.exec<{ period_start: number }>("SELECT period_start FROM budget_periods").toArray(),
    );
    expect(periods).toEqual([{ period_start: utc(2031, 5, 15) }]);
  });
});
