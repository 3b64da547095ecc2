import type { MiddlewareHandler } from "hono";
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

/** Request id, trace id, logger, and the X-LangWatch-* headers on whatever response goes out. */
export function requestIdentity(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const id = requestId();
    const traceId = traceIdFrom(c.req.header("traceparent"));
    const verbose = c.env.ENVIRONMENT === "development";
    c.set("requestId", id);
    c.set("traceId", traceId);
    c.set("log", createLogger({ request_id: id, trace_id: traceId }, verbose));
    c.set("meta", { attempts: 0 });
    await next();
    const h = c.res.headers;
    h.set("X-LangWatch-Request-Id", id);
    h.set("X-LangWatch-Trace-Id", traceId);
    const meta = c.get("meta");
    if (meta.provider) {
      h.set("X-LangWatch-Provider", meta.provider);
      h.set("X-LangWatch-Fallback-Count", String(Math.max(0, meta.attempts - 1)));
    }
    if (meta.model) h.set("X-LangWatch-Model", meta.model);
    if (meta.budgetWarning) h.set(BUDGET_WARNING_HEADER, meta.budgetWarning);
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

/** The error handler: GatewayErrors in their route's envelope; anything else is logged, never leaked. */
export function renderError(err: Error, path: string, log: ReturnType<typeof createLogger> | undefined): Response {
  if (err instanceof GatewayError) return errorResponse(err, shapeForPath(path));
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
