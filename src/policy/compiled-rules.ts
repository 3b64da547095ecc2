import type { KeyBundle } from "../contract/bundle";
import {
  compilePolicyRules,
  POLICY_DIMENSIONS,
  type CompiledPolicyRules,
  type PolicyCompileFailure,
  type PolicyCompileResult,
  type VkConfig,
} from "../contract/vk-config";
import { GatewayError } from "../errors";
import type { Logger } from "../lib/log";
import { TtlLru } from "../lib/lru";
import { restricts } from "./rule-match";

/**
 * A key's `policy_rules` compiled once per bundle revision and kept in this isolate: requests reuse
 * the compiled RE2 programs (and their lazily built automata). The cache key is the key's id and its
 * bundle revision, which changes on every config change, so an edit is picked up by the first
 * request that sees the new bundle; entries are bounded in number and age.
 *
 * A pattern that does not compile here (the admin API refuses them at write time, so it was written
 * to D1 by hand or by an older deployment) fails closed: every request of the key is a 503. The first
 * request to find it logs `policy_rules_compile_failed`; each later one, while the revision stays the
 * same, logs `policy_rules_broken`.
 */

const CAPACITY = 512;
const TTL_MS = 10 * 60_000;

const cache = new TtlLru<PolicyCompileResult>(CAPACITY, TTL_MS);

/** Whether any dimension of the config has a pattern or an allow list: without one there is nothing to compile. */
export function hasPolicyRules(config: Pick<VkConfig, "policy_rules">): boolean {
  return POLICY_DIMENSIONS.some((d) => restricts(config.policy_rules[d]));
}

/**
 * The key's compiled rules, or null when it has none. Throws the 503 when a pattern does not compile.
 */
export function compiledRulesFor(
  bundle: Pick<KeyBundle, "vk" | "revision" | "config">,
  log: Logger,
): CompiledPolicyRules | null {
  if (!hasPolicyRules(bundle.config)) return null;
  const key = `${bundle.vk.id}@${bundle.revision}`;
  const cached = cache.get(key);
  if (cached?.ok) return cached.rules;
  if (cached) {
    log.warn("policy_rules_broken", failureFields(cached.failure, bundle.revision));
    throw brokenRules(cached.failure, bundle.vk.id);
  }
  const compiled = compilePolicyRules(bundle.config);
  cache.set(key, compiled);
  if (compiled.ok) return compiled.rules;
  log.warn("policy_rules_compile_failed", {
    ...failureFields(compiled.failure, bundle.revision),
    error: compiled.failure.error,
  });
  throw brokenRules(compiled.failure, bundle.vk.id);
}

/** Empties the cache (tests). */
export function clearCompiledRules(): void {
  cache.clear();
}

function failureFields(failure: PolicyCompileFailure, revision: string) {
  return {
    dimension: failure.dimension,
    list: failure.list,
    index: failure.index,
    pattern: failure.pattern,
    revision,
  };
}

function brokenRules(failure: PolicyCompileFailure, vkId: string): GatewayError {
  const field = `policy_rules.${failure.dimension}.${failure.list}[${failure.index}]`;
  return new GatewayError(
    "service_unavailable",
    "policy_rules_invalid",
    `This key's ${field} is not a valid RE2 pattern, so the gateway refuses its requests rather than ` +
      `skip the rule. Ask the key's owner to fix ${field} (PATCH /admin/v1/virtual-keys/${vkId}, or ` +
      `\`faregate vk update ${vkId} --config-json …\`).`,
  );
}
