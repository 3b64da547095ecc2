import { fromAnthropicUsage } from "../usage";
import { type TokenUsage } from "../../contract/usage";
import { chatCompletion, type OpenAIChatCompletionBase, type OpenAIToolCallOut } from "../../translate/chat-completion";
import { ConverseResponse, type ConverseUsage } from "./converse-schemas";
import { parseUpstream } from "../../translate/invalid";
import { finishReasonFromStopReason, type OpenAIFinishReason } from "../../translate/stop-reasons";
import { openAIUsageFrom, type OpenAIUsageOut } from "../../translate/usage";

/**
 * A Bedrock Converse answer as an OpenAI chat completion, and the pieces the stream translation
 * shares with it: the finish reason and usage mappings.
 */

/**
 * Converse usage as the gateway counts it. Bedrock's `inputTokens` leaves the cached prompt tokens
 * out, as Anthropic's `input_tokens` does, so it is read the same way: every prompt token in
 * `inputTokens`, cache reads and writes besides.
 */
export function tokenUsageFromConverse(u: ConverseUsage | null | undefined): TokenUsage {
  return (
    fromAnthropicUsage({
      input_tokens: u?.inputTokens,
      output_tokens: u?.outputTokens,
      cache_read_input_tokens: u?.cacheReadInputTokens,
      cache_creation_input_tokens: u?.cacheWriteInputTokens,
    }) ?? { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 }
  );
}

/** OpenAI's usage object, with the cache writes in `prompt_tokens_details.cache_write_tokens` (as OpenRouter reports them). */
export interface ConverseOpenAIUsage extends OpenAIUsageOut {
  prompt_tokens_details: { cached_tokens: number; cache_write_tokens: number };
}

export function openAIUsageFromConverse(u: TokenUsage): ConverseOpenAIUsage {
  const base = openAIUsageFrom(u);
  return { ...base, prompt_tokens_details: { ...base.prompt_tokens_details, cache_write_tokens: u.cacheWriteTokens } };
}

/** Bedrock's own stop reasons besides Anthropic's: a guardrail or content filter stopped the answer. */
const FILTERED = new Set(["guardrail_intervened", "content_filtered"]);

/** Converse `stopReason` → OpenAI `finish_reason`; the reasons Anthropic shares read as Anthropic's. */
export function finishReasonFromConverse(reason: string | null | undefined): OpenAIFinishReason {
  return reason != null && FILTERED.has(reason) ? "content_filter" : finishReasonFromStopReason(reason);
}

export type ConverseChatCompletionOut = OpenAIChatCompletionBase & { usage: ConverseOpenAIUsage };

export interface FromConverseOptions {
  /** The completion's id (Bedrock's answer has none). */
  id: string;
  /** The model the client asked for. */
  model: string;
}

/**
 * A Converse answer as an OpenAI chat completion: text blocks joined into `content`, `toolUse` blocks
 * as `tool_calls` (input as a JSON string), reasoning and other blocks left out. A body of the wrong
 * shape is a 502 naming the field.
 */
export function converseToOpenAIResponse(json: unknown, opts: FromConverseOptions): ConverseChatCompletionOut {
  const answer = parseUpstream(ConverseResponse, json);
  let text = "";
  const toolCalls: OpenAIToolCallOut[] = [];
  for (const block of answer.output.message.content) {
    if (block.text !== undefined) text += block.text;
    else if (block.toolUse) {
      const { toolUseId, name, input } = block.toolUse;
      toolCalls.push({ id: toolUseId, type: "function", function: { name, arguments: JSON.stringify(input ?? {}) } });
    }
  }
  return {
    ...chatCompletion({
      id: opts.id,
      model: opts.model,
      text,
      toolCalls,
      finishReason: finishReasonFromConverse(answer.stopReason),
    }),
    usage: openAIUsageFromConverse(tokenUsageFromConverse(answer.usage)),
  };
}
