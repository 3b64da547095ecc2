/**
 * The AWS event-stream binary framing (`application/vnd.amazon.eventstream`), written by hand from
 * the format's definition for the fake Bedrock and the tests: a 12-byte prelude (total length,
 * headers length, big-endian uint32s, and their CRC32), string headers (value type 7), the payload,
 * and the CRC32 of everything before it. It is independent of the codec the gateway decodes with
 * (@smithy/eventstream-codec), so the tests do not check that codec against itself;
 * test/unit/bedrock-event-stream.test.ts checks the two agree byte for byte.
 */

const encoder = new TextEncoder();

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** One message with `headers` (in order) and `payload` (text). */
export function encodeEventMessage(headers: Record<string, string>, payload: string): Uint8Array {
  const headerBytes: number[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const n = encoder.encode(name);
    const v = encoder.encode(value);
    headerBytes.push(n.length, ...n, 7, v.length >> 8, v.length & 0xff, ...v);
  }
  const body = encoder.encode(payload);
  const total = 12 + headerBytes.length + body.length + 4;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, total);
  view.setUint32(4, headerBytes.length);
  view.setUint32(8, crc32(out.subarray(0, 8)));
  out.set(headerBytes, 12);
  out.set(body, 12 + headerBytes.length);
  view.setUint32(total - 4, crc32(out.subarray(0, total - 4)));
  return out;
}
