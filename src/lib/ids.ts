/** Crockford base32, ULIDs and the other identifiers of docs/api.md (Virtual keys, Response headers). */

export const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** Encodes the leading `chars * 5` bits of `bytes` as Crockford base32. */
export function crockford(bytes: Uint8Array, chars: number): string {
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

/** A ULID: 48-bit millisecond time then 80 random bits, 26 Crockford characters, sortable by time. */
export function ulid(now = Date.now()): string {
  let time = "";
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  return time + crockford(crypto.getRandomValues(new Uint8Array(10)), 16);
}

export const requestId = (): string => `grq_${ulid()}`;

export function hex(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let out = "";
  for (const b of view) out += b.toString(16).padStart(2, "0");
  return out;
}

/** W3C trace context: version (never `ff`), trace id, parent id, flags. */
const TRACEPARENT = /^(?!ff)[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/** The trace id of a valid W3C `traceparent`, or a fresh one. */
export function traceIdFrom(traceparent: string | null | undefined): string {
  const m = traceparent ? TRACEPARENT.exec(traceparent.trim().toLowerCase()) : null;
  const id = m?.[1];
  if (id && !/^0+$/.test(id) && !/^0+$/.test(m[2] as string)) return id;
  return hex(crypto.getRandomValues(new Uint8Array(16)));
}
