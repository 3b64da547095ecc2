import type { ModelTarget } from "../contract/model-target";
import type { KeyBundle, ProviderBinding } from "../contract/bundle";
import { GatewayError } from "../errors";
import type { RequestContext } from "./context";

/** Stage 3b: the model the client named → the bindings that may serve it, in chain order. */

const serves = (b: ProviderBinding, model: string) => b.models.length === 0 || b.models.includes(model);

/** The names a client could have used with this key, for error messages and `/v1/models`. */
export function availableModels(bundle: KeyBundle): string[] {
  const names = new Set<string>(Object.keys(bundle.config.model_aliases));
  for (const b of bundle.providers) for (const m of b.models) names.add(`${b.name}/${m}`);
  return [...names];
}

/**
 * Stage 3b as the pipelines call it: resolves, and records the model for `X-LangWatch-Model`, which
 * goes out whenever a model was resolved (docs/api.md, Response headers: on a 429 or 402 too, not only once dispatched).
 */
export function resolveTargets(ctx: Pick<RequestContext, "meta">, bundle: KeyBundle, requested: string): ModelTarget[] {
  const targets = resolveModel(bundle, requested);
  ctx.meta.model = targets[0]?.model;
  return targets;
}

export function resolveModel(bundle: KeyBundle, requested: string): ModelTarget[] {
  const chain = bundle.providers;
  if (chain.length === 0) {
    throw new GatewayError(
      "invalid_request_error",
      "no_providers",
      "This virtual key has no provider bindings in its `providers` chain. Ask the key's owner to add one.",
      { param: "model" },
    );
  }
  const name = bundle.config.model_aliases[requested] ?? requested;
  const slash = name.indexOf("/");
  if (slash > 0) {
    const binding = chain.find((b) => b.name === name.slice(0, slash));
    if (binding) return [{ binding, model: name.slice(slash + 1) }];
  }
  const targets = chain.filter((b) => serves(b, name)).map((binding) => ({ binding, model: name }));
  if (targets.length > 0) return targets;
  const would = availableModels(bundle);
  throw new GatewayError(
    "invalid_request_error",
    "model_not_found",
    `No provider of this key serves the model "${requested}". ` +
      (would.length
        ? `Use one of: ${would.join(", ")}.`
        : `Use provider/model with one of: ${chain.map((b) => b.name).join(", ")}.`),
    { param: "model" },
  );
}
