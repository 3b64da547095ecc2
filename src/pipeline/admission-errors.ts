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

/** 429 with the dimension and the whole seconds until a retry can pass (at least 1). */
export function rateRefusal(refusal: Extract<AdmitResult, { kind: "rate" }>, tokens: number): GatewayError {
  const { dimension, limit, retryAfterSeconds } = refusal;
  const headers = {
    [RATE_LIMIT_DIMENSION_HEADER]: dimension,
    "Retry-After": String(Math.max(1, Math.ceil(retryAfterSeconds))),
  };
  if (refusal.exceedsLimit === true) {
    return new GatewayError(
      "rate_limit_exceeded",
      "rate_limit_exceeded",
      `This request needs an estimated ${tokens} tokens, more than this key's tpm limit of ${limit} tokens per minute, so it can never pass. ` +
        "Lower max_tokens (or max_completion_tokens), shorten the prompt, or ask the key's owner to raise rate_limits.tpm.",
      { headers },
    );
  }
  return new GatewayError(
    "rate_limit_exceeded",
    "rate_limit_exceeded",
    `Rate limit exceeded: this key allows ${limit} ${RATE_UNIT[dimension]} (${dimension}). Retry after ${headers["Retry-After"]} s, or ask the key's owner to raise rate_limits.${dimension}.`,
    { headers },
  );
}

/** 402 naming `scope:window`, what is spent and reserved, and the limit. */
export function budgetRefusal(budget: BudgetStatus, reserveMicros: number): GatewayError {
  const label = `${budget.scope}:${budget.window}`;
  const resets =
    budget.resetsAt === null
      ? "It never resets (window total)"
      : `It resets at ${new Date(budget.resetsAt).toISOString()}`;
  return new GatewayError(
    "budget_exceeded",
    "budget_exceeded",
    `Budget ${label} is exhausted: $${formatUsd(budget.spentMicros)} spent and $${formatUsd(budget.reservedMicros)} reserved by requests in flight, of a $${formatUsd(budget.limitMicros)} limit; ` +
      `this request may cost up to $${formatUsd(reserveMicros)}. ${resets}. Wait for the reset, or ask an operator to raise the budget (budget ${budget.id}).`,
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
