import { afterEach, describe, expect, it, vi } from "vitest";
import { charge, freshKeyLimiter, setClock, usageRecord } from "../helpers/do-counters";

/** KeyLimiter.getState: the live windows, reservations, budgets and outbox of one key. */

const T = Date.UTC(2031, 7, 4, 16, 30, 0);

afterEach(() => {
  vi.useRealTimers();
});

describe("KeyLimiter.getState", () => {
  it("starts empty", async () => {
    const stub = freshKeyLimiter();
    expect(await stub.getState()).toEqual({
      windows: {
        rpm: { limit: null, used: 0, windowSeconds: 60, bucketSeconds: 1 },
        rpd: { limit: null, used: 0, windowSeconds: 86_400, bucketSeconds: 60 },
        tpm: { limit: null, used: 0, windowSeconds: 60, bucketSeconds: 1 },
      },
      reservations: [],
      budgets: [],
      outbox: { pending: 0, lastDrainAt: null, lastError: null },
    });
  });

  it("shows the windows, the reservations in flight, the budgets and the outbox", async () => {
    setClock(T);
    const stub = freshKeyLimiter();
    const limits = { rpm: 60, rpd: 1_000, tpm: 50_000 };
    const day = charge({
      id: "bdg_k_day",
      scope: "virtual_key",
      window: "day",
      limitMicros: 100_000,
      reserveMicros: 4_000,
    });
    const month = charge({
      id: "bdg_k_month",
      scope: "virtual_key",
      window: "month",
      limitMicros: 1_000_000,
      onBreach: "warn",
      reserveMicros: 4_000,
    });
    await stub.admit({ requestId: "grq_s1", limits, tokens: 1_200, budgets: [day, month] });
    vi.setSystemTime(T + 1_500);
    await stub.admit({ requestId: "grq_s2", limits, tokens: 800, budgets: [day, month] });
    vi.setSystemTime(T + 3_000);
    await stub.settle({
      requestId: "grq_s1",
      tokens: 900,
      costMicros: 2_500,
      record: usageRecord({ requestId: "grq_s1" }),
    });

    expect(await stub.getState()).toEqual({
      windows: {
        rpm: { limit: 60, used: 2, windowSeconds: 60, bucketSeconds: 1 },
        rpd: { limit: 1_000, used: 2, windowSeconds: 86_400, bucketSeconds: 60 },
        tpm: { limit: 50_000, used: 1_700, windowSeconds: 60, bucketSeconds: 1 },
      },
      reservations: [{ requestId: "grq_s2", tokens: 800, reserveMicros: 8_000, at: T + 1_500 }],
      budgets: [
        {
          id: "bdg_k_day",
          scope: "virtual_key",
          window: "day",
          spentMicros: 2_500,
          reservedMicros: 4_000,
          limitMicros: 100_000,
          onBreach: "block",
          percent: 6,
          periodStart: Date.UTC(2031, 7, 4),
          resetsAt: Date.UTC(2031, 7, 5),
        },
        {
          id: "bdg_k_month",
          scope: "virtual_key",
          window: "month",
          spentMicros: 2_500,
          reservedMicros: 4_000,
          limitMicros: 1_000_000,
          onBreach: "warn",
          percent: 0,
          periodStart: Date.UTC(2031, 7, 1),
          resetsAt: Date.UTC(2031, 8, 1),
        },
      ],
      outbox: { pending: 1, lastDrainAt: null, lastError: null },
    });

    // Asked with the budgets' current definitions (e.g. from D1), it reports those limits.
    const asked = await stub.getState([{ ...day, limitMicros: 10_000 }]);
    expect(asked.budgets).toEqual([expect.objectContaining({ id: "bdg_k_day", limitMicros: 10_000, percent: 65 })]);

    // A minute later the rpm and tpm windows have emptied; the day's count stays.
    vi.setSystemTime(T + 61_500);
    const later = await stub.getState();
    expect([later.windows.rpm.used, later.windows.tpm.used, later.windows.rpd.used]).toEqual([0, 0, 2]);
  });
});
