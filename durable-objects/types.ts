import type { BudgetScope, BudgetWindow, OnBreach } from "../src/contract/budgets";

/**
 * The shapes exchanged with the counting Durable Objects (KeyLimiter, BudgetCounter) over RPC.
 * The pipeline imports these; the objects implement them. Money is integer micro-USD, times are
 * epoch milliseconds from the object's own clock.
 */

/** A rate-limit dimension of one key. */
export type Dimension = "rpm" | "rpd" | "tpm";

/** A budget as the request knows it (from the key's bundle), plus what this request reserves in it. */
export interface BudgetCharge {
  id: string;
  scope: BudgetScope;
  window: BudgetWindow;
  limitMicros: number;
  onBreach: OnBreach;
  /** Worst-case cost of the request, held until settlement. */
  reserveMicros: number;
}

/** A budget's counters in its current period. */
export interface BudgetStatus {
  id: string;
  scope: BudgetScope;
  window: BudgetWindow;
  spentMicros: number;
  reservedMicros: number;
  limitMicros: number;
  onBreach: OnBreach;
  /** (spent + reserved) / limit × 100, rounded down to a whole percent. */
  percent: number;
  /** Start of the current calendar period (UTC, epoch ms); 0 for `total`. */
  periodStart: number;
  /** When the period ends and the counters start at zero again; null for `total`. */
  resetsAt: number | null;
}

export type AdmitResult =
  /** Admitted; `budgets` are the statuses after this request's reservation. */
  | { ok: true; budgets: BudgetStatus[] }
  /**
   * `exceedsLimit` is set when the request alone is larger than the limit (tpm: its tokens), so it
   * can never pass; `retryAfterSeconds` is then 60, but the gateway sends no Retry-After for it.
   */
  | { ok: false; kind: "rate"; dimension: Dimension; retryAfterSeconds: number; limit: number; exceedsLimit?: true }
  /** The first blocking budget that refused (its status without this request's reservation). */
  | { ok: false; kind: "budget"; budget: BudgetStatus };

export interface RateLimits {
  rpm: number | null;
  rpd: number | null;
  tpm: number | null;
}

export interface KeyAdmitRequest {
  requestId: string;
  limits: RateLimits;
  /** Estimated tokens reserved in tpm (prompt estimate + max output). */
  tokens: number;
  budgets: BudgetCharge[];
}

export type UsageOutcome = "ok" | "provider_4xx" | "provider_error" | "stream_failed" | "cancelled";

/** One row of the D1 `usage_ledger`, queued in a KeyLimiter's outbox until its alarm drains it. */
export interface UsageRecord {
  requestId: string;
  at: number;
  vkId: string;
  projectId: string;
  principalId: string | null;
  provider: string | null;
  model: string | null;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** null when no price was known for the model. */
  costMicros: number | null;
  outcome: UsageOutcome;
}

export interface KeySettleRequest {
  requestId: string;
  /** Actual tokens used (0 when the request failed before any usage). */
  tokens: number;
  /** Actual cost (0 when failed or unknown). */
  costMicros: number;
  /** The ledger row to queue, or null to settle counters only. */
  record: UsageRecord | null;
}

/**
 * What one flush of the gateway's settlement queue hands a KeyLimiter: the settlements of requests it
 * admitted and the ledger rows of requests it did not, applied in one transaction.
 */
export interface KeySettleBatch {
  settlements: KeySettleRequest[];
  records: UsageRecord[];
}

/** The most items one settlement batch may carry (the gateway flushes well before). */
export const MAX_SETTLE_BATCH = 500;

export interface WindowState {
  limit: number | null;
  /** Requests (rpm, rpd) or tokens (tpm) counted in the window ending now. */
  used: number;
  windowSeconds: number;
  bucketSeconds: number;
}

export interface ReservationState {
  requestId: string;
  tokens: number;
  /** Sum reserved across this object's budgets. */
  reserveMicros: number;
  at: number;
}

export interface OutboxState {
  pending: number;
  lastDrainAt: number | null;
  lastError: string | null;
}

export interface KeyState {
  windows: Record<Dimension, WindowState>;
  reservations: ReservationState[];
  budgets: BudgetStatus[];
  outbox: OutboxState;
}

export interface ScopeAdmitRequest {
  requestId: string;
  budgets: BudgetCharge[];
}

export interface ScopeSettleRequest {
  requestId: string;
  costMicros: number;
}

/** A budget named to BudgetCounter.getState (so a budget without any spend still shows). */
export interface BudgetQuery {
  id: string;
  scope: BudgetScope;
  window: BudgetWindow;
  limitMicros: number;
  onBreach: OnBreach;
}

export interface ScopeState {
  budgets: BudgetStatus[];
}
