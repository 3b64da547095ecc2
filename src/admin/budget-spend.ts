import { periodOf } from "../../durable-objects/budget-periods";
import type { BudgetStatus } from "../../durable-objects/types";
import type { Logger } from "../lib/log";
import { budgetCounter, keyLimiter } from "../pipeline/counters";
import { budgetQuery, type BudgetRow } from "./repositories/budgets";

/**
 * A budget's live counters, read from the Durable Object that counts it (the key's KeyLimiter for
 * scope virtual_key, the project's or principal's BudgetCounter otherwise) through `getState`,
 * told the budget's limit and window as D1 has them now. One call per object, in parallel.
 */

export interface BudgetSpend {
  /** null when the object did not answer (logged as budget_state_unavailable). */
  spentMicros: number | null;
  reservedMicros: number | null;
  /** End of the current calendar period (UTC, epoch ms); null for `total`. */
  resetsAt: number | null;
}

/** Objects asked at once. */
const CONCURRENCY = 16;

async function statusesOf(
  env: Env,
  scope: BudgetRow["scope"],
  scopeId: string,
  rows: BudgetRow[],
): Promise<BudgetStatus[]> {
  const queries = rows.map(budgetQuery);
  if (scope === "virtual_key") return (await keyLimiter(env, scopeId).getState(queries)).budgets;
  return (await budgetCounter(env, scope, scopeId).getState(queries)).budgets;
}

/** Counters of a budget no object has been asked about, or whose object did not answer. */
function unknownSpend(row: BudgetRow, now: number): BudgetSpend {
  return { spentMicros: null, reservedMicros: null, resetsAt: periodOf(row.window, now).end };
}

/** The live spend of each budget, by id. */
export async function liveSpend(env: Env, rows: readonly BudgetRow[], log: Logger): Promise<Map<string, BudgetSpend>> {
  const groups = new Map<string, BudgetRow[]>();
  for (const row of rows) {
    const object = `${row.scope}:${row.scope_id}`;
    groups.set(object, [...(groups.get(object) ?? []), row]);
  }
  const spend = new Map<string, BudgetSpend>();
  const tasks = [...groups.entries()].map(([object, group]) => async () => {
    const first = group[0] as BudgetRow;
    try {
      const statuses = new Map((await statusesOf(env, first.scope, first.scope_id, group)).map((s) => [s.id, s]));
      for (const row of group) {
        const status = statuses.get(row.id);
        spend.set(
          row.id,
          status
            ? { spentMicros: status.spentMicros, reservedMicros: status.reservedMicros, resetsAt: status.resetsAt }
            : unknownSpend(row, Date.now()),
        );
      }
    } catch (err) {
      log.warn("budget_state_unavailable", { object, error: err instanceof Error ? err.message : String(err) });
      for (const row of group) spend.set(row.id, unknownSpend(row, Date.now()));
    }
  });
  for (let i = 0; i < tasks.length; i += CONCURRENCY)
    await Promise.all(tasks.slice(i, i + CONCURRENCY).map((t) => t()));
  return spend;
}
