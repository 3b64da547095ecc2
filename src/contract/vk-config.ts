import { RE2JS } from "re2js";
import * as z from "zod";

/** Virtual key config (docs/api.md, Virtual key config): snake_case, unknown keys rejected, defaults filled in. */

const patternList = z.array(z.string().min(1)).nullable();
const dimension = z.strictObject({ allow: patternList.default(null), deny: z.array(z.string().min(1)).default([]) });
const defaultDimension = { allow: null, deny: [] };
const positiveOrNull = z.number().int().positive().nullable().default(null);

export const vkConfigSchema = z.strictObject({
  providers: z.array(z.string().min(1)).default([]),
  model_aliases: z.record(z.string().min(1), z.string().min(1)).default({}),
  models_allowed: z.array(z.string().min(1)).nullable().default(null),
  policy_rules: z
    .strictObject({
      models: dimension.default(defaultDimension),
      tools: dimension.default(defaultDimension),
      mcp: dimension.default(defaultDimension),
      urls: dimension.default(defaultDimension),
    })
    .default({ models: defaultDimension, tools: defaultDimension, mcp: defaultDimension, urls: defaultDimension }),
  rate_limits: z
    .strictObject({ rpm: positiveOrNull, rpd: positiveOrNull, tpm: positiveOrNull })
    .default({ rpm: null, rpd: null, tpm: null }),
  cache: z.strictObject({ mode: z.enum(["respect", "disable"]).default("respect") }).default({ mode: "respect" }),
  /** null (the default): the gateway's ENABLE_VISION decides. */
  vision: z.boolean().nullable().default(null),
  proxy: z.boolean().default(false),
  fallback: z
    .strictObject({
      max_attempts: z.number().int().min(1).max(10).default(3),
      attempt_timeout_ms: z.number().int().min(100).max(600_000).default(60_000),
    })
    .default({ max_attempts: 3, attempt_timeout_ms: 60_000 }),
});

export type VkConfig = z.infer<typeof vkConfigSchema>;

export function parseVkConfig(json: unknown): VkConfig {
  return vkConfigSchema.parse(json);
}

export const POLICY_DIMENSIONS = ["models", "tools", "mcp", "urls"] as const;
export type PolicyDimension = (typeof POLICY_DIMENSIONS)[number];

/** One dimension's patterns compiled with RE2 (linear-time matching); `allow: null` means no allowlist. */
export interface CompiledDimension {
  allow: RE2JS[] | null;
  deny: RE2JS[];
}

export type CompiledPolicyRules = Record<PolicyDimension, CompiledDimension>;

/** The first pattern that does not compile, located precisely enough to name it in an error or log. */
export interface PolicyCompileFailure {
  dimension: PolicyDimension;
  list: "allow" | "deny";
  index: number;
  pattern: string;
  error: string;
}

export type PolicyCompileResult =
  { ok: true; rules: CompiledPolicyRules } | { ok: false; failure: PolicyCompileFailure };

/**
 * Compiles every `policy_rules` pattern with RE2 syntax: at write time (a failure is a 400) and at
 * request time (a failure fails closed). Dimensions and lists are visited in a fixed order, so the
 * failure reported is always the first in the config as written.
 */
export function compilePolicyRules(config: Pick<VkConfig, "policy_rules">): PolicyCompileResult {
  const rules = {} as CompiledPolicyRules;
  for (const dimension of POLICY_DIMENSIONS) {
    const source = config.policy_rules[dimension];
    const compiled: CompiledDimension = { allow: source.allow === null ? null : [], deny: [] };
    for (const list of ["allow", "deny"] as const) {
      const patterns = source[list] ?? [];
      for (const [index, pattern] of patterns.entries()) {
        try {
          compiled[list]?.push(RE2JS.compile(pattern));
        } catch (err) {
          return {
            ok: false,
            failure: { dimension, list, index, pattern, error: err instanceof Error ? err.message : String(err) },
          };
        }
      }
    }
    rules[dimension] = compiled;
  }
  return { ok: true, rules };
}
