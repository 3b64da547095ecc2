import type { GatewayConfig } from "../config";
import type { KeyBundle } from "../contract/bundle";
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
  bundle?: KeyBundle;
  /** What the edge reports in X-LangWatch-Provider / -Model / -Fallback-Count, errors included. */
  meta: { provider?: string; model?: string; attempts: number };
}
