import { env } from "cloudflare:workers";
import { clearBundleCache } from "../../src/auth/bundle-cache";
import { displayPrefix, generateSecret, hashSecret } from "../../src/auth/keys";
import { ulid } from "../../src/lib/ids";
import { fakeBaseUrl } from "./fake-upstream";

/** Writes control-plane rows straight into local D1 (the admin API arrives with its own issue). */

export interface ProviderSeed {
  name: string;
  type?: string;
  base_url?: string | null;
  api_key_secret?: string | null;
  models?: string[];
}

export async function seedProvider(p: ProviderSeed): Promise<void> {
  const now = Date.now();
  await env.DB.prepare(
    `INSERT INTO providers (id, name, type, base_url, api_key_secret, models, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(name) DO UPDATE SET type = excluded.type, base_url = excluded.base_url,
       api_key_secret = excluded.api_key_secret, models = excluded.models, revision = revision + 1`,
  )
    .bind(
      `prv_${ulid()}`,
      p.name,
      p.type ?? "openai-compatible",
      p.base_url ?? null,
      p.api_key_secret ?? null,
      JSON.stringify(p.models ?? []),
      now,
      now,
    )
    .run();
}

/**
 * A fake-provider binding playing `scenario` under a name no other test uses (D1 is shared by the
 * tests of a file), authenticated with the FAKE_OPENAI_KEY Worker secret. Returns the binding name.
 */
export async function seedFakeProvider(scenario = "", models: string[] = []): Promise<string> {
  const name = `fake${scenario ? `-${scenario}` : ""}-${ulid().slice(-8).toLowerCase()}`;
  await seedProvider({ name, base_url: fakeBaseUrl(scenario), api_key_secret: "FAKE_OPENAI_KEY", models });
  return name;
}

export interface KeySeed {
  config?: Record<string, unknown>;
  status?: "active" | "revoked";
  expires_at?: number | null;
  environment?: "live" | "test";
}

/** Creates a project and a key; returns the key's secret and id. */
export async function seedKey(k: KeySeed = {}): Promise<{ secret: string; id: string; projectId: string }> {
  const now = Date.now();
  const projectId = `prj_${ulid()}`;
  const id = `vk_${ulid()}`;
  const secret = generateSecret(k.environment ?? "test");
  await env.DB.batch([
    env.DB.prepare("INSERT INTO projects (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)").bind(
      projectId,
      `project-${projectId}`,
      now,
      now,
    ),
    env.DB.prepare(
      `INSERT INTO virtual_keys (id, project_id, name, environment, display_prefix, secret_hash, status, expires_at, config, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).bind(
      id,
      projectId,
      "test key",
      k.environment ?? "test",
      displayPrefix(secret),
      await hashSecret(env.LW_VIRTUAL_KEY_PEPPER, secret),
      k.status ?? "active",
      k.expires_at ?? null,
      JSON.stringify(k.config ?? {}),
      now,
      now,
    ),
  ]);
  clearBundleCache();
  return { secret, id, projectId };
}

export interface FakeChain {
  secret: string;
  id: string;
  /** The binding names, in chain order. */
  providers: string[];
}

/**
 * A key whose fallback chain is one fake binding per scenario ("" is a healthy one), with a short
 * attempt timeout so `hang` costs little. `config` is merged over that default.
 */
export async function seedFakeChain(
  scenarios: string[],
  config: Record<string, unknown> = {},
  models: string[] = [],
): Promise<FakeChain> {
  const providers: string[] = [];
  for (const s of scenarios) providers.push(await seedFakeProvider(s, models));
  const key = await seedKey({
    config: { providers, fallback: { max_attempts: 3, attempt_timeout_ms: 1_000 }, ...config },
  });
  return { secret: key.secret, id: key.id, providers };
}
