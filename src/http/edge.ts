import type { MiddlewareHandler } from "hono";
import { controlPlaneUnavailable, d1Unavailable } from "../admin/errors";
import { loadConfig } from "../config";
import { errorResponse, GatewayError, shapeForPath } from "../errors";
import { requestId, traceIdFrom } from "../lib/ids";
import { createLogger } from "../lib/log";
import { BUDGET_WARNING_HEADER } from "../pipeline/budget-warning";
import type { AppEnv } from "./app-env";

/**
 * Stage 1, the edge guards, as small middleware factories: every response (errors and 404s
 * included) carries the request and trace ids and the provider headers; the body is read under the
 * cap before anything else looks at it; a bad configuration turns the public API into 503s.
 */

/** The longest value an `X-LangWatch-*` header carries, in characters. */
export const HEADER_VALUE_LIMIT = 1024;

/**
 * `value` as a header can carry it whatever it holds: characters outside printable ASCII (control
 * characters, anything a header's bytes cannot represent) percent-encoded as UTF-8, cut at `limit`
 * characters with a trailing `...`. Setting the result never throws and never emits a control byte.
 */
export function safeHeaderValue(value: string, limit = HEADER_VALUE_LIMIT): string {
  let out = "";
  let i = 0;
  for (; i < value.length && out.length <= limit; i++) {
    const unit = value.charCodeAt(i);
    if (unit >= 0x20 && unit <= 0x7e) {
      out += value[i];
      continue;
    }
    let ch = value[i] as string;
    const next = value.charCodeAt(i + 1);
    if (unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      ch = value.slice(i, i + 2);
      i++;
    } else if (unit >= 0xd800 && unit <= 0xdfff) ch = "\ufffd"; // a lone surrogate has no UTF-8 form
    out += encodeURIComponent(ch);
  }
  if (i < value.length || out.length > limit) out = `${out.slice(0, limit).replace(/%[0-9A-F]?$/, "")}...`;
  return out.trim();
}

/**
 * Sets `headers` on the response, through a copy when its headers are immutable (a fetched
 * Response's); the response to send. Values go through safeHeaderValue.
 */
function withHeaders(res: Response, headers: [string, string][]): Response {
  const values = headers.map(([name, value]): [string, string] => [name, safeHeaderValue(value)]);
  try {
    for (const [name, value] of values) res.headers.set(name, value);
    return res;
  } catch {
    const copy = new Response(res.body, res);
    for (const [name, value] of values) copy.headers.set(name, value);
    return copy;
  }
}

/** Request id, trace id, logger, and the X-LangWatch-* headers on whatever response goes out. */
export function requestIdentity(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const id = requestId();
    const traceId = traceIdFrom(c.req.header("traceparent"));
    const verbose = c.env.ENVIRONMENT === "development";
    const log = createLogger({ request_id: id, trace_id: traceId }, verbose);
    c.set("requestId", id);
    c.set("traceId", traceId);
    c.set("log", log);
    c.set("meta", { attempts: 0 });
    try {
      await next();
    } catch (err) {
      // Hono's compose hands Errors to app.onError; anything else thrown would escape as the runtime's 500.
      c.res = renderError(err instanceof Error ? err : new Error(String(err)), c.req.path, log);
    }
    const meta = c.get("meta");
    const headers: [string, string][] = [
      ["X-LangWatch-Request-Id", id],
      ["X-LangWatch-Trace-Id", traceId],
    ];
    if (meta.provider) {
      headers.push(["X-LangWatch-Provider", meta.provider]);
      headers.push(["X-LangWatch-Fallback-Count", String(Math.max(0, meta.attempts - 1))]);
    }
    if (meta.model) headers.push(["X-LangWatch-Model", meta.model]);
    if (meta.budgetWarning) headers.push([BUDGET_WARNING_HEADER, meta.budgetWarning]);
    let res = withHeaders(c.res, headers);
    if (c.req.method === "HEAD" && res.body !== null) {
      // Hono answers HEAD with the GET handler's headers and drops its body unread; cancel it, so that
      // whatever waits for its end (the proxy's stream tap, settlement) finishes instead of hanging.
      const dropped = res.body;
      res = new Response(null, res);
      dropped.cancel("HEAD: the body is not sent").catch(() => undefined);
    }
    if (res !== c.res) c.res = res;
  };
}

function tooLarge(limit: number): GatewayError {
  return new GatewayError(
    "payload_too_large",
    "payload_too_large",
    `request body exceeds ${limit} bytes; shrink it (resize images, trim context) or ask the operator to raise SERVER_MAX_REQUEST_BODY_BYTES`,
  );
}

/** Reads the body under the cap, before authentication, whether or not a Content-Length was sent. */
export function bodyCap(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const loaded = loadConfig(c.env);
    const limit = loaded.ok ? loaded.config.maxRequestBodyBytes : loaded.maxRequestBodyBytes;
    const declared = c.req.header("content-length");
    if (declared !== undefined && Number(declared) > limit) throw tooLarge(limit);
    const stream = c.req.raw.body as ReadableStream<Uint8Array> | null;
    if (stream && declared !== undefined) {
      // A declared length within the cap: the runtime reads exactly that many bytes in one call (HTTP
      // framing ends the body there), cheaper than the chunk loop below.
      const body = new Uint8Array(await c.req.raw.arrayBuffer());
      if (body.byteLength > limit) throw tooLarge(limit); // a body longer than it said (only in-process)
      c.set("rawBody", body);
      return next();
    }
    if (!stream) {
      c.set("rawBody", new Uint8Array(0));
      return next();
    }
    const reader = stream.getReader();
    const parts: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel("body over the size cap").catch(() => undefined);
        throw tooLarge(limit);
      }
      parts.push(value);
    }
    let body: Uint8Array;
    if (parts.length === 1) body = parts[0] as Uint8Array;
    else {
      body = new Uint8Array(size);
      let offset = 0;
      for (const p of parts) {
        body.set(p, offset);
        offset += p.byteLength;
      }
    }
    c.set("rawBody", body);
    return next();
  };
}

/** A bad configuration makes the public API answer 503 naming every bad field. */
export function requireConfig(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const loaded = loadConfig(c.env);
    if (!loaded.ok) {
      throw new GatewayError(
        "service_unavailable",
        "invalid_configuration",
        `The gateway is misconfigured: ${loaded.errors.join("; ")}. An operator must fix these Worker variables.`,
      );
    }
    c.set("config", loaded.config);
    return next();
  };
}

/**
 * The error handler: GatewayErrors in their route's envelope; a D1 outage under /admin a 503 naming
 * the control plane; anything else is logged, never leaked.
 */
export function renderError(err: Error, path: string, log: ReturnType<typeof createLogger> | undefined): Response {
  if (err instanceof GatewayError) return errorResponse(err, shapeForPath(path));
  const d1 = path.startsWith("/admin/") ? d1Unavailable(err) : null;
  if (d1 !== null) {
    (log ?? createLogger()).error("admin_d1_unavailable", { reason: d1, error: err.message, path });
    return errorResponse(controlPlaneUnavailable(d1), "openai");
  }
  (log ?? createLogger()).error("unhandled_error", { error: err.message, name: err.name });
  return errorResponse(
    new GatewayError(
      "internal_error",
      "internal_error",
      "The gateway hit an unexpected error. Retry; if it persists, report the X-LangWatch-Request-Id.",
    ),
    shapeForPath(path),
  );
}
