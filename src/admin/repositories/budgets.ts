import * as z from "zod";
import type { BudgetQuery } from "../../../durable-objects/types";
import { BUDGET_ON_BREACH, BUDGET_SCOPES, BUDGET_WINDOWS } from "../../contract/budgets";
import { formatUsd } from "../../pricing";
import { isoOrNull, isoString } from "../schemas/common";

/** Budgets in D1 (table budgets, migrations/0003) and their API view. Limits are integer micro-USD. */

const budgetRow = z.object({
  id: z.string(),
  scope: z.enum(BUDGET_SCOPES),
  scope_id: z.string(),
  window: z.enum(BUDGET_WINDOWS),
  limit_micros: z.number().int(),
  on_breach: z.enum(BUDGET_ON_BREACH),
  revision: z.number(),
  created_at: z.number(),
  updated_at: z.number(),
});
export type BudgetRow = z.output<typeof budgetRow>;

/** What a counting Durable Object is told of a budget when asked for its counters (`getState`). */
export const budgetQuery = (row: BudgetRow): BudgetQuery => ({
  id: row.id,
  scope: row.scope,
  window: row.window,
  limitMicros: row.limit_micros,
  onBreach: row.on_breach,
});

const COLUMNS = 'id, scope, scope_id, "window", limit_micros, on_breach, revision, created_at, updated_at';

export async function findBudget(db: D1Database, id: string): Promise<BudgetRow | null> {
  const row = await db.prepare(`SELECT ${COLUMNS} FROM budgets WHERE id = ?`).bind(id).first();
  return row ? budgetRow.parse(row) : null;
}

/** Newest first, optionally only one scope and/or one scope id. */
export async function listBudgets(
  db: D1Database,
  options: { scope?: BudgetRow["scope"]; scopeId?: string; limit: number },
): Promise<BudgetRow[]> {
  const { results } = await db
    .prepare(
      `SELECT ${COLUMNS} FROM budgets
        WHERE (?1 IS NULL OR scope = ?1) AND (?2 IS NULL OR scope_id = ?2)
        ORDER BY created_at DESC, rowid DESC LIMIT ?3`,
    )
    .bind(options.scope ?? null, options.scopeId ?? null, options.limit)
    .all();
  return results.map((r) => budgetRow.parse(r));
}

export function insertBudget(db: D1Database, row: BudgetRow): D1PreparedStatement {
  return db
    .prepare(`INSERT INTO budgets (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    .bind(
      row.id,
      row.scope,
      row.scope_id,
      row.window,
      row.limit_micros,
      row.on_breach,
      row.revision,
      row.created_at,
      row.updated_at,
    );
}

/** Sets the limit and on_breach if the budget is still at `revision` (optimistic concurrency). */
export function updateBudget(
  db: D1Database,
  id: string,
  revision: number,
  changes: { limitMicros: number; onBreach: BudgetRow["on_breach"] },
  now: number,
): D1PreparedStatement {
  return db
    .prepare(
      "UPDATE budgets SET limit_micros = ?, on_breach = ?, revision = revision + 1, updated_at = ? WHERE id = ? AND revision = ?",
    )
    .bind(changes.limitMicros, changes.onBreach, now, id, revision);
}

export function deleteBudget(db: D1Database, id: string): D1PreparedStatement {
  return db.prepare("DELETE FROM budgets WHERE id = ?").bind(id);
}

export interface Budget {
  id: string;
  scope: BudgetRow["scope"];
  scope_id: string;
  window: BudgetRow["window"];
  /** Decimal strings with six places ("100.000000"). */
  limit_usd: string;
  on_breach: BudgetRow["on_breach"];
  /** Spent in the current period, and held by requests in flight; null when the counters could not be read. */
  spent_usd: string | null;
  reserved_usd: string | null;
  /** When the current period ends and the counters restart; null for `total`. */
  resets_at: string | null;
  revision: number;
  created_at: string;
  updated_at: string;
}

export function budgetView(
  row: BudgetRow,
  spend: { spentMicros: number | null; reservedMicros: number | null; resetsAt: number | null },
): Budget {
  return {
    id: row.id,
    scope: row.scope,
    scope_id: row.scope_id,
    window: row.window,
    limit_usd: formatUsd(row.limit_micros),
    on_breach: row.on_breach,
    spent_usd: spend.spentMicros === null ? null : formatUsd(spend.spentMicros),
    reserved_usd: spend.reservedMicros === null ? null : formatUsd(spend.reservedMicros),
    resets_at: isoOrNull(spend.resetsAt),
    revision: row.revision,
    created_at: isoString(row.created_at),
    updated_at: isoString(row.updated_at),
  };
}
