import type { TokenUsage } from "../contract/usage";

/**
 * OpenAI Responses API usage: `input_tokens` (cached tokens included), `output_tokens`, and
 * `input_tokens_details.cached_tokens`. It sits on a Responses object's `usage`, and in a stream on the
 * `response` of `response.completed` (or `response.incomplete` / `response.failed`).
 */

const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0);

/** Reads a Responses `usage` object itself. */
export function fromResponsesUsage(usage: unknown): TokenUsage | null {
  if (typeof usage !== "object" || usage === null) return null;
  const u = usage as Record<string, unknown>;
  const details = (u.input_tokens_details ?? {}) as Record<string, unknown>;
  return {
    inputTokens: num(u.input_tokens),
    outputTokens: num(u.output_tokens),
    cacheReadTokens: num(details.cached_tokens),
    cacheWriteTokens: 0,
  };
}

/** Reads the `usage` of a parsed Responses object (a non-streaming answer, or a stream event's `response`). */
export function readResponsesUsage(json: unknown): TokenUsage | null {
  if (typeof json !== "object" || json === null) return null;
  return fromResponsesUsage((json as { usage?: unknown }).usage);
}
