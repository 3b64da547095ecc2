import type { RequestContext } from "../pipeline/context";

/**
 * LW_LOG_MESSAGE_BODY=true: one `message_bodies` info line per answered request, with the request
 * body and the response body (a stream as the bytes the client received), each cut at
 * BODY_LOG_LIMIT bytes and with anything shaped like a credential replaced by `[redacted]`.
 * Off (the default), nothing is copied or logged and the response is returned as it is.
 */

/** How much of each body a log line keeps, in bytes. */
export const BODY_LOG_LIMIT = 4096;

/**
 * Credential shapes that must never reach a log, even when a user pasted one into a prompt: virtual
 * keys, OpenAI/Anthropic-style secret keys, AWS access key ids, bearer tokens. Linear-time patterns.
 */
const CREDENTIALS =
  /lw_vk_(?:live|test)_[0-9A-Za-z]+|sk-[A-Za-z0-9_-]{16,}|AKIA[0-9A-Z]{16}|Bearer\s+[A-Za-z0-9._~+/=-]{16,}/g;

export function redactCredentials(text: string): string {
  return text.replace(CREDENTIALS, "[redacted]");
}

const decoder = new TextDecoder();

/** The first BODY_LOG_LIMIT bytes as text (a character cut in two decodes as U+FFFD), redacted. */
export function bodyExcerpt(bytes: Uint8Array, totalBytes = bytes.byteLength): string {
  const text = redactCredentials(decoder.decode(bytes.subarray(0, BODY_LOG_LIMIT)));
  return totalBytes > BODY_LOG_LIMIT ? `${text}… [${totalBytes - BODY_LOG_LIMIT} more bytes]` : text;
}

/**
 * Returns `response` with its body copied (up to the limit) as it streams to the client, and logs
 * both bodies once it has ended. The client gets every byte unchanged and as soon as before.
 */
export function withBodyLog(ctx: Pick<RequestContext, "config" | "log" | "rawBody">, response: Response): Response {
  if (!ctx.config.logMessageBody) return response;
  const emit = (responseBody: string, status: "complete" | "cancelled") =>
    ctx.log.info("message_bodies", {
      request_body: bodyExcerpt(ctx.rawBody),
      response_body: responseBody,
      response_status: response.status,
      response_body_status: status,
    });
  if (response.body === null) {
    emit("", "complete");
    return response;
  }
  const kept = new Uint8Array(BODY_LOG_LIMIT);
  let keptBytes = 0;
  let totalBytes = 0;
  const copy = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      if (keptBytes < BODY_LOG_LIMIT) {
        const part = chunk.subarray(0, BODY_LOG_LIMIT - keptBytes);
        kept.set(part, keptBytes);
        keptBytes += part.byteLength;
      }
      totalBytes += chunk.byteLength;
      controller.enqueue(chunk);
    },
    flush() {
      emit(bodyExcerpt(kept.subarray(0, keptBytes), totalBytes), "complete");
    },
    cancel() {
      emit(bodyExcerpt(kept.subarray(0, keptBytes), totalBytes), "cancelled");
    },
  });
  return new Response((response.body as ReadableStream<Uint8Array>).pipeThrough(copy), response);
}
