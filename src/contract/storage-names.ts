/**
 * The names under which the gateway keeps state outside D1 (docs/storage.md): KV keys in
 * `AUTH_CACHE`, and the names of the counting Durable Objects.
 */

/** KV: a key's sealed auth bundle, by the key's secret hash. */
export const bundleKvKey = (secretHash: string): string => `vk:${secretHash}`;

/** KV: the newest `updated_at` the cron refresh has processed. */
export const WATERMARK_KEY = "bundle_refresh_watermark";

/** KV: where a cron refresh that stopped early continues. */
export const CURSOR_KEY = "bundle_refresh_cursor";

/** Durable Objects: a key's KeyLimiter is named by the key's id. */
export const keyLimiterName = (vkId: string): string => vkId;

/** A budget scope other than the key itself: counted in its own BudgetCounter, shared by all its keys. */
export type SharedScope = "project" | "principal";

/** Durable Objects: the BudgetCounter of a project or principal; also how logs and errors refer to it. */
export const budgetCounterName = (scope: SharedScope, scopeId: string): string => `${scope}:${scopeId}`;
