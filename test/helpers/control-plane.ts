import { env } from "cloudflare:workers";
import { hashSecret } from "../../src/auth/keys";
import { bundleKvKey } from "../../src/contract/storage-names";
import { parseConfig, type GatewayConfig } from "../../src/config";
import { GATEWAY, fetchWithEnv } from "./gateway";

/** D1 and KV stand-ins for the control-plane tests: a D1 that is down, and stores that count calls. */

/** The error a D1 binding raises when it cannot reach the database. */
export const D1_TRANSPORT_ERROR = "D1_ERROR: Network connection lost.";

function reject(): Promise<never> {
  return Promise.reject(new Error(D1_TRANSPORT_ERROR));
}

/** A D1Database whose every query fails like a transport error. `calls` counts the queries tried. */
export function failingDb(): { db: D1Database; calls: () => number } {
  let calls = 0;
  const fail = (): Promise<never> => {
    calls += 1;
    return reject();
  };
  const statement = (): D1PreparedStatement => ({ bind: statement, first: fail, all: fail, run: fail, raw: fail });
  const db = {
    prepare: statement,
    batch: fail,
    exec: reject,
    dump: reject,
    withSession: () => db,
  };
  return { db: db as unknown as D1Database, calls: () => calls };
}

/** The real local D1, counting the statements prepared on it. */
export function countingDb(): { db: D1Database; calls: () => number } {
  let calls = 0;
  const real = env.DB;
  const db = new Proxy(real, {
    get(target, prop) {
      if (prop === "prepare") {
        return (query: string) => {
          calls += 1;
          return target.prepare(query);
        };
      }
      const value: unknown = Reflect.get(target, prop);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { db, calls: () => calls };
}

/** The real KV namespace, counting reads. */
export function countingKv(): { kv: KVNamespace; reads: () => number } {
  let reads = 0;
  const real = env.AUTH_CACHE;
  const kv = new Proxy(real, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop);
      if (typeof value !== "function") return value;
      const fn = (value as (...args: unknown[]) => unknown).bind(target);
      if (prop === "get" || prop === "getWithMetadata") {
        return (...args: unknown[]) => {
          reads += 1;
          return fn(...args);
        };
      }
      return fn;
    },
  });
  return { kv, reads: () => reads };
}

/** The gateway's configuration under the test env. */
export function testConfig(): GatewayConfig {
  const parsed = parseConfig(env);
  if (!parsed.ok) throw new Error(`test env is not a valid configuration: ${parsed.errors.join("; ")}`);
  return parsed.config;
}

export async function secretHash(secret: string): Promise<string> {
  return hashSecret(env.LW_VIRTUAL_KEY_PEPPER, secret);
}

/** The raw (sealed) KV value stored for a key's secret, or null. */
export async function rawKvValue(secret: string): Promise<string | null> {
  return env.AUTH_CACHE.get(bundleKvKey(await secretHash(secret)));
}

/**
 * GET /v1/models with the key, through the app, against the env with `overrides`; waits for the
 * request's after-response work (KV write-backs) before returning.
 */
export async function callModels(secret: string, overrides: Record<string, unknown> = {}): Promise<Response> {
  const request = new Request(`${GATEWAY}/v1/models`, { headers: { authorization: `Bearer ${secret}` } });
  const { response, settled } = await fetchWithEnv(request, overrides);
  await settled();
  return response;
}

/** Log lines the gateway wrote through a console spy, parsed, with the given event name. */
export function logLines(spy: { mock: { calls: unknown[][] } }, event: string): Record<string, unknown>[] {
  return spy.mock.calls.flatMap((args) => {
    const line = args[0];
    if (typeof line !== "string" || !line.startsWith("{")) return [];
    const parsed = JSON.parse(line) as Record<string, unknown>;
    return parsed.event === event ? [parsed] : [];
  });
}
