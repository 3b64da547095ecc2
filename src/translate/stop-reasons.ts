/** Why generation stopped, in each API's words. */

export type OpenAIFinishReason = "stop" | "length" | "tool_calls" | "content_filter";
export type AnthropicStopReason = "end_turn" | "max_tokens" | "stop_sequence" | "tool_use" | "refusal";

/** `end_turn`, `stop_sequence` and `pause_turn` are normal stops: the default. */
const FROM_STOP_REASON: Record<string, OpenAIFinishReason> = {
  max_tokens: "length",
  model_context_window_exceeded: "length",
  tool_use: "tool_calls",
  refusal: "content_filter",
};

/** OpenAI does not say whether a stop sequence ended the turn: a normal stop is `end_turn`. */
const FROM_FINISH_REASON: Record<string, AnthropicStopReason> = {
  length: "max_tokens",
  tool_calls: "tool_use",
  function_call: "tool_use",
  content_filter: "refusal",
};

/** Anthropic `stop_reason` → OpenAI `finish_reason`. Unknown or absent reasons read as a normal stop. */
export function finishReasonFromStopReason(reason: string | null | undefined): OpenAIFinishReason {
  return (reason != null ? FROM_STOP_REASON[reason] : undefined) ?? "stop";
}

/** OpenAI `finish_reason` → Anthropic `stop_reason`. Unknown or absent reasons read as a normal stop. */
export function stopReasonFromFinishReason(reason: string | null | undefined): AnthropicStopReason {
  return (reason != null ? FROM_FINISH_REASON[reason] : undefined) ?? "end_turn";
}
