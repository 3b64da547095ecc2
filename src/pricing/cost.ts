import type { TokenUsage } from "../contract/usage";
import type { ModelPrice } from "./price";

/**
 * Cost in integer micro-USD. Rates are µUSD per million tokens, so the exact cost of a request is
 * Σ(tokens × rate) / 1e6 µUSD; the sum is taken exactly (BigInt) and the one division rounds UP to
 * the next whole µUSD, so a request is never charged less than it cost. Per request, not per token:
 * a request of 1 token at $0.15/Mtok costs 1 µUSD (0.15 µUSD rounded up).
 */

const PER_MTOK = 1_000_000n;

function ceilDiv(total: bigint): number {
  return Number((total + PER_MTOK - 1n) / PER_MTOK);
}

const tokens = (n: number): bigint => BigInt(Math.max(0, Math.trunc(n)));

/**
 * The cost of reported usage. `inputTokens` counts every prompt token, cached ones included (as
 * OpenAI reports `prompt_tokens`): the cache reads are charged at the cache-read rate, the cache
 * writes at the cache-write rate, and only the rest at the input rate. A provider whose input count
 * excludes cached tokens (Anthropic's `input_tokens`) is read into TokenUsage as the sum of the three.
 */
export function costMicros(usage: TokenUsage, price: ModelPrice): number {
  const cacheRead = tokens(usage.cacheReadTokens);
  const cacheWrite = tokens(usage.cacheWriteTokens);
  const uncached = tokens(usage.inputTokens) - cacheRead - cacheWrite;
  const total =
    (uncached > 0n ? uncached : 0n) * BigInt(price.inputMicrosPerMtok) +
    cacheRead * BigInt(price.cacheReadMicrosPerMtok) +
    cacheWrite * BigInt(price.cacheWriteMicrosPerMtok) +
    tokens(usage.outputTokens) * BigInt(price.outputMicrosPerMtok);
  return ceilDiv(total);
}

/**
 * The most a request can cost before anyone has counted it: every prompt token at the dearer of the
 * input and cache-write rates, and the largest output it may produce at the output rate.
 */
export function worstCaseMicros(promptTokens: number, maxOutputTokens: number, price: ModelPrice): number {
  const promptRate = BigInt(Math.max(price.inputMicrosPerMtok, price.cacheWriteMicrosPerMtok));
  return ceilDiv(tokens(promptTokens) * promptRate + tokens(maxOutputTokens) * BigInt(price.outputMicrosPerMtok));
}
