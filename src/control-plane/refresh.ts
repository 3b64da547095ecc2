import { CURSOR_KEY, WATERMARK_KEY } from "../contract/storage-names";
import { forgetBundle } from "../auth/bundle-cache";
import { deleteStoredBundle } from "../auth/bundle-store";
import type { GatewayConfig } from "../config";
import type { Logger } from "../lib/log";
import { loadKeyEntries, SQL_KEY_CONFIG_JSON } from "./bundles";
import { writeKeyEntries } from "./publish";

/**
 * The cron's bundle refresh: keeps KV current without a request paying for it, and catches whatever
 * an admin write could not publish inline (too many keys, or KV failed).
 *
 * 1. Old secrets whose grace is over: KV entry deleted, then the row.
 * 2. Keys whose own row, project, any provider in their chain, or any budget that applies to them
 *    (scope virtual_key, project or principal) has `updated_at` past the watermark:
 *    rebuilt from D1 and written to KV (revoked ones deleted from it), oldest change first, at most
 *    REFRESH_PAGE keys per run; a run that stops early leaves a cursor the next run continues from.
 * 3. The watermark advances to the newest `updated_at` processed, but never past the run's start
 *    minus WRITE_SKEW_MS: an admin write stamps `updated_at` just before it commits, so a write that
 *    commits during the run with a slightly older stamp is caught by the next run, not skipped.
 *    Running twice is harmless: every step is idempotent.
 */

export const REFRESH_PAGE = 300;
const EXPIRED_SECRETS_PAGE = 500;
export const WRITE_SKEW_MS = 10_000;

export interface RefreshResult {
  /** Keys rebuilt this run. */
  keys: number;
  published: number;
  deleted: number;
  failed: number;
  /** Old secrets whose grace ended, removed from KV and D1. */
  expiredSecrets: number;
  /** True when changed keys remain for the next run. */
  more: boolean;
  watermark: number;
}

interface Cursor {
  at: number;
  id: string;
}

const CONFIG_JSON = SQL_KEY_CONFIG_JSON;

async function removeExpiredSecrets(env: Pick<Env, "DB" | "AUTH_CACHE">, now: number): Promise<number> {
  const { results } = await env.DB.prepare(
    "SELECT secret_hash FROM virtual_key_old_secrets WHERE expires_at <= ? ORDER BY expires_at LIMIT ?",
  )
    .bind(now, EXPIRED_SECRETS_PAGE)
    .all<{ secret_hash: string }>();
  if (results.length === 0) return 0;
  const hashes = results.map((r) => r.secret_hash);
  await Promise.all(
    hashes.map(async (hash) => {
      forgetBundle(hash);
      await deleteStoredBundle(env.AUTH_CACHE, hash);
    }),
  );
  await env.DB.prepare(
    "DELETE FROM virtual_key_old_secrets WHERE expires_at <= ? AND secret_hash IN (SELECT value FROM json_each(?))",
  )
    .bind(now, JSON.stringify(hashes))
    .run();
  return hashes.length;
}

async function readState(db: D1Database): Promise<{ watermark: number; cursor: Cursor | null }> {
  const { results } = await db
    .prepare("SELECT key, value FROM control_plane_state WHERE key IN (?, ?)")
    .bind(WATERMARK_KEY, CURSOR_KEY)
    .all<{ key: string; value: string }>();
  const byKey = new Map(results.map((r) => [r.key, r.value]));
  const watermark = Number(byKey.get(WATERMARK_KEY) ?? 0);
  let cursor: Cursor | null = null;
  const rawCursor = byKey.get(CURSOR_KEY);
  if (rawCursor) {
    const parsed = JSON.parse(rawCursor) as Partial<Cursor>;
    if (typeof parsed.at === "number" && typeof parsed.id === "string") cursor = { at: parsed.at, id: parsed.id };
  }
  return { watermark: Number.isFinite(watermark) ? watermark : 0, cursor };
}

/**
 * Keys changed since `watermark` (own row, project, a provider of the chain, or a budget that
 * applies to them), ordered by when they last changed, after `cursor`. Revoked keys count only for
 * changes to their own row. A deleted budget leaves no row to notice: the admin API publishes its
 * keys inline, and otherwise their bundles drop it at their soft expiry.
 */
