import { converseErrorToOpenAI, statusForStreamException } from "./converse-error";
import {
  ConverseToOpenAIStream,
  type ConverseStreamMessage,
  type ConverseToOpenAIStreamOptions,
} from "./converse-stream";
import { EventStreamError, EventStreamReader, type EventStreamMessage } from "./event-stream";

/**
 * A ConverseStream answer (binary event stream) as the OpenAI chat-completions SSE stream the rest
 * of the gateway reads. The first message is read before answering: an exception before any output
 * (throttling, say) becomes an HTTP error in OpenAI's envelope with the status it stands for, which
 * the gateway may still retry on the next binding. After that, an exception, a corrupt message or a
 * stream cut short makes the SSE stream error, and the gateway's tap ends the client's stream with
 * the terminal frame (docs/api.md, Errors): never a silently truncated answer.
 */

const utf8 = new TextDecoder();
const encoder = new TextEncoder();

/** A decoded message in the terms of the Converse translation. */
function converseMessage(msg: EventStreamMessage): ConverseStreamMessage {
  const messageType = msg.headers[":message-type"] ?? "event";
  const typeHeader =
    messageType === "exception" ? ":exception-type" : messageType === "error" ? ":error-code" : ":event-type";
  const errorMessage = msg.headers[":error-message"];
  return {
    messageType,
    type: msg.headers[typeHeader] ?? "unknown",
    payload: utf8.decode(msg.payload),
    ...(errorMessage !== undefined ? { errorMessage } : {}),
  };
}

const json = (status: number, body: unknown): Response => Response.json(body, { status });

/** An answer that is no usable stream, before anything was sent: a 502 the gateway retries elsewhere. */
function brokenStream(message: string): Response {
  return json(502, {
    error: {
      type: "server_error",
      code: "malformed_event_stream",
      message: `${message}. Retry the request.`,
      param: null,
    },
  });
}

export async function openAIStreamFromConverse(
  upstream: ReadableStream<Uint8Array>,
  opts: ConverseToOpenAIStreamOptions,
): Promise<Response> {
  const reader = new EventStreamReader(upstream);
  let first: EventStreamMessage | null;
  try {
    first = await reader.next();
  } catch (err) {
    await reader.cancel(err);
    if (err instanceof EventStreamError) return brokenStream(`Bedrock's event stream is unreadable: ${err.message}`);
    throw err; // the connection broke: a network error
  }
  if (first === null) return brokenStream("Bedrock closed the event stream without sending anything");
  const opening = converseMessage(first);
  if (opening.messageType !== "event") {
    await reader.cancel();
    const status = statusForStreamException(opening.type);
    const error = converseErrorToOpenAI(
      status,
      opening.type,
      opening.errorMessage ? { message: opening.errorMessage } : opening.payload,
    );
    return json(error.status, error.body);
  }

  const translator = new ConverseToOpenAIStream(opts);
  let pending: ConverseStreamMessage | null = opening;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        for (;;) {
          const next = pending ?? (await reader.next().then((m) => (m ? converseMessage(m) : null)));
          pending = null;
          if (next === null) {
            const rest = translator.end();
            if (rest) controller.enqueue(encoder.encode(rest));
            controller.close();
            return;
          }
          const text = translator.push(next);
          if (text) {
            controller.enqueue(encoder.encode(text));
            return;
          }
        }
      } catch (err) {
        await reader.cancel(err);
        throw err;
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  return new Response(body, {
    status: 200,
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" },
  });
}
