import type { ProviderBinding } from "../contract/bundle";
import { GatewayError } from "../errors";
import { priceFor } from "../pricing";
import { proxyRequestHeaders } from "../providers/proxy-request";
import { BindingMisconfigured, type ProxyRequest } from "../providers/types";
import type { TokenUsage } from "../contract/usage";
import { admit } from "./admit";
import { authenticate } from "./authenticate";
import { enforcePolicy } from "./check-policy";
import type { RequestContext } from "./context";
import { estimatePromptTokens, maxOutputTokens } from "../lib/estimate-tokens";
import { checkedPathModel, readProxyBody, type ProxyBody } from "./proxy-body";
import { proxyResponse, type ProxyOutcome } from "./proxy-respond";
import { proxyPath, proxyTarget, ProxyRefusal, requireModelWhenGoverned, requireProxyEnabled } from "./proxy-target";
import type { ModelTarget } from "../contract/model-target";
import { settle, type Settlement } from "./settle";
import { startUpstreamCall } from "./upstream-call";

/**
 * ANY /proxy/:provider/*, stage by stage: a raw passthrough to one binding of the key's chain, for
 * debugging a provider without the gateway's translation. The body, method, path and query go
 * upstream untouched with the binding's own auth (never the client's credentials); the answer comes
 * back untouched. It is governed like any call: the key must set `"proxy": true`, a JSON body passes
 * the key's policy, and the call is admitted against rate limits and budgets and settled after the
 * response. There is no fallback: a network failure is a 502, a timeout a 504, and the provider's own
 * errors pass through.
 */

export interface ProxyCall {
  method: string;
  /** The `:provider` segment: a binding name of the key's chain. */
  provider: string;
  /** The rest of the path, percent-encoded as sent ("" or starting with "/"). */
  rest: string;
  /** The query string with its "?", or "". */
  query: string;
}

const decoder = new TextDecoder();

/** What admission reserved in tokens: the prompt estimated from the body bytes, and the output bound. */
function estimatedUsage(ctx: RequestContext, target: ModelTarget | null, body: ProxyBody): TokenUsage {
  const inputTokens = estimatePromptTokens([decoder.decode(ctx.rawBody)]);
  const outputTokens = target
    ? maxOutputTokens(body.maxOutputTokens, priceFor(target.binding, target.model)?.maxOutputTokens)
    : (body.maxOutputTokens ?? 0);
  return { inputTokens, outputTokens, cacheReadTokens: 0, cacheWriteTokens: 0 };
}

/** A call that did not produce an answer: 504 when it timed out, else 502; never a fallback. */
function upstreamFailure(binding: ProviderBinding, err: unknown, timeoutMs: number | null): GatewayError {
  if (err instanceof BindingMisconfigured) {
    return new GatewayError(
      "provider_error",
      "binding_misconfigured",
      `${err.message}. The proxy calls only this binding; an operator must fix it before it can be reached.`,
    );
  }
  if (timeoutMs !== null) {
    return new GatewayError(
      "upstream_timeout",
      "upstream_timeout",
      `Provider binding "${binding.name}" did not answer within ${timeoutMs} ms. Retry later, or ask the key's owner to raise fallback.attempt_timeout_ms.`,
    );
  }
  return new GatewayError(
    "provider_error",
    "provider_unreachable",
    `The request to provider binding "${binding.name}" failed (network error: ${err instanceof Error ? err.message : String(err)}). Retry later; the proxy calls only this binding and does not fall back.`,
  );
}

export async function proxy(ctx: RequestContext, headers: Headers, call: ProxyCall): Promise<Response> {
  const bundle = await authenticate(ctx, headers); // 2. key → bundle
  requireProxyEnabled(bundle); // the key must allow the proxy
  const { binding, proxy: passthrough } = proxyTarget(bundle, call.provider); // 3. the binding named
  const path = proxyPath(call.rest);
  const bodyless = call.method === "GET" || call.method === "HEAD";
  if (bodyless && ctx.rawBody.byteLength > 0) {
    throw new ProxyRefusal(
      400,
      "invalid_proxy_request",
      `A ${call.method} request cannot carry a body. Send it without one.`,
    );
  }
  const body = readProxyBody(ctx.rawBody, headers.get("content-type")); // 3. what the gateway reads of the body (it never changes it)
  // the path's where the family names the model there (Bedrock calls that one, whatever the body), else the body's
  const model = checkedPathModel(passthrough.modelInPath?.(path) ?? null) ?? body.model;
  requireModelWhenGoverned(bundle, model); // nothing the key governs passes unchecked
  const targets: ModelTarget[] = model ? [{ binding, model }] : [];
  ctx.meta.model = model ?? undefined;
  // 4. policy, on the body when it is JSON and on the model wherever it was named
  const allowed = body.json || model ? enforcePolicy(ctx, bundle, { body: body.json ?? {}, targets }) : targets;
  const admission = await admit(ctx, bundle, allowed, {
    prompt: [decoder.decode(ctx.rawBody)],
    maxOutputTokens: body.maxOutputTokens,
  }); // 5. limits and budgets

  const target = allowed[0] ?? null;
  const onDone = (o: ProxyOutcome) => settle(ctx, bundle, admission, settlement(ctx, target, body, o)); // 8.
  const request: ProxyRequest = {
    method: call.method,
    path,
    query: call.query,
    headers: proxyRequestHeaders(headers),
    body: bodyless ? null : ctx.rawBody,
  };
  // 6. the one call, timed until its response head arrives; the client going away cancels it
  ctx.meta.provider = binding.name;
  ctx.meta.attempts = 1;
  const timeoutMs = bundle.config.fallback.attempt_timeout_ms;
  const upstreamCall = startUpstreamCall(ctx, timeoutMs);
  try {
    const upstream = await passthrough.send(binding, request, upstreamCall.context);
    upstreamCall.stopTimer();
    return await proxyResponse(ctx, upstream, path, upstreamCall.abort, onDone); // 7.
  } catch (err) {
    ctx.log.warn("proxy_call_failed", {
      provider: binding.name,
      reason: err instanceof Error ? err.message : String(err),
    });
    ctx.exec.waitUntil(
      onDone({ outcome: ctx.clientSignal.aborted ? "cancelled" : "provider_error", usage: null, answered: false }),
    );
    throw upstreamFailure(binding, err, upstreamCall.timedOut() ? timeoutMs : null);
  } finally {
    upstreamCall.stopTimer();
  }
}

/**
 * What the call used: the provider's reported usage; for a 2xx answer that reported none (a stream
 * without a usage chunk, an endpoint the gateway cannot read), the admission estimate, logged as
 * `proxy_usage_unknown`, so that a passthrough never goes unaccounted.
 */
function settlement(ctx: RequestContext, target: ModelTarget | null, body: ProxyBody, o: ProxyOutcome): Settlement {
  let usage = o.usage;
  if (usage === null && o.answered) {
    usage = estimatedUsage(ctx, target, body);
    ctx.log.info("proxy_usage_unknown", {
      provider: ctx.meta.provider,
      model: target?.model ?? null,
      outcome: o.outcome,
      estimated_input_tokens: usage.inputTokens,
      estimated_output_tokens: usage.outputTokens,
    });
  }
  return { outcome: o.outcome, usage, target, chunks: o.chunks, failure: o.failure ?? null };
}
