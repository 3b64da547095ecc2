import { GatewayError } from "../errors";
import { upstreamRateLimited } from "./admission-errors";
import { familyFor } from "../providers/registry";
import type { KeyBundle, ProviderBinding } from "../contract/bundle";
import { BindingMisconfigured, retryableStatus, type CallContext, type ProviderFamily } from "../providers/types";
import {
  type ChatFormat,
  type OpenAIEndpoint,
  type OutgoingBody,
  type RequestBody,
  type WireFormat,
} from "../contract/wire";
import type { TokenUsage } from "../contract/usage";
import { OPENING_CHECKS, readOpening, type StreamOpening } from "../sse/stream-opening";
import { circuitAllows, reportAttempt } from "./circuit-breaker";
import type { RequestContext } from "./context";
import { bridgeBetween, PASSTHROUGH, type Bridge } from "./format-bridge";
import type { ModelTarget } from "../contract/model-target";
import { startUpstreamCall } from "./upstream-call";
import { looksLikeHtml, NOT_JSON, parseJson } from "./upstream-body";
import { WIRE_FORMATS } from "./wire-formats";

/**
 * Stage 6: walk the resolved targets (the fallback chain) until one answers, in whatever wire format
 * the client spoke. Retryable failures (network, timeout, the family's retryable statuses, HTML or
 * non-JSON bodies) move to the next binding; a provider's own JSON 4xx is final and passed through.
 * A binding whose circuit is open (circuit-breaker.ts) is skipped. A binding that speaks another
 * format than the client's is reached through a translation (format-bridge.ts): the request goes out
 * in the binding's format, and a JSON answer or error body comes back already in the client's; a
 * stream comes back in the binding's format with the bridge that respond.ts translates it with.
 * OpenAI's embeddings and Responses requests go to the bindings whose family serves that endpoint
 * (`ProviderFamily.openAIEndpoints`), untranslated unless the family translates them itself (Workers
 * AI's embeddings); the others are skipped with the reason. A family that finds the request impossible
 * for its binding throws a 400 GatewayError before calling it: counted like a failed translation.
 * A stream whose format can open with an error event (Anthropic's) is read up to its first content
 * (sse/stream-opening.ts): one that opens with a retryable error, or ends before any content, moves on
 * too. Nothing here has reached the client yet.
 */

export interface DispatchRequest {
  /** The format the client spoke, and the one the answer must be in. */
  format: WireFormat;
  body: RequestBody;
  /** The client's own bytes, sent unchanged to a target whose model is `body.model`; null: always re-serialise. */
  raw: Uint8Array | null;
  /** Client headers a family may forward (lower-case names). */
  forwardHeaders?: Record<string, string>;
  /** Client query parameters a family may forward (Anthropic's `beta`). */
  forwardQuery?: Record<string, string>;
}

export type Dispatched =
  | {
      kind: "stream";
      /** The upstream's format (its stream is tapped in it); `bridge` says how the client hears it. */
      format: WireFormat;
      bridge: Bridge;
      target: ModelTarget;
      body: ReadableStream<Uint8Array>;
      abort: (reason: string) => void;
    }
  | { kind: "json"; format: WireFormat; target: ModelTarget; status: number; text: string; usage: TokenUsage | null }
  | { kind: "passthrough"; format: WireFormat; target: ModelTarget; status: number; text: string; contentType: string };

interface FailedAttempt {
  binding: string;
  reason: string;
  timedOut: boolean;
  /** The provider answered with this error status (its headers kept for a final 429's retry hints). */
  answered?: { status: number; headers: Headers };
  /** The client's request cannot be translated for, or served by, this binding (a 400 when no binding could serve). */
  untranslatable?: GatewayError;
  /** Skipped because the binding's family has no such endpoint (a kind of `untranslatable`). */
  unservable?: boolean;
}

function outgoing(request: DispatchRequest, model: string): OutgoingBody {
  if (request.raw && model === request.body.model) return { json: request.body, bytes: request.raw };
  const json = model === request.body.model ? request.body : { ...request.body, model };
  return { json, bytes: JSON.stringify(json) };
}

/** The request as the binding's format needs it: the client's own (bytes kept when possible), or translated. */
function outgoingFor(ctx: RequestContext, request: DispatchRequest, target: ModelTarget, bridge: Bridge): OutgoingBody {
  if (bridge.kind === "passthrough") return outgoing(request, target.model);
  const { body, dropped } = bridge.request(request.body, target.model);
  if (dropped.length > 0) {
    ctx.log.info("translation_dropped_params", {
      provider: target.binding.name,
      model: target.model,
      dropped: dropped.join("; "),
    });
  }
  return { json: body, bytes: JSON.stringify(body) };
}

/** Whether an attempt's result tells the circuit breaker the binding is healthy, failing, or neither. */
type Health = "success" | "failure" | "neutral";

/** How one binding is called for a request: the format it answers in, the bridge back, and the call. */
interface Route {
  format: WireFormat;
  bridge: Bridge;
  send(binding: ProviderBinding, body: OutgoingBody, ctx: CallContext): Promise<Response>;
}

