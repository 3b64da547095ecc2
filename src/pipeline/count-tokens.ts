import type { KeyBundle } from "../contract/bundle";
import type { ModelTarget } from "../contract/model-target";
import type { OutgoingBody } from "../contract/wire";
import { GatewayError } from "../errors";
import { estimatePromptTokens } from "../lib/estimate-tokens";
import { familyFor } from "../providers/registry";
import { BindingMisconfigured, retryableStatus, type ProviderFamily } from "../providers/types";
import { limitsUnavailable, rateRefusal, upstreamRateLimited } from "./admission-errors";
import { authenticate } from "./authenticate";
import { enforcePolicy } from "./check-policy";
import { circuitAllows, reportAttempt } from "./circuit-breaker";
import type { RequestContext } from "./context";
import { keyLimiter } from "./counters";
import { anthropicPassthrough } from "./messages";
import { messagesPrompt, parseCountTokensRequest, type CountTokensRequest } from "./parse-messages";
import { resolveTargets } from "./resolve-model";
import { looksLikeHtml, NOT_JSON, parseJson } from "./upstream-body";
import { startUpstreamCall } from "./upstream-call";

/**
 * POST /v1/messages/count_tokens (Anthropic's token counting, which Claude Code and the SDK's
 * `messages.countTokens` call), governed like /v1/messages but costing nothing:
 *
 * 1. the key, the body (a Messages request without `max_tokens`), the model and its chain, and the
 *    key's policy, exactly as on /v1/messages;
 * 2. rate limits by request count: the call is one request in `rpm` and `rpd` and adds no tokens to
 *    `tpm`; budgets are neither checked nor charged, and no usage row is written;
 * 3. the chain is walked like /v1/messages: a binding whose family counts tokens (Anthropic's) gets
 *    the body byte for byte (unless the model name changed) at its `/v1/messages/count_tokens`, with
 *    the client's `anthropic-beta` header and `?beta=` parameter, and its answer comes back untouched;
 *    network errors, timeouts, retryable statuses and non-JSON answers move to the next binding, and
 *    another JSON 4xx is the provider's verdict, returned as is. A binding whose family has no token
 *    counting (every OpenAI-shaped one), or whose server answers the endpoint with a 404, gets an
 *    estimate instead: `{"input_tokens": N}` with N = ceil(UTF-8 bytes of `system`, `messages` and
 *    `tools` as JSON / 4), the same estimate admission makes.
 *
 * `X-LangWatch-Token-Count` says which: `provider` (counted by the provider) or `estimated`.
 */

export const TOKEN_COUNT_HEADER = "X-LangWatch-Token-Count";

/** What one binding made of the count: an answer for the client, an estimate to make, or a failure. */
type Outcome =
  | { kind: "answer"; response: Response; inputTokens: number | null }
  | { kind: "estimate"; reason: string }
  | { kind: "failed"; reason: string; timedOut: boolean; answered?: { status: number; headers: Headers } };

type CountingFamily = ProviderFamily & Required<Pick<ProviderFamily, "countTokens">>;

/** Whether a family counts tokens itself (Anthropic's); the others are estimated for. */
const counts = (family: ProviderFamily): family is CountingFamily => family.countTokens !== undefined;

function inputTokensOf(json: unknown): number | null {
  if (typeof json !== "object" || json === null) return null;
  const value = (json as { input_tokens?: unknown }).input_tokens;
  return typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : null;
}

/**
 * Counts this request once in the key's `rpm` and `rpd` windows (no tokens, no budgets). Returns
 * whether the key's limiter holds a reservation that must be settled after the response.
 */
