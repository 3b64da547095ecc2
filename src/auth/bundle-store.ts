import { bundleKvKey } from "../contract/storage-names";
import * as z from "zod";
import { keyBundleSchema, type KeyBundle } from "../contract/bundle";
import { seal, unseal } from "../crypto/seal";

/**
 * Auth bundles in KV (`AUTH_CACHE`): key `vk:<secret_hash>`, value a compact JWE sealed with the
 * `auth-bundle` purpose key derived from LW_GATEWAY_JWT_SECRET. The sealed payload repeats the hash,
 * so a value copied under another key is refused, and carries a format version.
 */

const FORMAT = 1;
/** KV refuses expirations less than 60 s ahead. */
const KV_MIN_EXPIRATION_S = 60;

const payloadSchema = z.object({ v: z.literal(FORMAT), hash: z.string(), bundle: keyBundleSchema });

export type StoredBundle =
  | { kind: "hit"; bundle: KeyBundle }
  | { kind: "miss" }
  /** Present but unusable: tampered with, sealed under another secret, for another hash, or an old format. */
  | { kind: "invalid"; reason: string };

export async function readStoredBundle(kv: KVNamespace, jwtSecret: string, secretHash: string): Promise<StoredBundle> {
  const sealed = await kv.get(bundleKvKey(secretHash));
  if (sealed === null) return { kind: "miss" };
  let text: string;
  try {
    text = await unseal(jwtSecret, "auth-bundle", sealed);
  } catch {
    return {
      kind: "invalid",
      reason: "does not unseal (tampered with, or sealed under another LW_GATEWAY_JWT_SECRET)",
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: "invalid", reason: "sealed payload is not JSON" };
  }
  const parsed = payloadSchema.safeParse(json);
  if (!parsed.success) return { kind: "invalid", reason: "sealed payload has an unknown format" };
  if (parsed.data.hash !== secretHash) return { kind: "invalid", reason: "sealed payload belongs to another key hash" };
  return { kind: "hit", bundle: parsed.data.bundle };
}

/**
 * Seals and stores a bundle. A bundle reached through a rotated-out secret expires from KV when the
 * grace ends (the reader checks `secretExpiresAt` as well, since KV cannot expire sooner than 60 s).
 */
export async function writeStoredBundle(
  kv: KVNamespace,
  jwtSecret: string,
  secretHash: string,
  bundle: KeyBundle,
  now: number,
): Promise<void> {
  const sealed = await seal(jwtSecret, "auth-bundle", JSON.stringify({ v: FORMAT, hash: secretHash, bundle }));
  const options: KVNamespacePutOptions = {};
  if (bundle.secretExpiresAt !== null) {
    options.expiration = Math.max(
      Math.ceil(bundle.secretExpiresAt / 1000),
      Math.ceil(now / 1000) + KV_MIN_EXPIRATION_S,
    );
  }
  await kv.put(bundleKvKey(secretHash), sealed, options);
}

export async function deleteStoredBundle(kv: KVNamespace, secretHash: string): Promise<void> {
  await kv.delete(bundleKvKey(secretHash));
}
