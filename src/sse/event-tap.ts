import { createParser, type EventSourceMessage } from "eventsource-parser";
import type { TokenUsage } from "../contract/usage";
import { EventBoundaries } from "./event-boundaries";

/**
 * The stream tap every wire format shares: forwards an upstream SSE body to the client in whole
 * events, as soon as they complete, byte for byte, while a side parser hands each event to the
 * format's observer (usage, chunk counts, completion). A stream that breaks, or ends before the
 * format's own end marker, gets the format's terminal error frame instead of silence.
 *
 * With an output hook (`TapControls.output`, a translation into another wire format) the observer
 * still reads the upstream's own events, but the client receives what the hook writes for each of
 * them instead of the upstream's bytes, and a broken stream ends with the hook's terminal frame (the
 * client's format), written once.
 */

/** What the side parser saw of one stream. */
export interface StreamOutcome {
  chunks: number;
  usage: TokenUsage | null;
  /** The provider ended the stream itself (OpenAI `[DONE]`, Anthropic `message_stop` or `error`). */
  completed: boolean;
  /** The client went away first. */
  cancelled: boolean;
  /** Why the stream ended early or failed, when it did. */
  failure: string | null;
}

/** What one wire format makes of the events of its stream. */
export interface StreamObserver {
  /**
   * Sees one event and records what it says in `outcome` (only `chunks`, `usage`, `completed` and
   * `failure`; the same event may be seen again after those are restored). Returns true when the
   * client must not receive the event.
   */
  onEvent(event: EventSourceMessage, outcome: StreamOutcome): boolean;
  /** The frame that ends a broken stream, in the format's shape. */
  failureFrame(message: string): Uint8Array;
}

/** Writes the client's stream from the upstream's events, when the client speaks another format. */
export interface StreamOutput {
  /** The client's SSE text for one upstream event (often empty, possibly several events). */
  push(event: EventSourceMessage): string;
  /** The client's terminal failure frame; empty once the output already ended (finished or failed). */
  fail(message: string): string;
  /** The output completed normally. */
  readonly finished: boolean;
  /** Why the output ended in its own failure frame (an upstream error event, an unreadable event). */
  readonly failure: string | null;
}

export interface TapControls {
  /** Cancels the upstream request (client disconnect). */
  abortUpstream: (reason: string) => void;
  onDone: (outcome: StreamOutcome) => void;
  /** Absent: the upstream's bytes go to the client as they are. Present: the client gets what it writes. */
  output?: StreamOutput;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

export function tapEventStream(
  upstream: ReadableStream<Uint8Array>,
  observer: StreamObserver,
  controls: TapControls,
): ReadableStream<Uint8Array> {
  const output = controls.output;
  if (output) return tapWithOutput(upstream, observer, controls, output);
  const reader = upstream.getReader();
  const boundaries = new EventBoundaries();
  const outcome: StreamOutcome = { chunks: 0, usage: null, completed: false, cancelled: false, failure: null };
  let dropEvent = false;
  let finished = false;

  const parser = createParser({
    onEvent(ev) {
      if (observer.onEvent(ev, outcome)) dropEvent = true;
    },
  });

  const finish = () => {
    if (finished) return;
    finished = true;
    controls.onDone(outcome);
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
   * and observers change nothing but the outcome fields restored here.
   */
  const forward = (events: Uint8Array[], controller: ReadableStreamDefaultController<Uint8Array>): boolean => {
    const run = events.length > 1 ? contiguousRun(events) : null;
    if (run) {
      const { chunks, usage, completed, failure } = outcome;
      dropEvent = false;
      parse(run);
      if (!dropEvent) {
        controller.enqueue(run);
        return true;
      }
      Object.assign(outcome, { chunks, usage, completed, failure });
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

  /** Ends the client's stream; a stream the provider did not finish gets the terminal frame. */
  const end = (controller: ReadableStreamDefaultController<Uint8Array>, unfinished: string) => {
    forward(boundaries.flush(), controller);
    if (!outcome.completed) {
      outcome.failure = unfinished;
      controller.enqueue(
        observer.failureFrame(`${outcome.failure}. The partial answer above is incomplete; retry the request.`),
      );
    }
    controller.close();
    finish();
  };

  return clientStream(reader, outcome, controls, finish, end, (chunk, controller) =>
    forward(boundaries.push(chunk), controller),
  );
}

/**
 * The tap with an output hook: every upstream event goes to the observer (what the upstream said) and
 * then to the output (what the client hears); the output's text is forwarded as soon as an upstream
 * chunk has produced any. Dropping events is the output's business, so the observer's verdict is
 * ignored.
 */
function tapWithOutput(
  upstream: ReadableStream<Uint8Array>,
  observer: StreamObserver,
  controls: TapControls,
  output: StreamOutput,
): ReadableStream<Uint8Array> {
  const reader = upstream.getReader();
  const outcome: StreamOutcome = { chunks: 0, usage: null, completed: false, cancelled: false, failure: null };
  let pending = "";
  let finished = false;
  const parser = createParser({
    onEvent(ev) {
      observer.onEvent(ev, outcome);
      pending += output.push(ev);
    },
  });
  const utf8 = new TextDecoder(); // one per stream: a character split across chunks decodes whole
  let endsWithCR = false;
  const feed = (text: string) => {
    if (text === "") return;
    endsWithCR = text.endsWith("\r");
    parser.feed(text);
  };

  const finish = () => {
    if (finished) return;
    finished = true;
    controls.onDone(outcome);
  };

  /** Sends what the output wrote so far; true when there was anything. */
  const flush = (controller: ReadableStreamDefaultController<Uint8Array>): boolean => {
    if (pending === "") return false;
    controller.enqueue(encoder.encode(pending));
    pending = "";
    return true;
  };

  const end = (controller: ReadableStreamDefaultController<Uint8Array>, unfinished: string) => {
    feed(utf8.decode());
    // The parser holds a trailing CR back to see whether an LF follows; none will. An event cut off
    // before its blank line stays unsent, as the passthrough tap leaves it.
    if (endsWithCR) parser.feed("\n");
    if (!output.finished) {
      const reason =
        output.failure ?? outcome.failure ?? (outcome.completed ? "the translated stream did not finish" : unfinished);
      outcome.failure = reason;
      pending += output.fail(`${reason}. The partial answer above is incomplete; retry the request.`);
    }
    flush(controller);
    controller.close();
    finish();
  };

  return clientStream(reader, outcome, controls, finish, end, (chunk, controller) => {
    feed(utf8.decode(chunk, { stream: true }));
    return flush(controller);
  });
}

type Controller = ReadableStreamDefaultController<Uint8Array>;

/**
 * The client's stream, shared by both taps: pulls upstream chunks into `onChunk` until it has sent the
 * client something; `end` closes it when the upstream breaks or closes; a client that goes away
 * cancels the upstream request.
 */
function clientStream(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  outcome: StreamOutcome,
  controls: TapControls,
  finish: () => void,
  end: (controller: Controller, unfinished: string) => void,
  onChunk: (chunk: Uint8Array, controller: Controller) => boolean,
): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          result = await reader.read();
        } catch (err) {
          const why = err instanceof Error ? err.message : String(err);
          return end(controller, `the provider's stream broke after ${outcome.chunks} chunks (${why})`);
        }
        if (result.done) {
          return end(controller, `the provider closed the stream after ${outcome.chunks} chunks without finishing it`);
        }
        if (onChunk(result.value, controller)) return;
      }
    },
    async cancel(reason) {
      outcome.cancelled = true;
      outcome.failure = "the client disconnected";
      controls.abortUpstream("client disconnected");
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
