import * as z from "zod";
import { PROVIDER_TYPES } from "../../providers/registry";
import { jsonObject, listLimit } from "./common";

/** Request bodies of /admin/v1/providers. Cross-field rules live in src/admin/provider-rules.ts. */

/** The name appears in `provider/model` model names, so it has no `/`. */
export const providerName = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9._-]{0,62}$/,
    "must be 1 to 63 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit",
  );

const baseUrl = z.url({
  protocol: /^https?$/,
  error: "must be an absolute http(s) URL, e.g. https://api.openai.com/v1",
});
const apiKey = z.string().min(1).max(16_384);
const apiKeySecret = z
  .string()
  .max(128)
  .regex(/^[A-Z][A-Z0-9_]*$/, "must name a Worker secret: A-Z, 0-9 and '_', starting with a letter");
const models = z.array(z.string().min(1).max(256)).max(10_000);

/** Dollars per million tokens, as an exact decimal string ("0.15"). */
const decimalUsd = z.string().regex(/^\d{1,9}(\.\d{1,9})?$/, 'must be a decimal string of dollars, e.g. "0.15"');
const modelPrice = z.strictObject({
  input_per_mtok: decimalUsd,
  output_per_mtok: decimalUsd,
  cache_read_per_mtok: decimalUsd.optional(),
  cache_write_per_mtok: decimalUsd.optional(),
});
const prices = z.record(z.string().min(1).max(256), modelPrice);

export const createProviderBody = z.strictObject({
  name: providerName,
  type: z.enum(PROVIDER_TYPES),
  base_url: baseUrl.nullable().optional(),
  api_key: apiKey.optional(),
  api_key_secret: apiKeySecret.nullable().optional(),
  models: models.optional(),
  prices: prices.optional(),
  settings: jsonObject.optional(),
});

/** Every field optional; `null` clears the nullable ones (`api_key: null` forgets the stored key). */
export const updateProviderBody = z.strictObject({
  name: z.string().optional(),
  type: z.enum(PROVIDER_TYPES).optional(),
  base_url: baseUrl.nullable().optional(),
  api_key: apiKey.nullable().optional(),
  api_key_secret: apiKeySecret.nullable().optional(),
  models: models.optional(),
  prices: prices.optional(),
  settings: jsonObject.optional(),
});

export const listProvidersQuery = z.strictObject({ limit: listLimit });
