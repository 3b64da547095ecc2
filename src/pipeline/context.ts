import type { GatewayConfig } from "../config";
import type { Logger } from "../lib/log";

/** The typed state one request carries through the stages of the pipeline. */
export interface RequestContext {
  env: Env;
  /** Work that must finish after the response (settlement, logs). */
  exec: { waitUntil(promise: Promise<unknown>): void };
  config: GatewayConfig;
  requestId: string;
  traceId: string;
  startedAt: number;
  log: Logger;
  /** The request body, already read under the size cap. */
  rawBody: Uint8Array;
  /** Aborted when the client goes away. */
  clientSignal: AbortSignal;
  /**
   * What the edge (http/edge.ts) reports in X-LangWatch-Provider / -Model / -Fallback-Count /
   * -Budget-Warning on whatever response goes out, errors included.
   */
  meta: { provider?: string; model?: string; attempts: number; budgetWarning?: string };
}