async function changedKeys(
  db: D1Database,
  watermark: number,
  cursor: Cursor,
  limit: number,
): Promise<{ id: string; changed_at: number }[]> {
  const { results } = await db
    .prepare(
      `WITH changed_providers AS (SELECT name FROM providers WHERE updated_at > ?1),
       changed_budgets AS (SELECT scope, scope_id FROM budgets WHERE updated_at > ?1),
       candidates AS (
         SELECT id FROM virtual_keys WHERE updated_at > ?1
         UNION
         SELECT vk.id FROM projects p JOIN virtual_keys vk ON vk.project_id = p.id
          WHERE p.updated_at > ?1 AND vk.status = 'active'
         UNION
         SELECT vk.id FROM changed_providers cp
           JOIN virtual_keys vk ON vk.status = 'active'
           JOIN json_each(${CONFIG_JSON}, '$.providers') chain ON chain.value = cp.name
         UNION
         SELECT vk.id FROM virtual_keys vk
          WHERE vk.status = 'active' AND (
                vk.id IN (SELECT scope_id FROM changed_budgets WHERE scope = 'virtual_key')
             OR vk.project_id IN (SELECT scope_id FROM changed_budgets WHERE scope = 'project')
             OR vk.principal_id IN (SELECT scope_id FROM changed_budgets WHERE scope = 'principal'))
       ),
       stamped AS (
         SELECT vk.id,
                max(vk.updated_at, p.updated_at, coalesce((
                  SELECT max(pr.updated_at) FROM json_each(${CONFIG_JSON}, '$.providers') c2
                    JOIN providers pr ON pr.name = c2.value), 0), coalesce((
                  SELECT max(b.updated_at) FROM budgets b
                   WHERE (b.scope = 'virtual_key' AND b.scope_id = vk.id)
                      OR (b.scope = 'project' AND b.scope_id = vk.project_id)
                      OR (b.scope = 'principal' AND b.scope_id = vk.principal_id)), 0)) AS changed_at
           FROM candidates c JOIN virtual_keys vk ON vk.id = c.id JOIN projects p ON p.id = vk.project_id
       )
       SELECT id, changed_at FROM stamped
        WHERE changed_at > ?2 OR (changed_at = ?2 AND id > ?3)
        ORDER BY changed_at, id LIMIT ?4`,
    )
    .bind(watermark, cursor.at, cursor.id, limit)
    .all<{ id: string; changed_at: number }>();
  return results;
}

async function saveState(db: D1Database, watermark: number, cursor: Cursor | null): Promise<void> {
  const upsert =
    "INSERT INTO control_plane_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value";
  await db.batch([
    db.prepare(upsert).bind(WATERMARK_KEY, String(watermark)),
    cursor
      ? db.prepare(upsert).bind(CURSOR_KEY, JSON.stringify(cursor))
      : db.prepare("DELETE FROM control_plane_state WHERE key = ?").bind(CURSOR_KEY),
  ]);
}

export async function refreshBundles(
  env: Pick<Env, "DB" | "AUTH_CACHE">,
  config: GatewayConfig,
  log: Logger,
  now: number,
  page = REFRESH_PAGE,
): Promise<RefreshResult> {
  const expiredSecrets = await removeExpiredSecrets(env, now);
  const state = await readState(env.DB);
  const after = state.cursor ?? { at: state.watermark, id: "" };
  const rows = await changedKeys(env.DB, state.watermark, after, page + 1);
  const batch = rows.slice(0, page);
  const more = rows.length > page;
  const entries = await loadKeyEntries(
    env.DB,
    config.jwtSecret,
    batch.map((r) => r.id),
    now,
  );
  const written = await writeKeyEntries(env, config, entries, log, now);
  const last = batch.at(-1);
  const reached = last ? { at: last.changed_at, id: last.id } : after;
  let watermark = state.watermark;
  if (more) {
    await saveState(env.DB, watermark, reached);
  } else {
    watermark = Math.max(state.watermark, Math.min(reached.at, now - WRITE_SKEW_MS));
    await saveState(env.DB, watermark, null);
  }
  return { keys: batch.length, ...written, expiredSecrets, more, watermark };
}
