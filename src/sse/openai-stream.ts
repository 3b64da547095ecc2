import { createParser } from "eventsource-parser";
import { EventBoundaries } from "./event-boundaries";
import { midStreamFailureFrame } from "./frames";
import type { TokenUsage } from "../providers/usage";
import { readOpenAIUsage } from "../providers/usage";

/** What the side parser saw of one OpenAI-format stream. */
export interface StreamOutcome {
  chunks: number;
  usage: TokenUsage | null;
  /** `[DONE]` arrived: the provider finished the stream. */
  completed: boolean;
  /** The client went away first. */
  cancelled: boolean;
  /** Why the stream ended early, when it did. */
  failure: string | null;
}

export interface TapOptions {
  /** Drop the usage-only chunk: the gateway asked for it, the client did not. */
  hideUsageChunk: boolean;
  /** Cancels the upstream request (client disconnect). */
  abortUpstream: (reason: string) => void;
  onDone: (outcome: StreamOutcome) => void;
}

const decoder = new TextDecoder();
const USAGE_OBJECT = /"usage"\s*:\s*\{/;

/**
 * Streams an OpenAI chat-completions SSE body to the client in whole events, as soon as they complete,
 * byte for byte, while a side parser counts chunks and captures usage. A stream that breaks or ends
 * without `[DONE]` gets one terminal error frame instead of silence.
 */
export function tapOpenAIStream(upstream: ReadableStream<Uint8Array>, opts: TapOptions): ReadableStream<Uint8Array> {
  const reader = upstream.getReader();
  const boundaries = new EventBoundaries();
  const outcome: StreamOutcome = { chunks: 0, usage: null, completed: false, cancelled: false, failure: null };
  let dropEvent = false;
  let finished = false;

  const parser = createParser({
    onEvent(ev) {
      if (ev.data === "[DONE]") {
        outcome.completed = true;
        return;
      }
      outcome.chunks++;
      if (!USAGE_OBJECT.test(ev.data)) return;
      try {
        const json: unknown = JSON.parse(ev.data);
        const usage = readOpenAIUsage(json);
        if (usage) {
          outcome.usage = usage;
          const choices = (json as { choices?: unknown }).choices;
          if (opts.hideUsageChunk && Array.isArray(choices) && choices.length === 0) dropEvent = true;
        }
      } catch {
        // Not JSON: forwarded as it is; the client's parser will say what it thinks of it.
      }
    },
  });

  const finish = () => {
    if (finished) return;
    finished = true;
    opts.onDone(outcome);
  };

  /** Feeds complete events (one or several, as one text) to the side parser. */
  const parse = (bytes: Uint8Array) => {
    const text = decoder.decode(bytes);
    // The parser holds a trailing CR back until it sees whether an LF follows; the event is
    // complete, so close its last line for the parser (the client still gets the original bytes).
    parser.feed(text.endsWith("\r") ? `${text}\n` : text);
  };

  /**
   * Parses complete events, forwards the ones not dropped; true when anything was forwarded.
   * The events of one upstream chunk are parsed and forwarded as one run (one decode, one parser
   * feed, one enqueue). Only when that run holds an event to drop is the parse undone and redone
   * event by event, the events around the dropped one going out as runs of their own. Undoing is
   * sound because a run ends at an event boundary, where the parser keeps no partial line or event,
   * and its callbacks change nothing but the counters restored here.
   */
  const forward = (events: Uint8Array[], controller: ReadableStreamDefaultController<Uint8Array>): boolean => {
    const run = events.length > 1 ? contiguousRun(events) : null;
    if (run) {
      const before = { chunks: outcome.chunks, usage: outcome.usage, completed: outcome.completed };
      dropEvent = false;
      parse(run);
      if (!dropEvent) {
        controller.enqueue(run);
        return true;
      }
      Object.assign(outcome, before);
    }
    let forwarded = false;
    let kept: Uint8Array[] = [];
    const enqueueKept = () => {
      if (kept.length === 0) return;
      const joined = kept.length > 1 ? contiguousRun(kept) : null;
      for (const piece of joined ? [joined] : kept) controller.enqueue(piece);
      forwarded = true;
      kept = [];
    };
    for (const event of events) {
      dropEvent = false;
      parse(event);
      if (dropEvent) enqueueKept();
      else kept.push(event);
    }
    enqueueKept();
    return forwarded;
  };

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          result = await reader.read();
        } catch (err) {
          forward(boundaries.flush(), controller);
          if (!outcome.completed) {
            outcome.failure = `the provider's stream broke after ${outcome.chunks} chunks (${err instanceof Error ? err.message : String(err)})`;
            controller.enqueue(
              midStreamFailureFrame(`${outcome.failure}. The partial answer above is incomplete; retry the request.`),
            );
          }
          controller.close();
          finish();
          return;
        }
        if (result.done) {
          forward(boundaries.flush(), controller);
          if (!outcome.completed) {
            outcome.failure = `the provider closed the stream after ${outcome.chunks} chunks without finishing it`;
            controller.enqueue(
              midStreamFailureFrame(`${outcome.failure}. The partial answer above is incomplete; retry the request.`),
            );
          }
          controller.close();
          finish();
          return;
        }
        if (forward(boundaries.push(result.value), controller)) return;
      }
    },
    async cancel(reason) {
      outcome.cancelled = true;
      outcome.failure = "the client disconnected";
      opts.abortUpstream("client disconnected");
      await reader.cancel(reason).catch(() => undefined);
      finish();
    },
  });
}

/** The events as one view of their bytes, when they lie back to back in one buffer (as one chunk's do); else null. */
function contiguousRun(events: Uint8Array[]): Uint8Array | null {
  const first = events[0];
  if (!first) return null;
  let end = first.byteOffset + first.byteLength;
  for (let i = 1; i < events.length; i++) {
    const e = events[i] as Uint8Array;
    if (e.buffer !== first.buffer || e.byteOffset !== end) return null;
    end += e.byteLength;
  }
  return new Uint8Array(first.buffer, first.byteOffset, end - first.byteOffset);
}
