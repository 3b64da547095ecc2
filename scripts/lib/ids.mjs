// The identifiers of docs/api.md (Virtual keys) in plain Node: the same formats src/auth/keys.ts and src/lib/ids.ts
// produce inside the Worker, so rows written from a script are indistinguishable from admin-API rows.
import { createHmac, randomBytes } from "node:crypto";

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
export const KEY_PATTERN = /^lw_vk_(live|test)_[0-9A-HJKMNP-TV-Z]{26}$/;

/**
 * Encodes the leading `chars * 5` bits of `bytes` as Crockford base32.
 * @param {Uint8Array} bytes
 * @param {number} chars
 * @returns {string}
 */
function crockford(bytes, chars) {
  let out = "";
  let acc = 0;
  let bits = 0;
  let i = 0;
  while (out.length < chars) {
    if (bits < 5) {
      acc = ((acc << 8) | (bytes[i++] ?? 0)) & 0xffff;
      bits += 8;
    }
    bits -= 5;
    out += CROCKFORD[(acc >> bits) & 31];
  }
  return out;
}

/** 48-bit millisecond time then 80 random bits, 26 Crockford characters. */
export function ulid(now = Date.now()) {
  let time = "";
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  return time + crockford(randomBytes(10), 16);
}

/** A fresh virtual-key secret: `lw_vk_<environment>_` and 130 CSPRNG bits as 26 Crockford characters. */
export function generateKeySecret(environment = "test") {
  return `lw_vk_${environment}_${crockford(randomBytes(17), 26)}`;
}

/**
 * `hex(HMAC-SHA256(pepper, secret))`, the only form in which the gateway stores a secret.
 * @param {string} pepper
 * @param {string} secret
 * @returns {string}
 */
export const hashKeySecret = (pepper, secret) => createHmac("sha256", pepper).update(secret).digest("hex");

/**
 * What lists and logs may show of a secret.
 * @param {string} secret
 * @returns {string}
 */
export const displayPrefix = (secret) => secret.slice(0, 16);

/** A random hex string of `bytes` bytes, for local secrets. */
export const randomHex = (bytes = 32) => randomBytes(bytes).toString("hex");
