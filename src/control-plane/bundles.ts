import * as z from "zod";
import { parseVkConfig, type VkConfig } from "./vk-config";

/**
 * A key bundle: everything the hot path needs about one virtual key, built from D1 in one place.
 * Provider credentials stay references (`api_key_secret`) resolved at call time from the Worker env.
 */

export interface ProviderBinding {
  id: string;
  name: string;
  type: string;
  baseUrl: string | null;
  apiKeySecret: string | null;
  models: string[];
  settings: Record<string, unknown>;
}

export interface KeyBundle {
  vk: {
    id: string;
    name: string;
    environment: "live" | "test";
    displayPrefix: string;
    principalId: string | null;
    status: "active" | "revoked";
    expiresAt: number | null;
  };
  project: { id: string; name: string };
  config: VkConfig;
  /** The fallback chain, in the order of `config.providers`; names that no longer exist are left out. */
  providers: ProviderBinding[];
  revision: number;
}

const keyRow = z.object({
  id: z.string(),
  name: z.string(),
  environment: z.enum(["live", "test"]),
  display_prefix: z.string(),
  principal_id: z.string().nullable(),
  status: z.enum(["active", "revoked"]),
  expires_at: z.number().nullable(),
  config: z.string(),
  revision: z.number(),
  project_id: z.string(),
  project_name: z.string(),
});

const providerRow = z.object({
  id: z.string(),
  name: z.string(),
  type: z.string(),
  base_url: z.string().nullable(),
  api_key_secret: z.string().nullable(),
  models: z.string(),
  settings: z.string(),
  revision: z.number(),
});

const stringArray = z.array(z.string());
const jsonObject = z.record(z.string(), z.unknown());

function toBinding(row: z.infer<typeof providerRow>): ProviderBinding {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    baseUrl: row.base_url,
    apiKeySecret: row.api_key_secret,
    models: stringArray.parse(JSON.parse(row.models)),
    settings: jsonObject.parse(JSON.parse(row.settings)),
  };
}

/** Loads the bundle for a secret hash from D1, or null when no key has that hash. */
export async function loadBundle(db: D1Database, secretHash: string): Promise<KeyBundle | null> {
  const row = await db
    .prepare(
      `SELECT vk.id, vk.name, vk.environment, vk.display_prefix, vk.principal_id, vk.status, vk.expires_at,
              vk.config, vk.revision, vk.project_id, p.name AS project_name
         FROM virtual_keys vk JOIN projects p ON p.id = vk.project_id
        WHERE vk.secret_hash = ?`,
    )
    .bind(secretHash)
    .first();
  if (!row) return null;
  const key = keyRow.parse(row);
  const config = parseVkConfig(JSON.parse(key.config));
  const names = config.providers;
  let providers: ProviderBinding[] = [];
  let revision = key.revision;
  if (names.length > 0) {
    const { results } = await db
      .prepare(
        `SELECT id, name, type, base_url, api_key_secret, models, settings, revision
           FROM providers WHERE name IN (SELECT value FROM json_each(?))`,
      )
      .bind(JSON.stringify(names))
      .all();
    const rows = results.map((r) => providerRow.parse(r));
    const byName = new Map(rows.map((r) => [r.name, r]));
    providers = names.flatMap((n) => {
      const r = byName.get(n);
      return r ? [toBinding(r)] : [];
    });
    revision += rows.reduce((sum, r) => sum + r.revision, 0);
  }
  return {
    vk: {
      id: key.id,
      name: key.name,
      environment: key.environment,
      displayPrefix: key.display_prefix,
      principalId: key.principal_id,
      status: key.status,
      expiresAt: key.expires_at,
    },
    project: { id: key.project_id, name: key.project_name },
    config,
    providers,
    revision,
  };
}
