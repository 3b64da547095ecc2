import { BUDGET_ON_BREACH, BUDGET_SCOPES, BUDGET_WINDOWS } from "../src/contract/budgets";
import {
  MAX_SETTLE_BATCH,
  type BudgetCharge,
  type KeyAdmitRequest,
  type KeySettleBatch,
  type KeySettleRequest,
  type RateLimits,
  type ScopeAdmitRequest,
  type ScopeSettleRequest,
  type UsageRecord,
} from "./types";

/**
 * Guards on what reaches the counters over RPC. The callers are the gateway's own code, so a
 * failure here is a programming error: it throws before anything is written, rather than letting
 * a NaN or a negative amount corrupt a counter or a malformed row block the outbox.
 */

function fail(what: string, value: unknown): never {
  throw new TypeError(`invalid ${what}: ${JSON.stringify(value)}`);
}

function count(what: string, value: unknown): void {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) fail(what, value);
}

function text(what: string, value: unknown): void {
  if (typeof value !== "string" || value.length === 0) fail(what, value);
}

function textOrNull(what: string, value: unknown): void {
  if (value !== null) text(what, value);
}

function oneOf(what: string, value: unknown, allowed: readonly string[]): void {
  if (typeof value !== "string" || !allowed.includes(value)) fail(what, value);
}

export function checkRequestId(requestId: unknown): void {
  text("requestId", requestId);
}

function checkLimits(limits: RateLimits): void {
  for (const dimension of ["rpm", "rpd", "tpm"] as const) {
    if (limits[dimension] !== null) count(`limits.${dimension}`, limits[dimension]);
  }
}

export function checkCharges(charges: readonly BudgetCharge[]): void {
  const list: unknown = charges;
  if (!Array.isArray(list)) fail("budgets", list);
  const ids = new Set<string>();
  for (const charge of charges) {
    text("budget id", charge.id);
    if (ids.has(charge.id)) fail("budgets (duplicate id)", charge.id);
    ids.add(charge.id);
    oneOf("budget scope", charge.scope, BUDGET_SCOPES);
    oneOf("budget window", charge.window, BUDGET_WINDOWS);
    oneOf("budget onBreach", charge.onBreach, BUDGET_ON_BREACH);
    count("budget limitMicros", charge.limitMicros);
    count("budget reserveMicros", charge.reserveMicros);
  }
}

export function checkUsageRecord(record: UsageRecord): void {
  text("record.requestId", record.requestId);
  count("record.at", record.at);
  text("record.vkId", record.vkId);
  text("record.projectId", record.projectId);
  textOrNull("record.principalId", record.principalId);
  textOrNull("record.provider", record.provider);
  textOrNull("record.model", record.model);
  count("record.inputTokens", record.inputTokens);
  count("record.outputTokens", record.outputTokens);
  count("record.cacheReadTokens", record.cacheReadTokens);
  count("record.cacheWriteTokens", record.cacheWriteTokens);
  if (record.costMicros !== null) count("record.costMicros", record.costMicros);
  oneOf("record.outcome", record.outcome, ["ok", "provider_4xx", "provider_error", "stream_failed", "cancelled"]);
}

export function checkKeyAdmit(req: KeyAdmitRequest): void {
  checkRequestId(req.requestId);
  checkLimits(req.limits);
  count("tokens", req.tokens);
  checkCharges(req.budgets);
}

export function checkKeySettle(req: KeySettleRequest): void {
  checkRequestId(req.requestId);
  count("tokens", req.tokens);
  count("costMicros", req.costMicros);
  if (req.record !== null) checkUsageRecord(req.record);
}

export function checkScopeAdmit(req: ScopeAdmitRequest): void {
  checkRequestId(req.requestId);
  checkCharges(req.budgets);
}

export function checkScopeSettle(req: ScopeSettleRequest): void {
  checkRequestId(req.requestId);
  count("costMicros", req.costMicros);
}

function batchOf(what: string, items: unknown): void {
  if (!Array.isArray(items) || items.length > MAX_SETTLE_BATCH)
    fail(`${what} (an array of at most ${MAX_SETTLE_BATCH})`, items);
}

export function checkKeySettleBatch(batch: KeySettleBatch): void {
  batchOf("settlements", batch.settlements);
  batchOf("records", batch.records);
  for (const req of batch.settlements) checkKeySettle(req);
  for (const rec of batch.records) checkUsageRecord(rec);
}

export function checkScopeSettleBatch(batch: readonly ScopeSettleRequest[]): void {
  batchOf("settlements", batch);
  for (const req of batch) checkScopeSettle(req);
}
