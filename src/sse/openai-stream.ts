import type { EventSourceMessage } from "eventsource-parser";
import { tapEventStream, type StreamObserver, type StreamOutcome, type TapControls } from "./event-tap";
import { midStreamFailureFrame } from "./frames";
import { readOpenAIUsage } from "../providers/usage";

/** What the side parser saw of one OpenAI-format stream (`completed`: `[DONE]` arrived). */
export type { StreamOutcome };

export interface TapOptions extends TapControls {
  /** Drop the usage-only chunk: the gateway asked for it, the client did not. */
  hideUsageChunk: boolean;
}

const USAGE_OBJECT = /"usage"\s*:\s*\{/;

/** OpenAI chat-completions events: every chunk but `[DONE]` counts; usage from the chunk that carries it. */
function openAIObserver(hideUsageChunk: boolean): StreamObserver {
  return {
    onEvent(ev: EventSourceMessage, outcome: StreamOutcome): boolean {
      if (ev.data === "[DONE]") {
        outcome.completed = true;
        return false;
      }
      outcome.chunks++;
      if (!USAGE_OBJECT.test(ev.data)) return false;
      try {
        const json: unknown = JSON.parse(ev.data);
        const usage = readOpenAIUsage(json);
        if (!usage) return false;
        outcome.usage = usage;
        const choices = (json as { choices?: unknown }).choices;
        return hideUsageChunk && Array.isArray(choices) && choices.length === 0;
      } catch {
        // Not JSON: forwarded as it is; the client's parser will say what it thinks of it.
        return false;
      }
    },
    failureFrame: midStreamFailureFrame,
  };
}

/**
 * Streams an OpenAI chat-completions SSE body to the client in whole events, as soon as they complete,
 * byte for byte, while a side parser counts chunks and captures usage (the shared tap, event-tap.ts).
 * A stream that breaks or ends without `[DONE]` gets one terminal error frame instead of silence.
 */
export function tapOpenAIStream(upstream: ReadableStream<Uint8Array>, opts: TapOptions): ReadableStream<Uint8Array> {
  return tapEventStream(upstream, openAIObserver(opts.hideUsageChunk), opts);
}
