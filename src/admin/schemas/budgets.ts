import * as z from "zod";
import { BUDGET_ON_BREACH, BUDGET_SCOPES, BUDGET_WINDOWS } from "../../contract/budgets";
import { decimalUsdToMicros } from "../../pricing";
import { listLimit } from "./common";

/** Request bodies and query of /admin/v1/budgets (docs/api.md, Budgets). Money arrives as decimal strings. */

/** At most 9 whole digits, so the limit in micro-USD stays an exact integer (< 2^53). */
const LIMIT_USD = /^\d{1,9}(\.\d{1,6})?$/;

/** `"100.00"` → 100 000 000 µUSD; a string, so no float ever rounds it. */
export const limitUsd = z
  .string()
  .regex(LIMIT_USD, 'must be a decimal string of dollars with at most 6 decimal places, e.g. "100.00"')
  .transform((text) => decimalUsdToMicros(text) ?? 0)
  .refine((micros) => micros > 0, { error: "must be more than zero" });

const scope = z.enum(BUDGET_SCOPES);
const window = z.enum(BUDGET_WINDOWS);
const onBreach = z.enum(BUDGET_ON_BREACH);
/** A project id, a virtual key id, or a principal id (free text, as on the keys). */
const scopeId = z.string().min(1).max(256);

export const createBudgetBody = z.strictObject({
  scope,
  scope_id: scopeId,
  window,
  limit_usd: limitUsd,
  on_breach: onBreach.default("block"),
});

/**
 * Only the limit and on_breach change. scope, scope_id and window are accepted only with their
 * current values (the handler says how to move a budget instead), so a full object read from GET
 * can be sent back with one field changed.
 */
export const updateBudgetBody = z.strictObject({
  limit_usd: limitUsd.optional(),
  on_breach: onBreach.optional(),
  scope: scope.optional(),
  scope_id: scopeId.optional(),
  window: window.optional(),
});

export const listBudgetsQuery = z.strictObject({
  scope: scope.optional(),
  scope_id: scopeId.optional(),
  limit: listLimit,
});
