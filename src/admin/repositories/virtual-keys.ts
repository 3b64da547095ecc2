import * as z from "zod";
import { vkConfigSchema } from "../../contract/vk-config";
import { isoOrNull, isoString } from "../schemas/common";

/**
 * Virtual keys in D1 (tables virtual_keys, virtual_key_old_secrets) and their API view. Reads never
 * select `secret_hash`: rotation moves it between tables in SQL, so it never passes through here.
 */

const keyRow = z.object({
  id: z.string(),
  project_id: z.string(),
  name: z.string(),
  environment: z.enum(["live", "test"]),
  principal_id: z.string().nullable(),
  display_prefix: z.string(),
  status: z.enum(["active", "revoked"]),
  expires_at: z.number().nullable(),
  revoked_at: z.number().nullable(),
  /** As stored; text that is not JSON (never written by this API) stays text, so the key can still be read and fixed. */
  config: z.string().transform(parseStoredJson),
  revision: z.number(),
  created_at: z.number(),
  updated_at: z.number(),
});
export type VirtualKeyRow = z.output<typeof keyRow>;

function parseStoredJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function readableConfig(stored: unknown): unknown {
  const parsed = vkConfigSchema.safeParse(stored);
  return parsed.success ? parsed.data : stored;
}

export interface VirtualKey {
  id: string;
  project_id: string;
  name: string;
  environment: "live" | "test";
  principal_id: string | null;
  display_prefix: string;
  status: "active" | "revoked";
  expires_at: string | null;
  revoked_at: string | null;
  /**
   * The full config, defaults filled in; a stored config that is not valid (never written by this
   * API) is shown as stored, so an operator can see what to fix with PATCH.
   */
  config: unknown;
  revision: number;
  created_at: string;
  updated_at: string;
}

export function virtualKeyView(row: VirtualKeyRow): VirtualKey {
  return {
    id: row.id,
    project_id: row.project_id,
    name: row.name,
    environment: row.environment,
    principal_id: row.principal_id,
    display_prefix: row.display_prefix,
    status: row.status,
    expires_at: isoOrNull(row.expires_at),
    revoked_at: isoOrNull(row.revoked_at),
    config: readableConfig(row.config),
    revision: row.revision,
    created_at: isoString(row.created_at),
    updated_at: isoString(row.updated_at),
  };
}

const COLUMNS =
  "id, project_id, name, environment, principal_id, display_prefix, status, expires_at, revoked_at, config, revision, created_at, updated_at";

export async function findVirtualKey(db: D1Database, id: string): Promise<VirtualKeyRow | null> {
  const row = await db.prepare(`SELECT ${COLUMNS} FROM virtual_keys WHERE id = ?`).bind(id).first();
  return row ? keyRow.parse(row) : null;
}

export async function listVirtualKeys(
  db: D1Database,
  options: { projectId?: string; limit: number },
): Promise<VirtualKeyRow[]> {
  const where = options.projectId === undefined ? "" : "WHERE project_id = ?";
  const binds = options.projectId === undefined ? [options.limit] : [options.projectId, options.limit];
  const { results } = await db
    .prepare(`SELECT ${COLUMNS} FROM virtual_keys ${where} ORDER BY created_at DESC, rowid DESC LIMIT ?`)
    .bind(...binds)
    .all();
  return results.map((r) => keyRow.parse(r));
}

export interface NewVirtualKey {
  id: string;
  projectId: string;
  name: string;
  environment: "live" | "test";
  principalId: string | null;
  displayPrefix: string;
  secretHash: string;
  expiresAt: number | null;
  /** The config as written (validated); defaults are filled when it is read. */
  config: unknown;
}

export function insertVirtualKey(db: D1Database, key: NewVirtualKey, now: number): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO virtual_keys (id, project_id, name, environment, principal_id, display_prefix, secret_hash, status,
                                 expires_at, revoked_at, config, revision, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?, NULL, ?, 1, ?, ?)`,
    )
    .bind(
      key.id,
      key.projectId,
      key.name,
      key.environment,
      key.principalId,
      key.displayPrefix,
      key.secretHash,
      key.expiresAt,
      JSON.stringify(key.config),
      now,
      now,
    );
}

export interface VirtualKeyChanges {
  name: string;
  principalId: string | null;
  expiresAt: number | null;
  config: unknown;
}

/** Writes the editable fields if the key is active and still at `revision` (optimistic concurrency). */
export function updateVirtualKey(
  db: D1Database,
  id: string,
  revision: number,
  changes: VirtualKeyChanges,
  now: number,
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE virtual_keys SET name = ?, principal_id = ?, expires_at = ?, config = ?, revision = revision + 1, updated_at = ?
        WHERE id = ? AND revision = ? AND status = 'active'`,
    )
    .bind(changes.name, changes.principalId, changes.expiresAt, JSON.stringify(changes.config), now, id, revision);
}

/**
 * Rotation, as two statements for one batch: the current hash moves to virtual_key_old_secrets
 * (working until `oldExpiresAt`; `now` when there is no grace, so the refresh machinery still learns
 * the hash and drops it from KV), then the new hash and prefix replace it. Both apply only while the
 * key is active and at `revision`.
 */
export function rotateVirtualKeyStatements(
  db: D1Database,
  id: string,
  revision: number,
  next: { secretHash: string; displayPrefix: string },
  oldExpiresAt: number,
  now: number,
): D1PreparedStatement[] {
  return [
    db
      .prepare(
        `INSERT INTO virtual_key_old_secrets (secret_hash, vk_id, expires_at)
         SELECT secret_hash, id, ? FROM virtual_keys WHERE id = ? AND revision = ? AND status = 'active'`,
      )
      .bind(oldExpiresAt, id, revision),
    db
      .prepare(
        `UPDATE virtual_keys SET secret_hash = ?, display_prefix = ?, revision = revision + 1, updated_at = ?
          WHERE id = ? AND revision = ? AND status = 'active'`,
      )
      .bind(next.secretHash, next.displayPrefix, now, id, revision),
  ];
}

/** Revokes an active key (one-way); a key already revoked is left as it is. */
export function revokeVirtualKey(db: D1Database, id: string, now: number): D1PreparedStatement {
  return db
    .prepare(
      "UPDATE virtual_keys SET status = 'revoked', revoked_at = ?, revision = revision + 1, updated_at = ? WHERE id = ? AND status = 'active'",
    )
    .bind(now, now, id);
}
