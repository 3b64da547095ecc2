import { env } from "cloudflare:workers";
import { vi } from "vitest";
import type { BudgetCounter } from "../../durable-objects/budget-counter";
import type { KeyLimiter } from "../../durable-objects/key-limiter";
import type { LedgerDatabase } from "../../durable-objects/outbox";
import type { BudgetCharge, RateLimits, UsageRecord } from "../../durable-objects/types";

/**
 * Helpers for the Durable Object counter tests: fresh objects under unique names (the workerd
 * project shares storage across files), budget charges, ledger rows, a controllable clock and a
 * ledger database that fails.
 */

export function freshKeyLimiter(): DurableObjectStub<KeyLimiter> {
  return env.KEY_LIMITER.get(env.KEY_LIMITER.idFromName(`vk_test_${crypto.randomUUID()}`));
}

export function freshBudgetCounter(): DurableObjectStub<BudgetCounter> {
  return env.BUDGET_COUNTER.get(env.BUDGET_COUNTER.idFromName(`project:test_${crypto.randomUUID()}`));
}

export const NO_LIMITS: RateLimits = { rpm: null, rpd: null, tpm: null };

export function charge(overrides: Partial<BudgetCharge> = {}): BudgetCharge {
  return {
    id: "bdg_test",
    scope: "project",
    window: "month",
    limitMicros: 10_000,
    onBreach: "block",
    reserveMicros: 1_000,
    ...overrides,
  };
}

export function usageRecord(overrides: Partial<UsageRecord> = {}): UsageRecord {
  return {
    requestId: `grq_${crypto.randomUUID()}`,
    at: Date.now(),
    vkId: "vk_ledger_test",
    projectId: "prj_ledger_test",
    principalId: null,
    provider: "openai",
    model: "gpt-4o-mini",
    inputTokens: 10,
    outputTokens: 5,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    costMicros: 42,
    outcome: "ok",
    ...overrides,
  };
}

/**
 * Fakes only `Date` (timers stay real) and sets it to `at`. Times in tests lie years ahead of the
 * real clock, so alarms the objects schedule never fire on their own: tests run them explicitly.
 */
export function setClock(at: number): void {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(at);
}

/** A ledger database whose writes fail (reads go to the real D1). */
export function failingLedger(message = "D1_ERROR: simulated outage"): LedgerDatabase {
  return {
    prepare: (query: string) => env.DB.prepare(query),
    batch: () => Promise.reject(new Error(message)),
  };
}
