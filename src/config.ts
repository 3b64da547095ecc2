import * as z from "zod";

/**
 * The Worker's configuration: every var and secret the gateway reads, validated once per env object.
 * A bad configuration never throws: it yields `ok: false` with one message per bad field, and the
 * edge turns that into a 503 `service_unavailable` (and `/readyz` reports it).
 */

const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
export const DEFAULT_MAX_BODY_BYTES = 33_554_432;

/** Parses `250ms`, `30s`, `5m`, `6h`, `1d` into milliseconds. */
export function parseDuration(text: string): number | null {
  const m = DURATION.exec(text.trim());
  if (!m) return null;
  return Number(m[1]) * (UNIT_MS[m[2] as string] as number);
}

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((v, ctx) => {
      const ms = parseDuration(v);
      if (ms === null) {
        ctx.addIssue({ code: "custom", message: `must be a duration such as 30s, 5m or 6h, got "${v}"` });
        return z.NEVER;
      }
      return ms;
    });

const boolean = (fallback: "true" | "false") =>
  z
    .string()
    .default(fallback)
    .transform((v, ctx) => {
      if (v !== "true" && v !== "false") {
        ctx.addIssue({ code: "custom", message: `must be exactly "true" or "false", got "${v}"` });
        return z.NEVER;
      }
      return v === "true";
    });

const secret = z.string().min(16, "must be at least 16 characters").optional();

const bodyBytes = z
  .string()
  .default(String(DEFAULT_MAX_BODY_BYTES))
  .transform((v, ctx) => {
    if (!/^\d+$/.test(v.trim())) {
      ctx.addIssue({ code: "custom", message: `must be a whole number of bytes, got "${v}"` });
      return z.NEVER;
    }
    const n = Number(v);
    return n === 0 ? DEFAULT_MAX_BODY_BYTES : n;
  });

const SECRET_GROUP = ["LW_VIRTUAL_KEY_PEPPER", "LW_GATEWAY_INTERNAL_SECRET", "LW_GATEWAY_JWT_SECRET"] as const;

const envSchema = z.object({
  LW_VIRTUAL_KEY_PEPPER: secret,
  LW_GATEWAY_INTERNAL_SECRET: secret,
  LW_GATEWAY_JWT_SECRET: secret,
  LW_GATEWAY_ADMIN_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  LW_GATEWAY_AUTH_CACHE_SOFT_BUMP: duration("5m"),
  LW_GATEWAY_AUTH_CACHE_HARD_GRACE: duration("6h"),
  SERVER_MAX_REQUEST_BODY_BYTES: bodyBytes,
  ENVIRONMENT: z.enum(["production", "staging", "development", "test"]).default("production"),
  LW_LOG_MESSAGE_BODY: boolean("false"),
  ENABLE_VISION: boolean("true"),
});

/**
 * The all-or-none rule of the three gateway secrets. Checked apart from the schema so that it is
 * reported together with every other bad field (zod skips refinements once a field has failed).
 */
function secretGroupErrors(raw: Record<string, string | undefined>): string[] {
  const missing = SECRET_GROUP.filter((name) => !raw[name]);
  if (missing.length === SECRET_GROUP.length) {
    return [
      `LW_VIRTUAL_KEY_PEPPER: the gateway secrets ${SECRET_GROUP.join(", ")} are not set; set all three (e.g. openssl rand -hex 32 each)`,
    ];
  }
  if (missing.length > 0)
    return [`${missing[0]}: ${SECRET_GROUP.join(", ")} are all-or-none; missing ${missing.join(", ")}`];
  return [];
}

export interface GatewayConfig {
  pepper: string;
  internalSecret: string;
  jwtSecret: string;
  adminToken: string | null;
  authCacheSoftBumpMs: number;
  authCacheHardGraceMs: number;
  maxRequestBodyBytes: number;
  environment: "production" | "staging" | "development" | "test";
  logMessageBody: boolean;
  /** Whether keys whose config does not set `vision` accept image input (ENABLE_VISION). */
  enableVision: boolean;
}

export type ConfigResult =
  { ok: true; config: GatewayConfig } | { ok: false; errors: string[]; maxRequestBodyBytes: number };

/** Empty strings count as unset: `wrangler` and dashboards often leave a var present but blank. */
function readEnv(env: object): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const v: unknown = (env as Record<string, unknown>)[key];
    if (typeof v === "string" && v !== "") out[key] = v;
  }
  return out;
}

export function parseConfig(env: object): ConfigResult {
  const raw = readEnv(env);
  const parsed = envSchema.safeParse(raw);
  const groupErrors = secretGroupErrors(raw);
  if (!parsed.success || groupErrors.length > 0) {
    const errors = [
      ...groupErrors,
      ...(parsed.error?.issues.map((i) => `${i.path.join(".") || "env"}: ${i.message}`) ?? []),
    ];
    const cap = bodyBytes.safeParse(raw.SERVER_MAX_REQUEST_BODY_BYTES);
    return { ok: false, errors, maxRequestBodyBytes: cap.success ? cap.data : DEFAULT_MAX_BODY_BYTES };
  }
  const e = parsed.data;
  return {
    ok: true,
    config: {
      pepper: e.LW_VIRTUAL_KEY_PEPPER as string,
      internalSecret: e.LW_GATEWAY_INTERNAL_SECRET as string,
      jwtSecret: e.LW_GATEWAY_JWT_SECRET as string,
      adminToken: e.LW_GATEWAY_ADMIN_TOKEN ?? null,
      authCacheSoftBumpMs: e.LW_GATEWAY_AUTH_CACHE_SOFT_BUMP,
      authCacheHardGraceMs: e.LW_GATEWAY_AUTH_CACHE_HARD_GRACE,
      maxRequestBodyBytes: e.SERVER_MAX_REQUEST_BODY_BYTES,
      environment: e.ENVIRONMENT,
      logMessageBody: e.LW_LOG_MESSAGE_BODY,
      enableVision: e.ENABLE_VISION,
    },
  };
}

const cache = new WeakMap<object, ConfigResult>();

/** The env object is stable for an isolate's life, so validation runs once per isolate, not per request. */
export function loadConfig(env: object): ConfigResult {
  let result = cache.get(env);
  if (!result) {
    result = parseConfig(env);
    cache.set(env, result);
  }
  return result;
}
