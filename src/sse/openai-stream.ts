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
 * Streams an OpenAI chat-completions SSE body to the client event by event, as each event completes,
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

  /** Parses complete events, forwards the ones not dropped; true when anything was forwarded. */
  const forward = (events: Uint8Array[], controller: ReadableStreamDefaultController<Uint8Array>): boolean => {
    let forwarded = false;
    for (const event of events) {
      dropEvent = false;
      const text = decoder.decode(event);
      // The parser holds a trailing CR back until it sees whether an LF follows; the event is
      // complete, so close its last line for the parser (the client still gets the original bytes).
      parser.feed(text.endsWith("\r") ? `${text}\n` : text);
      if (!dropEvent) {
        controller.enqueue(event);
        forwarded = true;
      }
    }
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
            controller.enqueue(midStreamFailureFrame(`${outcome.failure}. The partial answer above is incomplete; retry the request.`));
          }
          controller.close();
          finish();
          return;
        }
        if (result.done) {
          forward(boundaries.flush(), controller);
          if (!outcome.completed) {
            outcome.failure = `the provider closed the stream after ${outcome.chunks} chunks without finishing it`;
            controller.enqueue(midStreamFailureFrame(`${outcome.failure}. The partial answer above is incomplete; retry the request.`));
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
