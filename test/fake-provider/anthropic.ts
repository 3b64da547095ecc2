import { FAKE_REPLY_WORDS, FAKE_TOOL_ARGUMENT_FRAGMENTS, FAKE_TOOL_ARGUMENTS } from "./openai";

/**
 * Anthropic's Messages wire format as the fake provider speaks it, closely enough for
 * `@anthropic-ai/sdk` to parse: a message, or the stream `message_start`, `content_block_start`,
 * `ping`, one `content_block_delta` (text_delta) per word, `content_block_stop`, `message_delta` with
 * the output usage, `message_stop`. Usage reports cache reads and writes, as Anthropic does when the
 * request carries `cache_control` markers.
 *
 * A request with tools whose `tool_choice` forces a call (`{"type": "any"}`, or `{"type": "tool",
 * "name"}`) is answered with one `tool_use` block of that tool (the first one for `any`) whose input
 * is FAKE_TOOL_ARGUMENTS, stop reason `tool_use`; streamed, the block starts with an empty `input`
 * and its JSON arrives as `input_json_delta` events, one per FAKE_TOOL_ARGUMENT_FRAGMENTS entry.
 */

export interface MessagesRequestLike {
  model?: unknown;
  stream?: unknown;
  tools?: unknown;
  tool_choice?: unknown;
}

/** What every fake Anthropic answer reports: input excludes cached tokens, as Anthropic counts. */
export const FAKE_ANTHROPIC_USAGE = {
  input_tokens: 11,
  cache_creation_input_tokens: 5,
  cache_read_input_tokens: 3,
  output_tokens: FAKE_REPLY_WORDS.length,
} as const;

const record = (v: unknown): Record<string, unknown> =>
  typeof v === "object" && v !== null ? (v as Record<string, unknown>) : {};

/** The tool an Anthropic request forces a call of, if it does. */
export function forcedAnthropicTool(req: MessagesRequestLike): string | null {
  const names = Array.isArray(req.tools)
    ? req.tools.flatMap((t) => (typeof record(t).name === "string" ? [record(t).name as string] : []))
    : [];
  if (names.length === 0) return null;
  const choice = record(req.tool_choice);
  if (choice.type === "any") return names[0] ?? null;
  return choice.type === "tool" && typeof choice.name === "string" ? choice.name : null;
}

const toolUseId = (id: string) => `toolu_${id.replace(/^msg_/, "")}`;

export function message(req: MessagesRequestLike, id: string) {
  const tool = forcedAnthropicTool(req);
  return {
    id,
    type: "message",
    role: "assistant",
    model: String(req.model),
    content: tool
      ? [{ type: "tool_use", id: toolUseId(id), name: tool, input: FAKE_TOOL_ARGUMENTS }]
      : [{ type: "text", text: FAKE_REPLY_WORDS.join(" ") }],
    stop_reason: tool ? "tool_use" : "end_turn",
    stop_sequence: null,
    usage: FAKE_ANTHROPIC_USAGE,
  };
}

const ev = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

function messageStart(req: MessagesRequestLike, id: string): string {
  const { output_tokens: _final, ...input } = FAKE_ANTHROPIC_USAGE;
  return ev("message_start", {
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
  });
}

/** The content block's start and deltas: the tool call when one is forced, else the text word by word. */
function contentBlock(req: MessagesRequestLike, id: string): { start: string; deltas: string[] } {
  const tool = forcedAnthropicTool(req);
  if (tool) {
    return {
      start: ev("content_block_start", {
        index: 0,
        content_block: { type: "tool_use", id: toolUseId(id), name: tool, input: {} },
      }),
      deltas: FAKE_TOOL_ARGUMENT_FRAGMENTS.map((partial_json) =>
        ev("content_block_delta", { index: 0, delta: { type: "input_json_delta", partial_json } }),
      ),
    };
  }
  return {
    start: ev("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
    deltas: FAKE_REPLY_WORDS.map((w, i) =>
      ev("content_block_delta", { index: 0, delta: { type: "text_delta", text: i === 0 ? w : ` ${w}` } }),
    ),
  };
}

/** The stream's events, each as its full SSE text (`event:` and `data:` lines, blank line). */
export function messageStreamEvents(req: MessagesRequestLike, id: string): string[] {
  const block = contentBlock(req, id);
  return [
    messageStart(req, id),
    block.start,
    ev("ping", {}),
    ...block.deltas,
    ev("content_block_stop", { index: 0 }),
    ev("message_delta", {
      delta: { stop_reason: forcedAnthropicTool(req) ? "tool_use" : "end_turn", stop_sequence: null },
      usage: { output_tokens: FAKE_ANTHROPIC_USAGE.output_tokens },
    }),
    ev("message_stop", {}),
  ];
}

/** What the fake's `/v1/messages/count_tokens` answers for any request: never a gateway estimate of a test's body. */
export const FAKE_COUNTED_TOKENS = 4321;

/**
 * Anthropic's token counting (`POST /v1/messages/count_tokens`): `{"input_tokens": N}`, after the
 * checks Anthropic makes that a gateway could get wrong: a model and messages, and no `max_tokens` or
 * `stream` (the endpoint refuses fields it does not take).
 */
export function countTokensAnswer(body: unknown): Response {
  const req = record(body);
  const refuse = (message: string) => Response.json(anthropicError(400, message), { status: 400 });
  if (typeof req.model !== "string") return refuse("model: Field required");
  if (!Array.isArray(req.messages)) return refuse("messages: Field required");
  for (const field of ["max_tokens", "stream"]) {
    if (field in req) return refuse(`${field}: Extra inputs are not permitted`);
  }
  return Response.json({ input_tokens: FAKE_COUNTED_TOKENS });
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

/** An `error` event as Anthropic sends it inside a stream already answered with HTTP 200 (e.g. overloaded). */
export function streamErrorEvent(status: number): string {
  return ev("error", { error: anthropicError(status).error });
}

/**
 * A stream that fails before any content: its error event first, or after `message_start` and `ping`
 * (`afterStart`), as Anthropic does when it is overloaded.
 */
export function openingErrorEvents(
  req: MessagesRequestLike,
  id: string,
  status: number,
  afterStart: boolean,
): string[] {
  return [...(afterStart ? [messageStart(req, id), ev("ping", {})] : []), streamErrorEvent(status)];
}
