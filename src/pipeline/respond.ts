import type { RequestContext } from "./context";
import type { Dispatched } from "./dispatch";
import type { Settlement } from "./settle";
import { WIRE_FORMATS, type StreamOutcome } from "./wire-formats";

/**
 * Stage 7: turn what the provider sent into the client's response. A stream is tapped in the
 * upstream's format (usage, completion, failures); when the client speaks another format, the
 * dispatch's bridge writes the client's events instead of the upstream's bytes (and the terminal frame
 * of a broken stream in the client's format). JSON answers and error bodies arrive already in the
 * client's format (dispatch.ts). What the request used is handed
 * to `onSettled` once it is known (after the stream ends, for a stream), inside `waitUntil`, so
 * settlement (settle.ts) never runs on the client's time.
 */
export function respond(
  ctx: RequestContext,
  d: Dispatched,
  /** OpenAI streams: the client asked for the usage chunk itself (else the one the gateway asked for is hidden). */
  clientAskedForUsage: boolean,
  onSettled: (s: Settlement) => Promise<void>,
): Response {
  if (d.kind === "stream") {
    let resolveDone: (o: StreamOutcome) => void = () => undefined;
    const done = new Promise<StreamOutcome>((r) => (resolveDone = r));
    const output = d.bridge.kind === "translate" ? d.bridge.stream(d.target.model, clientAskedForUsage) : undefined;
    const body = WIRE_FORMATS[d.format].tap(
      d.body,
      { abortUpstream: d.abort, onDone: resolveDone, ...(output ? { output } : {}) },
      !clientAskedForUsage,
    );
    ctx.exec.waitUntil(
      done.then((o) =>
        onSettled({
          outcome: o.cancelled ? "cancelled" : o.failure ? "stream_failed" : "ok",
          usage: o.usage,
          target: d.target,
          chunks: o.chunks,
          failure: o.failure,
        }),
      ),
    );
    return new Response(body, {
      status: 200,
      headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" },
    });
  }
  if (d.kind === "json") {
    ctx.exec.waitUntil(onSettled({ outcome: "ok", usage: d.usage, target: d.target }));
    return new Response(d.text, { status: d.status, headers: { "content-type": "application/json" } });
  }
  ctx.exec.waitUntil(onSettled({ outcome: "provider_4xx", usage: null, target: d.target }));
  return new Response(d.text, { status: d.status, headers: { "content-type": d.contentType } });
}
