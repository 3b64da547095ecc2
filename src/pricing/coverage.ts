import { lookupPrice, type PricedBinding } from "./price";

/** A model a binding declares (its `models` list) for which no price is known. */
export interface UnpricedModel {
  provider: string;
  model: string;
}

/**
 * Every declared model, over all the given bindings, that has no override, no catalogue entry and
 * no `settings.unpriced: "free"`: the configuration gaps that /readyz reports as warnings.
 */
export function unpricedModels(bindings: readonly (PricedBinding & { models: readonly string[] })[]): UnpricedModel[] {
  return bindings.flatMap((binding) =>
    binding.models
      .filter((model) => lookupPrice(binding, model) === null)
      .map((model) => ({ provider: binding.name, model })),
  );
}
