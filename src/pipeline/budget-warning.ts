import type { BudgetStatus } from "../../durable-objects/types";

/**
 * `X-LangWatch-Budget-Warning`: every budget at or above 80 % of its limit, a warn
 * budget past its limit included, as `project:month=93%,virtual_key:day=100%`, broadest scope first.
 *
 * The percentage is the budget's state as this request found it, without this request's own hold:
 * (spent + what other requests in flight reserve) / limit, whole percent rounded down. Admission
 * reserves every request's worst case (often the model's whole maximum output), so counting that
 * hold would warn about money the request will almost never spend; the other requests' holds stay
 * in, since they are spending against the same limit right now.
 */

export const BUDGET_WARNING_HEADER = "X-LangWatch-Budget-Warning";

/** A budget is reported in the warning header from this share of its limit. */
const WARN_AT_PERCENT = 80;

const SCOPE_ORDER: Record<BudgetStatus["scope"], number> = { project: 0, principal: 1, virtual_key: 2 };

/** Whole percent of the limit, rounded down (80 means at least 80 %). */
function percentWithout(status: BudgetStatus, ownReserveMicros: number): number {
  const used = status.spentMicros + Math.max(0, status.reservedMicros - ownReserveMicros);
  if (status.limitMicros <= 0) return used > 0 ? 100 : 0;
  return Math.floor((used * 100) / status.limitMicros);
}

/**
 * `statuses` are the budgets' counters right after this request's admission, which reserved
 * `ownReserveMicros` in each of them.
 */
export function budgetWarning(statuses: BudgetStatus[], ownReserveMicros: number): string | null {
  const hot = statuses
    .map((s) => ({ s, percent: percentWithout(s, ownReserveMicros) }))
    .filter(({ percent }) => percent >= WARN_AT_PERCENT)
    .sort((a, b) => SCOPE_ORDER[a.s.scope] - SCOPE_ORDER[b.s.scope])
    .map(({ s, percent }) => `${s.scope}:${s.window}=${percent}%`);
  return hot.length > 0 ? hot.join(",") : null;
}
