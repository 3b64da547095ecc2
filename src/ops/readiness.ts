import { loadConfig } from "../config";
import { priceWarnings } from "./price-warnings";

/**
 * The readiness checks (docs/api.md, Health endpoints): each really touches its store (D1, KV, the Durable Object
 * binding) under a deadline, so `/readyz` and the cron heartbeat say what a request would meet.
 */

export type Check = { status: "ok"; latency_ms: number } | { status: "error"; error: string };
/**
 * `warnings`: configuration that works but deserves a look (models without a known price); present
 * only when there is one. They never make readiness fail.
 */
export type ConfigCheck =
  { status: "ok"; latency_ms: number; warnings?: string[] } | { status: "error"; errors: string[] };

export interface Readiness {
  status: "ok" | "degraded";
  checks: { control_plane: Check; auth_cache: Check; limits: Check; config: ConfigCheck };
}

const CHECK_TIMEOUT_MS = 2_000;

/** `run()`, or a rejection once CHECK_TIMEOUT_MS have passed. */
async function withDeadline<T>(run: () => Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined = undefined;
  try {
    return await Promise.race([
      run(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timeout after ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

async function timed(run: () => Promise<unknown>): Promise<Check> {
  const start = Date.now();
  try {
    await withDeadline(run);
    return { status: "ok", latency_ms: Date.now() - start };
  } catch (err) {
    return { status: "error", error: err instanceof Error ? err.message : String(err) };
  }
}

/** The price warnings, or none when D1 cannot say (control_plane reports that failure). */
async function configWarnings(db: D1Database): Promise<string[]> {
  try {
    return await withDeadline(() => priceWarnings(db));
  } catch {
    return [];
  }
}

export async function checkReadiness(env: Env): Promise<Readiness> {
  const loaded = loadConfig(env);
  const [control_plane, auth_cache, limits, warnings] = await Promise.all([
    timed(() => env.DB.prepare("SELECT 1 FROM virtual_keys LIMIT 1").first()),
    timed(() => env.AUTH_CACHE.get("readyz:probe")),
    // Both counter classes: a request with a project or principal budget needs the second one too.
    timed(() =>
      Promise.all([
        env.KEY_LIMITER.get(env.KEY_LIMITER.idFromName("readyz")).ping(),
        env.BUDGET_COUNTER.get(env.BUDGET_COUNTER.idFromName("readyz")).ping(),
      ]),
    ),
    configWarnings(env.DB),
  ]);
  const config: ConfigCheck = loaded.ok
    ? { status: "ok", latency_ms: 0, ...(warnings.length > 0 ? { warnings } : {}) }
    : { status: "error", errors: loaded.errors };
  const checks = { control_plane, auth_cache, limits, config };
  const ok = Object.values(checks).every((ch) => ch.status === "ok");
  return { status: ok ? "ok" : "degraded", checks };
}
