import { CompactEncrypt, compactDecrypt } from "jose";

/**
 * Authenticated encryption for what the gateway must store but nobody may read: auth bundles in KV
 * and provider API keys in D1. Compact JWE (`dir` + A256GCM) under a key derived with HKDF from
 * LW_GATEWAY_JWT_SECRET, one key per purpose, so a value sealed for one use never opens in another.
 */

export type SealPurpose = "auth-bundle" | "provider-key";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const keys = new Map<string, Promise<Uint8Array>>();

function derive(secret: string, purpose: SealPurpose): Promise<Uint8Array> {
  const id = `${purpose}\u0000${secret}`;
  let key = keys.get(id);
  if (!key) {
    key = (async () => {
      const ikm = await crypto.subtle.importKey("raw", encoder.encode(secret), "HKDF", false, ["deriveBits"]);
      const bits = await crypto.subtle.deriveBits(
        {
          name: "HKDF",
          hash: "SHA-256",
          salt: encoder.encode("faregate"),
          info: encoder.encode(`faregate:${purpose}:v1`),
        },
        ikm,
        256,
      );
      return new Uint8Array(bits);
    })();
    keys.set(id, key);
  }
  return key;
}

export async function seal(secret: string, purpose: SealPurpose, plaintext: string): Promise<string> {
  return new CompactEncrypt(encoder.encode(plaintext))
    .setProtectedHeader({ alg: "dir", enc: "A256GCM", cty: purpose })
    .encrypt(await derive(secret, purpose));
}

/** Opens a sealed value; throws when it was tampered with, sealed for another purpose or another secret. */
export async function unseal(secret: string, purpose: SealPurpose, sealed: string): Promise<string> {
  const { plaintext, protectedHeader } = await compactDecrypt(sealed, await derive(secret, purpose));
  if (protectedHeader.cty !== purpose)
    throw new Error(`sealed value is for ${String(protectedHeader.cty)}, not ${purpose}`);
  return decoder.decode(plaintext);
}
