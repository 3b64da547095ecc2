import type { KeyBundle } from "../contract/bundle";
import { GatewayError } from "../errors";
import { createLogger, type Logger } from "../lib/log";
import { compiledRulesFor } from "../policy/compiled-rules";
import { modelRefusal } from "../policy/model-access";
import { resolveModel } from "./resolve-model";
import { type ModelTarget } from "../contract/model-target";

export interface ModelList {
  object: "list";
  data: { id: string; object: "model"; created: number; owned_by: string }[];
}

/**
 * GET /v1/models: exactly the names this key may call, in OpenAI's list shape. An alias is listed
 * when it resolves and at least one of its targets passes the key's `models_allowed` and
 * `policy_rules.models` (owned by the first such target's binding); a model a binding of the chain lists is listed (owned by the first binding
 * that may serve it) when that binding may serve it, unless an alias has the same name (aliases win,
 * as they do in resolution). Bindings that list no models serve anything and add nothing here.
 * A policy pattern that does not compile makes this a 503, as it does every request of the key.
 */
export function listModels(bundle: KeyBundle, log: Logger = createLogger({ vk_id: bundle.vk.id })): ModelList {
  const rules = compiledRulesFor(bundle, log)?.models ?? null;
  const permitted = (t: ModelTarget) => modelRefusal(t, bundle.config.models_allowed, rules) === null;
  const seen = new Map<string, string>();
  for (const alias of Object.keys(bundle.config.model_aliases)) {
    const first = aliasTargets(bundle, alias).find(permitted);
    if (first !== undefined) seen.set(alias, first.binding.name);
  }
  for (const binding of bundle.providers) {
    for (const model of binding.models) {
      if (!seen.has(model) && permitted({ binding, model })) seen.set(model, binding.name);
    }
  }
  return {
    object: "list",
    data: [...seen].map(([id, owner]) => ({ id, object: "model", created: 0, owned_by: owner })),
  };
}

/** The targets an alias resolves to; none when it resolves nowhere (resolution's 400). */
function aliasTargets(bundle: KeyBundle, alias: string): ModelTarget[] {
  try {
    return resolveModel(bundle, alias);
  } catch (err) {
    if (err instanceof GatewayError && err.type === "invalid_request_error") return [];
    throw err;
  }
}
