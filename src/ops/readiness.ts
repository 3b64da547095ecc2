import { loadConfig } from "../config";

/**
 * The readiness checks of contract §2: each really touches its store (D1, KV, the Durable Object
 * binding) under a deadline, so `/readyz` and the cron heartbeat say what a request would meet.
 */

export type Check = { status: "ok"; latency_ms: number } | { status: "error"; error: string };
export type ConfigCheck = { status: "ok"; latency_ms: number } | { status: "error"; errors: string[] };

export interface Readiness {
  status: "ok" | "degraded";
  checks: { control_plane: Check; auth_cache: Check; limits: Check; config: ConfigCheck };
}

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

export async function checkReadiness(env: Env): Promise<Readiness> {
  const loaded = loadConfig(env);
  const [control_plane, auth_cache, limits] = await Promise.all([
    timed(() => env.DB.prepare("SELECT count(*) AS n FROM virtual_keys").first()),
    timed(() => env.AUTH_CACHE.get("readyz:probe")),
    timed(() => env.KEY_LIMITER.get(env.KEY_LIMITER.idFromName("readyz")).ping()),
  ]);
  const config: ConfigCheck = loaded.ok ? { status: "ok", latency_ms: 0 } : { status: "error", errors: loaded.errors };
  const checks = { control_plane, auth_cache, limits, config };
  const ok = Object.values(checks).every((ch) => ch.status === "ok");
  return { status: ok ? "ok" : "degraded", checks };
}
