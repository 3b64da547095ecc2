/**
 * The budget vocabulary (docs/api.md, budgets): who a budget applies to, the calendar window it
 * counts in, and what happens at its limit. The admin API, the bundles, the counting Durable Objects
 * and the CLI (pinned by test/unit/contract-vocabulary.test.ts) all use these lists.
 */

export const BUDGET_SCOPES = ["project", "virtual_key", "principal"] as const;
export const BUDGET_WINDOWS = ["hour", "day", "week", "month", "total"] as const;
export const BUDGET_ON_BREACH = ["block", "warn"] as const;

export type BudgetScope = (typeof BUDGET_SCOPES)[number];
export type BudgetWindow = (typeof BUDGET_WINDOWS)[number];
export type OnBreach = (typeof BUDGET_ON_BREACH)[number];
