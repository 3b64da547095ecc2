import { GatewayError } from "../errors";
import { familyFor } from "../providers/registry";
import { BindingMisconfigured, type ChatBody } from "../providers/types";
import { readOpenAIUsage, type TokenUsage } from "../providers/usage";
import type { RequestContext } from "./context";
import type { ModelTarget } from "./resolve-model";

/**
 * Stage 6: walk the resolved targets (the fallback chain) until one answers. Retryable failures
 * (network, timeout, 408/404/429/5xx, HTML or non-JSON bodies) move to the next binding; a
 * provider's own JSON 4xx is final and passed through. Nothing here has reached the client yet.
 */

export type Dispatched =
  | { kind: "stream"; target: ModelTarget; body: ReadableStream<Uint8Array>; abort: (reason: string) => void }
  | { kind: "json"; target: ModelTarget; status: number; text: string; usage: TokenUsage | null }
  | { kind: "passthrough"; target: ModelTarget; status: number; text: string; contentType: string };

interface FailedAttempt {
  binding: string;
  reason: string;
  timedOut: boolean;
}

class AttemptTimeout extends Error {
  override readonly name = "AttemptTimeout";
}

const RETRYABLE_STATUS = (s: number) => s === 404 || s === 408 || s === 429 || s >= 500;

function looksLikeHtml(contentType: string, text: string): boolean {
  return contentType.includes("text/html") || /^\s*<(!doctype|html|head|body)/i.test(text);
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

async function attempt(
  ctx: RequestContext,
  target: ModelTarget,
  body: ChatBody,
  timeoutMs: number,
): Promise<Dispatched | FailedAttempt> {
  const { binding } = target;
  const fail = (reason: string, timedOut = false): FailedAttempt => ({ binding: binding.name, reason, timedOut });
  const family = familyFor(binding.type);
  if (!family) return fail(`binding type "${binding.type}" is not supported yet`);

  const controller = new AbortController();
  const signal = AbortSignal.any([ctx.clientSignal, controller.signal]);
  const timer = setTimeout(() => controller.abort(new AttemptTimeout(`timed out after ${timeoutMs} ms`)), timeoutMs);
  try {
    const res = await family.chatCompletions(binding, { ...body, model: target.model }, {
      env: ctx.env,
      signal,
      development: ctx.config.environment === "development",
    });
    const contentType = res.headers.get("content-type") ?? "";
    if (res.ok && body.stream && contentType.includes("text/event-stream") && res.body) {
      clearTimeout(timer);
      return { kind: "stream", target, body: res.body as ReadableStream<Uint8Array>, abort: (reason) => controller.abort(new Error(reason)) };
    }
    const text = await res.text();
    if (res.ok) {
      if (body.stream) return fail(`answered a streaming request without an event stream (HTTP ${res.status}, ${contentType || "no content-type"})`);
      if (looksLikeHtml(contentType, text)) return fail(`returned an HTML page instead of JSON (HTTP ${res.status})`);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return fail(`returned a body that is not JSON (HTTP ${res.status})`);
      }
      return { kind: "json", target, status: res.status, text, usage: readOpenAIUsage(json) };
    }
    const html = looksLikeHtml(contentType, text);
    if (RETRYABLE_STATUS(res.status) || html || !isJson(text)) {
      return fail(`HTTP ${res.status}${html ? " (HTML error page)" : isJson(text) ? "" : " (non-JSON body)"}`);
    }
    return { kind: "passthrough", target, status: res.status, text, contentType: contentType || "application/json" };
  } catch (err) {
    if (err instanceof BindingMisconfigured) return fail(err.message);
    const reason: unknown = signal.reason;
    if (reason instanceof AttemptTimeout) return fail(reason.message, true);
    if (ctx.clientSignal.aborted) return fail("the client disconnected");
    return fail(`network error: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    clearTimeout(timer);
  }
}

export async function dispatch(ctx: RequestContext, targets: ModelTarget[], body: ChatBody): Promise<Dispatched> {
  const { max_attempts, attempt_timeout_ms } = ctx.bundle?.config.fallback ?? { max_attempts: 1, attempt_timeout_ms: 60_000 };
  const failures: FailedAttempt[] = [];
  for (const target of targets.slice(0, max_attempts)) {
    ctx.meta.provider = target.binding.name;
    ctx.meta.model = target.model;
    ctx.meta.attempts++;
    const result = await attempt(ctx, target, body, attempt_timeout_ms);
    if ("kind" in result) return result;
    failures.push(result);
    ctx.log.warn("provider_attempt_failed", { provider: result.binding, model: target.model, reason: result.reason });
    if (ctx.clientSignal.aborted) break;
  }
  const last = failures[failures.length - 1];
  const detail = failures.map((f, i) => `attempt ${i + 1} ${f.binding}: ${f.reason}`).join("; ");
  const advice = "Retry later, or add another provider to this key's fallback chain.";
  if (last?.timedOut) {
    throw new GatewayError("upstream_timeout", "upstream_timeout", `The provider did not answer in time (${detail}). ${advice}`);
  }
  throw new GatewayError("provider_error", "all_attempts_failed", `Every provider attempt failed (${detail}). ${advice}`);
}
