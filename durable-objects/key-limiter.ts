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
import { drainOutbox, enqueueRecord, nextDrainAt, OUTBOX_SCHEMA, outboxState } from "./outbox";
import {
  adjustBucket,
  checkRates,
  countRequest,
  newRateMemo,
  pruneBuckets,
  RATE_BUCKETS_SCHEMA,
  rememberLimits,
  windowStates,
} from "./rate-buckets";
import {
  createReservation,
  deleteReservation,
  findReservation,
  heldReservations,
  nextSweepAt,
  RESERVATION_TTL_MS,
  RESERVATIONS_SCHEMA,
} from "./reservations";
import type { SchemaMigrations } from "./schema";
import { sweepExpired } from "./sweep";
import type {
  AdmitResult,
  BudgetQuery,
  KeyAdmitRequest,
  KeySettleBatch,
  KeySettleRequest,
  KeyState,
  UsageRecord,
} from "./types";
import { checkKeyAdmit, checkKeySettleBatch, checkRequestId } from "./validate";

/**
 * One instance per virtual key (`idFromName(vkId)`): the only place that counts that key's requests,
 * tokens and key-scoped spend exactly under concurrency. It holds the key's rate windows (rpm, rpd,
 * tpm), its `virtual_key` budgets and its usage outbox, all in the object's SQLite, written through.
 *
 * Every RPC method is synchronous: it reads and writes the counters without awaiting anything, so
 * the runtime runs it to completion before the next call starts, and each runs in one storage
 * transaction (all or nothing). A request is checked against every limit and budget before any of
 * them is charged, so a refusal in one dimension consumes nothing in the others.
 */

/** Version 1: `schema_meta` only (readiness probe). Version 2: counters, reservations and outbox. */
const MIGRATIONS: SchemaMigrations = [
  [],
  [...RATE_BUCKETS_SCHEMA, ...BUDGET_BOOK_SCHEMA, ...RESERVATIONS_SCHEMA, ...OUTBOX_SCHEMA],
];

export class KeyLimiter extends CounterObject {
  private readonly rateMemo = newRateMemo();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, MIGRATIONS);
  }

  /**
   * Checks the rate limits (rpm, rpd, tpm with `tokens`), then the blocking budgets; if all pass,
   * counts the request in every window and reserves `reserveMicros` in every budget. Admitting a
   * request id that already holds a reservation changes nothing (a retried call is not counted twice).
   */
  admit(req: KeyAdmitRequest): AdmitResult {
    checkKeyAdmit(req);
    const now = Date.now();
    const result = this.ctx.storage.transactionSync((): AdmitResult => {
      if (findReservation(this.sql, req.requestId) !== null)
        return { ok: true, budgets: this.statuses(req.budgets, now) };
      pruneBuckets(this.sql, now, this.rateMemo);
      rememberLimits(this.sql, req.limits, this.rateMemo);
      rememberDefinitions(this.sql, req.budgets, this.knownDefinitions);
      const rate = checkRates(this.sql, now, req.limits, req.tokens);
      if (rate !== null) {
        const { dimension, retryAfterSeconds, limit, exceedsLimit } = rate;
        return {
          ok: false,
          kind: "rate",
          dimension,
          retryAfterSeconds,
          limit,
          ...(exceedsLimit ? { exceedsLimit: true as const } : {}),
        };
      }
      const blocking = firstBlockingBudget(this.sql, req.budgets, now);
      if (blocking !== null) return { ok: false, kind: "budget", budget: blocking };
      const buckets = countRequest(this.sql, now, req.tokens);
      const lines = reserveCharges(this.sql, req.budgets, now);
      createReservation(this.sql, { requestId: req.requestId, at: now, tokens: req.tokens, buckets, lines });
      return { ok: true, budgets: this.statuses(req.budgets, now) };
    });
    if (result.ok) this.alarmClock.ensureBy(now + RESERVATION_TTL_MS);
    return result;
  }

  /**
   * Replaces the reservation by the actual usage: the tpm bucket of the admission second moves by
   * (actual − estimated) tokens while it is still in the window, each budget's reservation becomes
   * `costMicros` of spend. `record` joins the outbox. Settling an unknown or already settled request
   * changes no counter (the record is still queued; the ledger ignores a request id it already has).
   */
  settle(req: KeySettleRequest): void {
    this.settleBatch({ settlements: [req], records: [] });
  }

  /**
   * What the gateway's settlement queue sends: many settlements (as `settle`) and ledger rows (as
   * `record`) in one call and one transaction, so a busy key costs one round trip per flush instead
   * of one per request. All or nothing: an invalid item rejects the whole batch before any write.
   */
  settleBatch(batch: KeySettleBatch): void {
    checkKeySettleBatch(batch);
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      for (const req of batch.settlements) this.settleOne(req, now);
      for (const rec of batch.records) enqueueRecord(this.sql, rec, now);
    });
    this.scheduleAlarm();
  }

  private settleOne(req: KeySettleRequest, now: number): void {
    const reservation = findReservation(this.sql, req.requestId);
    if (reservation !== null) {
      if (!reservation.expired && reservation.buckets !== null) {
        adjustBucket(this.sql, now, "tpm", reservation.buckets.tpm, req.tokens - reservation.tokens);
      }
      for (const line of reservation.lines) settleLine(this.sql, line, req.costMicros, !reservation.expired);
      deleteReservation(this.sql, req.requestId);
    }
    if (req.record !== null) enqueueRecord(this.sql, req.record, now);
  }

  /** Undoes everything `admit` did for this request (it was never dispatched). Unknown ids: no-op. */
  release(requestId: string): void {
    checkRequestId(requestId);
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      const reservation = findReservation(this.sql, requestId);
      if (reservation === null) return;
      if (!reservation.expired) {
        if (reservation.buckets !== null) {
          adjustBucket(this.sql, now, "rpm", reservation.buckets.rpm, -1);
          adjustBucket(this.sql, now, "rpd", reservation.buckets.rpd, -1);
          adjustBucket(this.sql, now, "tpm", reservation.buckets.tpm, -reservation.tokens);
        }
        for (const line of reservation.lines) releaseLine(this.sql, line);
      }
      deleteReservation(this.sql, requestId);
    });
  }

  /** Queues a ledger row for a request that was not admitted here (a key without limits or budgets). */
  record(rec: UsageRecord): void {
    this.settleBatch({ settlements: [], records: [rec] });
  }

  /**
   * The live windows, held reservations, budgets and outbox. `budgets` (as the bundle or D1 now
   * describes them) chooses which budgets to report and with which limits; without it, the budgets
   * this object has been charged for, as last described.
   */
  getState(budgets?: BudgetQuery[]): KeyState {
    const now = Date.now();
    return {
      windows: windowStates(this.sql, now),
      reservations: heldReservations(this.sql),
      budgets: this.statuses(budgets ?? knownBudgets(this.sql), now),
      outbox: outboxState(this.sql),
    };
  }

  /**
   * Expires stale reservations (their rate counts stay: the request was admitted and most likely
   * sent; their budget reservation is given back), deletes buckets that left their window, drains
   * the outbox to D1, and schedules itself again while there is work.
   */
  override async alarm(): Promise<void> {
    this.alarmClock.fired();
    const now = Date.now();
    sweepExpired(this.ctx.storage, now);
    pruneBuckets(this.sql, now);
    await drainOutbox(this.sql, this.env.DB);
    this.scheduleAlarm();
  }

  private scheduleAlarm(): void {
    this.alarmClock.ensureByEarliest([nextSweepAt(this.sql), nextDrainAt(this.sql)]);
  }
}
