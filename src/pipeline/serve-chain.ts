import type { KeyBundle } from "../contract/bundle";
import { releaseAdmission, type Admission } from "./admit";
import { withBodyLog } from "../telemetry/body-log";
import type { RequestContext } from "./context";
import { dispatch, RefusedBeforeDispatch, type DispatchRequest, type Dispatched } from "./dispatch";
import type { ModelTarget } from "../contract/model-target";
import { respond } from "./respond";
import { settle, type Settlement } from "./settle";

/**
 * Stages 6 to 8 for an admitted request, whatever its wire format: walk the chain, answer the client,
 * and settle after the response (inside waitUntil), also when every attempt failed.
 */
export async function serveFromChain(
  ctx: RequestContext,
  bundle: KeyBundle,
  admission: Admission,
  targets: ModelTarget[],
  request: DispatchRequest,
  clientAskedForUsage: boolean,
): Promise<Response> {
  const onSettled = (s: Settlement) => settle(ctx, bundle, admission, s); // 8. after the response, in waitUntil
  let dispatched: Dispatched;
  try {
    dispatched = await dispatch(ctx, bundle, targets, request); // 6. walk the chain
  } catch (err) {
    if (err instanceof RefusedBeforeDispatch) {
      // No provider was called: a client error like any refused before dispatch, holding nothing.
      releaseAdmission(ctx, bundle, admission);
      ctx.log.info("request_not_dispatched", { status: err.status, code: err.code, reason: err.message });
      throw err;
    }
    ctx.exec.waitUntil(
      onSettled({ outcome: ctx.clientSignal.aborted ? "cancelled" : "provider_error", usage: null, target: null }),
    );
    throw err;
  }
  return withBodyLog(ctx, respond(ctx, dispatched, clientAskedForUsage, onSettled)); // 7. stream back
}
