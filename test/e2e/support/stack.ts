import path from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { seedLocalGateway, startWorker } from "../../../scripts/lib/local-stack.mjs";
import { FAKE_PROVIDER_CONFIG, GATEWAY_CONFIG } from "../../../scripts/lib/paths.mjs";
import { tempRunDir } from "./run-log";

/**
 * One e2e file's local stack: the fake provider and the gateway, each under `wrangler dev`, the
 * gateway's D1 seeded with the file's providers and keys. Registers its own beforeAll / afterAll
 * (both workers always stopped) and beforeEach (the fake provider's request log cleared).
 */

type Worker = Awaited<ReturnType<typeof startWorker>>;

export interface RecordedRequest {
  path: string;
  scenario: string;
  headers: Record<string, string>;
}

export interface StackSeed {
  project: string;
  providers: Record<string, unknown>[];
  keys: { name: string; config: Record<string, unknown> }[];
}

export interface Stack {
  /** The gateway's root URL. */
  gatewayUrl(): string;
  /** The secret of a seeded key by its name; any other string is returned as it is. */
  secret(keyOrSecret: string): string;
  /** The fake provider's root URL (healthy: no scenario prefix). */
  fakeUrl(): string;
  /** What the fake provider received since the current test began. */
  fakeRequests(): Promise<RecordedRequest[]>;
  /** The gateway's admin token (`LW_GATEWAY_ADMIN_TOKEN`), for clients of the admin API such as the CLI. */
  adminToken(): string;
  /**
   * Calls the gateway's admin API (`/admin/v1` + path) with its admin token: a JSON body is POSTed,
   * no body is a GET. For what the seed does not write, such as a binding's `prices` or an encrypted `api_key`.
   */
  adminFetch(path: string, body?: unknown): Promise<Response>;
}

/** The Worker secret that seeded bindings name in `api_key_secret`. */
export const FAKE_KEY_SECRET = "FAKE_PROVIDER_KEY";

/**
 * `seed` gets the fake provider's root for a failure scenario (`""` is healthy; see
 * test/fake-provider/worker.ts) and returns what to seed.
 */
export function useStack(
  prefix: string,
  fakeProviderKey: string,
  seed: (root: (scenario: string) => string) => StackSeed,
): Stack {
  const run = tempRunDir(prefix);
  let fake: Worker | undefined;
  let gateway: Worker | undefined;
  const secrets: Record<string, string> = {};
  const adminToken = randomBytes(24).toString("hex");

  beforeAll(async () => {
    const dir = await run.create();
    // The fake provider starts first, on a port the OS picks, because the seeded bindings name its
    // address: a port chosen in advance could be taken before wrangler binds it.
    fake = await startWorker({
      config: FAKE_PROVIDER_CONFIG,
      persistDir: path.join(dir, "fake-state"),
      logFile: path.join(dir, "fake-provider.log"),
    });
    const fakeRoot = fake.url;
    const root = (scenario: string) => `${fakeRoot}${scenario ? `/s/${scenario}` : ""}`;
    const pepper = randomBytes(32).toString("hex");
    const persistDir = path.join(dir, "gateway-state");
    const seeded = await seedLocalGateway({ persistDir, pepper, ...seed(root) });
    for (const k of seeded.keys) secrets[k.name] = k.secret;
    gateway = await startWorker({
      config: GATEWAY_CONFIG,
      persistDir,
      logFile: path.join(dir, "gateway.log"),
      vars: {
        ENVIRONMENT: "development",
        LW_VIRTUAL_KEY_PEPPER: pepper,
        LW_GATEWAY_INTERNAL_SECRET: randomBytes(32).toString("hex"),
        LW_GATEWAY_JWT_SECRET: randomBytes(32).toString("hex"),
        LW_GATEWAY_ADMIN_TOKEN: adminToken,
        [FAKE_KEY_SECRET]: fakeProviderKey,
      },
    });
  });

  afterAll(async () => {
    await Promise.allSettled([gateway?.stop(), fake?.stop()]);
  });

  beforeEach(async () => {
    await fetch(`${fake?.url}/__reset`);
  });

  return {
    gatewayUrl: () => gateway?.url ?? "",
    secret: (keyOrSecret) => secrets[keyOrSecret] ?? keyOrSecret,
    fakeUrl: () => fake?.url ?? "",
    fakeRequests: async () => (await (await fetch(`${fake?.url}/__requests`)).json()) as RecordedRequest[],
    adminToken: () => adminToken,
    adminFetch: (path, body) =>
      fetch(`${gateway?.url}/admin/v1${path}`, {
        method: body === undefined ? "GET" : "POST",
        headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
  };
}
