import { app } from "./app";

export { KeyLimiter } from "../durable-objects/key-limiter";

export default {
  fetch: app.fetch,
  async scheduled(_controller, _env, _ctx) {
    // The cron trigger refreshes auth bundles into KV once the control-plane issue lands.
  },
} satisfies ExportedHandler<Env>;
