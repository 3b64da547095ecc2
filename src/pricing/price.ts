import type { ProviderBinding } from "../contract/bundle";
import { createLogger, type Logger } from "../lib/log";
import { providerEntry } from "../providers/registry";
import { catalogueEntry, type CatalogueEntry } from "./catalogue";
import { decimalUsdToMicros, usdFloatToMicros } from "./money";

/**
 * The price of one model on one provider binding, in integer micro-USD per million tokens
 * (USD/Mtok × 1e6). Where it comes from, first match wins:
 *   1. `override`: the binding's `prices[model]` (admin API), decimal strings of USD/Mtok;
 *   2. `catalogue`: the maintained table for the binding's type (src/pricing/catalogue.ts);
 *   3. `free`: the binding's `settings.unpriced` is "free" (the operator's word that unknown models
 *      cost nothing), or the binding is the development-only `mock` provider;
 *   otherwise the price is unknown (null).
 * A rate the source does not give for cache reads or writes is the input rate: cached tokens are
 * never charged less than the source says.
 */
export interface ModelPrice {
  inputMicrosPerMtok: number;
  outputMicrosPerMtok: number;
  cacheReadMicrosPerMtok: number;
  cacheWriteMicrosPerMtok: number;
  /** The model's largest output in tokens (catalogue `limit.output`), when known. */
  maxOutputTokens: number | null;
  source: "override" | "catalogue" | "free";
}

/** What pricing reads of a binding (a bundle's ProviderBinding, or a provider row at readiness). */
export type PricedBinding = Pick<ProviderBinding, "id" | "name" | "type" | "prices" | "settings">;

const positiveInt = (n: unknown): number | null =>
  typeof n === "number" && Number.isSafeInteger(n) && n > 0 ? n : null;
const rate = (n: unknown): number | null =>
  typeof n === "number" && Number.isFinite(n) && n >= 0 ? usdFloatToMicros(n) : null;

function fromOverride(
  override: NonNullable<ProviderBinding["prices"][string]>,
  entry: CatalogueEntry | null,
): ModelPrice | null {
  const input = decimalUsdToMicros(override.input_per_mtok);
  const output = decimalUsdToMicros(override.output_per_mtok);
  if (input === null || output === null) return null;
  const optional = (text: string | undefined) => (text === undefined ? input : (decimalUsdToMicros(text) ?? input));
  return {
    inputMicrosPerMtok: input,
    outputMicrosPerMtok: output,
    cacheReadMicrosPerMtok: optional(override.cache_read_per_mtok),
    cacheWriteMicrosPerMtok: optional(override.cache_write_per_mtok),
    maxOutputTokens: positiveInt(entry?.limit?.output),
    source: "override",
  };
}

function fromCatalogue(entry: CatalogueEntry): ModelPrice | null {
  const input = rate(entry.cost?.input);
  const output = rate(entry.cost?.output);
  if (input === null || output === null) return null;
  return {
    inputMicrosPerMtok: input,
    outputMicrosPerMtok: output,
    cacheReadMicrosPerMtok: rate(entry.cost?.cache_read) ?? input,
    cacheWriteMicrosPerMtok: rate(entry.cost?.cache_write) ?? input,
    maxOutputTokens: positiveInt(entry.limit?.output),
    source: "catalogue",
  };
}

/** Whether the operator has said unknown models on this binding cost nothing. */
export const chargesUnknownAsFree = (binding: PricedBinding): boolean =>
  binding.settings.unpriced === "free" || binding.type === "mock";

/** The price of `model` on `binding`, or null when unknown. Pure: no logging (see priceFor). */
export function lookupPrice(binding: PricedBinding, model: string): ModelPrice | null {
  const entry = catalogueEntry(providerEntry(binding.type)?.catalogue ?? null, model);
  const override = Object.hasOwn(binding.prices, model) ? binding.prices[model] : undefined;
  const price = (override ? fromOverride(override, entry) : null) ?? (entry ? fromCatalogue(entry) : null);
  if (price) return price;
  if (!chargesUnknownAsFree(binding)) return null;
  return {
    inputMicrosPerMtok: 0,
    outputMicrosPerMtok: 0,
    cacheReadMicrosPerMtok: 0,
    cacheWriteMicrosPerMtok: 0,
    maxOutputTokens: positiveInt(entry?.limit?.output),
    source: "free",
  };
}

/** (binding id, model) pairs already reported unpriced by this isolate; bounded so it cannot grow without end. */
const reported = new Set<string>();
const REPORTED_MAX = 1_000;
let pricingLog: Logger | null = null;

/**
 * The price of `model` on `binding`, or null when unknown; an unknown price is logged once per
 * isolate per (binding, model) as `price_unknown` (warn), naming the binding and the model.
 */
export function priceFor(binding: ProviderBinding, model: string): ModelPrice | null {
  const price = lookupPrice(binding, model);
  if (price === null) {
    const key = `${binding.id}\u0000${model}`;
    if (!reported.has(key)) {
      if (reported.size >= REPORTED_MAX) reported.clear();
      reported.add(key);
      pricingLog ??= createLogger({ component: "pricing" });
      pricingLog.warn("price_unknown", {
        provider: binding.name,
        provider_type: binding.type,
        model,
        fix: `add "${model}" to the binding's prices (PATCH /admin/v1/providers/${binding.name}) or set settings.unpriced to "free"`,
      });
    }
  }
  return price;
}
