import {
  bucketAt,
  decideWindow,
  DIMENSIONS,
  oldestLiveBucket,
  WINDOW_SPECS,
  type Bucket,
  type WindowDecision,
} from "./rate-windows";
import type { Dimension, RateLimits, WindowState } from "./types";

/**
 * The rate windows of one key in SQLite: one row per (dimension, bucket) with the requests or
 * tokens counted in it, plus the limits last seen in a request (for the state view). Buckets that
 * have left their window are deleted on every admission.
 */

export const RATE_BUCKETS_SCHEMA: readonly string[] = [
  `CREATE TABLE rate_buckets (
     dimension TEXT NOT NULL,
     bucket    INTEGER NOT NULL,
     amount    INTEGER NOT NULL,
     PRIMARY KEY (dimension, bucket)
   ) WITHOUT ROWID`,
  "CREATE TABLE rate_limits (dimension TEXT PRIMARY KEY, limit_value INTEGER)",
];

/** The buckets of each dimension this request was counted in (needed to undo or adjust it). */
export type CountedBuckets = Record<Dimension, number>;

function liveBuckets(sql: SqlStorage, dimension: Dimension, nowMs: number): Bucket[] {
  const oldest = oldestLiveBucket(nowMs, WINDOW_SPECS[dimension]);
  return sql
    .exec<{ bucket: number; amount: number }>(
      "SELECT bucket, amount FROM rate_buckets WHERE dimension = ? AND bucket >= ?",
      dimension,
      oldest,
    )
    .toArray();
}

/**
 * What a KeyLimiter remembers between calls so that its hot path skips storage work it does not
 * need: the oldest live bucket each dimension was last pruned to, and the limits last stored. Lost
 * on eviction, which only means the next call does that work again.
 */
export interface RateMemo {
  prunedTo: Partial<Record<Dimension, number>>;
  limits: RateLimits | null;
}

export const newRateMemo = (): RateMemo => ({ prunedTo: {}, limits: null });

/**
 * Deletes the buckets that have left their window; with a memo, only when the window has moved on
 * since the last prune (at most once a second for rpm/tpm, once a minute for rpd). Buckets left
 * behind meanwhile are outside the window, which every reader ignores.
 */
export function pruneBuckets(sql: SqlStorage, nowMs: number, memo?: RateMemo): void {
  for (const dimension of DIMENSIONS) {
    const oldest = oldestLiveBucket(nowMs, WINDOW_SPECS[dimension]);
    if (memo?.prunedTo[dimension] === oldest) continue;
    sql.exec("DELETE FROM rate_buckets WHERE dimension = ? AND bucket < ?", dimension, oldest);
    if (memo) memo.prunedTo[dimension] = oldest;
  }
}

/** What each dimension's window holds now (requests or tokens), summed by SQLite in one statement. */
function windowSums(sql: SqlStorage, nowMs: number): Record<Dimension, number> {
  const sums: Record<Dimension, number> = { rpm: 0, rpd: 0, tpm: 0 };
  const rows = sql.exec<{ dimension: string; used: number }>(
    `SELECT dimension, SUM(amount) AS used FROM rate_buckets
      WHERE (dimension = 'rpm' AND bucket >= ?) OR (dimension = 'rpd' AND bucket >= ?) OR (dimension = 'tpm' AND bucket >= ?)
      GROUP BY dimension`,
    oldestLiveBucket(nowMs, WINDOW_SPECS.rpm),
    oldestLiveBucket(nowMs, WINDOW_SPECS.rpd),
    oldestLiveBucket(nowMs, WINDOW_SPECS.tpm),
  );
  for (const row of rows) {
    if (row.dimension === "rpm" || row.dimension === "rpd" || row.dimension === "tpm") sums[row.dimension] = row.used;
  }
  return sums;
}

/** The amount (requests or tokens) each dimension of a request counts. */
export function amountsOf(tokens: number): Record<Dimension, number> {
  return { rpm: 1, rpd: 1, tpm: tokens };
}

export interface RateRefusal {
  dimension: Dimension;
  limit: number;
  retryAfterSeconds: number;
  exceedsLimit: boolean;
}

/**
 * Checks every limited dimension; null when the request fits all of them. Of several refusals, one
 * the request can never pass wins, else the longest wait (so Retry-After is enough for all).
 */
