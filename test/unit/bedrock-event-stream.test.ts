import { EventStreamCodec } from "@smithy/eventstream-codec";
import { describe, expect, it } from "vitest";
import {
  EventStreamError,
  EventStreamReader,
  EventStreamSplitter,
  decodeMessage,
} from "../../src/providers/bedrock/event-stream";
import { encodeEventMessage } from "../fake-provider/event-stream";
import { concat } from "../fake-provider/scenario-stream";

/**
 * The AWS event-stream framing, checked against messages written by the tests' own encoder
 * (test/fake-provider/event-stream.ts, built by hand from the format's definition with its own
 * CRC32), not only against the codec that decodes them.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const DELTA = encodeEventMessage(
  { ":event-type": "contentBlockDelta", ":content-type": "application/json", ":message-type": "event" },
  '{"contentBlockIndex":0,"delta":{"text":"Hi"}}',
);
const STOP = encodeEventMessage(
  { ":event-type": "messageStop", ":message-type": "event" },
  '{"stopReason":"end_turn"}',
);

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

  it("the tests' encoder agrees with AWS's own (@smithy/eventstream-codec), byte for byte", () => {
    const codec = new EventStreamCodec(
      (bytes: Uint8Array) => decoder.decode(bytes),
      (text: string) => encoder.encode(text),
    );
    const headers = { ":exception-type": "throttlingException", ":message-type": "exception" };
    const payload = '{"message":"Too many tokens, ünïcode"}';
    const expected = codec.encode({
      headers: {
        ":exception-type": { type: "string", value: headers[":exception-type"] },
        ":message-type": { type: "string", value: headers[":message-type"] },
      },
      body: encoder.encode(payload),
    });
    expect([...encodeEventMessage(headers, payload)]).toEqual([...expected]);
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
