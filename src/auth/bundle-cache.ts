import type { GatewayConfig } from "../config";
import { ControlPlaneUnavailable, loadBundle } from "../control-plane/bundles";
import { type KeyBundle } from "../contract/bundle";
import type { Logger } from "../lib/log";
import { TtlLru } from "../lib/lru";
import { deleteStoredBundle, readStoredBundle, writeStoredBundle } from "./bundle-store";

/**
 * Key resolution: isolate LRU (5 s) → KV → D1, with stale-while-error.
 *
 * - A hot key costs no I/O for 5 s, then one KV read (and one decryption); so a change published to
 *   KV reaches every isolate within 5 s of KV propagating it.
 * - A bundle is trusted until its soft expiry; past it, D1 is asked again and the fresh bundle is
 *   written back to KV after the response.
 * - When D1 cannot be read, a bundle past its soft expiry keeps serving: its soft expiry moves
 *   forward by SOFT_BUMP at a time, never beyond its original soft expiry + HARD_GRACE. The bumps live
 *   in this isolate only: writing them to KV could resurrect a key revoked meanwhile elsewhere.
 * - D1 saying "no such key" (or "that old secret's grace is over") evicts at once.
 * - Unknown hashes are remembered for 5 s, in this isolate only, so a flood of bad keys cannot
 *   hammer D1.
 */

const FRESH_MS = 5_000;
const NEGATIVE_MS = 5_000;
const CAPACITY = 10_000;

interface Held {
  bundle: KeyBundle;
  /** The soft expiry in force: the bundle's own, or a stale-while-error bump of it. */
  softExpiresAt: number;
}

const cache = new TtlLru<Held | null>(CAPACITY, FRESH_MS);
/** Stale-while-error bumps, by hash, for the bundle built at `builtAt`; they outlive the 5 s LRU. */
const bumps = new TtlLru<{ builtAt: number; softExpiresAt: number }>(CAPACITY, FRESH_MS);
/**
 * Bundles evicted past their hard cap, by hash and `builtAt`: while D1 stays unreachable every request
 * of such a key finds the same stale bundle in KV and is refused again, but the eviction is logged
 * once (per isolate), not on each of them. Forgotten once D1 answers for the key, or after a day.
 */
const EVICTED_MS = 86_400_000;
const evicted = new TtlLru<number>(CAPACITY, EVICTED_MS);

export interface ResolveContext {
  env: Pick<Env, "DB" | "AUTH_CACHE">;
  config: GatewayConfig;
  /** Carries request_id; resolution adds vk_id to its lines. Never given secrets. */
  log: Logger;
  exec: { waitUntil(promise: Promise<unknown>): void };
}

function hold(secretHash: string, bundle: KeyBundle, now: number): Held {
  const bump = bumps.get(secretHash, now);
  const softExpiresAt =
    bump && bump.builtAt === bundle.builtAt ? Math.max(bump.softExpiresAt, bundle.softExpiresAt) : bundle.softExpiresAt;
  return { bundle, softExpiresAt };
}

function usable(held: Held, now: number): boolean {
  return now < held.softExpiresAt;
}

function graceOver(bundle: KeyBundle, now: number): boolean {
  return bundle.secretExpiresAt !== null && bundle.secretExpiresAt <= now;
}

/**
 * The bundle for a secret hash, or null when no key has it. Throws ControlPlaneUnavailable when D1
 * cannot be read and no bundle may be served, and InvalidStoredConfig when D1's data is bad.
 */
export async function resolveBundle(rc: ResolveContext, secretHash: string): Promise<KeyBundle | null> {
  const now = Date.now();
  const cached = cache.get(secretHash, now);
  if (cached === null) return null;
  if (cached && usable(cached, now) && !graceOver(cached.bundle, now)) return cached.bundle;

  // Past 5 s, or past its soft expiry: KV may hold a newer bundle (published, or refreshed by another
  // isolate), or none any more (revoked), so it is asked before D1.
  const held = await readFromKv(rc, secretHash, now);
  if (held && graceOver(held.bundle, now)) return reject(rc, secretHash, held, now);
  if (held && usable(held, now)) {
    cache.set(secretHash, held, FRESH_MS, now);
    return held.bundle;
  }
  return refreshFromD1(rc, secretHash, held, now);
}

async function readFromKv(rc: ResolveContext, secretHash: string, now: number): Promise<Held | null> {
  try {
    const stored = await readStoredBundle(rc.env.AUTH_CACHE, rc.config.jwtSecret, secretHash);
    if (stored.kind === "hit") return hold(secretHash, stored.bundle, now);
    if (stored.kind === "invalid") rc.log.warn("auth_cache_kv_invalid", { reason: stored.reason });
  } catch (err) {
    // KV being unreachable is not a reason to fail the request while D1 can answer.
    rc.log.warn("auth_cache_kv_read_failed", { error: err instanceof Error ? err.message : String(err) });
  }
  return null;
}

