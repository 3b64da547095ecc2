import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { AdmitResult, RateLimits } from "../../durable-objects/types";
import { charge, freshKeyLimiter, NO_LIMITS, setClock } from "../helpers/do-counters";

/**
 * KeyLimiter's rate windows (issue 4): strict sliding windows over 1 s (rpm, tpm) and 1 min (rpd)
 * buckets, exact under concurrency, with an accurate Retry-After, and a refusal in one dimension
 * consuming nothing in the others.
 */

const T = Date.UTC(2031, 4, 12, 9, 0, 0); // a whole minute, years ahead of the real clock

afterEach(() => {
  vi.useRealTimers();
});

type Stub = ReturnType<typeof freshKeyLimiter>;
let seq = 0;
function admit(
  stub: Stub,
  limits: Partial<RateLimits>,
  tokens = 0,
  requestId = `grq_rate_${++seq}`,
): Promise<AdmitResult> {
  return stub.admit({ requestId, limits: { ...NO_LIMITS, ...limits }, tokens, budgets: [] });
}

function refusal(result: AdmitResult): Extract<AdmitResult, { kind: "rate" }> {
  if (result.ok || result.kind !== "rate") throw new Error(`expected a rate refusal, got ${JSON.stringify(result)}`);
  return result;
}

describe("rpm under concurrency", () => {
  it("admits exactly 20 of 60 concurrent requests; the 40 refused say rpm and when to retry", async () => {
    setClock(T + 300);
    const stub = freshKeyLimiter();
    const results = await Promise.all(Array.from({ length: 60 }, () => admit(stub, { rpm: 20 })));
    expect(results.filter((r) => r.ok)).toHaveLength(20);
    const refused = results.filter((r) => !r.ok).map(refusal);
    expect(refused).toHaveLength(40);
    for (const r of refused)
      expect(r).toEqual({ ok: false, kind: "rate", dimension: "rpm", retryAfterSeconds: 60, limit: 20 });
    expect((await stub.getState()).windows.rpm).toEqual({ limit: 20, used: 20, windowSeconds: 60, bucketSeconds: 1 });

    // Retry-After is accurate: one second less is still too early, exactly that long is enough.
    vi.setSystemTime(T + 300 + 59_000);
    const early = refusal(await admit(stub, { rpm: 20 }));
    expect(early.retryAfterSeconds).toBe(1);
    vi.setSystemTime(T + 300 + 60_000);
    expect((await admit(stub, { rpm: 20 })).ok).toBe(true);
  });

  it("computes Retry-After from the oldest requests that must leave the window", async () => {
    const stub = freshKeyLimiter();
    setClock(T + 500);
    for (let i = 0; i < 5; i++) expect((await admit(stub, { rpm: 20 })).ok).toBe(true);
    vi.setSystemTime(T + 10_200);
    const second = await Promise.all(Array.from({ length: 15 }, () => admit(stub, { rpm: 20 })));
    expect(second.every((r) => r.ok)).toBe(true);

    const at = T + 30_700;
    vi.setSystemTime(at);
    const refused = refusal(await admit(stub, { rpm: 20 }));
    // The 5 counted in second T leave the window at T + 60 s: 29.3 s from now, so 30.
    expect(refused.retryAfterSeconds).toBe(30);
    vi.setSystemTime(at + 29_000);
    expect((await admit(stub, { rpm: 20 })).ok).toBe(false);
    vi.setSystemTime(at + 30_000);
    const burst = await Promise.all(Array.from({ length: 6 }, () => admit(stub, { rpm: 20 })));
    expect(burst.filter((r) => r.ok)).toHaveLength(5);
    // The next room opens when the 15 of second T + 10 leave, at T + 70 s (9.3 s from now).
    expect(refusal(burst.find((r) => !r.ok) ?? burst[0]!).retryAfterSeconds).toBe(10);
  });
});

