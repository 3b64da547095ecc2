import { anthropicConversation, type AnthropicConversation } from "./messages-to-anthropic";
import { DroppedParams } from "./notes";
import type { AnthropicToolChoice } from "./schemas/anthropic";
import type { OpenAIChatRequest } from "./schemas/openai";
import { anthropicToolChoice, anthropicTools, type AnthropicToolOut } from "./tools-to-anthropic";
import { reportUnhandled } from "./unhandled";

/**
 * What an OpenAI chat request becomes in the APIs that follow Anthropic's rules: Anthropic Messages
 * itself, and Bedrock Converse (roles alternate, tool results open a user turn, the system prompt
 * stands apart, temperature runs 0–1, one tool choice with parallel calls folded in). Each
 * translation writes these parts in its own body shape; the notes on what was dropped collect in
 * `dropped`, in the order the parameters were met, and `reportUnhandledParams` ends the list.
 */

export interface AnthropicRequestParts extends AnthropicConversation {
  dropped: DroppedParams;
  /** `max_completion_tokens`, else `max_tokens`; undefined when the client set no limit. */
  maxTokens: number | undefined;
  /** Clamped to 1 (OpenAI's range is 0–2), with a note when it was above. */
  temperature: number | undefined;
  topP: number | undefined;
  /** `stop` as a list; undefined when it names none. */
  stopSequences: string[] | undefined;
  /** The function tools; the other kinds are dropped. */
  tools: AnthropicToolOut[];
  /** Undefined when there are no tools to choose from (a choice that demanded one is noted as dropped). */
  toolChoice: AnthropicToolChoice | undefined;
}

/** The parts of a validated OpenAI chat request, in Anthropic's terms. */
export function anthropicRequestParts(req: OpenAIChatRequest): AnthropicRequestParts {
  const dropped = new DroppedParams();
  const { system, messages } = anthropicConversation(req.messages, dropped);

  let temperature: number | undefined;
  if (req.temperature != null) {
    temperature = Math.min(req.temperature, 1);
    if (req.temperature > 1) dropped.add(`temperature (${req.temperature} clamped to 1)`);
  }
  const stop = req.stop == null ? [] : typeof req.stop === "string" ? [req.stop] : req.stop;

  const tools = anthropicTools(req.tools, dropped);
  let toolChoice = anthropicToolChoice(req, dropped);
  if (tools.length === 0) {
    // A tool must be called, but none is left to call.
    if (toolChoice && toolChoice.type !== "none" && toolChoice.type !== "auto") dropped.add("tool_choice");
    toolChoice = undefined;
  }

  return {
    dropped,
    system,
    messages,
    maxTokens: req.max_completion_tokens ?? req.max_tokens ?? undefined,
    temperature,
    topP: req.top_p ?? undefined,
    stopSequences: stop.length > 0 ? stop : undefined,
    tools,
    toolChoice,
  };
}

/** The request parameters `anthropicRequestParts` carries over. */
const HANDLED = [
  "model",
  "messages",
  "max_tokens",
  "max_completion_tokens",
  "temperature",
  "top_p",
  "stop",
  "stream",
  // Both APIs' streams always report usage; the stream translators honour include_usage themselves.
  "stream_options",
  "tools",
  "tool_choice",
  "parallel_tool_calls",
];

/** Values that ask for what these APIs do anyway. */
const NO_OPS: Record<string, (v: unknown) => boolean> = {
  n: (v) => v === 1,
  logprobs: (v) => v === false,
  response_format: (v) => typeof v === "object" && v !== null && (v as { type?: unknown }).type === "text",
};

/**
 * Notes every other parameter the client set as dropped; `alsoHandled` names the ones the
 * translation carried over itself (Anthropic's `user`, say).
 */
export function reportUnhandledParams(
  req: OpenAIChatRequest,
  dropped: DroppedParams,
  alsoHandled: readonly string[] = [],
): void {
  reportUnhandled(req, new Set([...HANDLED, ...alsoHandled]), NO_OPS, dropped);
}
