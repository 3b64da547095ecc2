import { loadBundle, type KeyBundle } from "../control-plane/bundles";
import { TtlLru } from "../lib/lru";

/**
 * Key resolution: isolate LRU, then D1. Hot keys cost no I/O; unknown hashes are cached negatively
 * for a short while so a flood of bad keys cannot hammer D1.
 */

const POSITIVE_TTL_MS = 10_000;
const NEGATIVE_TTL_MS = 5_000;
const cache = new TtlLru<KeyBundle | null>(10_000, POSITIVE_TTL_MS);

export async function resolveBundle(db: D1Database, secretHash: string): Promise<KeyBundle | null> {
  const hit = cache.get(secretHash);
  if (hit !== undefined) return hit;
  const bundle = await loadBundle(db, secretHash);
  cache.set(secretHash, bundle, bundle ? POSITIVE_TTL_MS : NEGATIVE_TTL_MS);
  return bundle;
}

/** Drops every cached bundle in this isolate (tests, and admin writes in the isolate that made them). */
export function clearBundleCache(): void {
  cache.clear();
}
