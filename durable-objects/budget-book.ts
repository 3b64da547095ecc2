import { periodOf } from "./budget-periods";
import type { BudgetCharge, BudgetQuery, BudgetStatus } from "./types";
import { BUDGET_WINDOWS, type BudgetWindow } from "../src/contract/budgets";

/**
 * Budget counters in SQLite: per (budget, window, calendar period) the micro-USD spent and the
 * micro-USD reserved by requests in flight. The limit and on_breach are not stored as truth: they
 * come with each request (from the key's bundle), so a changed limit applies on the next request.
 * The last definition seen is kept only to describe the budget in the state view.
 */

export const BUDGET_BOOK_SCHEMA: readonly string[] = [
  `CREATE TABLE budget_periods (
     budget_id        TEXT NOT NULL,
     window           TEXT NOT NULL,
     period_start     INTEGER NOT NULL,
     spent_micros     INTEGER NOT NULL DEFAULT 0,
     reserved_micros  INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (budget_id, window, period_start)
   ) WITHOUT ROWID`,
  `CREATE TABLE budget_definitions (
     budget_id     TEXT PRIMARY KEY,
     scope         TEXT NOT NULL,
     window        TEXT NOT NULL,
     limit_micros  INTEGER NOT NULL,
     on_breach     TEXT NOT NULL
   )`,
];

/** What one request holds in one budget period (kept with the reservation until settled). */
export interface BudgetLine {
  budgetId: string;
  window: BudgetWindow;
  periodStart: number;
  reserveMicros: number;
}

interface Counters {
  spent: number;
  reserved: number;
}

function countersOf(sql: SqlStorage, budgetId: string, window: BudgetWindow, periodStart: number): Counters {
  const row = sql
    .exec<{ spent_micros: number; reserved_micros: number }>(
      "SELECT spent_micros, reserved_micros FROM budget_periods WHERE budget_id = ? AND window = ? AND period_start = ?",
      budgetId,
      window,
      periodStart,
    )
    .toArray()[0];
  return { spent: row?.spent_micros ?? 0, reserved: row?.reserved_micros ?? 0 };
}

/** Whole percent of the limit taken by spent + reserved, rounded down (so 80 means at least 80 %). */
export function percentOf(usedMicros: number, limitMicros: number): number {
  if (limitMicros <= 0) return usedMicros > 0 ? 100 : 0;
  return Math.floor((usedMicros * 100) / limitMicros);
}

/** The budget's counters in the period containing `nowMs`. */
export function budgetStatus(sql: SqlStorage, budget: BudgetQuery, nowMs: number): BudgetStatus {
  const period = periodOf(budget.window, nowMs);
  const { spent, reserved } = countersOf(sql, budget.id, budget.window, period.start);
  return {
    id: budget.id,
    scope: budget.scope,
    window: budget.window,
    spentMicros: spent,
    reservedMicros: reserved,
    limitMicros: budget.limitMicros,
    onBreach: budget.onBreach,
    percent: percentOf(spent + reserved, budget.limitMicros),
    periodStart: period.start,
    resetsAt: period.end,
  };
}

/** The first `block` budget that cannot take its reservation (spent + reserved + reserve > limit). */
export function firstBlockingBudget(
  sql: SqlStorage,
  charges: readonly BudgetCharge[],
  nowMs: number,
): BudgetStatus | null {
  for (const charge of charges) {
    if (charge.onBreach !== "block") continue;
    const status = budgetStatus(sql, charge, nowMs);
    if (status.spentMicros + status.reservedMicros + charge.reserveMicros > charge.limitMicros) return status;
  }
  return null;
}

