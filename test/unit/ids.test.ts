import { describe, expect, it } from "vitest";
import { CROCKFORD, crockford, hex, requestId, traceIdFrom, ulid } from "../../src/lib/ids";

/** Identifiers of contract §1 and §3: ULIDs, request ids and W3C trace ids. */

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** Decodes a ULID's first 10 characters back into milliseconds, independently of the encoder. */
function ulidTime(id: string): number {
  let t = 0;
  for (const ch of id.slice(0, 10)) t = t * 32 + "0123456789ABCDEFGHJKMNPQRSTVWXYZ".indexOf(ch);
  return t;
}

describe("crockford", () => {
  it("uses the 32-symbol Crockford alphabet", () => {
    expect(CROCKFORD).toBe("0123456789ABCDEFGHJKMNPQRSTVWXYZ");
  });

  it("encodes the leading bits, 5 per character", () => {
    expect(crockford(new Uint8Array([0, 0]), 3)).toBe("000");
    expect(crockford(new Uint8Array([0xff, 0xff]), 3)).toBe("ZZZ");
    // 00001000 01000010 → 00001 00001 00001 0…
    expect(crockford(new Uint8Array([0x08, 0x42]), 3)).toBe("111");
    // 10000100 00100001 10001… → 10000 10000 10000 11000 1…
    expect(crockford(new Uint8Array([0x84, 0x21, 0x88]), 4)).toBe("GGGR");
  });
});

describe("ulid", () => {
  it("is 26 Crockford characters", () => {
    expect(ulid()).toMatch(ULID);
  });

  it("encodes the time in the first 10 characters", () => {
    expect(ulid(0).slice(0, 10)).toBe("0000000000");
    expect(ulid(2 ** 48 - 1).slice(0, 10)).toBe("7ZZZZZZZZZ");
    // The example of the ULID specification.
    expect(ulid(1_469_918_176_385).slice(0, 10)).toBe("01ARYZ6S41");
    const before = Date.now();
    const id = ulid();
    expect(ulidTime(id)).toBeGreaterThanOrEqual(before);
    expect(ulidTime(id)).toBeLessThanOrEqual(Date.now());
  });

  it("sorts in time order", () => {
    const times = [1, 31, 32, 1_000, 1_700_000_000_000, 1_700_000_000_001, 1_800_000_000_000];
    const ids = times.map((t) => ulid(t));
    expect([...ids].sort()).toEqual(ids);
    for (const [i, t] of times.entries()) expect(ulidTime(ids[i] as string)).toBe(t);
  });

  it("differs within one millisecond (80 random bits)", () => {
    const ids = new Set(Array.from({ length: 1000 }, () => ulid(1_700_000_000_000)));
    expect(ids.size).toBe(1000);
  });
});

describe("requestId", () => {
  it("is grq_ followed by a current ULID", () => {
    const id = requestId();
    expect(id).toMatch(/^grq_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(Math.abs(ulidTime(id.slice(4)) - Date.now())).toBeLessThan(5_000);
  });
});

describe("hex", () => {
  it("writes two lower-case digits per byte", () => {
    expect(hex(new Uint8Array([0, 1, 15, 16, 255]))).toBe("00010f10ff");
    expect(hex(new Uint8Array([0xab, 0xcd]).buffer)).toBe("abcd");
  });
});

describe("traceIdFrom", () => {
  const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  const PARENT = "00f067aa0ba902b7";

  it("returns the trace id of a valid traceparent", () => {
    expect(traceIdFrom(`00-${TRACE}-${PARENT}-01`)).toBe(TRACE);
    expect(traceIdFrom(`00-${TRACE}-${PARENT}-00`)).toBe(TRACE);
  });

  it.each([
    ["missing", undefined],
    ["null", null],
    ["empty", ""],
    ["garbage", "not a traceparent"],
    ["a short trace id", `00-${TRACE.slice(1)}-${PARENT}-01`],
    ["a short parent id", `00-${TRACE}-${PARENT.slice(1)}-01`],
    ["non-hex characters", `00-${TRACE.slice(0, 31)}g-${PARENT}-01`],
    ["an all-zero trace id", `00-${"0".repeat(32)}-${PARENT}-01`],
    ["an all-zero parent id", `00-${TRACE}-${"0".repeat(16)}-01`],
    ["the forbidden version ff", `ff-${TRACE}-${PARENT}-01`],
    ["a missing flags field", `00-${TRACE}-${PARENT}`],
  ])("replaces %s with a fresh 32-hex id", (_, header) => {
    const id = traceIdFrom(header);
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(id).not.toBe(TRACE);
    expect(id).not.toBe("0".repeat(32));
  });

  it("makes a different fresh id each time", () => {
    expect(traceIdFrom(null)).not.toBe(traceIdFrom(null));
  });
});
