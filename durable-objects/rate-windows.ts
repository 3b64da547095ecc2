import type { Dimension } from "./types";

/**
 * Strict sliding windows over fixed-size buckets (pure arithmetic, no storage).
 *
 * A dimension's window is its last `buckets` buckets, the current one included: rpm and tpm are
 * 60 buckets of 1 s, rpd is 1440 buckets of 1 min. A request is admitted iff the amount counted in
 * that window plus the request's own amount stays within the limit. Because every admission sees all
 * earlier admissions of any window that contains it, no run of `buckets` consecutive buckets (any
 * 60 s at 1 s granularity for rpm/tpm, any 24 h at 1 min granularity for rpd) ever holds more than
 * the limit.
 */

export interface WindowSpec {
  bucketMs: number;
  buckets: number;
}

export const WINDOW_SPECS: Readonly<Record<Dimension, WindowSpec>> = {
  rpm: { bucketMs: 1_000, buckets: 60 },
  rpd: { bucketMs: 60_000, buckets: 1_440 },
  tpm: { bucketMs: 1_000, buckets: 60 },
};

export const DIMENSIONS: readonly Dimension[] = ["rpm", "rpd", "tpm"];

/** Retry-After when the request alone exceeds the limit and can never pass. */
export const NEVER_FITS_RETRY_AFTER_SECONDS = 60;

export interface Bucket {
  bucket: number;
  amount: number;
}

export type WindowDecision = { ok: true } | { ok: false; retryAfterSeconds: number; exceedsLimit: boolean };

/** The index of the bucket holding instant `nowMs`. */
export function bucketAt(nowMs: number, spec: WindowSpec): number {
  return Math.floor(nowMs / spec.bucketMs);
}

/** The oldest bucket still inside the window that ends at `nowMs`. */
export function oldestLiveBucket(nowMs: number, spec: WindowSpec): number {
  return bucketAt(nowMs, spec) - spec.buckets + 1;
}

/** The first instant at which `bucket` is no longer inside the window. */
export function bucketLeavesAt(bucket: number, spec: WindowSpec): number {
  return (bucket + spec.buckets) * spec.bucketMs;
}

/**
 * Decides whether `amount` more fits under `limit` given the live buckets (any order; buckets
 * outside the window are ignored). A refusal carries the whole seconds until enough of the oldest
 * buckets have left the window for this amount to fit, assuming nothing else is admitted meanwhile:
 * waiting that long suffices, one second less does not.
 */
export function decideWindow(
  buckets: readonly Bucket[],
  nowMs: number,
  spec: WindowSpec,
  limit: number,
  amount: number,
): WindowDecision {
  if (amount > limit) return { ok: false, retryAfterSeconds: NEVER_FITS_RETRY_AFTER_SECONDS, exceedsLimit: true };
  const oldest = oldestLiveBucket(nowMs, spec);
  const live = buckets.filter((b) => b.bucket >= oldest && b.amount > 0).sort((a, b) => a.bucket - b.bucket);
  const used = live.reduce((sum, b) => sum + b.amount, 0);
  const excess = used + amount - limit;
  if (excess <= 0) return { ok: true };
  let freed = 0;
  for (const b of live) {
    freed += b.amount;
    if (freed >= excess) {
      const waitMs = bucketLeavesAt(b.bucket, spec) - nowMs;
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)), exceedsLimit: false };
    }
  }
  // Unreachable: amount ≤ limit means freeing every live bucket always suffices.
  throw new Error("rate window arithmetic: excess larger than the window's contents");
}
