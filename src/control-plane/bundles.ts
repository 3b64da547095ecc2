import * as z from "zod";
import { unseal } from "../crypto/seal";
import { BUDGET_ON_BREACH, BUDGET_SCOPES, BUDGET_WINDOWS } from "../contract/budgets";
import type { BudgetRef, KeyBundle, ProviderBinding } from "../contract/bundle";
import { PROVIDER_COLUMNS, providerRowSchema } from "./provider-row";
import { vkConfigSchema } from "../contract/vk-config";

/**
 * Building key bundles (src/contract/bundle.ts) from D1. Provider keys stored encrypted in D1
 * (`api_key_ciphertext`) are decrypted here, once per build, so the bundle carries them (and is
 * therefore only ever stored sealed); keys kept as Worker secrets stay references (`apiKeySecret`)
 * resolved from the env at call time.
 */

/** How long a built bundle is trusted before the hot path asks D1 again (its soft expiry). */
export const BUNDLE_SOFT_TTL_MS = 5 * 60_000;

/** D1 could not be read (transport or SQL failure): a reason to serve stale, never to reject a key. */
export class ControlPlaneUnavailable extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = "ControlPlaneUnavailable";
  }
}

/**
 * What D1 holds for a key cannot be turned into a bundle: its config fails validation, a provider row
 * is malformed, or a provider's stored key does not decrypt under the current LW_GATEWAY_JWT_SECRET.
 * An operator has to fix the stored data; retrying will not help.
 */
export class InvalidStoredConfig extends Error {
  constructor(
    readonly code: "invalid_key_config" | "invalid_provider_config",
    readonly vkId: string,
    message: string,
  ) {
    super(message);
    this.name = "InvalidStoredConfig";
  }
}

const keyRow = z.object({
  id: z.string(),
  name: z.string(),
  environment: z.enum(["live", "test"]),
  display_prefix: z.string(),
  principal_id: z.string().nullable(),
  secret_hash: z.string(),
  status: z.enum(["active", "revoked"]),
  expires_at: z.number().nullable(),
  config: z.string(),
  revision: z.number(),
  project_id: z.string(),
  project_name: z.string(),
  project_revision: z.number(),
});
type KeyRow = z.infer<typeof keyRow>;

/**
 * A key's config as SQL reads it in `json_each(…, '$.providers')`: a row whose config is not JSON
 * (never written by the admin API) reads as `{}` instead of failing the whole query.
 */
export const SQL_KEY_CONFIG_JSON = "CASE WHEN json_valid(vk.config) THEN vk.config ELSE '{}' END";

const KEY_COLUMNS = `vk.id, vk.name, vk.environment, vk.display_prefix, vk.principal_id, vk.secret_hash, vk.status,
  vk.expires_at, vk.config, vk.revision, vk.project_id, p.name AS project_name, p.revision AS project_revision`;

/** Runs one D1 call, turning any failure of the store itself into ControlPlaneUnavailable. */
async function d1<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw new ControlPlaneUnavailable(err);
  }
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return Symbol.for("invalid-json");
  }
}

function parseKeyRow(raw: unknown): KeyRow {
  const parsed = keyRow.safeParse(raw);
  if (!parsed.success) {
    const id = typeof raw === "object" && raw !== null && "id" in raw ? String(raw.id) : "(unknown)";
    throw new InvalidStoredConfig(
      "invalid_key_config",
      id,
      `The stored row of virtual key ${id} is malformed (${describeIssues(parsed.error)}). Fix the key with the admin API.`,
    );
  }
  return parsed.data;
}

function parseKeyConfig(row: KeyRow): KeyBundle["config"] {
  const json = parseJson(row.config);
  const parsed = vkConfigSchema.safeParse(json);
  if (!parsed.success) {
    const why = typeof json === "symbol" ? "it is not valid JSON" : describeIssues(parsed.error);
    throw new InvalidStoredConfig(
      "invalid_key_config",
      row.id,
      `The stored config of virtual key ${row.id} is invalid (${why}). Fix it with PATCH /admin/v1/virtual-keys/${row.id}.`,
    );
  }
  return parsed.data;
}

interface LoadedProvider {
  binding: ProviderBinding;
  revision: number;
}