describe("no window ever admits more than the limit", () => {
  it("holds for a random schedule over five simulated minutes, checked by brute force", async () => {
    const limit = 12;
    const stub = freshKeyLimiter();
    // A deterministic pseudo-random schedule (so a failure reproduces).
    let state = 12345;
    const random = () => {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      return state / 2 ** 31;
    };
    const admitted: number[] = [];
    const refusals: { at: number; retryAfterSeconds: number }[] = [];
    let now = T;
    while (now < T + 5 * 60_000) {
      now += Math.floor(random() * 3_000);
      setClock(now);
      const burst = 1 + Math.floor(random() * 4);
      const results = await Promise.all(Array.from({ length: burst }, () => admit(stub, { rpm: limit })));
      for (const r of results) {
        if (r.ok) admitted.push(now);
        else refusals.push({ at: now, retryAfterSeconds: refusal(r).retryAfterSeconds });
      }
    }
    // Busy enough that the limit binds most of the time, and the windows fill up.
    expect(admitted.length).toBeGreaterThan(55);
    expect(refusals.length).toBeGreaterThan(100);

    /** Admissions counted by the window of 60 one-second buckets ending with second `s`, before `before`. */
    const inWindow = (s: number, before = Infinity) =>
      admitted.filter((t) => t < before && Math.floor(t / 1000) > s - 60 && Math.floor(t / 1000) <= s).length;
    const first = Math.floor(T / 1000);
    const last = Math.floor(now / 1000) + 60;
    for (let s = first; s <= last; s++) expect(inWindow(s), `window ending at second ${s}`).toBeLessThanOrEqual(limit);

    for (const { at, retryAfterSeconds } of refusals) {
      const s = Math.floor(at / 1000);
      // Refused only when the window really was full …
      expect(inWindow(s, at + 1), `refusal at ${at}`).toBe(limit);
      // … and Retry-After is the first whole-second wait after which it would have had room.
      const roomAfter = (waitSeconds: number) => inWindow(Math.floor((at + waitSeconds * 1000) / 1000), at + 1) < limit;
      expect(roomAfter(retryAfterSeconds), `retry after ${retryAfterSeconds}s from ${at}`).toBe(true);
      if (retryAfterSeconds > 1) expect(roomAfter(retryAfterSeconds - 1)).toBe(false);
    }
  });
});

describe("dimensions are independent", () => {
  it("an rpd refusal leaves rpm and tpm untouched", async () => {
    setClock(T);
    const stub = freshKeyLimiter();
    const limits = { rpm: 100, rpd: 3, tpm: 10_000 };
    for (let i = 0; i < 3; i++) expect((await admit(stub, limits, 10)).ok).toBe(true);
    const refused = refusal(await admit(stub, limits, 10));
    expect(refused).toMatchObject({ dimension: "rpd", limit: 3 });
    // The three counted in minute T leave the rpd window 24 h later.
    expect(refused.retryAfterSeconds).toBe(24 * 3600);
    const { windows } = await stub.getState();
    expect(windows.rpm.used).toBe(3);
    expect(windows.rpd.used).toBe(3);
    expect(windows.tpm.used).toBe(30);
  });

  it("an rpm refusal leaves rpd and tpm untouched", async () => {
    setClock(T);
    const stub = freshKeyLimiter();
    const limits = { rpm: 2, rpd: 100, tpm: 10_000 };
    expect((await admit(stub, limits, 7)).ok).toBe(true);
    expect((await admit(stub, limits, 7)).ok).toBe(true);
    expect(refusal(await admit(stub, limits, 7))).toMatchObject({ dimension: "rpm", limit: 2 });
    const { windows } = await stub.getState();
    expect(windows.rpd).toEqual({ limit: 100, used: 2, windowSeconds: 86_400, bucketSeconds: 60 });
    expect(windows.tpm.used).toBe(14);
  });

  it("a rate refusal reserves nothing in the budgets, a budget refusal counts nothing in the windows", async () => {
    setClock(T);
    const stub = freshKeyLimiter();
    const budget = charge({
      id: "bdg_key_day",
      scope: "virtual_key",
      window: "day",
      limitMicros: 1_500,
      reserveMicros: 1_000,
    });
    expect(
      (await stub.admit({ requestId: "a", limits: { ...NO_LIMITS, rpm: 1 }, tokens: 5, budgets: [budget] })).ok,
    ).toBe(true);
    expect(
      refusal(await stub.admit({ requestId: "b", limits: { ...NO_LIMITS, rpm: 1 }, tokens: 5, budgets: [budget] }))
        .dimension,
    ).toBe("rpm");
    let state = await stub.getState();
    expect(state.budgets[0]).toMatchObject({ reservedMicros: 1_000 });

    const refused = await stub.admit({ requestId: "c", limits: NO_LIMITS, tokens: 5, budgets: [budget] });
    expect(refused).toMatchObject({ ok: false, kind: "budget", budget: { id: "bdg_key_day", reservedMicros: 1_000 } });
    state = await stub.getState();
    expect(state.windows.rpm.used).toBe(1);
    expect(state.windows.tpm.used).toBe(5);
    expect(state.reservations.map((r) => r.requestId)).toEqual(["a"]);
  });

  it("of several refusing dimensions, reports the longest wait so Retry-After suffices for all", async () => {
    setClock(T);
    const stub = freshKeyLimiter();
    expect((await admit(stub, { rpm: 1, rpd: 1 })).ok).toBe(true);
    expect(refusal(await admit(stub, { rpm: 1, rpd: 1 }))).toMatchObject({
      dimension: "rpd",
      retryAfterSeconds: 86_400,
    });
  });
});

