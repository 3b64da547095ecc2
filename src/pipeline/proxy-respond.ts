import type { UsageOutcome } from "../../durable-objects/types";
import type { WireFormat } from "../contract/wire";
import { fromAnthropicUsage, fromOpenAIUsage } from "../providers/usage";
import { type TokenUsage } from "../contract/usage";
import { tokenUsageFromConverse } from "../providers/bedrock/converse-response";
import { ConverseUsage } from "../providers/bedrock/converse-schemas";
import type { StreamOutcome } from "../sse/event-tap";
import type { RequestContext } from "./context";
import { WIRE_FORMATS } from "./wire-formats";

/**
 * Stage 7 for `/proxy/:provider/*`: the provider's answer goes back as it came (status, body bytes,
 * content-type), whatever it is, and what it used is handed to `onDone` once known (inside waitUntil):
 *
 * - a 2xx JSON answer is read whole, and its `usage` read in the endpoint's format (by the path's
 *   last segments), else in OpenAI's, Anthropic's or Bedrock Converse's shape, whichever it has;
 * - a 2xx event stream of a known format (chat completions, Messages, Responses) goes through that
 *   format's tap (src/sse), which reads its usage on the side and, like every stream of the gateway,
 *   ends a broken stream with the terminal error frame;
 * - anything else (errors, other content, other streams) is streamed through byte for byte.
 *
 * A client that goes away cancels the upstream request.
 */

export interface ProxyOutcome {
  outcome: UsageOutcome;
  /** What the provider reported, or null. */
  usage: TokenUsage | null;
  /** The provider answered 2xx: a call it may charge for, even when no usage was read. */
  answered: boolean;
  chunks?: number;
  failure?: string | null;
}

/** Provider response headers passed back besides the body's own: request ids, retry hints, rate-limit state. */
const RESPONSE_HEADERS = ["content-type", "cache-control", "retry-after", "request-id", "x-request-id", "location"];
const RESPONSE_HEADER_PREFIXES = ["x-ratelimit-", "anthropic-ratelimit-"];

/** Statuses whose response may carry no body. */
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/** Endpoints whose usage and stream the gateway knows how to read, by the path's ending. */
const ENDPOINT_FORMATS: [suffix: string, format: WireFormat][] = [
  ["/chat/completions", "openai-chat"],
  ["/messages", "anthropic-messages"],
  ["/responses", "openai-responses"],
  ["/embeddings", "openai-embeddings"],
];

export function endpointFormat(path: string): WireFormat | null {
  return ENDPOINT_FORMATS.find(([suffix]) => path.endsWith(suffix))?.[1] ?? null;
}

function responseHeaders(upstream: Headers): Headers {
  const out = new Headers();
  upstream.forEach((value, name) => {
    if (RESPONSE_HEADERS.includes(name) || RESPONSE_HEADER_PREFIXES.some((p) => name.startsWith(p))) {
      out.set(name, value);
    }
  });
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

/** The usage of a JSON answer: in the endpoint's format when the path names one, else by its shape. */
export function jsonUsage(format: WireFormat | null, json: unknown): TokenUsage | null {
  if (format) return WIRE_FORMATS[format].readUsage(json);
  const usage = isObject(json) ? json.usage : null;
  if (!isObject(usage)) return null;
  if ("prompt_tokens" in usage) return fromOpenAIUsage(usage);
  if ("input_tokens" in usage) return fromAnthropicUsage(usage);
  if ("inputTokens" in usage) {
    const converse = ConverseUsage.safeParse(usage); // Bedrock's Converse
    return converse.success ? tokenUsageFromConverse(converse.data) : null;
  }
  return null;
}

const errorOutcome = (status: number): UsageOutcome => (status >= 500 ? "provider_error" : "provider_4xx");

/** Streams `body` through untouched; `onEnd` once it ended, broke, or the client cancelled it. */
function passThrough(
  body: ReadableStream<Uint8Array>,
  abortUpstream: (reason: string) => void,
  onEnd: (end: { cancelled: boolean; failure: string | null }) => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let ended = false;
  const end = (e: { cancelled: boolean; failure: string | null }) => {
    if (ended) return;
    ended = true;
    onEnd(e);
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (err) {
        controller.error(err);
        return end({
          cancelled: false,
          failure: `the provider's body broke (${err instanceof Error ? err.message : String(err)})`,
        });
      }
      if (result.done) {
        controller.close();
        return end({ cancelled: false, failure: null });
      }
      controller.enqueue(result.value);
    },
    async cancel(reason) {
      abortUpstream("client disconnected");
      await reader.cancel(reason).catch(() => undefined);
      end({ cancelled: true, failure: "the client disconnected" });
    },
  });
}

const streamOutcome = (o: StreamOutcome): UsageOutcome =>
  o.cancelled ? "cancelled" : o.failure ? "stream_failed" : "ok";

/**
 * The client's response for the provider's. Reading a JSON answer may throw (the connection broke
 * mid-body); the caller treats that as a failed call.
 */
export async function proxyResponse(
  ctx: RequestContext,
  upstream: Response,
  path: string,
  abortUpstream: (reason: string) => void,
  onDone: (o: ProxyOutcome) => Promise<void>,
): Promise<Response> {
  const status = upstream.status;
  const headers = responseHeaders(upstream.headers);
  const contentType = headers.get("content-type") ?? "";
  const settleNow = (o: ProxyOutcome) => ctx.exec.waitUntil(onDone(o));
  /** For a body still streaming: the settlement is registered now, and runs once the stream has ended. */
  const settleAtEnd = (): ((o: ProxyOutcome) => void) => {
    let resolve: (o: ProxyOutcome) => void = () => undefined;
    ctx.exec.waitUntil(new Promise<ProxyOutcome>((r) => (resolve = r)).then(onDone));
    return resolve;
  };
  const answered = upstream.ok;
  const upstreamBody = upstream.body as ReadableStream<Uint8Array> | null;

  if (!upstreamBody || NULL_BODY_STATUSES.has(status)) {
    await upstreamBody?.cancel().catch(() => undefined);
    settleNow({ outcome: answered ? "ok" : errorOutcome(status), usage: null, answered });
    return new Response(null, { status, headers });
  }
  if (!answered) {
    const outcome = errorOutcome(status);
    const settle = settleAtEnd();
    const body = passThrough(upstreamBody, abortUpstream, (e) =>
      settle({ outcome: e.cancelled ? "cancelled" : outcome, usage: null, answered, failure: e.failure }),
    );
    return new Response(body, { status, headers });
  }
  const format = endpointFormat(path);
  if (contentType.includes("application/json")) {
    const bytes = new Uint8Array(await upstream.arrayBuffer());
    let json: unknown = null;
    try {
      json = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      // Passed back as it is; there is no usage to read from it.
    }
    settleNow({ outcome: "ok", usage: jsonUsage(format, json), answered });
    return new Response(bytes, { status, headers });
  }
  const settle = settleAtEnd();
  if (contentType.includes("text/event-stream") && format) {
    const body = WIRE_FORMATS[format].tap(
      upstreamBody,
      {
        abortUpstream,
        onDone: (o) =>
          settle({ outcome: streamOutcome(o), usage: o.usage, answered, chunks: o.chunks, failure: o.failure }),
      },
      false,
    );
    return new Response(body, { status, headers });
  }
  const body = passThrough(upstreamBody, abortUpstream, (e) =>
    settle({
      outcome: e.cancelled ? "cancelled" : e.failure ? "stream_failed" : "ok",
      usage: null,
      answered,
      failure: e.failure,
    }),
  );
  return new Response(body, { status, headers });
}
