import * as z from "zod";
import { ulid } from "../../lib/ids";
import { isoString } from "../schemas/common";

/**
 * The audit trail (table audit_log): one row per successful admin write, written in the same D1 batch
 * as the write itself. `detail` holds field names and non-secret facts, never a secret's value.
 */

export type AuditTargetType = "project" | "provider" | "virtual_key" | "budget";

export interface AuditEvent {
  actor: string;
  action: string;
  targetType: AuditTargetType;
  targetId: string;
  detail: Record<string, unknown>;
}

const INSERT_COLUMNS = "(id, at, actor, action, target_type, target_id, detail)";

/** The audit row of a write that always applies (creates, deletes). */
export function auditInsert(db: D1Database, event: AuditEvent, at: number): D1PreparedStatement {
  return db
    .prepare(`INSERT INTO audit_log ${INSERT_COLUMNS} VALUES (?, ?, ?, ?, ?, ?, ?)`)
    .bind(...auditValues(event, at));
}

/**
 * The audit row of a conditional write: inserted only when the statement just before it in the batch
 * changed exactly one row (`changes()`), so a write lost to a concurrent one leaves no trace.
 */
export function auditInsertIfChanged(db: D1Database, event: AuditEvent, at: number): D1PreparedStatement {
  return db
    .prepare(`INSERT INTO audit_log ${INSERT_COLUMNS} SELECT ?, ?, ?, ?, ?, ?, ? WHERE changes() = 1`)
    .bind(...auditValues(event, at));
}

function auditValues(event: AuditEvent, at: number): (string | number)[] {
  return [
    `aud_${ulid(at)}`,
    at,
    event.actor,
    event.action,
    event.targetType,
    event.targetId,
    JSON.stringify(event.detail),
  ];
}

const auditRow = z.object({
  id: z.string(),
  at: z.number(),
  actor: z.string(),
  action: z.string(),
  target_type: z.string(),
  target_id: z.string(),
  detail: z.string(),
});

export interface AuditEntry {
  id: string;
  at: string;
  actor: string;
  action: string;
  target_type: string;
  target_id: string;
  detail: unknown;
}

/** Newest first; optionally only the entries about one target. */
export async function listAudit(db: D1Database, options: { targetId?: string; limit: number }): Promise<AuditEntry[]> {
  const where = options.targetId === undefined ? "" : "WHERE target_id = ?";
  const binds = options.targetId === undefined ? [options.limit] : [options.targetId, options.limit];
  const { results } = await db
    .prepare(
      `SELECT id, at, actor, action, target_type, target_id, detail FROM audit_log ${where} ORDER BY at DESC, rowid DESC LIMIT ?`,
    )
    .bind(...binds)
    .all();
  return results.map((r) => {
    const row = auditRow.parse(r);
    return { ...row, at: isoString(row.at), detail: JSON.parse(row.detail) as unknown };
  });
}
