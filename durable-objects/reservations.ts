import type { BudgetLine } from "./budget-book";
import type { CountedBuckets } from "./rate-buckets";
import type { ReservationState } from "./types";
import type { BudgetWindow } from "../src/contract/budgets";

/**
 * What an admitted request holds until it is settled or released: the rate buckets it was counted
 * in (KeyLimiter only), its token estimate, and its budget lines. A reservation nobody settles
 * within RESERVATION_TTL_MS is expired by the alarm sweep: its budget reservation is given back,
 * and a tombstone stays for TOMBSTONE_TTL_MS so that a late settlement still books the real spend
 * exactly once.
 */

export const RESERVATION_TTL_MS = 15 * 60_000;
export const TOMBSTONE_TTL_MS = 24 * 60 * 60_000;

export const RESERVATIONS_SCHEMA: readonly string[] = [
  `CREATE TABLE reservations (
     request_id  TEXT PRIMARY KEY,
     at          INTEGER NOT NULL,
     tokens      INTEGER NOT NULL DEFAULT 0,
     rpm_bucket  INTEGER,
     rpd_bucket  INTEGER,
     tpm_bucket  INTEGER,
     expired_at  INTEGER
   )`,
  "CREATE INDEX reservations_held_at ON reservations (at) WHERE expired_at IS NULL",
  "CREATE INDEX reservations_expired_at ON reservations (expired_at) WHERE expired_at IS NOT NULL",
  `CREATE TABLE reservation_lines (
     request_id      TEXT NOT NULL,
     budget_id       TEXT NOT NULL,
     window          TEXT NOT NULL,
     period_start    INTEGER NOT NULL,
     reserve_micros  INTEGER NOT NULL,
     PRIMARY KEY (request_id, budget_id)
   ) WITHOUT ROWID`,
];

export interface Reservation {
  requestId: string;
  at: number;
  tokens: number;
  /** Where the request was counted in the rate windows; null in a BudgetCounter. */
  buckets: CountedBuckets | null;
  lines: BudgetLine[];
  /** True once the sweep expired it (its budget reservation is already given back). */
  expired: boolean;
}

/** A row as SQLite returns it (a type alias: row types need an implicit index signature). */
type ReservationRow = {
  request_id: string;
  at: number;
  tokens: number;
  rpm_bucket: number | null;
  rpd_bucket: number | null;
  tpm_bucket: number | null;
  expired_at: number | null;
};

export function createReservation(sql: SqlStorage, reservation: Omit<Reservation, "expired">): void {
  const b = reservation.buckets;
  sql.exec(
    "INSERT INTO reservations (request_id, at, tokens, rpm_bucket, rpd_bucket, tpm_bucket) VALUES (?, ?, ?, ?, ?, ?)",
    reservation.requestId,
    reservation.at,
    reservation.tokens,
    b?.rpm ?? null,
    b?.rpd ?? null,
    b?.tpm ?? null,
  );
  for (const line of reservation.lines) {
    sql.exec(
      "INSERT INTO reservation_lines (request_id, budget_id, window, period_start, reserve_micros) VALUES (?, ?, ?, ?, ?)",
      reservation.requestId,
      line.budgetId,
      line.window,
      line.periodStart,
      line.reserveMicros,
    );
  }
}

function linesOf(sql: SqlStorage, requestId: string): BudgetLine[] {
  return sql
    .exec<{ budget_id: string; window: BudgetWindow; period_start: number; reserve_micros: number }>(
      "SELECT budget_id, window, period_start, reserve_micros FROM reservation_lines WHERE request_id = ? ORDER BY budget_id",
      requestId,
    )
    .toArray()
    .map((row) => ({
      budgetId: row.budget_id,
      window: row.window,
      periodStart: row.period_start,
      reserveMicros: row.reserve_micros,
    }));
}

function fromRow(sql: SqlStorage, row: ReservationRow): Reservation {
  const buckets =
    row.rpm_bucket !== null && row.rpd_bucket !== null && row.tpm_bucket !== null
      ? { rpm: row.rpm_bucket, rpd: row.rpd_bucket, tpm: row.tpm_bucket }
      : null;
  return {
    requestId: row.request_id,
    at: row.at,
    tokens: row.tokens,
    buckets,
    lines: linesOf(sql, row.request_id),
    expired: row.expired_at !== null,
  };
}

export function findReservation(sql: SqlStorage, requestId: string): Reservation | null {
  const row = sql.exec<ReservationRow>("SELECT * FROM reservations WHERE request_id = ?", requestId).toArray()[0];
  return row ? fromRow(sql, row) : null;
}

export function deleteReservation(sql: SqlStorage, requestId: string): void {
  sql.exec("DELETE FROM reservation_lines WHERE request_id = ?", requestId);
  sql.exec("DELETE FROM reservations WHERE request_id = ?", requestId);
}

/** Marks the held reservations older than the TTL as expired and returns them (for the caller to give back). */
export function expireStale(sql: SqlStorage, nowMs: number): Reservation[] {
  const stale = sql
    .exec<ReservationRow>(
      "SELECT * FROM reservations WHERE expired_at IS NULL AND at <= ? ORDER BY at",
      nowMs - RESERVATION_TTL_MS,
    )
    .toArray()
    .map((row) => fromRow(sql, row));
  for (const reservation of stale) {
    sql.exec("UPDATE reservations SET expired_at = ? WHERE request_id = ?", nowMs, reservation.requestId);
  }
  return stale;
}

/** Forgets tombstones older than their TTL. */
export function pruneTombstones(sql: SqlStorage, nowMs: number): void {
  const cutoff = nowMs - TOMBSTONE_TTL_MS;
  sql.exec(
    "DELETE FROM reservation_lines WHERE request_id IN (SELECT request_id FROM reservations WHERE expired_at <= ?)",
    cutoff,
  );
  sql.exec("DELETE FROM reservations WHERE expired_at <= ?", cutoff);
}

/** The reservations still held, oldest first, with their total budget reservation. */
export function heldReservations(sql: SqlStorage): ReservationState[] {
  return sql
    .exec<{ request_id: string; tokens: number; at: number; reserve_micros: number }>(
      `SELECT r.request_id, r.tokens, r.at, COALESCE(SUM(l.reserve_micros), 0) AS reserve_micros
       FROM reservations r LEFT JOIN reservation_lines l ON l.request_id = r.request_id
       WHERE r.expired_at IS NULL GROUP BY r.request_id ORDER BY r.at, r.request_id`,
    )
    .toArray()
    .map((row) => ({ requestId: row.request_id, tokens: row.tokens, reserveMicros: row.reserve_micros, at: row.at }));
}

/** When the sweep next has something to do (expire a reservation or forget a tombstone); null if never. */
export function nextSweepAt(sql: SqlStorage): number | null {
  const row = sql
    .exec<{ held: number | null; tomb: number | null }>(
      `SELECT (SELECT MIN(at) FROM reservations WHERE expired_at IS NULL) AS held,
              (SELECT MIN(expired_at) FROM reservations WHERE expired_at IS NOT NULL) AS tomb`,
    )
    .one();
  const due = [
    row.held === null ? null : row.held + RESERVATION_TTL_MS,
    row.tomb === null ? null : row.tomb + TOMBSTONE_TTL_MS,
  ];
  const times = due.filter((t): t is number => t !== null);
  return times.length === 0 ? null : Math.min(...times);
}