async function refreshFromD1(
  rc: ResolveContext,
  secretHash: string,
  held: Held | null,
  now: number,
): Promise<KeyBundle | null> {
  let fresh: KeyBundle | null;
  try {
    fresh = await loadBundle(rc.env.DB, rc.config.jwtSecret, secretHash, now);
  } catch (err) {
    if (err instanceof ControlPlaneUnavailable && held) return serveStale(rc, secretHash, held, err, now);
    throw err;
  }
  evicted.delete(secretHash);
  if (!fresh) return reject(rc, secretHash, held, now);
  bumps.delete(secretHash);
  cache.set(secretHash, { bundle: fresh, softExpiresAt: fresh.softExpiresAt }, FRESH_MS, now);
  if (held) rc.log.debug("auth_cache_refresh_success", { vk_id: fresh.vk.id, revision: fresh.revision });
  // Revoked keys are answered from this isolate's LRU but never put back into KV (publish removed them).
  const kv = rc.env.AUTH_CACHE;
  const write =
    fresh.vk.status === "active"
      ? writeStoredBundle(kv, rc.config.jwtSecret, secretHash, fresh, now)
      : deleteStoredBundle(kv, secretHash);
  rc.exec.waitUntil(
    write.catch((err: unknown) =>
      rc.log.warn("auth_cache_kv_write_failed", { vk_id: fresh.vk.id, error: String(err) }),
    ),
  );
  return fresh;
}

function serveStale(
  rc: ResolveContext,
  secretHash: string,
  held: Held,
  err: ControlPlaneUnavailable,
  now: number,
): KeyBundle {
  const vkId = held.bundle.vk.id;
  const cap = held.bundle.softExpiresAt + rc.config.authCacheHardGraceMs;
  if (rc.config.authCacheHardGraceMs <= 0 || now >= cap) {
    if (evicted.get(secretHash, now) !== held.bundle.builtAt) {
      rc.log.error("auth_cache_hard_evict", { reason: "hard_cap_exceeded", vk_id: vkId, error: err.message });
      evicted.set(secretHash, held.bundle.builtAt, EVICTED_MS, now);
    }
    cache.delete(secretHash);
    bumps.delete(secretHash);
    throw err;
  }
  const softExpiresAt = Math.min(now + rc.config.authCacheSoftBumpMs, cap);
  bumps.set(secretHash, { builtAt: held.bundle.builtAt, softExpiresAt }, cap - now, now);
  cache.set(secretHash, { bundle: held.bundle, softExpiresAt }, FRESH_MS, now);
  rc.log.warn("auth_cache_refresh_transport_failure", {
    vk_id: vkId,
    error: err.message,
    error_class: "transport",
    new_soft_expires_at: new Date(softExpiresAt).toISOString(),
  });
  rc.log.info("auth_cache_serve_stale", { vk_id: vkId });
  return held.bundle;
}

/** An authoritative "no": forget the bundle here and in KV, and remember the hash as unknown for a moment. */
function reject(rc: ResolveContext, secretHash: string, held: Held | null, now: number): null {
  if (held) {
    rc.log.error("auth_cache_hard_evict", { reason: "auth_rejection", vk_id: held.bundle.vk.id });
    rc.exec.waitUntil(
      deleteStoredBundle(rc.env.AUTH_CACHE, secretHash).catch((err: unknown) =>
        rc.log.warn("auth_cache_kv_write_failed", { vk_id: held.bundle.vk.id, error: String(err) }),
      ),
    );
  }
  bumps.delete(secretHash);
  cache.set(secretHash, null, NEGATIVE_MS, now);
  return null;
}

/**
 * What an admin write in this isolate just published: the bundle to answer with at once (a revoked
 * key's too), or null for a secret that no longer opens anything. Other isolates see KV within 5 s.
 */
export function rememberBundle(secretHash: string, bundle: KeyBundle | null, now = Date.now()): void {
  bumps.delete(secretHash);
  evicted.delete(secretHash);
  if (bundle) cache.set(secretHash, { bundle, softExpiresAt: bundle.softExpiresAt }, FRESH_MS, now);
  else cache.set(secretHash, null, NEGATIVE_MS, now);
}

/** Drops one hash from this isolate's cache, so the next request reads KV. */
export function forgetBundle(secretHash: string): void {
  cache.delete(secretHash);
  bumps.delete(secretHash);
  evicted.delete(secretHash);
}

/** Drops every cached bundle in this isolate (tests, and admin writes in the isolate that made them). */
export function clearBundleCache(): void {
  cache.clear();
  bumps.clear();
  evicted.clear();
}
