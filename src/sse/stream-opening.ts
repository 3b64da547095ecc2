import { createParser, type EventSourceMessage } from "eventsource-parser";
import type { WireFormat } from "../contract/wire";
import { errorSummary } from "./anthropic-stream";

/**
 * Reads the opening events of an upstream SSE body before anything is sent to the client, so that a
 * stream which fails before its first content can still move to the next binding (docs/api.md, Errors: never
 * switch after the first byte reached the client, and none has yet). The events read are replayed,
 * byte for byte, at the head of the stream handed on.
 *
 * Only formats whose streams can open with an error event have an opening check: Anthropic's, whose
 * `error` event (e.g. `overloaded_error`) may arrive as the first event or right after
 * `message_start` / `ping`, with HTTP 200.
 */

/** What one opening event says: read on (nothing the client needs yet), an error, or content. */
export type OpeningVerdict =
  | { kind: "hold" }
  | { kind: "content" }
  /** `body`: the event's parsed data; `summary`: what it says, for the failure reason. */
  | { kind: "error"; body: unknown; summary: string };

export type OpeningCheck = (event: EventSourceMessage) => OpeningVerdict;

export type StreamOpening =
  | { kind: "content"; body: ReadableStream<Uint8Array> }
  /** The stream opened with an error event (its parsed data); the caller decides whether to retry. */
  | { kind: "error"; error: unknown; summary: string; body: ReadableStream<Uint8Array> }
  /** The provider closed the stream before any content. */
  | { kind: "ended" };

/** Opening events are held at most this many; past that the stream goes on as it is. */
const MAX_HELD_EVENTS = 16;

const HOLD: OpeningVerdict = { kind: "hold" };
const CONTENT: OpeningVerdict = { kind: "content" };

const TYPE_FIELD = /"type"\s*:\s*"([a-z_]+)"/;

function parseJson(data: string): unknown {
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return data;
  }
}

const asRecord = (v: unknown): Record<string, unknown> | null =>
  typeof v === "object" && v !== null ? (v as Record<string, unknown>) : null;

/** Anthropic Messages: `message_start` and `ping` carry nothing the client needs before content. */
export const anthropicOpening: OpeningCheck = (ev) => {
  const type = ev.event ?? TYPE_FIELD.exec(ev.data)?.[1] ?? "";
  if (type === "message_start" || type === "ping") return HOLD;
  if (type !== "error") return CONTENT;
  const body = parseJson(ev.data);
  return { kind: "error", body, summary: errorSummary(asRecord(body)) };
};

/** The opening check of each wire format that has one. */
export const OPENING_CHECKS: Partial<Record<WireFormat, OpeningCheck>> = {
  "anthropic-messages": anthropicOpening,
};

/**
 * Reads `upstream` until `check` sees content or an error (or MAX_HELD_EVENTS were held). A read that
 * fails rejects, as the call itself would have: nothing reached the client.
 */
export async function readOpening(upstream: ReadableStream<Uint8Array>, check: OpeningCheck): Promise<StreamOpening> {
  const reader = upstream.getReader();
  const read: Uint8Array[] = [];
  const decoder = new TextDecoder();
  let verdict: OpeningVerdict = HOLD;
  let held = 0;
  const parser = createParser({
    onEvent(ev) {
      if (verdict.kind !== "hold") return;
      verdict = check(ev);
      if (verdict.kind === "hold" && ++held >= MAX_HELD_EVENTS) verdict = CONTENT;
    },
  });
  while (verdict.kind === "hold") {
    const chunk = await reader.read();
    if (chunk.done) {
      reader.releaseLock();
      return { kind: "ended" };
    }
    read.push(chunk.value);
    parser.feed(decoder.decode(chunk.value, { stream: true }));
  }
  const body = replay(read, reader);
  return verdict.kind === "error"
    ? { kind: "error", error: verdict.body, summary: verdict.summary, body }
    : { kind: "content", body };
}

/** The chunks already read, then the rest of the upstream; cancelling it cancels the upstream. */
function replay(read: Uint8Array[], reader: ReadableStreamDefaultReader<Uint8Array>): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const head = read.shift();
      if (head) {
        controller.enqueue(head);
        return;
      }
      const chunk = await reader.read();
      if (chunk.done) controller.close();
      else controller.enqueue(chunk.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}
