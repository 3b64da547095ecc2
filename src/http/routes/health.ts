import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { loadConfig } from "../../config";
import { checkReadiness } from "../../ops/readiness";

/** Liveness (the isolate answers), startup (the configuration is valid), readiness (stores answer). */
export const health = new Hono<AppEnv>()
  .get("/healthz", (c) => c.json({ status: "ok" }))
  .get("/startupz", (c) => {
    const loaded = loadConfig(c.env);
    return loaded.ok ? c.json({ status: "ok" }) : c.json({ status: "error", errors: loaded.errors }, 503);
  })
  .get("/readyz", async (c) => {
    const readiness = await checkReadiness(c.env);
    return c.json(readiness, readiness.status === "ok" ? 200 : 503);
  });
