import { EventStreamCodec } from "@smithy/eventstream-codec";

/**
 * The AWS event-stream binary framing (`application/vnd.amazon.eventstream`) that ConverseStream
 * answers in. Each message is: a 12-byte prelude (total length, headers length, both big-endian
 * uint32, and the prelude's CRC32), the headers (`:message-type`, `:event-type`, `:exception-type`,
 * …), the payload, and the CRC32 of everything before it. This module cuts the byte stream into
 * messages (they arrive split across chunks, or several in one) and has the AWS SDK's own codec
 * (@smithy/eventstream-codec) check both checksums and decode the headers.
 */

/** One message: its string headers, and the payload bytes. */
export interface EventStreamMessage {
  headers: Record<string, string>;
  payload: Uint8Array;
}

/** The stream is not a well-formed event stream (bad checksum or length, cut off mid-message). */
export class EventStreamError extends Error {
  override readonly name = "EventStreamError";
}

const PRELUDE_BYTES = 12;
/** The smallest message: a prelude and the message checksum, no headers, no payload. */
const MIN_MESSAGE_BYTES = PRELUDE_BYTES + 4;
/** AWS caps a message at 16 MiB (payload) plus 128 KiB (headers); a larger length is garbage. */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024 + 128 * 1024 + MIN_MESSAGE_BYTES;

const decoder = new TextDecoder();
const encoder = new TextEncoder();
const codec = new EventStreamCodec(
  (bytes: Uint8Array) => decoder.decode(bytes),
  (text: string) => encoder.encode(text),
);

/** Decodes one whole message; a bad checksum or length throws EventStreamError. */
export function decodeMessage(bytes: Uint8Array): EventStreamMessage {
  let decoded: ReturnType<EventStreamCodec["decode"]>;
  try {
    decoded = codec.decode(bytes);
  } catch (err) {
    throw new EventStreamError(
      `an event-stream message is corrupt (${err instanceof Error ? err.message : String(err)})`,
    );
  }
  const headers: Record<string, string> = {};
  for (const [name, header] of Object.entries(decoded.headers)) {
    if (header.type === "string") headers[name] = header.value;
  }
  return { headers, payload: decoded.body };
}

/** Cuts a byte stream into whole messages, however the bytes are chunked. */
export class EventStreamSplitter {
  private buffer: Uint8Array = new Uint8Array(0);

  /** Bytes received that do not make a whole message yet. */
  get pendingBytes(): number {
    return this.buffer.byteLength;
  }

  /** Takes the next chunk; returns the messages it completes, in order. */
  push(chunk: Uint8Array): EventStreamMessage[] {
    this.buffer = this.buffer.byteLength === 0 ? chunk : concat(this.buffer, chunk);
    const out: EventStreamMessage[] = [];
    while (this.buffer.byteLength >= PRELUDE_BYTES) {
      const view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
      const total = view.getUint32(0, false);
      if (total < MIN_MESSAGE_BYTES || total > MAX_MESSAGE_BYTES) {
        throw new EventStreamError(`an event-stream message declares an impossible length of ${total} bytes`);
      }
      if (this.buffer.byteLength < total) break;
      out.push(decodeMessage(this.buffer.subarray(0, total)));
      this.buffer = this.buffer.subarray(total);
    }
    return out;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}

/** Reads the messages of an event-stream body one at a time. */
export class EventStreamReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly splitter = new EventStreamSplitter();
  private queue: EventStreamMessage[] = [];

  constructor(body: ReadableStream<Uint8Array>) {
    this.reader = body.getReader();
  }

  /**
   * The next message, or null when the stream ended cleanly between messages. Throws
   * EventStreamError for a corrupt message or a stream cut off inside one, and whatever the body
   * throws when the connection breaks.
   */
  async next(): Promise<EventStreamMessage | null> {
    for (;;) {
      const queued = this.queue.shift();
      if (queued) return queued;
      const { done, value } = await this.reader.read();
      if (done) {
        const left = this.splitter.pendingBytes;
        if (left > 0) throw new EventStreamError(`the event stream ended inside a message (${left} bytes left over)`);
        return null;
      }
      this.queue = this.splitter.push(value);
    }
  }

  /** Stops reading: the body is cancelled (and the connection released). */
  cancel(reason?: unknown): Promise<void> {
    return this.reader.cancel(reason).catch(() => undefined);
  }
}
