import * as z from "zod";
import { BUDGET_ON_BREACH, BUDGET_SCOPES, BUDGET_WINDOWS } from "./budgets";
import { vkConfigSchema } from "./vk-config";

/**
 * A key bundle: everything the hot path needs about one virtual key, built from D1 in one place
 * (src/control-plane/bundles.ts). The schema doubles as the check on what comes back out of KV: a
 * bundle written by an older deployment in another shape fails it and is rebuilt from D1.
 */

/** A binding's price override for one model, as stored: decimal strings of USD per million tokens. */
export const priceOverrideSchema = z.object({
  input_per_mtok: z.string(),
  output_per_mtok: z.string(),
  cache_read_per_mtok: z.string().optional(),
  cache_write_per_mtok: z.string().optional(),
});

export const providerBindingSchema = z.object({
  id: z.string(),
  name: z.string(),
  type: z.string(),
  baseUrl: z.string().nullable(),
  /** The Worker secret holding the key, read at call time. */
  apiKeySecret: z.string().nullable(),
  /** The key itself, decrypted from D1's `api_key_ciphertext` when the bundle was built. */
  apiKey: z.string().nullable(),
  models: z.array(z.string()),
  /** Price overrides by model (src/pricing reads them before the catalogue). */
  prices: z.record(z.string(), priceOverrideSchema),
  settings: z.record(z.string(), z.unknown()),
});

/** A budget that applies to the key (docs/api.md, Budgets); its counters live in the Durable Objects. */
const budgetRefSchema = z.object({
  id: z.string(),
  scope: z.enum(BUDGET_SCOPES),
  /** The key's id, its project's id, or its principal id, by scope. */
  scopeId: z.string(),
  window: z.enum(BUDGET_WINDOWS),
  limitMicros: z.number().int().positive(),
  onBreach: z.enum(BUDGET_ON_BREACH),
});

export const keyBundleSchema = z.object({
  vk: z.object({
    id: z.string(),
    name: z.string(),
    environment: z.enum(["live", "test"]),
    displayPrefix: z.string(),
    principalId: z.string().nullable(),
    status: z.enum(["active", "revoked"]),
    expiresAt: z.number().nullable(),
  }),
  project: z.object({ id: z.string(), name: z.string() }),
  config: vkConfigSchema,
  /** The fallback chain, in the order of `config.providers`; names that no longer exist are left out. */
  providers: z.array(providerBindingSchema),
  /**
   * Every budget that applies to the key: scope virtual_key with the key's id, project with its
   * project's id, principal with its principal id. Ordered by scope, window, id.
   */
  budgets: z.array(budgetRefSchema),
  /**
   * Changes whenever the key, its project, a provider in its chain or one of its budgets changes:
   * `<vk>.<project>.<p1>,<p2>.<b1>,<b2>` (revisions).
   */
  revision: z.string(),
  builtAt: z.number(),
  /** builtAt + BUNDLE_SOFT_TTL_MS: past it, the hot path refreshes from D1 (stale-while-error caps from here). */
  softExpiresAt: z.number(),
  /** Set when the bundle was found through a rotated-out secret still in its grace period: when it ends. */
  secretExpiresAt: z.number().nullable(),
});

export type KeyBundle = z.infer<typeof keyBundleSchema>;
export type ProviderBinding = z.infer<typeof providerBindingSchema>;
export type BudgetRef = z.infer<typeof budgetRefSchema>;
