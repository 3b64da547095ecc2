import { GatewayError } from "../errors";
import type { ChatBody } from "../providers/types";
import { admit } from "./admit";
import { authenticate } from "./authenticate";
import { BUDGET_WARNING_HEADER } from "./budget-warning";
import type { RequestContext } from "./context";
import { dispatch, type Dispatched } from "./dispatch";
import { parseChatRequest } from "./parse-body";
import { resolveModel } from "./resolve-model";
import { respond } from "./respond";
import { settle, type Settlement } from "./settle";

/**
 * POST /v1/chat/completions, stage by stage. Edge guards (request id, trace, body cap, config)
 * already ran in the edge middleware; policy slots in between model resolution and admission as its
 * issue lands.
 */
export async function chatCompletions(ctx: RequestContext, headers: Headers): Promise<Response> {
  const bundle = await authenticate(ctx, headers); // 2. key → bundle
  const body = parseChatRequest(ctx.rawBody); // 3. validate the body
  const targets = resolveModel(bundle, body.model); // 3. model → chain of targets
  const admission = await admit(ctx, bundle, targets, body); // 5. limits and budgets
  const clientAskedForUsage = body.stream_options?.include_usage === true;
  const upstream: ChatBody = body.stream
    ? { ...body, stream_options: { ...(body.stream_options ?? {}), include_usage: true } }
    : body;
  const onSettled = (s: Settlement) => settle(ctx, bundle, admission, s); // 8. after the response, in waitUntil
  let dispatched: Dispatched;
  try {
    dispatched = await dispatch(ctx, targets, upstream); // 6. walk the chain
  } catch (err) {
    ctx.exec.waitUntil(
      onSettled({ outcome: ctx.clientSignal.aborted ? "cancelled" : "provider_error", usage: null, target: null }),
    );
    if (err instanceof GatewayError && admission.budgetWarning) {
      err.headers[BUDGET_WARNING_HEADER] = admission.budgetWarning;
    }
    throw err;
  }
  const response = respond(ctx, dispatched, clientAskedForUsage, onSettled); // 7. stream back
  if (admission.budgetWarning) response.headers.set(BUDGET_WARNING_HEADER, admission.budgetWarning);
  return response;
}