describe("tpm", () => {
  it("reserves the estimate and settles to the actual tokens, down and up", async () => {
    setClock(T);
    const stub = freshKeyLimiter();
    const tpm = { tpm: 1_000 };
    expect((await admit(stub, tpm, 600, "t1")).ok).toBe(true);
    expect(refusal(await admit(stub, tpm, 600, "t2"))).toMatchObject({
      dimension: "tpm",
      limit: 1_000,
      retryAfterSeconds: 60,
    });
    vi.setSystemTime(T + 2_000);
    await stub.settle({ requestId: "t1", tokens: 150, costMicros: 0, record: null });
    expect((await stub.getState()).windows.tpm.used).toBe(150);
    expect((await admit(stub, tpm, 600, "t3")).ok).toBe(true);
    expect((await stub.getState()).windows.tpm.used).toBe(750);

    // The estimate was too low: the window now holds more than the limit, until those seconds pass.
    await stub.settle({ requestId: "t3", tokens: 1_200, costMicros: 0, record: null });
    expect((await stub.getState()).windows.tpm.used).toBe(1_350);
    expect(refusal(await admit(stub, tpm, 0, "t4"))).toMatchObject({ dimension: "tpm", retryAfterSeconds: 60 });
    // The tokens of second T leave at T + 60 s; those of second T + 2 (1 200 > 1 000) at T + 62 s.
    vi.setSystemTime(T + 60_000);
    expect(refusal(await admit(stub, tpm, 0, "t5")).retryAfterSeconds).toBe(2);
    vi.setSystemTime(T + 62_000);
    expect((await admit(stub, tpm, 1_000, "t6")).ok).toBe(true);
  });

  it("refuses for good a request whose tokens alone exceed the limit, consuming nothing", async () => {
    setClock(T);
    const stub = freshKeyLimiter();
    const result = await admit(stub, { tpm: 1_000, rpm: 10 }, 1_001);
    expect(result).toEqual({
      ok: false,
      kind: "rate",
      dimension: "tpm",
      retryAfterSeconds: 60,
      limit: 1_000,
      exceedsLimit: true,
    });
    const { windows } = await stub.getState();
    expect(windows.rpm.used).toBe(0);
    expect(windows.tpm.used).toBe(0);
  });

  it("ignores a settlement arriving after the admission second has left the window", async () => {
    setClock(T);
    const stub = freshKeyLimiter();
    expect((await admit(stub, { tpm: 1_000 }, 500, "late")).ok).toBe(true);
    vi.setSystemTime(T + 61_000);
    await stub.settle({ requestId: "late", tokens: 900, costMicros: 0, record: null });
    expect((await stub.getState()).windows.tpm.used).toBe(0);
    // The admission second's bucket is left as it was (it no longer counts) rather than rewritten.
    await runInDurableObject(stub, (_instance, state) => {
      expect(
        state.storage.sql.exec("SELECT bucket, amount FROM rate_buckets WHERE dimension = 'tpm'").toArray(),
      ).toEqual([{ bucket: T / 1000, amount: 500 }]);
    });
  });
});

