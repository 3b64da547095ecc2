import type { AdmitResult, BudgetStatus, Dimension } from "../../durable-objects/types";
import { GatewayError } from "../errors";
import { formatUsd } from "../pricing";
import type { ModelTarget } from "../contract/model-target";

/** The answers of admission (admit.ts) when it does not let a request through, each saying what to do. */

export const RATE_LIMIT_DIMENSION_HEADER = "X-LangWatch-RateLimit-Dimension";

/** A budget applies and the model's cost cannot be bounded: 503, fail closed. */
export function priceUnknown(target: ModelTarget): GatewayError {
  return new GatewayError(
    "service_unavailable",
    "price_unknown",
    `No price is known for model "${target.model}" on provider binding "${target.binding.name}", and this key has budgets, so the request's cost cannot be bounded. ` +
      `An operator must add the model to the binding's \`prices\` (PATCH /admin/v1/providers/${target.binding.name}), or set the binding's \`settings.unpriced\` to "free" to charge unknown models at zero.`,
  );
}

const RATE_UNIT: Record<Dimension, string> = {
  rpm: "requests per minute",
  rpd: "requests per day",
  tpm: "tokens per minute",
};

/**
 * The official OpenAI and Anthropic SDKs retry a 429 on their own, sleeping whatever `Retry-After`
 * says, unless the answer carries `x-should-retry: false`. A wait longer than this is not worth an
 * automatic retry (a script would hang for it), so such a 429 says not to retry.
 */
export const AUTOMATIC_RETRY_MAX_SECONDS = 60;

/** The longest `Retry-After` the gateway passes on from a provider (a day); a longer one is cut to it. */
export const PROVIDER_RETRY_AFTER_MAX_SECONDS = 86_400;

/**
 * A 429's retry hints: `Retry-After` (whole seconds ≥ 1) when a retry can pass after that long, none
 * when it never can; `x-should-retry: false` when no automatic retry can succeed soon (never, or
 * later than AUTOMATIC_RETRY_MAX_SECONDS).
 */
function retryHints(retryAfterSeconds: number | null): Record<string, string> {
  if (retryAfterSeconds === null) return { "x-should-retry": "false" };
  const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
  return {
    "Retry-After": String(seconds),
    ...(seconds > AUTOMATIC_RETRY_MAX_SECONDS ? { "x-should-retry": "false" } : {}),
  };
}

/** "12 s", "3 min 5 s", "23 h 47 min": how long a wait is, for people. */
function waitText(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  if (h > 0) return `${h} h${m > 0 ? ` ${m} min` : ""}`;
  return `${m} min${rest > 0 ? ` ${rest} s` : ""}`;
}

/**
 * 429 with the dimension and, when a retry can pass, the whole seconds until it can (at least 1). A
 * request larger than the tpm limit can never pass: no `Retry-After` then.
 */
export function rateRefusal(refusal: Extract<AdmitResult, { kind: "rate" }>, tokens: number): GatewayError {
  const { dimension, limit, retryAfterSeconds } = refusal;
  const never = refusal.exceedsLimit === true;
  const hints = retryHints(never ? null : retryAfterSeconds);
  const headers = { [RATE_LIMIT_DIMENSION_HEADER]: dimension, ...hints };
  if (never) {
    return new GatewayError(
      "rate_limit_exceeded",
      "rate_limit_exceeded",
      `This request needs an estimated ${tokens} tokens, more than this key's tpm limit of ${limit} tokens per minute, so it can never pass: do not retry it as it is. ` +
        "Lower max_tokens (or max_completion_tokens), shorten the prompt, or ask the key's owner to raise rate_limits.tpm.",
      { headers },
    );
  }
  const seconds = Number(hints["Retry-After"]);
  const when =
    seconds > AUTOMATIC_RETRY_MAX_SECONDS
      ? `The window has room again in ${waitText(seconds)} (Retry-After: ${seconds}); retrying sooner fails`
      : `Retry after ${seconds} s`;
  return new GatewayError(
    "rate_limit_exceeded",
    "rate_limit_exceeded",
    `Rate limit exceeded: this key allows ${limit} ${RATE_UNIT[dimension]} (${dimension}). ${when}, or ask the key's owner to raise rate_limits.${dimension}.`,
    { headers },
  );
}

/**
 * A provider's `Retry-After` as whole seconds from now: `retry-after-ms` first (as both official SDKs
 * read it), then `retry-after` as seconds or an HTTP date; null when absent or not a usable number
 * (negative, not finite, a date in the past counts as 1 s). Capped at PROVIDER_RETRY_AFTER_MAX_SECONDS.
 */
