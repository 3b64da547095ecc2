import type { OutboxState, UsageRecord } from "./types";

/**
 * The usage outbox of a KeyLimiter: ledger rows wait in the object's SQLite until its alarm copies
 * them to D1 `usage_ledger` with INSERT OR IGNORE (keyed by request id), in batches. A batch leaves
 * the outbox only after D1 accepted it, so a crash or a retried alarm re-sends at worst rows D1
 * already has, which it ignores: nothing is lost and nothing counts twice. D1 errors are recorded
 * and retried with exponential backoff.
 */

export const OUTBOX_SCHEMA: readonly string[] = [
  `CREATE TABLE outbox (
     seq          INTEGER PRIMARY KEY AUTOINCREMENT,
     request_id   TEXT NOT NULL UNIQUE,
     record       TEXT NOT NULL,
     enqueued_at  INTEGER NOT NULL
   )`,
  `CREATE TABLE outbox_status (
     id             INTEGER PRIMARY KEY CHECK (id = 1),
     last_drain_at  INTEGER,
     last_error     TEXT,
     failures       INTEGER NOT NULL DEFAULT 0,
     retry_at       INTEGER
   )`,
  "INSERT INTO outbox_status (id) VALUES (1)",
];

/** Rows per D1 batch (one transaction, one round trip). */
export const OUTBOX_BATCH_SIZE = 100;
/** Batches per drain; a longer backlog continues in an immediate follow-up alarm. */
export const OUTBOX_BATCHES_PER_DRAIN = 5;
/** How long a new row waits so that rows arriving together share a batch. */
export const OUTBOX_FLUSH_DELAY_MS = 5_000;
const BACKOFF_BASE_MS = 5_000;
const BACKOFF_MAX_MS = 5 * 60_000;

/** Wait before the next attempt after `failures` consecutive D1 failures (5 s doubling, at most 5 min). */
export function drainBackoffMs(failures: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, failures - 1));
}

/** Queues a ledger row; a row for a request id already queued is kept as it is. */
export function enqueueRecord(sql: SqlStorage, record: UsageRecord, nowMs: number): void {
  sql.exec(
    "INSERT OR IGNORE INTO outbox (request_id, record, enqueued_at) VALUES (?, ?, ?)",
    record.requestId,
    JSON.stringify(record),
    nowMs,
  );
}

/** A row as SQLite returns it (a type alias: row types need an implicit index signature). */
type StatusRow = {
  last_drain_at: number | null;
  last_error: string | null;
  failures: number;
  retry_at: number | null;
};

function statusRow(sql: SqlStorage): StatusRow {
  return sql
    .exec<StatusRow>("SELECT last_drain_at, last_error, failures, retry_at FROM outbox_status WHERE id = 1")
    .one();
}

export function outboxState(sql: SqlStorage): OutboxState {
  const status = statusRow(sql);
  const pending = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n;
  return { pending, lastDrainAt: status.last_drain_at, lastError: status.last_error };
}

/** When the alarm should next drain: null when the outbox is empty; never before a backoff ends. */
export function nextDrainAt(sql: SqlStorage): number | null {
  const oldest = sql.exec<{ at: number | null }>("SELECT MIN(enqueued_at) AS at FROM outbox").one().at;
  if (oldest === null) return null;
  return Math.max(oldest + OUTBOX_FLUSH_DELAY_MS, statusRow(sql).retry_at ?? 0);
}

export interface DrainOutcome {
  drained: number;
  remaining: number;
  error: string | null;
}

/** The part of D1 the drain uses (a narrow seam: tests hand in a database that fails). */
export type LedgerDatabase = Pick<D1Database, "prepare" | "batch">;

const INSERT_LEDGER_ROW = `INSERT OR IGNORE INTO usage_ledger
  (request_id, at, vk_id, project_id, principal_id, provider, model,
   input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_micros, outcome)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

function ledgerInsert(db: LedgerDatabase, r: UsageRecord): D1PreparedStatement {
  return db
    .prepare(INSERT_LEDGER_ROW)
    .bind(
      r.requestId,
      r.at,
      r.vkId,
      r.projectId,
      r.principalId,
      r.provider,
      r.model,
      r.inputTokens,
      r.outputTokens,
      r.cacheReadTokens,
      r.cacheWriteTokens,
      r.costMicros,
      r.outcome,
    );
}

/**
 * Copies queued rows to D1 (`db` is a parameter so a test can hand in a failing database), oldest
 * first, deleting each batch only after D1 accepted it. Stops at the first failure, recording it.
 */
export async function drainOutbox(
  sql: SqlStorage,
  db: LedgerDatabase,
  now: () => number = Date.now,
): Promise<DrainOutcome> {
  let drained = 0;
  for (let batch = 0; batch < OUTBOX_BATCHES_PER_DRAIN; batch++) {
    const rows = sql
      .exec<{ seq: number; record: string }>("SELECT seq, record FROM outbox ORDER BY seq LIMIT ?", OUTBOX_BATCH_SIZE)
      .toArray();
    const last = rows.at(-1);
    if (last === undefined) break;
    try {
      await db.batch(rows.map((row) => ledgerInsert(db, JSON.parse(row.record) as UsageRecord)));
    } catch (err) {
      const failures = statusRow(sql).failures + 1;
      const message = err instanceof Error ? err.message : String(err);
      sql.exec(
        "UPDATE outbox_status SET last_error = ?, failures = ?, retry_at = ? WHERE id = 1",
        message,
        failures,
        now() + drainBackoffMs(failures),
      );
      const remaining = outboxState(sql).pending;
      // The ledger falls behind silently otherwise: say so where operators look (runbook: ledger_drain_failed).
      console.warn(
        JSON.stringify({ level: "warn", event: "ledger_drain_failed", error: message, failures, pending: remaining }),
      );
      return { drained, remaining, error: message };
    }
    sql.exec("DELETE FROM outbox WHERE seq <= ?", last.seq);
    sql.exec(
      "UPDATE outbox_status SET last_drain_at = ?, last_error = NULL, failures = 0, retry_at = NULL WHERE id = 1",
      now(),
    );
    drained += rows.length;
  }
  return { drained, remaining: outboxState(sql).pending, error: null };
}