describe("release, retries and storage", () => {
  it("release gives back the request in every window", async () => {
    setClock(T);
    const stub = freshKeyLimiter();
    const limits = { rpm: 1, rpd: 1, tpm: 100 };
    expect((await admit(stub, limits, 80, "r1")).ok).toBe(true);
    expect((await admit(stub, limits, 80, "r2")).ok).toBe(false);
    await stub.release("r1");
    expect((await stub.getState()).windows).toMatchObject({ rpm: { used: 0 }, rpd: { used: 0 }, tpm: { used: 0 } });
    expect((await admit(stub, limits, 80, "r3")).ok).toBe(true);
    await stub.release("r1"); // already released: nothing happens
    await stub.release("never-admitted");
    expect((await stub.getState()).windows).toMatchObject({ rpm: { used: 1 }, rpd: { used: 1 }, tpm: { used: 80 } });
  });

  it("admitting the same request id twice counts it once", async () => {
    setClock(T);
    const stub = freshKeyLimiter();
    const results = await Promise.all([admit(stub, { rpm: 5 }, 10, "dup"), admit(stub, { rpm: 5 }, 10, "dup")]);
    expect(results.every((r) => r.ok)).toBe(true);
    const state = await stub.getState();
    expect(state.windows.rpm.used).toBe(1);
    expect(state.reservations).toEqual([{ requestId: "dup", tokens: 10, reserveMicros: 0, at: T }]);
  });

  it("deletes buckets that have left their window", async () => {
    setClock(T);
    const stub = freshKeyLimiter();
    await admit(stub, { rpm: 5 }, 10, "old");
    await stub.settle({ requestId: "old", tokens: 10, costMicros: 0, record: null });
    vi.setSystemTime(T + 60_000);
    await admit(stub, { rpm: 5 }, 10, "new");
    const rows = await runInDurableObject(stub, (_instance, state) =>
      state.storage.sql
        .exec<{ dimension: string; bucket: number }>(
          "SELECT dimension, bucket FROM rate_buckets ORDER BY dimension, bucket",
        )
        .toArray(),
    );
    // rpm and tpm keep only second T + 60; rpd (1 min buckets) keeps both minutes.
    expect(rows).toEqual([
      { dimension: "rpd", bucket: T / 60_000 },
      { dimension: "rpd", bucket: T / 60_000 + 1 },
      { dimension: "rpm", bucket: T / 1000 + 60 },
      { dimension: "tpm", bucket: T / 1000 + 60 },
    ]);
  });

  it("keeps its windows and reservations across eviction", async () => {
    setClock(T);
    const stub = freshKeyLimiter();
    const results = await Promise.all(
      Array.from({ length: 4 }, (_, i) => admit(stub, { rpm: 3, tpm: 1_000 }, 100, `ev${i}`)),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(3);
    const before = await stub.getState();
    await evictDurableObject(stub);
    expect(await stub.getState()).toEqual(before);
    expect(refusal(await admit(stub, { rpm: 3, tpm: 1_000 }, 100))).toMatchObject({ dimension: "rpm" });
    expect(await stub.ping()).toEqual({ ok: true, schemaVersion: 2 });
  });

  it("rejects malformed amounts before counting anything", async () => {
    setClock(T);
    const stub = freshKeyLimiter();
    // Called on the instance: a rejecting RPC through a stub leaks an unhandled rejection in the
    // vitest pool (cloudflare/workers-sdk#14736), though callers see the error as expected.
    await runInDurableObject(stub, (instance) => {
      const request = { requestId: "bad", limits: { ...NO_LIMITS, rpm: 5 }, budgets: [] };
      expect(() => instance.admit({ ...request, tokens: -1 })).toThrow(/invalid tokens/);
      expect(() => instance.admit({ ...request, tokens: 1.5 })).toThrow(/invalid tokens/);
      expect(() => instance.admit({ ...request, tokens: 1, limits: { ...NO_LIMITS, rpm: Number.NaN } })).toThrow(
        /invalid limits.rpm/,
      );
      expect(() => instance.admit({ ...request, tokens: 1, budgets: [charge(), charge()] })).toThrow(/duplicate/);
      expect(() => instance.settle({ requestId: "bad", tokens: 1, costMicros: -5, record: null })).toThrow(
        /invalid costMicros/,
      );
    });
    const state = await stub.getState();
    expect(state.windows.rpm.used).toBe(0);
    expect(state.reservations).toEqual([]);
  });
});
