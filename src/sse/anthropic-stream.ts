import type { EventSourceMessage } from "eventsource-parser";
import { fromAnthropicUsage } from "../providers/usage";
import { type TokenUsage } from "../contract/usage";
import { tapEventStream, type StreamObserver, type StreamOutcome, type TapControls } from "./event-tap";
import { anthropicMidStreamFailureFrame } from "./frames";

/**
 * The tap for Anthropic Messages streams. Usage: input and cache tokens from `message_start`, output
 * from `message_delta` (whose counts are cumulative; any input or cache count it carries replaces the
 * earlier one). `message_stop` completes the stream; an `error` event is the provider's own terminal
 * frame, so it ends the stream as failed without a second frame. `ping` is not counted as a chunk.
 */

const TYPE_FIELD = /"type"\s*:\s*"([a-z_]+)"/;

/** The event's name, from its `event:` line or else its data's `type`; "" when it has neither. */
function eventType(ev: EventSourceMessage): string {
  return ev.event ?? TYPE_FIELD.exec(ev.data)?.[1] ?? "";
}

function parse(data: string): Record<string, unknown> | null {
  try {
    const json: unknown = JSON.parse(data);
    return typeof json === "object" && json !== null ? (json as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const isCount = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v >= 0;

/** `message_delta`'s usage over what was known; the same delta applied twice gives the same answer. */
export function mergeDeltaUsage(known: TokenUsage | null, delta: unknown): TokenUsage | null {
  if (typeof delta !== "object" || delta === null) return known;
  const d = delta as Record<string, unknown>;
  const prev = known ?? { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
  const cacheReadTokens = isCount(d.cache_read_input_tokens) ? d.cache_read_input_tokens : prev.cacheReadTokens;
  const cacheWriteTokens = isCount(d.cache_creation_input_tokens)
    ? d.cache_creation_input_tokens
    : prev.cacheWriteTokens;
  const uncached = isCount(d.input_tokens)
    ? d.input_tokens
    : prev.inputTokens - prev.cacheReadTokens - prev.cacheWriteTokens;
  return {
    inputTokens: uncached + cacheReadTokens + cacheWriteTokens,
    outputTokens: isCount(d.output_tokens) ? d.output_tokens : prev.outputTokens,
    cacheReadTokens,
    cacheWriteTokens,
  };
}

/** An Anthropic error event's (or body's) `type: message`, for logs and failure reasons. */
export function errorSummary(json: Record<string, unknown> | null): string {
  const error = json?.error as { type?: unknown; message?: unknown } | undefined;
  const type = typeof error?.type === "string" ? error.type : "unknown_error";
  return typeof error?.message === "string" ? `${type}: ${error.message}` : type;
}

export const anthropicStreamObserver: StreamObserver = {
  onEvent(ev: EventSourceMessage, outcome: StreamOutcome): boolean {
    const type = eventType(ev);
    if (type === "ping") return false;
    outcome.chunks++;
    switch (type) {
      case "message_start": {
        const message = parse(ev.data)?.message as { usage?: unknown } | undefined;
        outcome.usage = fromAnthropicUsage(message?.usage) ?? outcome.usage;
        break;
      }
      case "message_delta":
        outcome.usage = mergeDeltaUsage(outcome.usage, parse(ev.data)?.usage);
        break;
      case "message_stop":
        outcome.completed = true;
        break;
      case "error":
        outcome.completed = true;
        outcome.failure = `the provider reported an error mid-stream (${errorSummary(parse(ev.data))})`;
        break;
      default: // content blocks and events yet unknown: counted, forwarded, nothing to read
        break;
    }
    return false;
  },
  failureFrame: anthropicMidStreamFailureFrame,
};

export function tapAnthropicStream(
  upstream: ReadableStream<Uint8Array>,
  controls: TapControls,
): ReadableStream<Uint8Array> {
  return tapEventStream(upstream, anthropicStreamObserver, controls);
}
