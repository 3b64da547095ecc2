import type { TokenUsage } from "../contract/usage";

const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0);

/** Reads OpenAI's `usage` (chat completions) from a parsed response or stream chunk. */
export function readOpenAIUsage(json: unknown): TokenUsage | null {
  if (typeof json !== "object" || json === null) return null;
  return fromOpenAIUsage((json as { usage?: unknown }).usage);
}

/**
 * Reads OpenAI's `usage` object itself; `prompt_tokens` already counts the cached tokens. Cache writes
 * are `prompt_tokens_details.cache_write_tokens`, where OpenRouter reports them and the gateway's
 * Bedrock translation writes them; OpenAI itself reports none.
 */
export function fromOpenAIUsage(usage: unknown): TokenUsage | null {
  if (typeof usage !== "object" || usage === null) return null;
  const u = usage as Record<string, unknown>;
  const details = (u.prompt_tokens_details ?? {}) as Record<string, unknown>;
  return {
    inputTokens: num(u.prompt_tokens),
    outputTokens: num(u.completion_tokens),
    cacheReadTokens: num(details.cached_tokens),
    cacheWriteTokens: num(details.cache_write_tokens),
  };
}

/**
 * Reads Anthropic's `usage` object (a Messages response's, `message_start`'s `message.usage`, or
 * `message_delta`'s). Anthropic's `input_tokens` excludes cached tokens; TokenUsage counts every prompt
 * token, so `inputTokens` is input + cache reads + cache writes (as src/pricing expects).
 */
export function fromAnthropicUsage(usage: unknown): TokenUsage | null {
  if (typeof usage !== "object" || usage === null) return null;
  const u = usage as Record<string, unknown>;
  const cacheReadTokens = num(u.cache_read_input_tokens);
  const cacheWriteTokens = num(u.cache_creation_input_tokens);
  return {
    inputTokens: num(u.input_tokens) + cacheReadTokens + cacheWriteTokens,
    outputTokens: num(u.output_tokens),
    cacheReadTokens,
    cacheWriteTokens,
  };
}

/** Reads the `usage` of a parsed Anthropic Messages response. */
export function readAnthropicUsage(json: unknown): TokenUsage | null {
  if (typeof json !== "object" || json === null) return null;
  return fromAnthropicUsage((json as { usage?: unknown }).usage);
}
