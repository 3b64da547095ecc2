import * as z from "zod";
import { isoString } from "../schemas/common";

/** Projects in D1 (table projects) and their API view. */

const projectRow = z.object({
  id: z.string(),
  name: z.string(),
  revision: z.number(),
  created_at: z.number(),
  updated_at: z.number(),
});
export type ProjectRow = z.infer<typeof projectRow>;

export interface Project {
  id: string;
  name: string;
  revision: number;
  created_at: string;
  updated_at: string;
}

export function projectView(row: ProjectRow): Project {
  return { ...row, created_at: isoString(row.created_at), updated_at: isoString(row.updated_at) };
}

const COLUMNS = "id, name, revision, created_at, updated_at";

export async function findProject(db: D1Database, id: string): Promise<ProjectRow | null> {
  const row = await db.prepare(`SELECT ${COLUMNS} FROM projects WHERE id = ?`).bind(id).first();
  return row ? projectRow.parse(row) : null;
}

export async function listProjects(db: D1Database, limit: number): Promise<ProjectRow[]> {
  const { results } = await db
    .prepare(`SELECT ${COLUMNS} FROM projects ORDER BY created_at DESC, rowid DESC LIMIT ?`)
    .bind(limit)
    .all();
  return results.map((r) => projectRow.parse(r));
}

export function insertProject(db: D1Database, row: ProjectRow): D1PreparedStatement {
  return db
    .prepare(`INSERT INTO projects (${COLUMNS}) VALUES (?, ?, ?, ?, ?)`)
    .bind(row.id, row.name, row.revision, row.created_at, row.updated_at);
}

/** Renames a project if it is still at `revision` (optimistic concurrency); bumps revision and updated_at. */
export function renameProject(
  db: D1Database,
  id: string,
  revision: number,
  name: string,
  now: number,
): D1PreparedStatement {
  return db
    .prepare("UPDATE projects SET name = ?, revision = revision + 1, updated_at = ? WHERE id = ? AND revision = ?")
    .bind(name, now, id, revision);
}

/** Up to `limit` ids of the project's keys that are not revoked (what blocks deleting it). */
export async function activeKeyIds(db: D1Database, projectId: string, limit = 20): Promise<string[]> {
  const { results } = await db
    .prepare("SELECT id FROM virtual_keys WHERE project_id = ? AND status != 'revoked' ORDER BY created_at LIMIT ?")
    .bind(projectId, limit)
    .all<{ id: string }>();
  return results.map((r) => r.id);
}

/**
 * Deletes a project together with its revoked keys (and their rotated-out secrets), but only while it
 * has no other key: the last statement's `changes()` is 1 exactly when the project row went.
 */
export function deleteProjectStatements(db: D1Database, id: string): D1PreparedStatement[] {
  return [
    db
      .prepare(
        `DELETE FROM virtual_key_old_secrets
          WHERE vk_id IN (SELECT id FROM virtual_keys WHERE project_id = ? AND status = 'revoked')
            AND NOT EXISTS (SELECT 1 FROM virtual_keys WHERE project_id = ? AND status != 'revoked')`,
      )
      .bind(id, id),
    db
      .prepare(
        `DELETE FROM virtual_keys WHERE project_id = ? AND status = 'revoked'
            AND NOT EXISTS (SELECT 1 FROM virtual_keys WHERE project_id = ? AND status != 'revoked')`,
      )
      .bind(id, id),
    db
      .prepare("DELETE FROM projects WHERE id = ? AND NOT EXISTS (SELECT 1 FROM virtual_keys WHERE project_id = ?)")
      .bind(id, id),
  ];
}
