/**
 * Token estimates made before dispatch, when nothing has counted the prompt yet. They size what a
 * request reserves in `tpm` and its worst-case cost in budgets; settlement replaces both with the
 * provider's reported usage.
 *
 *   prompt tokens ≈ ceil(UTF-8 bytes of the `messages` array serialized as JSON / 4)
 *   output tokens  = max_completion_tokens ?? max_tokens ?? the model's max output (price table) ?? 4096
 *
 * Four bytes per token is the usual rule of thumb for English text with OpenAI-family tokenizers;
 * the JSON punctuation around each message makes the estimate err on the high side.
 */

/** Output tokens assumed when neither the request nor the price table bounds them. */
export const DEFAULT_MAX_OUTPUT_TOKENS = 4096;

const BYTES_PER_TOKEN = 4;

const encoder = new TextEncoder();

export function estimatePromptTokens(messages: readonly unknown[]): number {
  return Math.ceil(encoder.encode(JSON.stringify(messages)).byteLength / BYTES_PER_TOKEN);
}

/**
 * The output tokens a request may produce: its own bound (`max_completion_tokens ?? max_tokens` on
 * OpenAI routes, `max_tokens` on Anthropic's) when it set one, else the model's (`modelMaxOutput`).
 */
export function maxOutputTokens(requested: number | null, modelMaxOutput: number | null | undefined): number {
  return requested ?? modelMaxOutput ?? DEFAULT_MAX_OUTPUT_TOKENS;
}
