import { compilePolicyRules, vkConfigSchema, type VkConfig } from "../contract/vk-config";
import { invalidField } from "./errors";
import { missingProviderNames } from "./repositories/providers";
import { validate } from "./validation";

/**
 * Everything a virtual key config must satisfy before it is stored: its schema (docs/api.md, Virtual key config; unknown keys
 * rejected), every policy pattern compiling as RE2, every provider in the chain existing (once), and
 * every `provider/model` alias target naming a provider of that chain. Returns the config with its
 * defaults filled in.
 */
export async function checkVkConfig(db: D1Database, raw: unknown): Promise<VkConfig> {
  const config = validate(vkConfigSchema, raw, ["config"]);

  const compiled = compilePolicyRules(config);
  if (!compiled.ok) {
    const { dimension, list, index, pattern, error } = compiled.failure;
    throw invalidField(
      `config.policy_rules.${dimension}.${list}[${index}]`,
      `The ${dimension} ${list} pattern ${JSON.stringify(pattern)} is not valid RE2 syntax (${error}). ` +
        "Policy patterns are RE2: no backreferences or lookaround.",
    );
  }

  const chain = config.providers;
  const duplicate = chain.findIndex((name, i) => chain.indexOf(name) !== i);
  if (duplicate >= 0) {
    throw invalidField(
      `config.providers[${duplicate}]`,
      `"config.providers" names ${JSON.stringify(chain[duplicate])} twice; list each provider once.`,
    );
  }

  const missing = await missingProviderNames(db, chain);
  if (missing.length > 0) {
    throw invalidField(
      `config.providers[${chain.indexOf(missing[0] as string)}]`,
      `"config.providers" names provider bindings that do not exist: ${missing.join(", ")}. ` +
        "Create them with POST /admin/v1/providers, or check the names with GET /admin/v1/providers.",
    );
  }

  for (const [alias, target] of Object.entries(config.model_aliases)) {
    const slash = target.indexOf("/");
    if (slash <= 0) continue;
    const provider = target.slice(0, slash);
    if (chain.includes(provider)) continue;
    throw invalidField(
      `config.model_aliases.${alias}`,
      `The alias ${JSON.stringify(alias)} points at ${JSON.stringify(target)}, but ${JSON.stringify(provider)} is not in this key's ` +
        `providers chain (${chain.length ? chain.join(", ") : "empty"}). Use provider/model with a provider from the chain.`,
    );
  }
  return config;
}