/** The OpenAI endpoint a non-chat format is served at, and why a binding without it is skipped. */
const OPENAI_ENDPOINTS: Record<Exclude<WireFormat, ChatFormat>, { endpoint: OpenAIEndpoint; unsupported: string }> = {
  "openai-embeddings": {
    endpoint: "embeddings",
    unsupported: "its provider has no OpenAI-compatible embeddings endpoint",
  },
  "openai-responses": {
    endpoint: "responses",
    unsupported: "the Responses API is only served by openai, azure and openai-compatible bindings",
  },
};

/** The route to a target's family for the request's format, or why the binding cannot serve it. */
function routeFor(request: DispatchRequest, target: ModelTarget, family: ProviderFamily): Route | { skip: string } {
  if (request.format === "openai-chat" || request.format === "anthropic-messages") {
    const bridge = bridgeBetween(request.format, family.format, family.promptCacheMarkers);
    return { format: family.format, bridge, send: (b, body, c) => family.send(b, body, c) };
  }
  const special = OPENAI_ENDPOINTS[request.format];
  const extra = family.openAIEndpoints;
  if (!extra?.serves(special.endpoint, target.binding)) {
    return { skip: `binding type "${target.binding.type}" cannot serve this request: ${special.unsupported}` };
  }
  return {
    format: request.format,
    bridge: PASSTHROUGH,
    send: (b, body, c) => extra.send(special.endpoint, b, body, c),
  };
}

/** Whether the family counts an error answer (or a stream's opening error event) as worth the next binding. */
function retryable(family: ProviderFamily, status: number, body: unknown): boolean {
  return family.isRetryable ? family.isRetryable(status, body) : retryableStatus(status);
}

/** The stream past its opening events, for formats that have an opening check (stream-opening.ts). */
function openStream(body: ReadableStream<Uint8Array>, format: WireFormat): Promise<StreamOpening> | StreamOpening {
  const check = OPENING_CHECKS[format];
  return check ? readOpening(body, check) : { kind: "content", body };
}