export function checkRates(sql: SqlStorage, nowMs: number, limits: RateLimits, tokens: number): RateRefusal | null {
  const amounts = amountsOf(tokens);
  if (DIMENSIONS.every((d) => limits[d] === null)) return null;
  // The common case costs one aggregate statement; a dimension's buckets are read only to time a refusal.
  const used = windowSums(sql, nowMs);
  let refusal: RateRefusal | null = null;
  for (const dimension of DIMENSIONS) {
    const limit = limits[dimension];
    if (limit === null) continue;
    if (amounts[dimension] <= limit && used[dimension] + amounts[dimension] <= limit) continue;
    const decision: WindowDecision = decideWindow(
      liveBuckets(sql, dimension, nowMs),
      nowMs,
      WINDOW_SPECS[dimension],
      limit,
      amounts[dimension],
    );
    if (decision.ok) continue;
    const candidate = {
      dimension,
      limit,
      retryAfterSeconds: decision.retryAfterSeconds,
      exceedsLimit: decision.exceedsLimit,
    };
    if (
      refusal === null ||
      (candidate.exceedsLimit && !refusal.exceedsLimit) ||
      (candidate.exceedsLimit === refusal.exceedsLimit && candidate.retryAfterSeconds > refusal.retryAfterSeconds)
    ) {
      refusal = candidate;
    }
  }
  return refusal;
}

/** Counts one request (and its tokens) in the current bucket of every dimension, in one statement. */
export function countRequest(sql: SqlStorage, nowMs: number, tokens: number): CountedBuckets {
  const counted: CountedBuckets = {
    rpm: bucketAt(nowMs, WINDOW_SPECS.rpm),
    rpd: bucketAt(nowMs, WINDOW_SPECS.rpd),
    tpm: bucketAt(nowMs, WINDOW_SPECS.tpm),
  };
  const upsert = " ON CONFLICT (dimension, bucket) DO UPDATE SET amount = amount + excluded.amount";
  if (tokens === 0) {
    sql.exec(
      `INSERT INTO rate_buckets (dimension, bucket, amount) VALUES ('rpm', ?, 1), ('rpd', ?, 1)${upsert}`,
      counted.rpm,
      counted.rpd,
    );
  } else {
    sql.exec(
      `INSERT INTO rate_buckets (dimension, bucket, amount) VALUES ('rpm', ?, 1), ('rpd', ?, 1), ('tpm', ?, ?)${upsert}`,
      counted.rpm,
      counted.rpd,
      counted.tpm,
      tokens,
    );
  }
  return counted;
}

/**
 * Adds `delta` (negative to take back) to a bucket a request was counted in, if that bucket is
 * still inside its window; a bucket that has left the window no longer matters. Never below zero.
 */
export function adjustBucket(
  sql: SqlStorage,
  nowMs: number,
  dimension: Dimension,
  bucket: number,
  delta: number,
): void {
  if (delta === 0 || bucket < oldestLiveBucket(nowMs, WINDOW_SPECS[dimension])) return;
  sql.exec(
    `INSERT INTO rate_buckets (dimension, bucket, amount) VALUES (?, ?, MAX(0, ?))
     ON CONFLICT (dimension, bucket) DO UPDATE SET amount = MAX(0, amount + ?)`,
    dimension,
    bucket,
    delta,
    delta,
  );
}

/** Stores the limits a request carried, writing only when they changed. */
export function rememberLimits(sql: SqlStorage, limits: RateLimits, memo?: RateMemo): void {
  const known = memo?.limits;
  if (known && DIMENSIONS.every((d) => known[d] === limits[d])) return;
  const stored = storedLimits(sql);
  for (const dimension of DIMENSIONS) {
    if (stored[dimension] === limits[dimension]) continue;
    sql.exec("INSERT OR REPLACE INTO rate_limits (dimension, limit_value) VALUES (?, ?)", dimension, limits[dimension]);
  }
  if (memo) memo.limits = { ...limits };
}

function storedLimits(sql: SqlStorage): RateLimits {
  const limits: RateLimits = { rpm: null, rpd: null, tpm: null };
  for (const row of sql.exec<{ dimension: string; limit_value: number | null }>(
    "SELECT dimension, limit_value FROM rate_limits",
  )) {
    if (row.dimension === "rpm" || row.dimension === "rpd" || row.dimension === "tpm")
      limits[row.dimension] = row.limit_value;
  }
  return limits;
}

/** Each dimension's last-seen limit and what its window holds now. */
export function windowStates(sql: SqlStorage, nowMs: number): Record<Dimension, WindowState> {
  const limits = storedLimits(sql);
  const stateOf = (dimension: Dimension): WindowState => {
    const spec = WINDOW_SPECS[dimension];
    return {
      limit: limits[dimension],
      used: liveBuckets(sql, dimension, nowMs).reduce((sum, b) => sum + b.amount, 0),
      windowSeconds: (spec.bucketMs * spec.buckets) / 1000,
      bucketSeconds: spec.bucketMs / 1000,
    };
  };
  return { rpm: stateOf("rpm"), rpd: stateOf("rpd"), tpm: stateOf("tpm") };
}
