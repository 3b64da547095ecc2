import { app } from "./http/app";
import { loadConfig } from "./config";
import { refreshBundles } from "./control-plane/refresh";
import { createLogger, type Logger } from "./lib/log";
import { checkReadiness } from "./ops/readiness";

export { BudgetCounter } from "../durable-objects/budget-counter";
export { KeyLimiter } from "../durable-objects/key-limiter";

/** Logs the readiness checks (`cron_readiness`), so a broken store shows even when no traffic arrives. */
async function logReadiness(env: Env, log: Logger): Promise<void> {
  const readiness = await checkReadiness(env);
  const fields = Object.fromEntries(Object.entries(readiness.checks).map(([name, ch]) => [name, ch.status]));
  if (readiness.status === "ok") log.info("cron_readiness", { status: readiness.status, ...fields });
  else log.warn("cron_readiness", { status: readiness.status, ...fields, detail: JSON.stringify(readiness.checks) });
}

/** Republishes the bundles that changed in D1 since the last run (`cron_bundle_refresh`). */
async function refresh(env: Env, log: Logger): Promise<void> {
  const loaded = loadConfig(env);
  if (!loaded.ok) {
    log.error("cron_bundle_refresh_skipped", { reason: "invalid_configuration", errors: loaded.errors.join("; ") });
    return;
  }
  const started = Date.now();
  try {
    const result = await refreshBundles(env, loaded.config, log, started);
    log.info("cron_bundle_refresh", { ...result, duration_ms: Date.now() - started });
  } catch (err) {
    log.error("cron_bundle_refresh_failed", { error: err instanceof Error ? err.message : String(err) });
  }
}

export default {
  fetch: app.fetch,
  /** The cron trigger (every minute): readiness heartbeat, then the bundle refresh into KV. */
  async scheduled(controller, env) {
    const log = createLogger({ cron: controller.cron });
    await Promise.all([logReadiness(env, log), refresh(env, log)]);
  },
} satisfies ExportedHandler<Env>;