async function admitRequestCount(ctx: RequestContext, bundle: KeyBundle): Promise<boolean> {
  const limits = bundle.config.rate_limits;
  if (limits.rpm === null && limits.rpd === null) return false;
  let result;
  try {
    result = await keyLimiter(ctx.env, bundle.vk.id).admit({
      requestId: ctx.requestId,
      limits: { rpm: limits.rpm, rpd: limits.rpd, tpm: limits.tpm },
      tokens: 0,
      budgets: [],
    });
  } catch (err) {
    ctx.log.error("admission_unavailable", { object: "key", error: err instanceof Error ? err.message : String(err) });
    throw limitsUnavailable(["the key's limiter"]);
  }
  if (result.ok) return true;
  if (result.kind === "rate") {
    ctx.log.info("rate_limited", {
      dimension: result.dimension,
      limit: result.limit,
      retry_after_s: result.retryAfterSeconds,
    });
    throw rateRefusal(result, 0);
  }
  // No budget was asked about, so a budget refusal cannot happen; fail closed if it ever does.
  throw limitsUnavailable(["the key's limiter"]);
}

/** Ends the request's reservation, keeping its count in rpm and rpd; no ledger row. */
async function settleRequestCount(ctx: RequestContext, bundle: KeyBundle): Promise<void> {
  try {
    await keyLimiter(ctx.env, bundle.vk.id).settle({
      requestId: ctx.requestId,
      tokens: 0,
      costMicros: 0,
      record: null,
    });
  } catch (err) {
    // The limiter's own sweep expires the reservation; the failure must still be visible.
    ctx.log.error("settlement_failed", { object: "key", error: err instanceof Error ? err.message : String(err) });
  }
}

function estimated(ctx: RequestContext, body: CountTokensRequest, target: ModelTarget, reason: string): Response {
  const inputTokens = estimatePromptTokens(messagesPrompt(body));
  ctx.meta.model = target.model;
  ctx.log.info("count_tokens_served", {
    provider: target.binding.name,
    model: target.model,
    input_tokens: inputTokens,
    source: "estimated",
    reason,
  });
  return Response.json({ input_tokens: inputTokens }, { headers: { [TOKEN_COUNT_HEADER]: "estimated" } });
}

/** The body for `target`: the client's own bytes when the model name is unchanged. */
function outgoing(ctx: RequestContext, body: CountTokensRequest, model: string): OutgoingBody {
  if (model === body.model) return { json: body, bytes: ctx.rawBody };
  const json = { ...body, model };
  return { json, bytes: JSON.stringify(json) };
}

