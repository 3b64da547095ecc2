import { FAKE_REPLY_WORDS } from "./openai";

/**
 * Anthropic's Messages wire format as the fake provider speaks it, closely enough for
 * `@anthropic-ai/sdk` to parse: a message, or the stream `message_start`, `content_block_start`,
 * `ping`, one `content_block_delta` (text_delta) per word, `content_block_stop`, `message_delta` with
 * the output usage, `message_stop`. Usage reports cache reads and writes, as Anthropic does when the
 * request carries `cache_control` markers.
 */

export interface MessagesRequestLike {
  model?: unknown;
  stream?: unknown;
}

/** What every fake Anthropic answer reports: input excludes cached tokens, as Anthropic counts. */
export const FAKE_ANTHROPIC_USAGE = {
  input_tokens: 11,
  cache_creation_input_tokens: 5,
  cache_read_input_tokens: 3,
  output_tokens: FAKE_REPLY_WORDS.length,
} as const;

export function message(req: MessagesRequestLike, id: string) {
  return {
    id,
    type: "message",
    role: "assistant",
    model: String(req.model),
    content: [{ type: "text", text: FAKE_REPLY_WORDS.join(" ") }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: FAKE_ANTHROPIC_USAGE,
  };
}

/** The stream's events, each as its full SSE text (`event:` and `data:` lines, blank line). */
export function messageStreamEvents(req: MessagesRequestLike, id: string): string[] {
  const ev = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  const { output_tokens: _final, ...input } = FAKE_ANTHROPIC_USAGE;
  return [
    ev("message_start", {
      message: {
        id,
        type: "message",
        role: "assistant",
        model: String(req.model),
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...input, output_tokens: 1 },
      },
    }),
    ev("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
    ev("ping", {}),
    ...FAKE_REPLY_WORDS.map((w, i) =>
      ev("content_block_delta", { index: 0, delta: { type: "text_delta", text: i === 0 ? w : ` ${w}` } }),
    ),
    ev("content_block_stop", { index: 0 }),
    ev("message_delta", {
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { output_tokens: FAKE_ANTHROPIC_USAGE.output_tokens },
    }),
    ev("message_stop", {}),
  ];
}

const ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  529: "overloaded_error",
};

export function anthropicError(status: number, message = `Fake provider error with status ${status}`) {
  return {
    type: "error",
    error: { type: ERROR_TYPES[status] ?? (status >= 500 ? "api_error" : "invalid_request_error"), message },
  };
}
