import { fromAnthropicUsage, fromOpenAIUsage } from "../providers/usage";
import { type TokenUsage } from "../contract/usage";
import type { AnthropicUsage } from "./schemas/anthropic";
import type { OpenAIUsage } from "./schemas/openai";

/**
 * Token usage across the two APIs. OpenAI's `prompt_tokens` counts every prompt token, cached ones
 * included (`prompt_tokens_details.cached_tokens` are the cache reads); Anthropic splits the prompt into
 * `input_tokens` (uncached), `cache_read_input_tokens` and `cache_creation_input_tokens`.
 */

const ZERO: TokenUsage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };

export const tokenUsageFromAnthropic = (u: AnthropicUsage): TokenUsage => fromAnthropicUsage(u) ?? ZERO;

export const tokenUsageFromOpenAI = (u: OpenAIUsage): TokenUsage => fromOpenAIUsage(u) ?? ZERO;

export interface OpenAIUsageOut {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
}

export function openAIUsageFrom(u: TokenUsage): OpenAIUsageOut {
  return {
    prompt_tokens: u.inputTokens,
    completion_tokens: u.outputTokens,
    total_tokens: u.inputTokens + u.outputTokens,
    prompt_tokens_details: { cached_tokens: u.cacheReadTokens },
  };
}

export interface AnthropicUsageOut {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

export function anthropicUsageFrom(u: TokenUsage): AnthropicUsageOut {
  return {
    input_tokens: Math.max(0, u.inputTokens - u.cacheReadTokens - u.cacheWriteTokens),
    output_tokens: u.outputTokens,
    cache_creation_input_tokens: u.cacheWriteTokens,
    cache_read_input_tokens: u.cacheReadTokens,
  };
}
