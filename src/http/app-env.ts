import type { GatewayConfig } from "../config";
import type { Logger } from "../lib/log";
import type { RequestContext } from "../pipeline/context";

/** Hono's typing of this app: the Worker bindings and the per-request variables the edge sets. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    traceId: string;
    log: Logger;
    meta: RequestContext["meta"];
    rawBody: Uint8Array;
    config: GatewayConfig;
  };
}
