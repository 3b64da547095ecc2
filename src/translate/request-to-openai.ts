import { parseRequest } from "./invalid";
import { openAIConversation } from "./messages-to-openai";
import { DroppedParams, type Translated } from "./notes";
import { AnthropicMessagesRequest } from "./schemas/anthropic";
import type { OpenAIChatRequest } from "./schemas/openai";
import { openAIToolChoice, openAITools } from "./tools-to-openai";
import { reportUnhandled } from "./unhandled";

export interface ToOpenAIRequestOptions {
  /** The model to ask for upstream; the client's `model` when absent. */
  model?: string;
  /**
   * Where the output limit goes: `max_tokens` (default; every OpenAI-compatible server takes it) or
   * `max_completion_tokens` (OpenAI's reasoning models take only this one).
   */
  maxTokensField?: "max_tokens" | "max_completion_tokens";
  /** Ask a streaming upstream for its usage chunk (`stream_options.include_usage`); default true. */
  includeUsage?: boolean;
  /**
   * Keep `cache_control` prompt-cache markers on the parts, messages and tools they mark, for a
   * family that reads them in OpenAI bodies (Bedrock's); default false: they are dropped, with a note.
   */
  keepCacheMarkers?: boolean;
}

/**
 * The longest `metadata.user_id` carried over as OpenAI's `user`: OpenAI-shaped servers cap that
 * field (OpenRouter at 128 characters), and Claude Code's user id is a JSON document of about 150.
 */
const MAX_USER_LENGTH = 64;

/** OpenAI accepts at most this many stop sequences. */
const MAX_STOP_SEQUENCES = 4;

const HANDLED = new Set([
  "model",
  "messages",
  "system",
  "max_tokens",
  "temperature",
  "top_p",
  "stop_sequences",
  "stream",
  "tools",
  "tool_choice",
  "metadata",
]);

/** An Anthropic Messages request as an OpenAI chat-completions request. */
export function anthropicToOpenAIRequest(
  body: unknown,
  opts: ToOpenAIRequestOptions = {},
): Translated<OpenAIChatRequest> {
  const req = parseRequest(AnthropicMessagesRequest, body);
  const dropped = new DroppedParams();
  const out: OpenAIChatRequest = {
    model: opts.model ?? req.model,
    messages: openAIConversation(req.system, req.messages, dropped, opts.keepCacheMarkers),
  };
  if (req.max_tokens !== undefined) out[opts.maxTokensField ?? "max_tokens"] = req.max_tokens;
  if (req.temperature !== undefined) out.temperature = req.temperature;
  if (req.top_p !== undefined) out.top_p = req.top_p;
  if (req.stop_sequences && req.stop_sequences.length > 0) {
    out.stop = req.stop_sequences.slice(0, MAX_STOP_SEQUENCES);
    if (req.stop_sequences.length > MAX_STOP_SEQUENCES) {
      dropped.add(`stop_sequences (kept the first ${MAX_STOP_SEQUENCES} of ${req.stop_sequences.length})`);
    }
  }
  if (req.stream !== undefined) {
    out.stream = req.stream;
    if (req.stream && opts.includeUsage !== false) out.stream_options = { include_usage: true };
  }

  const tools = openAITools(req.tools, dropped, opts.keepCacheMarkers);
  if (tools.length > 0) {
    out.tools = tools;
    Object.assign(out, openAIToolChoice(req.tool_choice));
  } else if (req.tool_choice && req.tool_choice.type !== "none" && req.tool_choice.type !== "auto") {
    dropped.add("tool_choice");
  }

  if (req.metadata) {
    for (const [key, value] of Object.entries(req.metadata)) {
      if (key === "user_id") {
        if (typeof value !== "string") continue;
        if (value.length <= MAX_USER_LENGTH) out.user = value;
        else dropped.add(`metadata.user_id (longer than ${MAX_USER_LENGTH} characters)`);
      } else if (value != null) dropped.add(`metadata.${key}`);
    }
  }

  reportUnhandled(req, HANDLED, {}, dropped);
  return { body: out, dropped: dropped.list() };
}
