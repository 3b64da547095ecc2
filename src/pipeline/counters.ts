import { budgetCounterName, keyLimiterName, type SharedScope } from "../contract/storage-names";
/**
 * Where a key's counters live: its KeyLimiter (rate windows, key-scoped budgets, the usage outbox),
 * named by the key's id, and one BudgetCounter per project or principal that has budgets, named
 * `project:<id>` / `principal:<id>`. Getting a stub does no I/O; each method call is one round trip.
 */

export type KeyLimiterStub = ReturnType<Env["KEY_LIMITER"]["get"]>;
export type BudgetCounterStub = ReturnType<Env["BUDGET_COUNTER"]["get"]>;

export function keyLimiter(env: Env, vkId: string): KeyLimiterStub {
  return env.KEY_LIMITER.get(env.KEY_LIMITER.idFromName(keyLimiterName(vkId)));
}

export function budgetCounter(env: Env, scope: SharedScope, scopeId: string): BudgetCounterStub {
  return budgetCounterNamed(env, budgetCounterName(scope, scopeId));
}

/** The BudgetCounter of a `budgetCounterName`. */
export function budgetCounterNamed(env: Env, name: string): BudgetCounterStub {
  return env.BUDGET_COUNTER.get(env.BUDGET_COUNTER.idFromName(name));
}
