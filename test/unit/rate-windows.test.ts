import { describe, expect, it } from "vitest";
import {
  bucketAt,
  bucketLeavesAt,
  decideWindow,
  oldestLiveBucket,
  WINDOW_SPECS,
  type Bucket,
} from "../../durable-objects/rate-windows";

/** The window arithmetic of the rate limits: which buckets count, when a refusal may retry. */

const rpm = WINDOW_SPECS.rpm;
const rpd = WINDOW_SPECS.rpd;
const T0 = Date.UTC(2026, 2, 10, 12, 0, 0); // a whole minute

describe("window specs", () => {
  it("are 60 × 1 s for rpm and tpm, 1440 × 1 min for rpd", () => {
    expect(WINDOW_SPECS).toEqual({
      rpm: { bucketMs: 1000, buckets: 60 },
      rpd: { bucketMs: 60_000, buckets: 1440 },
      tpm: { bucketMs: 1000, buckets: 60 },
    });
  });

  it("count the current bucket and the 59 before it", () => {
    const now = T0 + 999;
    expect(bucketAt(now, rpm)).toBe(T0 / 1000);
    expect(oldestLiveBucket(now, rpm)).toBe(T0 / 1000 - 59);
    expect(bucketLeavesAt(T0 / 1000 - 59, rpm)).toBe(T0 + 1000);
  });
});

describe("decideWindow", () => {
  it("admits while the window plus the request stays within the limit", () => {
    const buckets: Bucket[] = [{ bucket: T0 / 1000, amount: 19 }];
    expect(decideWindow(buckets, T0, rpm, 20, 1)).toEqual({ ok: true });
    expect(decideWindow(buckets, T0, rpm, 19, 1)).toMatchObject({ ok: false, exceedsLimit: false });
  });

  it("ignores buckets that have left the window, and empty ones", () => {
    const buckets: Bucket[] = [
      { bucket: T0 / 1000 - 60, amount: 100 },
      { bucket: T0 / 1000 - 59, amount: 0 },
    ];
    expect(decideWindow(buckets, T0, rpm, 1, 1)).toEqual({ ok: true });
  });

  it("waits until the oldest bucket whose leaving makes room is gone", () => {
    const s = T0 / 1000;
    const buckets: Bucket[] = [
      { bucket: s - 50, amount: 5 },
      { bucket: s - 10, amount: 5 },
    ];
    // Full at 10: one more needs the bucket s-50 gone, at (s - 50 + 60) s = T0 + 10 s.
    expect(decideWindow(buckets, T0 + 300, rpm, 10, 1)).toEqual({
      ok: false,
      retryAfterSeconds: 10,
      exceedsLimit: false,
    });
    // Six tokens need both buckets gone: the second leaves at T0 + 50 s.
    expect(decideWindow(buckets, T0 + 300, rpm, 10, 6)).toEqual({
      ok: false,
      retryAfterSeconds: 50,
      exceedsLimit: false,
    });
  });

  it("rounds the wait up to whole seconds and never answers 0", () => {
    const s = T0 / 1000;
    const buckets: Bucket[] = [{ bucket: s - 59, amount: 1 }];
    // The bucket leaves at T0 + 1000 ms; 1 ms before that the answer is still 1 s.
    expect(decideWindow(buckets, T0 + 999, rpm, 1, 1)).toEqual({
      ok: false,
      retryAfterSeconds: 1,
      exceedsLimit: false,
    });
    expect(decideWindow(buckets, T0 + 1, rpm, 1, 1)).toEqual({ ok: false, retryAfterSeconds: 1, exceedsLimit: false });
    expect(decideWindow(buckets, T0 + 1000, rpm, 1, 1)).toEqual({ ok: true });
  });

  it("measures rpd in minutes: a full day waits for its oldest minute", () => {
    const m = T0 / 60_000;
    const buckets: Bucket[] = [
      { bucket: m - 1439, amount: 1 },
      { bucket: m, amount: 2 },
    ];
    expect(decideWindow(buckets, T0 + 30_000, rpd, 3, 1)).toEqual({
      ok: false,
      retryAfterSeconds: 30,
      exceedsLimit: false,
    });
    expect(decideWindow(buckets, T0 + 60_000, rpd, 3, 1)).toEqual({ ok: true });
  });

  it("refuses a request larger than the limit for good, with Retry-After 60", () => {
    expect(decideWindow([], T0, WINDOW_SPECS.tpm, 1000, 1001)).toEqual({
      ok: false,
      retryAfterSeconds: 60,
      exceedsLimit: true,
    });
    expect(decideWindow([], T0, WINDOW_SPECS.tpm, 1000, 1000)).toEqual({ ok: true });
  });

  it("handles a window pushed over the limit by a settlement", () => {
    const s = T0 / 1000;
    const buckets: Bucket[] = [
      { bucket: s - 30, amount: 1500 },
      { bucket: s - 5, amount: 200 },
    ];
    // 1700 in a 1000 window: 100 more fits once the 1500 leave (T0 + 30 s); 900 more needs both gone
    // (the 200 leave at T0 + 55 s).
    expect(decideWindow(buckets, T0, WINDOW_SPECS.tpm, 1000, 100)).toEqual({
      ok: false,
      retryAfterSeconds: 30,
      exceedsLimit: false,
    });
    expect(decideWindow(buckets, T0, WINDOW_SPECS.tpm, 1000, 900)).toEqual({
      ok: false,
      retryAfterSeconds: 55,
      exceedsLimit: false,
    });
    // 0 tokens still need the window back under the limit: the first leaving (T0 + 30 s) suffices.
    expect(decideWindow(buckets, T0, WINDOW_SPECS.tpm, 1000, 0)).toEqual({
      ok: false,
      retryAfterSeconds: 30,
      exceedsLimit: false,
    });
  });
});
