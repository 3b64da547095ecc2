import { anthropicRequestParts, reportUnhandledParams } from "./anthropic-request-parts";
import { parseRequest } from "./invalid";
import type { Translated } from "./notes";
import type { AnthropicMessagesRequest } from "./schemas/anthropic";
import { OpenAIChatRequest } from "./schemas/openai";

/** `max_tokens` when an OpenAI client sets no limit: Anthropic requires one. */
export const DEFAULT_MAX_TOKENS = 4096;

export interface ToAnthropicRequestOptions {
  /** The model to ask for upstream; the client's `model` when absent. */
  model?: string;
  /** `max_tokens` when the client sent neither `max_tokens` nor `max_completion_tokens`. */
  defaultMaxTokens?: number;
}

/** An OpenAI chat-completions request as an Anthropic Messages request. */
export function openAIToAnthropicRequest(
  body: unknown,
  opts: ToAnthropicRequestOptions = {},
): Translated<AnthropicMessagesRequest> {
  const req = parseRequest(OpenAIChatRequest, body);
  const parts = anthropicRequestParts(req);

  const out: AnthropicMessagesRequest = {
    model: opts.model ?? req.model,
    max_tokens: parts.maxTokens ?? opts.defaultMaxTokens ?? DEFAULT_MAX_TOKENS,
    messages: parts.messages,
  };
  if (parts.system !== undefined) out.system = parts.system;
  if (parts.temperature !== undefined) out.temperature = parts.temperature;
  if (parts.topP !== undefined) out.top_p = parts.topP;
  if (parts.stopSequences) out.stop_sequences = parts.stopSequences;
  if (req.stream != null) out.stream = req.stream;
  if (req.user != null) out.metadata = { user_id: req.user };
  if (parts.tools.length > 0) {
    out.tools = parts.tools;
    if (parts.toolChoice) out.tool_choice = parts.toolChoice;
  }

  reportUnhandledParams(req, parts.dropped, ["user"]);
  return { body: out, dropped: parts.dropped.list() };
}
