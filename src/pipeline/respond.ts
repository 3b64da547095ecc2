import { tapOpenAIStream, type StreamOutcome } from "../sse/openai-stream";
import type { TokenUsage } from "../providers/usage";
import type { RequestContext } from "./context";
import type { Dispatched } from "./dispatch";

/**
 * Stage 7 and 8: turn what the provider sent into the client's response, and settle afterwards
 * (in `waitUntil`, never on the client's time): today a structured usage record in the logs.
 */

export interface Settlement {
  outcome: "ok" | "provider_4xx" | "stream_failed" | "cancelled";
  usage: TokenUsage | null;
  chunks?: number;
  failure?: string | null;
}

function settle(ctx: RequestContext, s: Settlement): void {
  ctx.log.info("request_settled", {
    outcome: s.outcome,
    provider: ctx.meta.provider,
    model: ctx.meta.model,
    attempts: ctx.meta.attempts,
    input_tokens: s.usage?.inputTokens ?? null,
    output_tokens: s.usage?.outputTokens ?? null,
    cache_read_tokens: s.usage?.cacheReadTokens ?? null,
    stream_chunk_count: s.chunks,
    stream_failure: s.failure ?? undefined,
    duration_ms: Date.now() - ctx.startedAt,
  });
}

export function respond(ctx: RequestContext, d: Dispatched, clientAskedForUsage: boolean): Response {
  if (d.kind === "stream") {
    let resolveDone: (o: StreamOutcome) => void = () => undefined;
    const done = new Promise<StreamOutcome>((r) => (resolveDone = r));
    const body = tapOpenAIStream(d.body, { hideUsageChunk: !clientAskedForUsage, abortUpstream: d.abort, onDone: resolveDone });
    ctx.exec.waitUntil(
      done.then((o) =>
        settle(ctx, {
          outcome: o.cancelled ? "cancelled" : o.failure ? "stream_failed" : "ok",
          usage: o.usage,
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
    settle(ctx, { outcome: "ok", usage: d.usage });
    return new Response(d.text, { status: d.status, headers: { "content-type": "application/json" } });
  }
  settle(ctx, { outcome: "provider_4xx", usage: null });
  return new Response(d.text, { status: d.status, headers: { "content-type": d.contentType } });
}