export function providerRetryAfterSeconds(headers: Headers, now = Date.now()): number | null {
  const ms = headers.get("retry-after-ms");
  const raw = headers.get("retry-after");
  let seconds: number | null = null;
  if (ms !== null && /^\s*\d+(\.\d+)?\s*$/.test(ms)) seconds = Number(ms) / 1000;
  else if (raw !== null && /^\s*\d+(\.\d+)?\s*$/.test(raw)) seconds = Number(raw);
  else if (raw !== null && /^[A-Za-z]{3}, /.test(raw.trim())) {
    // An HTTP date (`Wed, 21 Oct 2026 07:28:00 GMT`); nothing else (Date.parse reads "-5" as a year).
    const at = Date.parse(raw);
    if (Number.isFinite(at)) seconds = (at - now) / 1000;
  }
  if (seconds === null || !Number.isFinite(seconds)) return null;
  return Math.min(PROVIDER_RETRY_AFTER_MAX_SECONDS, Math.max(1, Math.ceil(seconds)));
}

/**
 * The chain's last attempt was the provider's own 429 (its quota, not this key's limits): 429
 * `rate_limit_exceeded` without `X-LangWatch-RateLimit-Dimension` (the edge adds X-LangWatch-Provider),
 * with the provider's `Retry-After` when it sent a usable one, and `x-should-retry: false` when that
 * wait is too long for an automatic retry or the provider itself said not to retry.
 */
export function upstreamRateLimited(binding: string, detail: string, upstream: Headers): GatewayError {
  const seconds = providerRetryAfterSeconds(upstream);
  const headers: Record<string, string> = seconds === null ? {} : retryHints(seconds);
  if (upstream.get("x-should-retry") === "false") headers["x-should-retry"] = "false";
  const when = seconds === null ? "Retry later" : `Retry after ${waitText(seconds)}`;
  return new GatewayError(
    "rate_limit_exceeded",
    "upstream_rate_limited",
    `Provider binding "${binding}" refused the request with its own rate limit (HTTP 429), and no other binding of this key's fallback chain answered (${detail}). ` +
      `This is the provider's quota, not this key's rate limits. ${when}, add another provider to this key's fallback chain, or raise the quota with the provider.`,
    { headers },
  );
}

/**
 * 402 naming `scope:window`, what is spent and reserved, and the limit. Two cases, told apart: the
 * budget is used up (spent + reserved reach the limit), or it still has room but not for this
 * request's worst-case cost, which the message then names as the reason, with how to shrink it.
 */
export function budgetRefusal(budget: BudgetStatus, reserveMicros: number): GatewayError {
  const label = `${budget.scope}:${budget.window}`;
  const resets =
    budget.resetsAt === null
      ? "It never resets (window total)"
      : `It resets at ${new Date(budget.resetsAt).toISOString()}`;
  const counters = `$${formatUsd(budget.spentMicros)} spent and $${formatUsd(budget.reservedMicros)} reserved by requests in flight, of a $${formatUsd(budget.limitMicros)} limit`;
  const raise = `ask an operator to raise the budget (budget ${budget.id})`;
  const used = budget.spentMicros + budget.reservedMicros;
  if (used < budget.limitMicros) {
    return new GatewayError(
      "budget_exceeded",
      "budget_exceeded",
      `This request's worst-case cost of $${formatUsd(reserveMicros)} does not fit in budget ${label}, which has $${formatUsd(budget.limitMicros - used)} left (${counters}). ` +
        `The worst case is the prompt plus max_tokens (or max_completion_tokens; without one, the model's whole maximum output) at the dearest binding the request may reach: set a lower max_tokens, wait for requests in flight to settle, or ${raise}. ${resets}.`,
    );
  }
  return new GatewayError(
    "budget_exceeded",
    "budget_exceeded",
    `Budget ${label} is exhausted: ${counters}; this request may cost up to $${formatUsd(reserveMicros)}. ${resets}. Wait for the reset, or ${raise}.`,
  );
}

/** A counting object did not answer: 503, fail closed (nothing was sent upstream). */
export function limitsUnavailable(failed: string[]): GatewayError {
  return new GatewayError(
    "service_unavailable",
    "limits_unavailable",
    `The gateway could not check this key's rate limits and budgets (${failed.join(", ")} did not answer), so the request was not sent. Retry shortly; if it persists, check /readyz.`,
  );
}
