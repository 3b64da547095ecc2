import * as z from "zod";
import { priceOverrideSchema } from "../contract/bundle";

/**
 * One row of the D1 table `providers` (docs/storage.md), as both its readers take it: the admin API
 * (src/admin/repositories/providers.ts) and the bundle build (bundles.ts). The JSON columns are
 * decoded and checked here, so a row is either whole or refused.
 */

export const PROVIDER_COLUMNS =
  "id, name, type, base_url, api_key_secret, api_key_ciphertext, models, prices, settings, revision, created_at, updated_at";

/** A TEXT column holding JSON that must match `schema`. */
const jsonColumn = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .transform((text, ctx): unknown => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.issues.push({ code: "custom", message: "is not JSON", input: text });
        return z.NEVER;
      }
    })
    .pipe(schema);

export const providerRowSchema = z.object({
  id: z.string(),
  name: z.string(),
  type: z.string(),
  base_url: z.string().nullable(),
  api_key_secret: z.string().nullable(),
  api_key_ciphertext: z.string().nullable(),
  models: jsonColumn(z.array(z.string())),
  prices: jsonColumn(z.record(z.string(), priceOverrideSchema)),
  settings: jsonColumn(z.record(z.string(), z.unknown())),
  revision: z.number(),
  created_at: z.number(),
  updated_at: z.number(),
});

export type ProviderRow = z.output<typeof providerRowSchema>;
