import { describe, expect, it } from "vitest";
import {
  EventStreamError,
  EventStreamReader,
  EventStreamSplitter,
  decodeMessage,
} from "../../src/providers/bedrock-event-stream";
import { eventMessage } from "../fake-provider/bedrock";

/**
 * The AWS event-stream framing, checked against frames built here by hand from the format's
 * definition (with an independent CRC32), not only against the codec that decodes them.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

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

/** A message as the format defines it: prelude, prelude CRC, string headers (type 7), payload, message CRC. */
function frame(headers: Record<string, string>, payload: string): Uint8Array {
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

const DELTA = frame(
  { ":event-type": "contentBlockDelta", ":content-type": "application/json", ":message-type": "event" },
  '{"contentBlockIndex":0,"delta":{"text":"Hi"}}',
);
const STOP = frame({ ":event-type": "messageStop", ":message-type": "event" }, '{"stopReason":"end_turn"}');

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function bodyOf(chunks: Uint8Array[], error?: Error): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = chunks[i++];
      if (next) controller.enqueue(next);
      else if (error) controller.error(error);
      else controller.close();
    },
  });
}

async function readAll(reader: EventStreamReader): Promise<string[]> {
  const types: string[] = [];
  for (let m = await reader.next(); m !== null; m = await reader.next()) types.push(m.headers[":event-type"] ?? "?");
  return types;
}

describe("decodeMessage", () => {
  it("reads the string headers and the payload of a hand-built message", () => {
    const m = decodeMessage(DELTA);
    expect(m.headers).toEqual({
      ":event-type": "contentBlockDelta",
      ":content-type": "application/json",
      ":message-type": "event",
    });
    expect(JSON.parse(decoder.decode(m.payload))).toEqual({ contentBlockIndex: 0, delta: { text: "Hi" } });
  });

  it("agrees with the fake provider's encoder, byte for byte", () => {
    const payload = { contentBlockIndex: 0, delta: { text: "Hi" } };
    const fake = eventMessage("contentBlockDelta", payload);
    const expected = frame(
      { ":event-type": "contentBlockDelta", ":content-type": "application/json", ":message-type": "event" },
      JSON.stringify({ ...payload, p: "abcdefghijklmnopqrstuvwxyzABCDEF" }),
    );
    expect([...fake]).toEqual([...expected]);
  });

  it("refuses a message whose payload CRC does not match", () => {
    const bad = DELTA.slice();
    bad[20] = (bad[20] as number) ^ 0x01; // a header byte: the message CRC no longer matches
    expect(() => decodeMessage(bad)).toThrow(EventStreamError);
    expect(() => decodeMessage(bad)).toThrow(/corrupt.*checksum/);
  });

  it("refuses a message whose prelude CRC does not match", () => {
    const bad = DELTA.slice();
    bad[9] = (bad[9] as number) ^ 0x01;
    expect(() => decodeMessage(bad)).toThrow(/prelude checksum/);
  });
});

describe("EventStreamSplitter", () => {
  it("returns every message of a chunk that holds several", () => {
    const messages = new EventStreamSplitter().push(concat(DELTA, STOP, DELTA));
    expect(messages.map((m) => m.headers[":event-type"])).toEqual([
      "contentBlockDelta",
      "messageStop",
      "contentBlockDelta",
    ]);
  });

  it("reassembles messages cut at every possible point", () => {
    const bytes = concat(DELTA, STOP);
    for (let cut = 1; cut < bytes.length; cut++) {
      const splitter = new EventStreamSplitter();
      const first = splitter.push(bytes.slice(0, cut));
      const second = splitter.push(bytes.slice(cut));
      expect([...first, ...second].map((m) => m.headers[":event-type"])).toEqual(["contentBlockDelta", "messageStop"]);
      expect(splitter.pendingBytes).toBe(0);
    }
  });

  it("reassembles a stream fed one byte at a time", () => {
    const bytes = concat(DELTA, STOP);
    const splitter = new EventStreamSplitter();
    const seen: string[] = [];
    for (const b of bytes) for (const m of splitter.push(Uint8Array.of(b))) seen.push(m.headers[":event-type"] ?? "");
    expect(seen).toEqual(["contentBlockDelta", "messageStop"]);
  });

  it.each([
    ["shorter than a message can be", 8],
    ["longer than AWS allows", 0x7fffffff],
  ])("refuses a prelude that declares a length %s", (_, length) => {
    const bad = DELTA.slice();
    new DataView(bad.buffer).setUint32(0, length);
    expect(() => new EventStreamSplitter().push(bad)).toThrow(/impossible length/);
  });
});

describe("EventStreamReader", () => {
  it("reads messages across chunk boundaries, then null at a clean end", async () => {
    const bytes = concat(DELTA, STOP);
    const reader = new EventStreamReader(bodyOf([bytes.slice(0, 5), bytes.slice(5, 70), bytes.slice(70)]));
    expect(await readAll(reader)).toEqual(["contentBlockDelta", "messageStop"]);
  });

  it("throws when the stream ends inside a message", async () => {
    const reader = new EventStreamReader(bodyOf([DELTA, STOP.slice(0, 20)]));
    expect(await reader.next()).not.toBeNull();
    await expect(reader.next()).rejects.toThrow(/ended inside a message \(20 bytes left over\)/);
  });

  it("passes on the body's own error (a broken connection)", async () => {
    const reader = new EventStreamReader(bodyOf([DELTA], new Error("connection reset")));
    expect(await reader.next()).not.toBeNull();
    await expect(reader.next()).rejects.toThrow("connection reset");
  });

  it("throws on a corrupt message after good ones", async () => {
    const bad = STOP.slice();
    bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 0xff;
    const reader = new EventStreamReader(bodyOf([concat(DELTA, bad)]));
    await expect(readAll(reader)).rejects.toThrow(EventStreamError);
  });
});