/** Parses and decrypts one provider row; `vkId` names the key whose build needed it, for the error. */
async function toProvider(raw: unknown, jwtSecret: string, vkId: string): Promise<LoadedProvider> {
  const parsed = providerRowSchema.safeParse(raw);
  if (!parsed.success) {
    const name = typeof raw === "object" && raw !== null && "name" in raw ? String(raw.name) : "(unknown)";
    throw new InvalidStoredConfig(
      "invalid_provider_config",
      vkId,
      `The stored row of provider ${name} is malformed (models must be a JSON array of strings, settings a JSON object, prices an object of per-model prices). Fix it with PATCH /admin/v1/providers/${name}.`,
    );
  }
  const row = parsed.data;
  let apiKey: string | null = null;
  if (row.api_key_ciphertext !== null) {
    try {
      apiKey = await unseal(jwtSecret, "provider-key", row.api_key_ciphertext);
    } catch {
      throw new InvalidStoredConfig(
        "invalid_provider_config",
        vkId,
        `The stored API key of provider ${row.name} cannot be decrypted with the current LW_GATEWAY_JWT_SECRET (was the secret changed?). Set the key again with PATCH /admin/v1/providers/${row.name}.`,
      );
    }
  }
  return {
    binding: {
      id: row.id,
      name: row.name,
      type: row.type,
      baseUrl: row.base_url,
      apiKeySecret: row.api_key_secret,
      apiKey,
      models: row.models,
      prices: row.prices,
      settings: row.settings,
    },
    revision: row.revision,
  };
}

/** Loads the named provider rows (decrypting stored keys), keyed by name. */
async function loadProviders(
  db: D1Database,
  jwtSecret: string,
  names: string[],
  vkIdForErrors: string,
): Promise<Map<string, LoadedProvider>> {
  if (names.length === 0) return new Map();
  const { results } = await d1(() =>
    db
      .prepare(`SELECT ${PROVIDER_COLUMNS} FROM providers WHERE name IN (SELECT value FROM json_each(?))`)
      .bind(JSON.stringify([...new Set(names)]))
      .all(),
  );
  const loaded = await Promise.all(results.map((r) => toProvider(r, jwtSecret, vkIdForErrors)));
  return new Map(loaded.map((p) => [p.binding.name, p]));
}

const budgetRow = z.object({
  id: z.string(),
  scope: z.enum(BUDGET_SCOPES),
  scope_id: z.string(),
  window: z.enum(BUDGET_WINDOWS),
  limit_micros: z.number().int().positive(),
  on_breach: z.enum(BUDGET_ON_BREACH),
  revision: z.number(),
});

interface LoadedBudget {
  ref: BudgetRef;
  revision: number;
}

const BUDGET_COLUMNS = 'b.id, b.scope, b.scope_id, b."window", b.limit_micros, b.on_breach, b.revision';

function toBudget(raw: unknown, vkId: string): LoadedBudget {
  const parsed = budgetRow.safeParse(raw);
  if (!parsed.success) {
    const id = typeof raw === "object" && raw !== null && "id" in raw ? String(raw.id) : "(unknown)";
    throw new InvalidStoredConfig(
      "invalid_key_config",
      vkId,
      `The stored budget ${id} that applies to virtual key ${vkId} is malformed (${describeIssues(parsed.error)}). Fix it with PATCH /admin/v1/budgets/${id} or delete it.`,
    );
  }
  const b = parsed.data;
  return {
    ref: {
      id: b.id,
      scope: b.scope,
      scopeId: b.scope_id,
      window: b.window,
      limitMicros: b.limit_micros,
      onBreach: b.on_breach,
    },
    revision: b.revision,
  };
}

const SCOPE_ORDER: readonly string[] = BUDGET_SCOPES;
const WINDOW_ORDER: readonly string[] = BUDGET_WINDOWS;

/** Bundle order: by scope, then window, then id, so equal data builds equal bundles. */
function byScopeWindowId(a: LoadedBudget, b: LoadedBudget): number {
  return (
    SCOPE_ORDER.indexOf(a.ref.scope) - SCOPE_ORDER.indexOf(b.ref.scope) ||
    WINDOW_ORDER.indexOf(a.ref.window) - WINDOW_ORDER.indexOf(b.ref.window) ||
    (a.ref.id < b.ref.id ? -1 : a.ref.id > b.ref.id ? 1 : 0)
  );
}

/** The budgets that apply to one key: its own, its project's, its principal's. */
async function loadBudgets(db: D1Database, row: KeyRow): Promise<LoadedBudget[]> {
  const { results } = await d1(() =>
    db
      .prepare(
        `SELECT ${BUDGET_COLUMNS} FROM budgets b
          WHERE (b.scope = 'virtual_key' AND b.scope_id = ?1)
             OR (b.scope = 'project' AND b.scope_id = ?2)
             OR (b.scope = 'principal' AND b.scope_id = ?3)`,
      )
      .bind(row.id, row.project_id, row.principal_id)
      .all(),
  );
  return results.map((r) => toBudget(r, row.id)).sort(byScopeWindowId);
}