/** Reserves every charge in its current period (warn budgets too, so their percent is honest). */
export function reserveCharges(sql: SqlStorage, charges: readonly BudgetCharge[], nowMs: number): BudgetLine[] {
  return charges.map((charge) => {
    const line: BudgetLine = {
      budgetId: charge.id,
      window: charge.window,
      periodStart: periodOf(charge.window, nowMs).start,
      reserveMicros: charge.reserveMicros,
    };
    addToPeriod(sql, line, 0, charge.reserveMicros);
    return line;
  });
}

function addToPeriod(sql: SqlStorage, line: BudgetLine, spentDelta: number, reservedDelta: number): void {
  sql.exec(
    "INSERT OR IGNORE INTO budget_periods (budget_id, window, period_start) VALUES (?, ?, ?)",
    line.budgetId,
    line.window,
    line.periodStart,
  );
  sql.exec(
    `UPDATE budget_periods SET spent_micros = MAX(0, spent_micros + ?), reserved_micros = MAX(0, reserved_micros + ?)
     WHERE budget_id = ? AND window = ? AND period_start = ?`,
    spentDelta,
    reservedDelta,
    line.budgetId,
    line.window,
    line.periodStart,
  );
}

/**
 * Settles a line: its reservation (if still held) leaves `reserved`, the actual cost joins `spent`
 * in the period the request was admitted in.
 */
export function settleLine(sql: SqlStorage, line: BudgetLine, costMicros: number, reservationHeld: boolean): void {
  addToPeriod(sql, line, costMicros, reservationHeld ? -line.reserveMicros : 0);
}

/** Gives a line's reservation back. */
export function releaseLine(sql: SqlStorage, line: BudgetLine): void {
  addToPeriod(sql, line, 0, -line.reserveMicros);
}

/** Stores each charged budget's definition, writing only when it changed. */
export function rememberDefinitions(
  sql: SqlStorage,
  charges: readonly BudgetCharge[],
  /** Definitions known to be stored (by budget id), so an unchanged one costs no storage read. */
  known?: Map<string, string>,
): void {
  for (const charge of charges) {
    const signature = `${charge.scope}|${charge.window}|${charge.limitMicros}|${charge.onBreach}`;
    if (known?.get(charge.id) === signature) continue;
    known?.set(charge.id, signature);
    const row = sql
      .exec<{ scope: string; window: string; limit_micros: number; on_breach: string }>(
        "SELECT scope, window, limit_micros, on_breach FROM budget_definitions WHERE budget_id = ?",
        charge.id,
      )
      .toArray()[0];
    if (
      row &&
      row.scope === charge.scope &&
      row.window === charge.window &&
      row.limit_micros === charge.limitMicros &&
      row.on_breach === charge.onBreach
    ) {
      continue;
    }
    sql.exec(
      "INSERT OR REPLACE INTO budget_definitions (budget_id, scope, window, limit_micros, on_breach) VALUES (?, ?, ?, ?, ?)",
      charge.id,
      charge.scope,
      charge.window,
      charge.limitMicros,
      charge.onBreach,
    );
  }
}

/** The budgets this object has been charged for, as last described by a request. */
export function knownBudgets(sql: SqlStorage): BudgetQuery[] {
  return sql
    .exec<{
      budget_id: string;
      scope: BudgetQuery["scope"];
      window: BudgetWindow;
      limit_micros: number;
      on_breach: BudgetQuery["onBreach"];
    }>("SELECT budget_id, scope, window, limit_micros, on_breach FROM budget_definitions ORDER BY budget_id")
    .toArray()
    .map((row) => ({
      id: row.budget_id,
      scope: row.scope,
      window: row.window,
      limitMicros: row.limit_micros,
      onBreach: row.on_breach,
    }));
}

/** Deletes the counters of past periods that no reservation still holds. */
export function prunePastPeriods(sql: SqlStorage, nowMs: number): void {
  for (const window of BUDGET_WINDOWS) {
    sql.exec(
      "DELETE FROM budget_periods WHERE window = ? AND period_start < ? AND reserved_micros = 0",
      window,
      periodOf(window, nowMs).start,
    );
  }
}
