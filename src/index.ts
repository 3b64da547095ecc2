import { app } from "./app";
import { createLogger } from "./lib/log";
import { checkReadiness } from "./ops/readiness";

export { KeyLimiter } from "../durable-objects/key-limiter";

export default {
  fetch: app.fetch,
  /**
   * The cron trigger. Today it runs the readiness checks and logs them (`cron_readiness`), so a
   * broken store shows in the logs even when no traffic arrives; the control-plane work (bundle
   * refresh into KV) joins it with its issue.
   */
  async scheduled(controller, env) {
    const readiness = await checkReadiness(env);
    const log = createLogger({ cron: controller.cron });
    const fields = Object.fromEntries(Object.entries(readiness.checks).map(([name, ch]) => [name, ch.status]));
    if (readiness.status === "ok") log.info("cron_readiness", { status: readiness.status, ...fields });
    else log.warn("cron_readiness", { status: readiness.status, ...fields, detail: JSON.stringify(readiness.checks) });
  },
} satisfies ExportedHandler<Env>;
