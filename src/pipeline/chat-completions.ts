import type { ChatBody } from "../providers/types";
import { authenticate } from "./authenticate";
import type { RequestContext } from "./context";
import { dispatch } from "./dispatch";
import { parseChatRequest } from "./parse-body";
import { resolveModel } from "./resolve-model";
import { respond } from "./respond";

/**
 * POST /v1/chat/completions, stage by stage. Edge guards (request id, trace, body cap, config)
 * already ran in the edge middleware; policy, limits and budgets slot in between model resolution
 * and dispatch as their issues land.
 */
export async function chatCompletions(ctx: RequestContext, headers: Headers): Promise<Response> {
  const bundle = await authenticate(ctx, headers); // 2. key → bundle
  const body = parseChatRequest(ctx.rawBody); // 3. validate the body
  const targets = resolveModel(bundle, body.model); // 3. model → chain of targets
  const clientAskedForUsage = body.stream_options?.include_usage === true;
  const upstream: ChatBody = body.stream
    ? { ...body, stream_options: { ...(body.stream_options ?? {}), include_usage: true } }
    : body;
  const dispatched = await dispatch(ctx, targets, upstream); // 6. walk the chain
  return respond(ctx, dispatched, clientAskedForUsage); // 7–8. stream back, settle later
}
