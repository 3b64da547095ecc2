import { Hono, type Context } from "hono";
import type { AppEnv } from "../app-env";
import { authenticate } from "../../pipeline/authenticate";
import { chatCompletions } from "../../pipeline/chat-completions";
import type { RequestContext } from "../../pipeline/context";
import { embeddings } from "../../pipeline/embeddings";
import { listModels } from "../../pipeline/list-models";
import { messages } from "../../pipeline/messages";
import { responses } from "../../pipeline/responses";

/** The public API of contract §2: thin handlers that build the request context and run a pipeline. */

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
  .post("/v1/messages", (c) => messages(requestContext(c), c.req.raw.headers))
  .post("/v1/responses", (c) => responses(requestContext(c), c.req.raw.headers))
  .post("/v1/embeddings", (c) => embeddings(requestContext(c), c.req.raw.headers))
  .get("/v1/models", async (c) => {
    const ctx = requestContext(c);
    return c.json(listModels(await authenticate(ctx, c.req.raw.headers), ctx.log));
  });