/** The budgets of many keys in one statement (for a D1 batch): rows carry `vk_id`. */
function budgetsOfKeysStatement(db: D1Database, idsJson: string): D1PreparedStatement {
  const of = (scope: string, column: string) =>
    `SELECT vk.id AS vk_id, ${BUDGET_COLUMNS} FROM virtual_keys vk
       JOIN budgets b ON b.scope = '${scope}' AND b.scope_id = vk.${column}
      WHERE vk.id IN (SELECT value FROM json_each(?1))`;
  return db
    .prepare(
      [of("virtual_key", "id"), of("project", "project_id"), of("principal", "principal_id")].join(" UNION ALL "),
    )
    .bind(idsJson);
}

function assemble(
  row: KeyRow,
  config: KeyBundle["config"],
  providers: Map<string, LoadedProvider>,
  budgets: LoadedBudget[],
  now: number,
  secretExpiresAt: number | null,
): KeyBundle {
  const chain = config.providers.flatMap((n) => {
    const p = providers.get(n);
    return p ? [p] : [];
  });
  return {
    vk: {
      id: row.id,
      name: row.name,
      environment: row.environment,
      displayPrefix: row.display_prefix,
      principalId: row.principal_id,
      status: row.status,
      expiresAt: row.expires_at,
    },
    project: { id: row.project_id, name: row.project_name },
    config,
    providers: chain.map((p) => p.binding),
    budgets: budgets.map((b) => b.ref),
    revision: [
      row.revision,
      row.project_revision,
      chain.map((p) => p.revision).join(","),
      budgets.map((b) => b.revision).join(","),
    ].join("."),
    builtAt: now,
    softExpiresAt: now + BUNDLE_SOFT_TTL_MS,
    secretExpiresAt,
  };
}

/**
 * Loads the bundle for a secret hash from D1: the key's current secret, or a rotated-out secret still
 * inside its grace period (then `secretExpiresAt` is set). Null when neither matches. Throws
 * ControlPlaneUnavailable when D1 cannot be read and InvalidStoredConfig when the stored data is bad.
 */
export async function loadBundle(
  db: D1Database,
  jwtSecret: string,
  secretHash: string,
  now: number,
): Promise<KeyBundle | null> {
  const row = await d1(() =>
    db
      .prepare(
        `SELECT ${KEY_COLUMNS}, NULL AS secret_expires_at
           FROM virtual_keys vk JOIN projects p ON p.id = vk.project_id
          WHERE vk.secret_hash = ?1
         UNION ALL
         SELECT ${KEY_COLUMNS}, os.expires_at AS secret_expires_at
           FROM virtual_key_old_secrets os
           JOIN virtual_keys vk ON vk.id = os.vk_id JOIN projects p ON p.id = vk.project_id
          WHERE os.secret_hash = ?1 AND os.expires_at > ?2
         LIMIT 1`,
      )
      .bind(secretHash, now)
      .first<Record<string, unknown>>(),
  );
  if (!row) return null;
  const key = parseKeyRow(row);
  const secretExpiresAt = typeof row.secret_expires_at === "number" ? row.secret_expires_at : null;
  const config = parseKeyConfig(key);
  const [providers, budgets] = await Promise.all([
    loadProviders(db, jwtSecret, config.providers, key.id),
    loadBudgets(db, key),
  ]);
  return assemble(key, config, providers, budgets, now, secretExpiresAt);
}

/** One secret hash of a key and what KV should hold under it. */
export interface KeyEntry {
  secretHash: string;
  /**
   * The bundle as built (a revoked key's too: KV drops it, but the publishing isolate keeps it to
   * answer `revoked_key` at once), or null for an old secret whose grace is over.
   */
  bundle: KeyBundle | null;
}

export type KeyEntries =
  | { vkId: string; ok: true; status: "active" | "revoked"; entries: KeyEntry[] }
  | { vkId: string; ok: false; error: InvalidStoredConfig; secretHashes: string[] };

/**
 * Builds what KV should hold for each of the given keys: the current secret's bundle, one per old
 * secret still in grace, and deletions for revoked keys and old secrets whose grace is over. Two D1
 * round trips whatever the number of keys (up to SQLite's parameter limits, which json_each avoids).
 */
