import { SQL_KEY_CONFIG_JSON } from "../../control-plane/bundles";
import { PROVIDER_COLUMNS, providerRowSchema, type ProviderRow } from "../../control-plane/provider-row";
import { isoString } from "../schemas/common";

/**
 * Provider bindings in D1 (table providers) and their API view. The API view never carries the key
 * or its ciphertext: only whether a key is stored (`has_api_key`).
 */

export type { ProviderRow };

export interface Provider {
  id: string;
  name: string;
  type: string;
  base_url: string | null;
  api_key_secret: string | null;
  has_api_key: boolean;
  models: string[];
  prices: ProviderRow["prices"];
  settings: Record<string, unknown>;
  revision: number;
  created_at: string;
  updated_at: string;
}

export function providerView(row: ProviderRow): Provider {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    base_url: row.base_url,
    api_key_secret: row.api_key_secret,
    has_api_key: row.api_key_ciphertext !== null,
    models: row.models,
    prices: row.prices,
    settings: row.settings,
    revision: row.revision,
    created_at: isoString(row.created_at),
    updated_at: isoString(row.updated_at),
  };
}

const COLUMNS = PROVIDER_COLUMNS;

/** By id (`prv_…`) or by name: names cannot look like ids, so one lookup serves both. */
export async function findProvider(db: D1Database, idOrName: string): Promise<ProviderRow | null> {
  const row = await db.prepare(`SELECT ${COLUMNS} FROM providers WHERE id = ?1 OR name = ?1`).bind(idOrName).first();
  return row ? providerRowSchema.parse(row) : null;
}

export async function listProviders(db: D1Database, limit: number): Promise<ProviderRow[]> {
  const { results } = await db
    .prepare(`SELECT ${COLUMNS} FROM providers ORDER BY created_at DESC, rowid DESC LIMIT ?`)
    .bind(limit)
    .all();
  return results.map((r) => providerRowSchema.parse(r));
}

/** Which of `names` have no provider binding. */
export async function missingProviderNames(db: D1Database, names: readonly string[]): Promise<string[]> {
  if (names.length === 0) return [];
  const { results } = await db
    .prepare("SELECT name FROM providers WHERE name IN (SELECT value FROM json_each(?))")
    .bind(JSON.stringify(names))
    .all<{ name: string }>();
  const found = new Set(results.map((r) => r.name));
  return names.filter((n) => !found.has(n));
}

/** What the admin API writes: a row minus the bookkeeping columns. */
export type ProviderFields = Omit<ProviderRow, "id" | "name" | "revision" | "created_at" | "updated_at">;

export function insertProvider(
  db: D1Database,
  id: string,
  name: string,
  fields: ProviderFields,
  now: number,
): D1PreparedStatement {
  return db
    .prepare(`INSERT INTO providers (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`)
    .bind(
      id,
      name,
      fields.type,
      fields.base_url,
      fields.api_key_secret,
      fields.api_key_ciphertext,
      JSON.stringify(fields.models),
      JSON.stringify(fields.prices),
      JSON.stringify(fields.settings),
      now,
      now,
    );
}

/** Replaces the fields if the row is still at `revision` (optimistic concurrency). */
export function updateProvider(
  db: D1Database,
  id: string,
  revision: number,
  fields: ProviderFields,
  now: number,
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE providers SET type = ?, base_url = ?, api_key_secret = ?, api_key_ciphertext = ?, models = ?, prices = ?,
              settings = ?, revision = revision + 1, updated_at = ?
        WHERE id = ? AND revision = ?`,
    )
    .bind(
      fields.type,
      fields.base_url,
      fields.api_key_secret,
      fields.api_key_ciphertext,
      JSON.stringify(fields.models),
      JSON.stringify(fields.prices),
      JSON.stringify(fields.settings),
      now,
      id,
      revision,
    );
}

/** On `virtual_keys vk`: not revoked, and the chain names the provider (a row whose config is not JSON names none). */
const KEY_USES_PROVIDER = `vk.status != 'revoked' AND EXISTS (SELECT 1 FROM json_each(${SQL_KEY_CONFIG_JSON}, '$.providers') WHERE value = ?)`;

/** Up to `limit` ids of keys that are not revoked and whose chain names this provider. */
export async function keysUsingProvider(db: D1Database, name: string, limit = 20): Promise<string[]> {
  const { results } = await db
    .prepare(`SELECT vk.id FROM virtual_keys vk WHERE ${KEY_USES_PROVIDER} ORDER BY vk.created_at LIMIT ?`)
    .bind(name, limit)
    .all<{ id: string }>();
  return results.map((r) => r.id);
}

/** Deletes the binding unless a key that is not revoked still names it (then it changes nothing). */
export function deleteUnusedProvider(db: D1Database, id: string, name: string): D1PreparedStatement {
  return db
    .prepare(
      `DELETE FROM providers WHERE id = ? AND NOT EXISTS (SELECT 1 FROM virtual_keys vk WHERE ${KEY_USES_PROVIDER})`,
    )
    .bind(id, name);
}
