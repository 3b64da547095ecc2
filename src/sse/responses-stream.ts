import type { EventSourceMessage } from "eventsource-parser";
import { readResponsesUsage } from "../providers/responses-usage";
import { tapEventStream, type StreamObserver, type StreamOutcome, type TapControls } from "./event-tap";
import { midStreamFailureFrame } from "./frames";

/** The events that end a Responses stream; each carries the final `response`, usage included. */
const TERMINAL = new Set(["response.completed", "response.incomplete", "response.failed"]);

/** The event's type: its `event:` field, else the `type` of its JSON data. */
function eventType(ev: EventSourceMessage, json: unknown): string | undefined {
  if (ev.event) return ev.event;
  const type = typeof json === "object" && json !== null ? (json as { type?: unknown }).type : undefined;
  return typeof type === "string" ? type : undefined;
}

/** OpenAI Responses API events: every event counts; the terminal one ends the stream and carries usage. */
const responsesObserver: StreamObserver = {
  onEvent(ev: EventSourceMessage, outcome: StreamOutcome): boolean {
    outcome.chunks++;
    let json: unknown = null;
    try {
      json = JSON.parse(ev.data);
    } catch {
      // Not JSON: forwarded as it is; only its `event:` field can still say what it is.
    }
    const type = eventType(ev, json);
    if (type === "error") {
      outcome.completed = true;
      outcome.failure = "the provider sent an error event";
      return false;
    }
    if (type === undefined || !TERMINAL.has(type)) return false;
    outcome.completed = true;
    const usage = readResponsesUsage((json as { response?: unknown } | null)?.response);
    if (usage) outcome.usage = usage;
    return false;
  },
  failureFrame: midStreamFailureFrame,
};

/**
 * Streams a Responses API SSE body to the client byte for byte through the shared tap (event-tap.ts),
 * capturing usage from the terminal event; a stream that breaks before it gets the terminal error frame.
 */
export function tapResponsesStream(
  upstream: ReadableStream<Uint8Array>,
  controls: TapControls,
): ReadableStream<Uint8Array> {
  return tapEventStream(upstream, responsesObserver, controls);
}
