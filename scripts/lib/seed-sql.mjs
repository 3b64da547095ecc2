// The SQL that upserts a project, provider bindings and virtual keys into the gateway's D1 schema
// (migrations/). Every statement is idempotent and only bumps `revision`/`updated_at` when a row
// really changes, so the gateway's bundle refresh sees exactly the rows a re-seed touched.
import { displayPrefix, hashKeySecret, ulid } from "./ids.mjs";

/**
 * @typedef {{ name: string, type: string, base_url?: string | null, api_key_secret?: string | null, models?: string[], settings?: unknown }} ProviderRow
 *   a provider binding to upsert; `settings` is checked here (a JSON object, or left out)
 * @typedef {{ name: string, environment: string, secret: string, config?: Record<string, unknown> }} KeyRow
 *   a virtual key to upsert, its secret and environment already known
 */

/**
 * A SQLite literal for a string, number or null (undefined counts as null); anything else throws.
 * @param {unknown} value
 * @returns {string}
 */
export function sql(value) {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`cannot write ${value} to SQL`);
    return String(value);
  }
  if (typeof value !== "string") throw new Error(`cannot write a ${typeof value} to SQL`);
  if (value.includes("\0")) throw new Error("cannot write a NUL character to SQL");
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * @param {string} projectName
 * @param {number} now milliseconds since the epoch
 * @returns {string}
 */
function projectStatement(projectName, now) {
  return `INSERT INTO projects (id, name, created_at, updated_at)
  VALUES (${sql(`prj_${ulid(now)}`)}, ${sql(projectName)}, ${now}, ${now})
  ON CONFLICT(name) DO NOTHING;`;
}

/**
 * The path of the first value under `value` that JSON cannot carry as it is, or null when there is none.
 * @param {unknown} value
 * @param {string} at the path of `value`, for the answer
 * @returns {string | null}
 */
function notJsonAt(value, at) {
  if (value === null || typeof value === "string" || typeof value === "boolean") return null;
  if (typeof value === "number") return Number.isFinite(value) ? null : at;
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      const bad = notJsonAt(v, `${at}[${i}]`);
      if (bad) return bad;
    }
    return null;
  }
  if (typeof value !== "object" || Object.getPrototypeOf(value) !== Object.prototype) return at;
  for (const [k, v] of Object.entries(value)) {
    const bad = notJsonAt(v, `${at}.${k}`);
    if (bad) return bad;
  }
  return null;
}

/**
 * The JSON text of a binding's `settings` (a JSON object, as the admin API stores it), or null when
 * the seed gives none. Anything else, or a value JSON would drop or change (undefined, NaN, a Date,
 * a function, a bigint), is refused.
 * @param {ProviderRow} p
 * @returns {string | null}
 */
function settingsJson(p) {
  const s = p.settings;
  if (s === undefined) return null;
  if (typeof s !== "object" || s === null || Array.isArray(s)) {
    throw new Error(
      `provider ${p.name}: settings must be a JSON object, got ${Array.isArray(s) ? "an array" : String(s)}`,
    );
  }
  const bad = notJsonAt(s, "settings");
  if (bad) {
    throw new Error(
      `provider ${p.name}: ${bad} is not a JSON value (strings, finite numbers, booleans, null, arrays and plain objects only)`,
    );
  }
  return JSON.stringify(s);
}

/**
 * Upserts a binding. `settings`, when given, replaces the binding's settings; a seed without it
 * creates the binding with `{}` and leaves an existing binding's settings (say, set through the
 * admin API) alone. The gateway checks a type's settings when it uses the binding.
 * @param {ProviderRow} p
 * @param {number} now milliseconds since the epoch
 * @returns {string}
 */
function providerStatement(p, now) {
  const settings = settingsJson(p);
  const v = {
    type: sql(p.type),
    base_url: sql(p.base_url ?? null),
    api_key_secret: sql(p.api_key_secret ?? null),
    models: sql(JSON.stringify(p.models ?? [])),
    settings: sql(settings ?? "{}"),
  };
  const setSettings = settings === null ? "" : " settings = excluded.settings,";
  const settingsDiffer = settings === null ? "" : " OR settings IS NOT excluded.settings";
  return `INSERT INTO providers (id, name, type, base_url, api_key_secret, models, settings, created_at, updated_at)
  VALUES (${sql(`prv_${ulid(now)}`)}, ${sql(p.name)}, ${v.type}, ${v.base_url}, ${v.api_key_secret}, ${v.models}, ${v.settings}, ${now}, ${now})
  ON CONFLICT(name) DO UPDATE SET type = excluded.type, base_url = excluded.base_url,
    api_key_secret = excluded.api_key_secret, api_key_ciphertext = NULL, models = excluded.models,${setSettings}
    revision = revision + 1, updated_at = excluded.updated_at
  WHERE type IS NOT excluded.type OR base_url IS NOT excluded.base_url OR api_key_secret IS NOT excluded.api_key_secret
    OR api_key_ciphertext IS NOT NULL OR models IS NOT excluded.models${settingsDiffer};`;
}

/**
 * Updates the key named `k.name` in the project when it differs, or inserts it when it is missing.
 * @param {string} projectName
 * @param {KeyRow} k
 * @param {string} pepper
 * @param {number} now milliseconds since the epoch
 * @returns {string}
 */
function keyStatements(projectName, k, pepper, now) {
  const project = `(SELECT id FROM projects WHERE name = ${sql(projectName)})`;
  const env = sql(k.environment);
  const hash = sql(hashKeySecret(pepper, k.secret));
  const prefix = sql(displayPrefix(k.secret));
  const config = sql(JSON.stringify(k.config ?? {}));
  return `UPDATE virtual_keys SET environment = ${env}, display_prefix = ${prefix}, secret_hash = ${hash},
    status = 'active', revoked_at = NULL, expires_at = NULL, config = ${config},
    revision = revision + 1, updated_at = ${now}
  WHERE project_id = ${project} AND name = ${sql(k.name)}
    AND (environment IS NOT ${env} OR secret_hash IS NOT ${hash} OR status IS NOT 'active'
      OR expires_at IS NOT NULL OR config IS NOT ${config});
INSERT INTO virtual_keys (id, project_id, name, environment, display_prefix, secret_hash, config, created_at, updated_at)
  SELECT ${sql(`vk_${ulid(now)}`)}, p.id, ${sql(k.name)}, ${env}, ${prefix}, ${hash}, ${config}, ${now}, ${now}
    FROM projects p
   WHERE p.name = ${sql(projectName)}
     AND NOT EXISTS (SELECT 1 FROM virtual_keys WHERE project_id = p.id AND name = ${sql(k.name)});`;
}

/**
 * The whole seed as one SQL script; its last statement selects `id, name` of the seeded keys.
 * `keys` must already carry their `secret` and `environment`.
 * @param {{ projectName: string, providers: ProviderRow[], keys: KeyRow[], pepper: string, now?: number }} seed
 * @returns {string}
 */
export function seedScript({ projectName, providers, keys, pepper, now = Date.now() }) {
  const names = keys.map((k) => sql(k.name)).join(", ");
  return [
    projectStatement(projectName, now),
    ...providers.map((p) => providerStatement(p, now)),
    ...keys.flatMap((k) => keyStatements(projectName, k, pepper, now)),
    `SELECT vk.id AS id, vk.name AS name FROM virtual_keys vk JOIN projects p ON p.id = vk.project_id
  WHERE p.name = ${sql(projectName)} AND vk.name IN (${names || "NULL"});`,
  ].join("\n");
}
