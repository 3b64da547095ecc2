import type { BudgetStatus } from "../../durable-objects/types";

/**
 * `X-LangWatch-Budget-Warning` (contract §3): every budget at or above 80 % of its limit once this
 * request's worst case is reserved (spent + reserved, whole percent rounded down), a warn budget
 * past its limit included, as `project:month=93%,virtual_key:day=100%`, broadest scope first.
 */

export const BUDGET_WARNING_HEADER = "X-LangWatch-Budget-Warning";

/** A budget is reported in the warning header from this share of its limit. */
const WARN_AT_PERCENT = 80;

const SCOPE_ORDER: Record<BudgetStatus["scope"], number> = { project: 0, principal: 1, virtual_key: 2 };

export function budgetWarning(statuses: BudgetStatus[]): string | null {
  const hot = statuses
    .filter((s) => s.percent >= WARN_AT_PERCENT)
    .sort((a, b) => SCOPE_ORDER[a.scope] - SCOPE_ORDER[b.scope])
    .map((s) => `${s.scope}:${s.window}=${s.percent}%`);
  return hot.length > 0 ? hot.join(",") : null;
}
