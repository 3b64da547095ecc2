import * as z from "zod";
import { unpricedModels } from "../pricing";

/**
 * Readiness's price check: every model a provider binding declares (`models`) that has no known
 * price, as one warning per binding. Readiness stays ok: such a model still serves keys without
 * budgets, and a key with budgets is refused (503 price_unknown) rather than charged nothing.
 */

/** Bindings listed in full; past this, one line says how many more have gaps. */
const MAX_BINDINGS = 20;
/** Models named per binding; past this, the line says how many more. */
const MAX_MODELS = 10;

const json = <T extends z.ZodType>(schema: T, fallback: z.output<T>) =>
  z.string().transform((text): z.output<T> => {
    try {
      const parsed = schema.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : fallback;
    } catch {
      return fallback;
    }
  });

const providerRow = z.object({
  id: z.string(),
  name: z.string(),
  type: z.string(),
  models: json(z.array(z.string()), []),
  prices: json(
    z.record(
      z.string(),
      z.object({
        input_per_mtok: z.string(),
        output_per_mtok: z.string(),
        cache_read_per_mtok: z.string().optional(),
        cache_write_per_mtok: z.string().optional(),
      }),
    ),
    {},
  ),
  settings: json(z.record(z.string(), z.unknown()), {}),
});

export async function priceWarnings(db: D1Database): Promise<string[]> {
  const { results } = await db
    .prepare("SELECT id, name, type, models, prices, settings FROM providers ORDER BY name")
    .all();
  const bindings = results.flatMap((r) => {
    const parsed = providerRow.safeParse(r);
    return parsed.success ? [parsed.data] : [];
  });
  const byProvider = new Map<string, string[]>();
  for (const { provider, model } of unpricedModels(bindings)) {
    byProvider.set(provider, [...(byProvider.get(provider) ?? []), model]);
  }
  const lines = [...byProvider.entries()].slice(0, MAX_BINDINGS).map(([provider, models]) => {
    const named = models
      .slice(0, MAX_MODELS)
      .map((m) => JSON.stringify(m))
      .join(", ");
    const more = models.length > MAX_MODELS ? ` and ${models.length - MAX_MODELS} more` : "";
    return (
      `provider ${JSON.stringify(provider)}: no known price for model${models.length === 1 ? "" : "s"} ${named}${more}; ` +
      `requests of keys with budgets are refused for them. Add them to the binding's "prices" (PATCH /admin/v1/providers/${provider}), ` +
      `or set settings.unpriced to "free" to charge them at zero.`
    );
  });
  if (byProvider.size > MAX_BINDINGS) {
    lines.push(`${byProvider.size - MAX_BINDINGS} more provider bindings declare models without a known price.`);
  }
  return lines;
}
