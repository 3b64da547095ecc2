import { crockford, hex } from "../lib/ids";

/** Virtual key format, generation and hashing (docs/api.md, Virtual keys). */

export const KEY_PATTERN = /^lw_vk_(live|test)_[0-9A-HJKMNP-TV-Z]{26}$/;
export type KeyEnvironment = "live" | "test";

/** A fresh secret: 130 bits from the CSPRNG as 26 Crockford characters. */
export function generateSecret(environment: KeyEnvironment): string {
  return `lw_vk_${environment}_${crockford(crypto.getRandomValues(new Uint8Array(17)), 26)}`;
}

/** What lists and logs may show of a secret: its first 16 characters. */
export const displayPrefix = (secret: string): string => secret.slice(0, 16);

const hmacKeys = new Map<string, Promise<CryptoKey>>();

function hmacKey(pepper: string): Promise<CryptoKey> {
  let key = hmacKeys.get(pepper);
  if (!key) {
    key = crypto.subtle.importKey("raw", new TextEncoder().encode(pepper), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
    ]);
    hmacKeys.set(pepper, key);
  }
  return key;
}

/** `hex(HMAC-SHA256(pepper, secret))`: the only form in which a secret is stored or looked up. */
const utf8 = new TextEncoder();

export async function hashSecret(pepper: string, secret: string): Promise<string> {
  const sig = await crypto.subtle.sign("HMAC", await hmacKey(pepper), utf8.encode(secret));
  return hex(sig);
}

/** Constant-time comparison of two strings (of any length; the length itself is not secret here). */
export function timingSafeEqual(a: string, b: string): boolean {
  const ea = new TextEncoder().encode(a);
  const eb = new TextEncoder().encode(b);
  let diff = ea.length ^ eb.length;
  const n = Math.max(ea.length, eb.length);
  for (let i = 0; i < n; i++) diff |= (ea[i] ?? 0) ^ (eb[i] ?? 0);
  return diff === 0;
}

export type KeyExtraction =
  | { kind: "missing" }
  | { kind: "malformed"; header: string; reason: string }
  | { kind: "ok"; secret: string; header: string };

const KEY_HEADERS = ["authorization", "x-api-key", "api-key", "x-goog-api-key"] as const;

/**
 * Finds the key in the headers clients use (OpenAI, Anthropic, Azure, Gemini). Never trims: a value
 * with surrounding whitespace or quotes is reported as malformed so the client fixes its config.
 */
export function extractKey(headers: Headers): KeyExtraction {
  for (const name of KEY_HEADERS) {
    const raw = headers.get(name);
    if (raw === null) continue;
    let value = raw;
    if (name === "authorization") {
      // The scheme is case-insensitive (RFC 9110 §11.1); the key after it is not.
      if (!/^bearer /i.test(raw)) {
        return { kind: "malformed", header: name, reason: "the Authorization header must be `Bearer <key>`" };
      }
      value = raw.slice("Bearer ".length);
    }
    if (value === "") continue; // an empty header is no key; another header may still carry one
    if (/^\s|\s$/.test(value) || /^["']|["']$/.test(value)) {
      return { kind: "malformed", header: name, reason: "the key has surrounding whitespace or quotes; remove them" };
    }
    if (!KEY_PATTERN.test(value)) {
      const hint =
        value.length === 16 && value.startsWith("lw_vk_")
          ? "this looks like the 16-character display prefix, not the full 37-character secret"
          : "a key looks like lw_vk_live_ followed by 26 base32 characters (37 in all)";
      return { kind: "malformed", header: name, reason: hint };
    }
    return { kind: "ok", secret: value, header: name };
  }
  return { kind: "missing" };
}
