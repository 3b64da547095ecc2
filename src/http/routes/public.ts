import { Hono, type Context } from "hono";
import type { AppEnv } from "../app-env";
import { chatCompletions } from "../../pipeline/chat-completions";
import type { RequestContext } from "../../pipeline/context";
import { countTokens } from "../../pipeline/count-tokens";
import { embeddings } from "../../pipeline/embeddings";
import { modelsRoute } from "../../pipeline/list-models";
import { messages } from "../../pipeline/messages";
import { responses } from "../../pipeline/responses";

/** The public API (docs/api.md, Public endpoints): thin handlers that build the request context and run a pipeline. */

export function requestContext(c: Context<AppEnv>): RequestContext {
  return {
    env: c.env,
    exec: c.executionCtx,
    config: c.get("config"),
    requestId: c.get("requestId"),
    traceId: c.get("traceId"),
    startedAt: Date.now(),
    log: c.get("log"),
    rawBody: c.get("rawBody"),
    clientSignal: c.req.raw.signal,
    meta: c.get("meta"),
  };
}

export const publicApi = new Hono<AppEnv>()
  .post("/v1/chat/completions", (c) => chatCompletions(requestContext(c), c.req.raw.headers))
  .post("/v1/messages", (c) => messages(requestContext(c), c.req.raw.headers, new URL(c.req.url).searchParams))
  .post("/v1/messages/count_tokens", (c) =>
    countTokens(requestContext(c), c.req.raw.headers, new URL(c.req.url).searchParams),
  )
  .post("/v1/responses", (c) => responses(requestContext(c), c.req.raw.headers))
  .post("/v1/embeddings", (c) => embeddings(requestContext(c), c.req.raw.headers))
  .get("/v1/models", (c) => modelsRoute(requestContext(c), c.req.raw.headers, new URL(c.req.url).searchParams));
