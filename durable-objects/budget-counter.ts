import { CounterObject } from "./counter-object";
import {
  BUDGET_BOOK_SCHEMA,
  firstBlockingBudget,
  knownBudgets,
  rememberDefinitions,
  releaseLine,
  reserveCharges,
  settleLine,
} from "./budget-book";
import {
  createReservation,
  deleteReservation,
  findReservation,
  nextSweepAt,
  RESERVATION_TTL_MS,
  RESERVATIONS_SCHEMA,
} from "./reservations";
import type { SchemaMigrations } from "./schema";
import { sweepExpired } from "./sweep";
import type { AdmitResult, BudgetQuery, ScopeAdmitRequest, ScopeSettleRequest, ScopeState } from "./types";
import { checkRequestId, checkScopeAdmit, checkScopeSettleBatch } from "./validate";

/**
 * One instance per budget scope shared by several keys: `idFromName("project:<id>")` or
 * `idFromName("principal:<id>")`. It holds that scope's budgets (spent and reserved micro-USD per
 * calendar period) in its SQLite, written through. Like KeyLimiter, every RPC method is synchronous
 * and transactional, so concurrent admissions from every edge are serialized here and a block
 * budget never admits more reservations than fit under its limit.
 */

/** Version 1: budget counters and reservations. */
const MIGRATIONS: SchemaMigrations = [[...BUDGET_BOOK_SCHEMA, ...RESERVATIONS_SCHEMA]];

export class BudgetCounter extends CounterObject {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, MIGRATIONS);
  }

  /**
   * Reserves `reserveMicros` in every budget if every blocking one can take it; otherwise refuses
   * with the first that cannot and reserves nothing. A request id that already holds a reservation
   * is not reserved twice.
   */
  admit(req: ScopeAdmitRequest): AdmitResult {
    checkScopeAdmit(req);
    const now = Date.now();
    const result = this.ctx.storage.transactionSync((): AdmitResult => {
      if (findReservation(this.sql, req.requestId) !== null)
        return { ok: true, budgets: this.statuses(req.budgets, now) };
      rememberDefinitions(this.sql, req.budgets, this.knownDefinitions);
      const blocking = firstBlockingBudget(this.sql, req.budgets, now);
      if (blocking !== null) return { ok: false, kind: "budget", budget: blocking };
      const lines = reserveCharges(this.sql, req.budgets, now);
      createReservation(this.sql, { requestId: req.requestId, at: now, tokens: 0, buckets: null, lines });
      return { ok: true, budgets: this.statuses(req.budgets, now) };
    });
    if (result.ok) this.alarmClock.ensureBy(now + RESERVATION_TTL_MS);
    return result;
  }

  /** The reservation becomes `costMicros` of spend in each budget; unknown or settled ids: no-op. */
  settle(req: ScopeSettleRequest): void {
    this.settleBatch([req]);
  }

  /** Many settlements in one call and one transaction (the gateway's settlement queue); all or nothing. */
  settleBatch(batch: ScopeSettleRequest[]): void {
    checkScopeSettleBatch(batch);
    this.ctx.storage.transactionSync(() => {
      for (const req of batch) {
        const reservation = findReservation(this.sql, req.requestId);
        if (reservation === null) continue;
        for (const line of reservation.lines) settleLine(this.sql, line, req.costMicros, !reservation.expired);
        deleteReservation(this.sql, req.requestId);
      }
    });
  }

  /** Gives the reservation back (the request was never dispatched); unknown ids: no-op. */
  release(requestId: string): void {
    checkRequestId(requestId);
    this.ctx.storage.transactionSync(() => {
      const reservation = findReservation(this.sql, requestId);
      if (reservation === null) return;
      if (!reservation.expired) for (const line of reservation.lines) releaseLine(this.sql, line);
      deleteReservation(this.sql, requestId);
    });
  }

  /**
   * The budgets' counters in their current periods. `budgets` (as D1 or the bundle describes them)
   * chooses which to report and with which limits; without it, the budgets this object has been
   * charged for, as last described.
   */
  getState(budgets?: BudgetQuery[]): ScopeState {
    const now = Date.now();
    return { budgets: this.statuses(budgets ?? knownBudgets(this.sql), now) };
  }

  /** Expires reservations nobody settled, prunes past periods, and schedules itself while needed. */
  override async alarm(): Promise<void> {
    this.alarmClock.fired();
    sweepExpired(this.ctx.storage, Date.now());
    this.alarmClock.ensureByEarliest([nextSweepAt(this.sql)]);
  }
}