async function attempt(
  ctx: RequestContext,
  target: ModelTarget,
  family: ProviderFamily,
  route: Route,
  request: DispatchRequest,
  timeoutMs: number,
): Promise<{ result: Dispatched | FailedAttempt; health: Health }> {
  const { binding } = target;
  const { format, bridge } = route;
  const fail = (reason: string, timedOut = false) => ({
    result: { binding: binding.name, reason, timedOut } as FailedAttempt,
    health: "failure" as Health,
  });
  const failAnswered = (reason: string, res: Response) => {
    const failed = fail(reason);
    failed.result.answered = { status: res.status, headers: res.headers };
    return failed;
  };
  const ok = (result: Dispatched) => ({ result, health: "success" as Health });
  const unfit = (err: GatewayError) => ({
    result: { binding: binding.name, reason: err.message, timedOut: false, untranslatable: err },
    health: "neutral" as Health,
  });
  const stream = request.body.stream === true;

  let body: OutgoingBody;
  try {
    body = outgoingFor(ctx, request, target, bridge);
  } catch (err) {
    if (!(err instanceof GatewayError)) throw err;
    return unfit(err);
  }

  const call = startUpstreamCall(ctx, timeoutMs, request.forwardHeaders, request.forwardQuery);
  try {
    const res = await route.send(binding, body, call.context);
    const contentType = res.headers.get("content-type") ?? "";
    if (res.ok && stream && contentType.includes("text/event-stream") && res.body) {
      // Still under the attempt's timer: a stream that fails before its first content falls back.
      const opened = await openStream(res.body as ReadableStream<Uint8Array>, format);
      if (opened.kind === "ended") return fail("closed the stream before sending any content");
      if (opened.kind === "error" && retryable(family, res.status, opened.error)) {
        await opened.body.cancel("retrying on the next binding").catch(() => undefined);
        return fail(`opened the stream with an error event (${opened.summary})`);
      }
      call.stopTimer();
      return ok({ kind: "stream", format, bridge, target, body: opened.body, abort: call.abort });
    }
    const text = await res.text();
    const html = looksLikeHtml(contentType, text);
    const json = html ? NOT_JSON : parseJson(text);
    if (res.ok) {
      if (stream) {
        return fail(
          `answered a streaming request without an event stream (HTTP ${res.status}, ${contentType || "no content-type"})`,
        );
      }
      if (html) return fail(`returned an HTML page instead of JSON (HTTP ${res.status})`);
      if (json === NOT_JSON) return fail(`returned a body that is not JSON (HTTP ${res.status})`);
      const usage = WIRE_FORMATS[format].readUsage(json);
      if (bridge.kind === "passthrough") {
        return ok({ kind: "json", format, target, status: res.status, text, usage });
      }
      let translated: string;
      try {
        translated = JSON.stringify(bridge.response(json));
      } catch (err) {
        if (!(err instanceof GatewayError)) throw err;
        return fail(err.message);
      }
      return ok({ kind: "json", format: request.format, target, status: res.status, text: translated, usage });
    }
    if (html) return failAnswered(`HTTP ${res.status} (HTML error page)`, res);
    if (json === NOT_JSON) return failAnswered(`HTTP ${res.status} (non-JSON body)`, res);
    if (retryable(family, res.status, json)) return failAnswered(`HTTP ${res.status}`, res);
    if (bridge.kind === "translate") {
      const error = bridge.error(res.status, json);
      const out = { status: error.status, text: JSON.stringify(error.body), contentType: "application/json" };
      return ok({ kind: "passthrough", format: request.format, target, ...out });
    }
    const contentTypeOut = contentType || "application/json";
    return ok({ kind: "passthrough", format, target, status: res.status, text, contentType: contentTypeOut });
  } catch (err) {
    const neutral = (reason: string) => ({ ...fail(reason), health: "neutral" as Health });
    if (err instanceof BindingMisconfigured) return neutral(err.message);
    // A family that translates the request itself found it impossible for this binding, before any call.
    if (err instanceof GatewayError && err.type === "invalid_request_error") return unfit(err);
    if (call.timedOut()) return fail(`timed out after ${timeoutMs} ms`, true);
    if (ctx.clientSignal.aborted) return neutral("the client disconnected");
    return fail(`network error: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    call.stopTimer();
  }
}

/** The family and route to call for a target, or why the target is skipped without a call. */
function callable(
  target: ModelTarget,
  request: DispatchRequest,
): { family: ProviderFamily; route: Route } | { skip: string; unservable?: boolean } {
  const family = familyFor(target.binding.type);
  if (!family) return { skip: `binding type "${target.binding.type}" is not supported yet` };
  const route = routeFor(request, target, family);
  if ("skip" in route) return { skip: route.skip, unservable: true };
  const circuit = circuitAllows(target.binding.name);
  return circuit.pass ? { family, route } : { skip: circuit.reason };
}

/** A 400 for a request no binding of the chain can serve in its format (the client's to fix), naming each skip. */
function unservable(skipped: FailedAttempt[]): GatewayError {
  const why = skipped.map((f) => `${f.binding}: ${f.reason}`).join("; ");
  return new GatewayError(
    "invalid_request_error",
    "endpoint_not_supported",
    `No provider in this key's fallback chain can serve this request (${why}). Use a model served by a binding that has this endpoint.`,
  );
}

export async function dispatch(
  ctx: RequestContext,
  bundle: KeyBundle,
  targets: ModelTarget[],
  request: DispatchRequest,
): Promise<Dispatched> {
  const { max_attempts, attempt_timeout_ms } = bundle.config.fallback;
  const failures: FailedAttempt[] = [];
  for (const target of targets.slice(0, max_attempts)) {
    ctx.meta.provider = target.binding.name;
    ctx.meta.model = target.model;
    ctx.meta.attempts++;
    const call = callable(target, request);
    let failure: FailedAttempt;
    if ("skip" in call) {
      failure = { binding: target.binding.name, reason: call.skip, timedOut: false };
      if (call.unservable) Object.assign(failure, { unservable: true, untranslatable: unservable([failure]) });
    } else {
      const { route, family } = call;
      const { result, health } = await attempt(ctx, target, family, route, request, attempt_timeout_ms);
      reportAttempt(target.binding.name, health);
      if ("kind" in result) return result;
      failure = result;
    }
    failures.push(failure);
    const line = { provider: failure.binding, model: target.model, reason: failure.reason };
    // A binding the request cannot go to (no such endpoint, no translation) was not called: not a failure.
    if (failure.untranslatable) ctx.log.info("provider_skipped", line);
    else ctx.log.warn("provider_attempt_failed", line);
    if (ctx.clientSignal.aborted) break;
  }
  // Nothing was tried but translations the request does not allow: that is the client's to fix, and
  // no provider was called, so the answer carries no provider headers.
  const untranslatable = failures[0]?.untranslatable;
  if (untranslatable && failures.every((f) => f.untranslatable)) {
    ctx.meta.provider = undefined;
    ctx.meta.attempts = 0;
    throw new RefusedBeforeDispatch(
      failures.length > 1 && failures.every((f) => f.unservable) ? unservable(failures) : untranslatable,
    );
  }
  const last = failures[failures.length - 1];
  const detail = failures.map((f, i) => `attempt ${i + 1} ${f.binding}: ${f.reason}`).join("; ");
  const advice = "Retry later, or add another provider to this key's fallback chain.";
  if (last?.timedOut) {
    throw new GatewayError(
      "upstream_timeout",
      "upstream_timeout",
      `The provider did not answer in time (${detail}). ${advice}`,
    );
  }
  if (last?.answered?.status === 429) throw upstreamRateLimited(last.binding, detail, last.answered.headers);
  throw new GatewayError(
    "provider_error",
    "all_attempts_failed",
    `Every provider attempt failed (${detail}). ${advice}`,
  );
}

/**
 * The client's 400 that dispatch found before calling any provider (no binding of the chain has the
 * endpoint, or none can take the request in translation): nothing was sent upstream, so the request
 * is released, not settled (serve-chain.ts).
 */
export class RefusedBeforeDispatch extends GatewayError {
  constructor(err: GatewayError) {
    super(err.type, err.code, err.message, { param: err.param, headers: err.headers });
  }
}
