import { forgetBundle, rememberBundle } from "../auth/bundle-cache";
import { deleteStoredBundle, writeStoredBundle } from "../auth/bundle-store";
import type { GatewayConfig } from "../config";
import { createLogger, type Logger } from "../lib/log";
import { loadKeyEntries, SQL_KEY_CONFIG_JSON, type KeyEntries } from "./bundles";

/**
 * Freshness after an admin write: rebuild the bundles of every key the write affects and put them
 * in KV now, so the change holds in this colo at once and everywhere once KV has propagated it.
 * Revoked keys and old secrets past their grace are deleted from KV. This isolate's cache takes the
 * new answers directly (KV reads in the same colo are usually, not always, immediately current).
 *
 * At most PUBLISH_INLINE_LIMIT keys are published inline; the rest are left to the cron refresh,
 * which finds them through the `updated_at` the write bumped.
 */

export const PUBLISH_INLINE_LIMIT = 200;
/** KV writes in flight at once. */
const KV_CONCURRENCY = 16;

export interface PublishScope {
  vkIds?: string[];
  providerNames?: string[];
  projectIds?: string[];
  /** The active keys issued to these principals (a principal budget changed). */
  principalIds?: string[];
  /**
   * Secret hashes that no longer open anything, e.g. the previous secret after a rotate with no
   * grace (when it was not recorded in virtual_key_old_secrets): deleted from KV, and refused by
   * this isolate at once.
   */
  retiredSecretHashes?: string[];
}

export interface PublishResult {
  /** KV entries written. */
  published: number;
  /** KV entries deleted (revoked keys, old secrets out of grace, keys whose stored data is bad). */
  deleted: number;
  /** Keys in scope left to the cron because of the inline limit. */
  deferred: number;
  /** Keys whose stored data could not be built into a bundle (logged as bundle_build_failed). */
  failed: number;
}

/**
 * The first `limit` keys a scope touches, and how many it touches in all: the named keys whatever
 * their status, and the active keys of the named projects or principals, or whose provider chain
 * names one of the named providers.
 */
async function keysInScope(
  db: D1Database,
  scope: PublishScope,
  limit: number,
): Promise<{ ids: string[]; total: number }> {
  const vkIds = scope.vkIds ?? [];
  const projectIds = scope.projectIds ?? [];
  const providerNames = scope.providerNames ?? [];
  const principalIds = scope.principalIds ?? [];
  if (vkIds.length + projectIds.length + providerNames.length + principalIds.length === 0) return { ids: [], total: 0 };
  const { results } = await db
    .prepare(
      `SELECT id, count(*) OVER () AS total FROM (
         SELECT id FROM virtual_keys WHERE id IN (SELECT value FROM json_each(?1))
         UNION
         SELECT id FROM virtual_keys WHERE status = 'active' AND project_id IN (SELECT value FROM json_each(?2))
         UNION
         SELECT vk.id FROM virtual_keys vk, json_each(${SQL_KEY_CONFIG_JSON}, '$.providers') chain
          WHERE vk.status = 'active' AND chain.value IN (SELECT value FROM json_each(?3))
         UNION
         SELECT id FROM virtual_keys WHERE status = 'active' AND principal_id IN (SELECT value FROM json_each(?5))
       )
       ORDER BY id LIMIT ?4`,
    )
    .bind(
      JSON.stringify(vkIds),
      JSON.stringify(projectIds),
      JSON.stringify(providerNames),
      limit,
      JSON.stringify(principalIds),
    )
    .all<{ id: string; total: number }>();
  return { ids: results.map((r) => r.id), total: results[0]?.total ?? 0 };
}

/** Runs the tasks with at most `limit` in flight. */
async function inBatches(tasks: (() => Promise<void>)[], limit: number): Promise<void> {
  for (let i = 0; i < tasks.length; i += limit) await Promise.all(tasks.slice(i, i + limit).map((t) => t()));
}

/**
 * Writes what D1 says for the given keys into KV (and this isolate's cache). Shared by publishKeys
 * and the cron refresh. A key whose stored data is bad is logged and its KV entries removed, so
 * requests reach D1 and get the 503 that names the problem instead of an outdated bundle.
 */
export async function writeKeyEntries(
  env: Pick<Env, "AUTH_CACHE">,
  config: GatewayConfig,
  keys: KeyEntries[],
  log: Logger,
  now: number,
): Promise<Omit<PublishResult, "deferred">> {
  const result = { published: 0, deleted: 0, failed: 0 };
  const tasks: (() => Promise<void>)[] = [];
  for (const key of keys) {
    if (!key.ok) {
      result.failed += 1;
      log.error("bundle_build_failed", { vk_id: key.vkId, code: key.error.code, error: key.error.message });
      for (const hash of key.secretHashes) {
        forgetBundle(hash);
        tasks.push(async () => {
          await deleteStoredBundle(env.AUTH_CACHE, hash);
          result.deleted += 1;
        });
      }
      continue;
    }
    for (const entry of key.entries) {
      const bundle = entry.bundle;
      rememberBundle(entry.secretHash, bundle, now);
      if (bundle && bundle.vk.status === "active") {
        tasks.push(async () => {
          await writeStoredBundle(env.AUTH_CACHE, config.jwtSecret, entry.secretHash, bundle, now);
          result.published += 1;
        });
      } else {
        tasks.push(async () => {
          await deleteStoredBundle(env.AUTH_CACHE, entry.secretHash);
          result.deleted += 1;
        });
      }
    }
  }
  await inBatches(tasks, KV_CONCURRENCY);
  return result;
}

/**
 * Publishes the keys an admin write affected. Await it after the write; when it throws, log
 * `bundle_publish_failed` and rely on the cron (the write itself stands).
 */
export async function publishKeys(
  env: Env,
  config: GatewayConfig,
  scope: PublishScope,
  log: Logger = createLogger({ component: "publish" }),
): Promise<PublishResult> {
  const now = Date.now();
  const { ids: inline, total } = await keysInScope(env.DB, scope, PUBLISH_INLINE_LIMIT);
  const keys = await loadKeyEntries(env.DB, config.jwtSecret, inline, now);
  const retired: KeyEntries[] = (scope.retiredSecretHashes ?? []).map((hash) => ({
    vkId: "(retired secret)",
    ok: true,
    status: "revoked",
    entries: [{ secretHash: hash, bundle: null }],
  }));
  const written = await writeKeyEntries(env, config, [...keys, ...retired], log, now);
  const result = { ...written, deferred: total - inline.length };
  log.info("bundle_publish", { ...result, keys: inline.length });
  return result;
}
