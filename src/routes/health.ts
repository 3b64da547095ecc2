import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { loadConfig } from "../config";

/** Liveness, startup and readiness. Readiness really touches D1, KV and the Durable Object binding. */

type Check = { status: "ok"; latency_ms: number } | { status: "error"; error: string };

const CHECK_TIMEOUT_MS = 2_000;

async function timed(run: () => Promise<unknown>): Promise<Check> {
  const start = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined = undefined;
  try {
    await Promise.race([
      run(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timeout after ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { status: "ok", latency_ms: Date.now() - start };
  } catch (err) {
    return { status: "error", error: err instanceof Error ? err.message : String(err) };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

export const health = new Hono<AppEnv>()
  .get("/healthz", (c) => c.json({ status: "ok" }))
  .get("/startupz", (c) => {
    const loaded = loadConfig(c.env);
    return loaded.ok ? c.json({ status: "ok" }) : c.json({ status: "error", errors: loaded.errors }, 503);
  })
  .get("/readyz", async (c) => {
    const loaded = loadConfig(c.env);
    const [control_plane, auth_cache, limits] = await Promise.all([
      timed(() => c.env.DB.prepare("SELECT count(*) AS n FROM virtual_keys").first()),
      timed(() => c.env.AUTH_CACHE.get("readyz:probe")),
      timed(() => c.env.KEY_LIMITER.get(c.env.KEY_LIMITER.idFromName("readyz")).ping()),
    ]);
    const config: Check | { status: "error"; errors: string[] } = loaded.ok
      ? { status: "ok", latency_ms: 0 }
      : { status: "error", errors: loaded.errors };
    const checks = { control_plane, auth_cache, limits, config };
    const ok = Object.values(checks).every((ch) => ch.status === "ok");
    return c.json({ status: ok ? "ok" : "degraded", checks }, ok ? 200 : 503);
  });