async function countAt(
  ctx: RequestContext,
  target: ModelTarget,
  family: CountingFamily,
  body: OutgoingBody,
  passthrough: ReturnType<typeof anthropicPassthrough>,
  timeoutMs: number,
): Promise<{ outcome: Outcome; health: "success" | "failure" | "neutral" }> {
  const failed = (reason: string, timedOut = false, answered?: Response) => ({
    outcome: {
      kind: "failed" as const,
      reason,
      timedOut,
      ...(answered ? { answered: { status: answered.status, headers: answered.headers } } : {}),
    },
    health: "failure" as const,
  });
  const call = startUpstreamCall(ctx, timeoutMs, passthrough.forwardHeaders, passthrough.forwardQuery);
  try {
    const res = await family.countTokens(target.binding, body, call.context);
    const contentType = res.headers.get("content-type") ?? "";
    const text = await res.text();
    const html = looksLikeHtml(contentType, text);
    const json = html ? NOT_JSON : parseJson(text);
    if (html) {
      return failed(
        res.ok ? `returned an HTML page instead of JSON (HTTP ${res.status})` : `HTTP ${res.status} (HTML error page)`,
      );
    }
    if (json === NOT_JSON) {
      return failed(
        res.ok ? `returned a body that is not JSON (HTTP ${res.status})` : `HTTP ${res.status} (non-JSON body)`,
      );
    }
    if (res.status === 404) {
      return {
        outcome: { kind: "estimate", reason: "the binding answered its count_tokens endpoint with HTTP 404" },
        health: "neutral",
      };
    }
    const retryable = family.isRetryable ? family.isRetryable(res.status, json) : retryableStatus(res.status);
    if (!res.ok && retryable) return failed(`HTTP ${res.status}`, false, res);
    const response = new Response(text, {
      status: res.status,
      headers: {
        "content-type": contentType || "application/json",
        ...(res.ok ? { [TOKEN_COUNT_HEADER]: "provider" } : {}),
      },
    });
    return { outcome: { kind: "answer", response, inputTokens: inputTokensOf(json) }, health: "success" };
  } catch (err) {
    if (err instanceof BindingMisconfigured) return { ...failed(err.message), health: "neutral" };
    if (call.timedOut()) return failed(`timed out after ${timeoutMs} ms`, true);
    if (ctx.clientSignal.aborted) return { ...failed("the client disconnected"), health: "neutral" };
    return failed(`network error: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    call.stopTimer();
  }
}

/** Walks the chain until a binding counts (or can be estimated for); throws when every attempt failed. */
async function countOnChain(
  ctx: RequestContext,
  bundle: KeyBundle,
  targets: ModelTarget[],
  body: CountTokensRequest,
  passthrough: ReturnType<typeof anthropicPassthrough>,
): Promise<Response> {
  const { max_attempts, attempt_timeout_ms } = bundle.config.fallback;
  const failures: ({ binding: string } & Omit<Extract<Outcome, { kind: "failed" }>, "kind">)[] = [];
  for (const target of targets.slice(0, max_attempts)) {
    const family = familyFor(target.binding.type);
    if (family && !counts(family)) {
      return estimated(ctx, body, target, `binding type "${target.binding.type}" has no token counting`);
    }
    let failure: Omit<Extract<Outcome, { kind: "failed" }>, "kind">;
    const circuit = circuitAllows(target.binding.name);
    if (!family) {
      failure = { reason: `binding type "${target.binding.type}" is not supported yet`, timedOut: false };
    } else if (!circuit.pass) {
      failure = { reason: circuit.reason, timedOut: false };
    } else {
      ctx.meta.provider = target.binding.name;
      ctx.meta.model = target.model;
      ctx.meta.attempts++;
      const sent = outgoing(ctx, body, target.model);
      const { outcome, health } = await countAt(ctx, target, family, sent, passthrough, attempt_timeout_ms);
      reportAttempt(target.binding.name, health);
      if (outcome.kind === "estimate") return estimated(ctx, body, target, outcome.reason);
      if (outcome.kind === "answer") {
        ctx.log.info("count_tokens_served", {
          provider: target.binding.name,
          model: target.model,
          input_tokens: outcome.inputTokens,
          source: "provider",
          status: outcome.response.status,
        });
        return outcome.response;
      }
      failure = outcome;
    }
    failures.push({ binding: target.binding.name, ...failure });
    ctx.log.warn("provider_attempt_failed", {
      provider: target.binding.name,
      model: target.model,
      reason: failure.reason,
    });
    if (ctx.clientSignal.aborted) break;
  }
  const detail = failures.map((f, i) => `attempt ${i + 1} ${f.binding}: ${f.reason}`).join("; ");
  const advice = "Retry later, or add another provider to this key's fallback chain.";
  const last = failures.at(-1);
  if (last?.timedOut) {
    throw new GatewayError(
      "upstream_timeout",
      "upstream_timeout",
      `The provider did not count the tokens in time (${detail}). ${advice}`,
    );
  }
  // A provider's own rate limit on the last attempt is a 429 with its retry hints, as on /v1/messages.
  if (last?.answered?.status === 429) throw upstreamRateLimited(last.binding, detail, last.answered.headers);
  throw new GatewayError(
    "provider_error",
    "all_attempts_failed",
    `Every provider attempt to count the tokens failed (${detail}). ${advice}`,
  );
}

export async function countTokens(ctx: RequestContext, headers: Headers, query: URLSearchParams): Promise<Response> {
  const bundle = await authenticate(ctx, headers); // key → bundle
  const parsed = parseCountTokensRequest(ctx.rawBody); // validate the body
  const resolved = resolveTargets(ctx, bundle, parsed.model); // model → chain of targets
  const targets = enforcePolicy(ctx, bundle, { body: parsed, targets: resolved }); // policy
  const admitted = await admitRequestCount(ctx, bundle); // rpm and rpd only
  try {
    return await countOnChain(ctx, bundle, targets, parsed, anthropicPassthrough(headers, query));
  } finally {
    if (admitted) ctx.exec.waitUntil(settleRequestCount(ctx, bundle));
  }
}
