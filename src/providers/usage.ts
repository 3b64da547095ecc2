/** Token usage as the gateway records it, whichever provider reported it. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0);

/** Reads OpenAI's `usage` (chat completions) from a parsed response or stream chunk. */
export function readOpenAIUsage(json: unknown): TokenUsage | null {
  if (typeof json !== "object" || json === null) return null;
  const usage = (json as { usage?: unknown }).usage;
  if (typeof usage !== "object" || usage === null) return null;
  const u = usage as Record<string, unknown>;
  const details = (u.prompt_tokens_details ?? {}) as Record<string, unknown>;
  return {
    inputTokens: num(u.prompt_tokens),
    outputTokens: num(u.completion_tokens),
    cacheReadTokens: num(details.cached_tokens),
    cacheWriteTokens: 0,
  };
}
