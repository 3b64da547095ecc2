import { DurableObject } from "cloudflare:workers";
import { AlarmClock } from "./alarm-clock";
import { budgetStatus } from "./budget-book";
import { migrateSchema, pingSchema, type SchemaMigrations } from "./schema";
import type { BudgetQuery, BudgetStatus } from "./types";

/**
 * What both counter classes (KeyLimiter, BudgetCounter) share: their SQLite handle, their single
 * alarm, the budget definitions already stored, a schema migrated before the first call, the
 * readiness probe, and the budget statuses they report.
 */
export abstract class CounterObject extends DurableObject<Env> {
  protected readonly sql: SqlStorage;
  protected readonly alarmClock: AlarmClock;
  /** Budget definitions already stored, by id (rememberDefinitions skips reading them again). */
  protected readonly knownDefinitions = new Map<string, string>();

  constructor(ctx: DurableObjectState, env: Env, migrations: SchemaMigrations) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.alarmClock = new AlarmClock(ctx.storage);
    void ctx.blockConcurrencyWhile(async () => {
      migrateSchema(ctx.storage, migrations);
      await this.alarmClock.load();
    });
  }

  /** Readiness: the object answers and its storage is at the expected schema version. */
  ping(): { ok: true; schemaVersion: number } {
    return pingSchema(this.sql);
  }

  protected statuses(budgets: readonly BudgetQuery[], now: number): BudgetStatus[] {
    return budgets.map((budget) => budgetStatus(this.sql, budget, now));
  }
}
