import type { CallContext } from "../providers/types";
import type { RequestContext } from "./context";

/**
 * The set-up every upstream call shares (a chain attempt in dispatch.ts, the one proxied call in
 * proxy.ts): one signal that aborts when the client goes away, when the attempt's time runs out, or
 * when the gateway stops the call itself, and the call context a provider family is handed.
 */
export interface UpstreamCall {
  /** What the family is handed: the env, the combined signal, the request's logger. */
  context: CallContext;
  /** Whether the attempt's timer fired (the signal's abort was the timeout). */
  timedOut: () => boolean;
  /** The answer arrived in time (its head, or a stream's first content): the timer no longer applies. */
  stopTimer: () => void;
  /** Cancels the call, e.g. a stream the client no longer reads. */
  abort: (reason: string) => void;
}

export function startUpstreamCall(
  ctx: RequestContext,
  timeoutMs: number,
  forwardHeaders: Readonly<Record<string, string>> = {},
  forwardQuery: Readonly<Record<string, string>> = {},
): UpstreamCall {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error(`timed out after ${timeoutMs} ms`));
  }, timeoutMs);
  return {
    context: {
      env: ctx.env,
      signal: AbortSignal.any([ctx.clientSignal, controller.signal]),
      development: ctx.config.environment === "development",
      forwardHeaders,
      forwardQuery,
      log: ctx.log,
    },
    timedOut: () => timedOut,
    stopTimer: () => clearTimeout(timer),
    abort: (reason) => controller.abort(new Error(reason)),
  };
}
