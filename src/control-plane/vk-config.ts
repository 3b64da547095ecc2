import * as z from "zod";

/** Virtual key config, contract §5: snake_case, unknown keys rejected, defaults filled in. */

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
  vision: z.boolean().default(true),
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
