import { parseRequest } from "./invalid";
import { anthropicConversation } from "./messages-to-anthropic";
import { DroppedParams, type Translated } from "./notes";
import type { AnthropicMessagesRequest } from "./schemas/anthropic";
import { OpenAIChatRequest } from "./schemas/openai";
import { anthropicToolChoice, anthropicTools } from "./tools-to-anthropic";
import { reportUnhandled } from "./unhandled";

/** `max_tokens` when an OpenAI client sets no limit: Anthropic requires one. */
export const DEFAULT_MAX_TOKENS = 4096;

export interface ToAnthropicRequestOptions {
  /** The model to ask for upstream; the client's `model` when absent. */
  model?: string;
  /** `max_tokens` when the client sent neither `max_tokens` nor `max_completion_tokens`. */
  defaultMaxTokens?: number;
}

const HANDLED = new Set([
  "model",
  "messages",
  "max_tokens",
  "max_completion_tokens",
  "temperature",
  "top_p",
  "stop",
  "stream",
  // Anthropic streams always report usage; the stream translator honours include_usage itself.
  "stream_options",
  "tools",
  "tool_choice",
  "parallel_tool_calls",
  "user",
]);

/** Values that ask for what Anthropic does anyway. */
const NO_OPS: Record<string, (v: unknown) => boolean> = {
  n: (v) => v === 1,
  logprobs: (v) => v === false,
  response_format: (v) => typeof v === "object" && v !== null && (v as { type?: unknown }).type === "text",
};

/** An OpenAI chat-completions request as an Anthropic Messages request. */
export function openAIToAnthropicRequest(
  body: unknown,
  opts: ToAnthropicRequestOptions = {},
): Translated<AnthropicMessagesRequest> {
  const req = parseRequest(OpenAIChatRequest, body);
  const dropped = new DroppedParams();
  const { system, messages } = anthropicConversation(req.messages, dropped);

  const out: AnthropicMessagesRequest = {
    model: opts.model ?? req.model,
    max_tokens: req.max_completion_tokens ?? req.max_tokens ?? opts.defaultMaxTokens ?? DEFAULT_MAX_TOKENS,
    messages,
  };
  if (system !== undefined) out.system = system;
  if (req.temperature != null) {
    // OpenAI's range is 0–2, Anthropic's 0–1.
    out.temperature = Math.min(req.temperature, 1);
    if (req.temperature > 1) dropped.add(`temperature (${req.temperature} clamped to 1)`);
  }
  if (req.top_p != null) out.top_p = req.top_p;
  if (req.stop != null) {
    const sequences = typeof req.stop === "string" ? [req.stop] : req.stop;
    if (sequences.length > 0) out.stop_sequences = sequences;
  }
  if (req.stream != null) out.stream = req.stream;
  if (req.user != null) out.metadata = { user_id: req.user };

  const tools = anthropicTools(req.tools, dropped);
  const toolChoice = anthropicToolChoice(req, dropped);
  if (tools.length > 0) {
    out.tools = tools;
    if (toolChoice) out.tool_choice = toolChoice;
  } else if (toolChoice && toolChoice.type !== "none" && toolChoice.type !== "auto") {
    // A tool must be called, but none is left to call.
    dropped.add("tool_choice");
  }

  reportUnhandled(req, HANDLED, NO_OPS, dropped);
  return { body: out, dropped: dropped.list() };
}
