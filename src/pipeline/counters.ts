/**
 * Where a key's counters live: its KeyLimiter (rate windows, key-scoped budgets, the usage outbox),
 * named by the key's id, and one BudgetCounter per project or principal that has budgets, named
 * `project:<id>` / `principal:<id>`. Getting a stub does no I/O; each method call is one round trip.
 */

export type KeyLimiterStub = ReturnType<Env["KEY_LIMITER"]["get"]>;
export type BudgetCounterStub = ReturnType<Env["BUDGET_COUNTER"]["get"]>;

/** A budget scope other than the key itself: counted in its own object, shared by all its keys. */
export type SharedScope = "project" | "principal";

export function keyLimiter(env: Env, vkId: string): KeyLimiterStub {
  return env.KEY_LIMITER.get(env.KEY_LIMITER.idFromName(vkId));
}

/** The object's name, also how logs and errors refer to it. */
export const budgetCounterName = (scope: SharedScope, scopeId: string): string => `${scope}:${scopeId}`;

export function budgetCounter(env: Env, scope: SharedScope, scopeId: string): BudgetCounterStub {
  return budgetCounterNamed(env, budgetCounterName(scope, scopeId));
}

/** The BudgetCounter of a `budgetCounterName`. */
export function budgetCounterNamed(env: Env, name: string): BudgetCounterStub {
  return env.BUDGET_COUNTER.get(env.BUDGET_COUNTER.idFromName(name));
}