export async function loadKeyEntries(
  db: D1Database,
  jwtSecret: string,
  vkIds: string[],
  now: number,
): Promise<KeyEntries[]> {
  if (vkIds.length === 0) return [];
  const ids = JSON.stringify(vkIds);
  const [keys, oldSecrets, budgetRows] = await d1(() =>
    db.batch<Record<string, unknown>>([
      db
        .prepare(
          `SELECT ${KEY_COLUMNS} FROM virtual_keys vk JOIN projects p ON p.id = vk.project_id
            WHERE vk.id IN (SELECT value FROM json_each(?))`,
        )
        .bind(ids),
      db
        .prepare(
          `SELECT secret_hash, vk_id, expires_at FROM virtual_key_old_secrets WHERE vk_id IN (SELECT value FROM json_each(?))`,
        )
        .bind(ids),
      budgetsOfKeysStatement(db, ids),
    ]),
  );
  const budgetsByKey = new Map<string, unknown[]>();
  for (const r of budgetRows?.results ?? []) {
    const vkId = String(r.vk_id);
    budgetsByKey.set(vkId, [...(budgetsByKey.get(vkId) ?? []), r]);
  }
  const olds = new Map<string, { secretHash: string; expiresAt: number }[]>();
  for (const r of oldSecrets?.results ?? []) {
    const vkId = String(r.vk_id);
    const list = olds.get(vkId) ?? [];
    list.push({ secretHash: String(r.secret_hash), expiresAt: Number(r.expires_at) });
    olds.set(vkId, list);
  }
  const rows: { row: KeyRow; config: KeyBundle["config"] | InvalidStoredConfig }[] = [];
  const out: KeyEntries[] = [];
  for (const raw of keys?.results ?? []) {
    let row: KeyRow;
    try {
      row = parseKeyRow(raw);
    } catch (err) {
      if (!(err instanceof InvalidStoredConfig)) throw err;
      const hash = raw.secret_hash;
      out.push({ vkId: err.vkId, ok: false, error: err, secretHashes: typeof hash === "string" ? [hash] : [] });
      continue;
    }
    try {
      rows.push({ row, config: parseKeyConfig(row) });
    } catch (err) {
      if (!(err instanceof InvalidStoredConfig)) throw err;
      rows.push({ row, config: err });
    }
  }
  const names = rows.flatMap((r) => (r.config instanceof InvalidStoredConfig ? [] : r.config.providers));
  // Decrypting provider keys once per provider; a provider that fails fails only the keys using it.
  let providers = new Map<string, LoadedProvider>();
  let providerError: InvalidStoredConfig | null = null;
  try {
    providers = await loadProviders(db, jwtSecret, names, "(several keys)");
  } catch (err) {
    if (!(err instanceof InvalidStoredConfig)) throw err;
    providerError = err;
  }
  for (const { row, config } of rows) {
    const old = olds.get(row.id) ?? [];
    const allHashes = [row.secret_hash, ...old.map((o) => o.secretHash)];
    if (config instanceof InvalidStoredConfig) {
      out.push({ vkId: row.id, ok: false, error: config, secretHashes: allHashes });
      continue;
    }
    let budgets: LoadedBudget[];
    try {
      budgets = (budgetsByKey.get(row.id) ?? []).map((r) => toBudget(r, row.id)).sort(byScopeWindowId);
    } catch (err) {
      if (!(err instanceof InvalidStoredConfig)) throw err;
      out.push({ vkId: row.id, ok: false, error: err, secretHashes: allHashes });
      continue;
    }
    if (providerError) {
      // Rebuild this key's providers alone so the error names its own provider, or the key succeeds.
      try {
        const own = await loadProviders(db, jwtSecret, config.providers, row.id);
        out.push(entriesFor(row, config, own, budgets, old, now));
      } catch (err) {
        if (!(err instanceof InvalidStoredConfig)) throw err;
        out.push({ vkId: row.id, ok: false, error: err, secretHashes: allHashes });
      }
      continue;
    }
    out.push(entriesFor(row, config, providers, budgets, old, now));
  }
  return out;
}

function entriesFor(
  row: KeyRow,
  config: KeyBundle["config"],
  providers: Map<string, LoadedProvider>,
  budgets: LoadedBudget[],
  old: { secretHash: string; expiresAt: number }[],
  now: number,
): KeyEntries {
  const entries: KeyEntry[] = [
    { secretHash: row.secret_hash, bundle: assemble(row, config, providers, budgets, now, null) },
  ];
  for (const o of old) {
    entries.push({
      secretHash: o.secretHash,
      bundle: o.expiresAt > now ? assemble(row, config, providers, budgets, now, o.expiresAt) : null,
    });
  }
  return { vkId: row.id, ok: true, status: row.status, entries };
}
