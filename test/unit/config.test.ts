import { describe, expect, it } from "vitest";
import {
  DEFAULT_MAX_BODY_BYTES,
  loadConfig,
  parseConfig,
  parseDuration,
  type ConfigResult,
  type GatewayConfig,
} from "../../src/config";

/** Contract §8: the Worker's vars and secrets, validated into one typed config or a list of named errors. */

const SECRETS = {
  LW_VIRTUAL_KEY_PEPPER: "pepper-0123456789abcdef",
  LW_GATEWAY_INTERNAL_SECRET: "internal-0123456789abcdef",
  LW_GATEWAY_JWT_SECRET: "jwt-secret-0123456789abcdef",
};

function valid(overrides: Record<string, unknown> = {}): GatewayConfig {
  const result = parseConfig({ ...SECRETS, ...overrides });
  if (!result.ok) throw new Error(`expected a valid config, got: ${result.errors.join("; ")}`);
  return result.config;
}

function invalid(overrides: Record<string, unknown>): Extract<ConfigResult, { ok: false }> {
  const result = parseConfig({ ...SECRETS, ...overrides });
  if (result.ok) throw new Error("expected a configuration error");
  return result;
}

/** The errors that name `variable` (each error starts with the variable it is about). */
const errorsFor = (result: { errors: string[] }, variable: string) =>
  result.errors.filter((e) => e.startsWith(`${variable}: `));

describe("defaults", () => {
  it("fills every documented default when only the secrets are set", () => {
    expect(valid()).toEqual({
      pepper: SECRETS.LW_VIRTUAL_KEY_PEPPER,
      internalSecret: SECRETS.LW_GATEWAY_INTERNAL_SECRET,
      jwtSecret: SECRETS.LW_GATEWAY_JWT_SECRET,
      adminToken: null,
      authCacheSoftBumpMs: 5 * 60_000,
      authCacheHardGraceMs: 6 * 3_600_000,
      maxRequestBodyBytes: 33_554_432,
      environment: "production",
      logMessageBody: false,
      enableVision: true,
    });
    expect(DEFAULT_MAX_BODY_BYTES).toBe(33_554_432);
  });

  it("treats an empty string as unset, so the default applies", () => {
    const config = valid({ LW_GATEWAY_AUTH_CACHE_SOFT_BUMP: "", LW_LOG_MESSAGE_BODY: "", ENVIRONMENT: "" });
    expect(config.authCacheSoftBumpMs).toBe(300_000);
    expect(config.logMessageBody).toBe(false);
    expect(config.environment).toBe("production");
  });

  it("ignores variables it does not know and non-string bindings", () => {
    const config = valid({ DB: { prepare: () => null }, SOMETHING_ELSE: "x" });
    expect(config.environment).toBe("production");
  });
});

describe("durations", () => {
  it.each([
    ["250ms", 250],
    ["30s", 30_000],
    ["5m", 300_000],
    ["6h", 21_600_000],
    ["1d", 86_400_000],
    ["0s", 0],
  ])("parses %s as %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
    expect(valid({ LW_GATEWAY_AUTH_CACHE_HARD_GRACE: text }).authCacheHardGraceMs).toBe(ms);
  });

  it.each(["5", "5 m", "five minutes", "-5m", "1.5h", "5M", "5min", "m5", "h"])(
    "rejects %j, naming the variable",
    (text) => {
      expect(parseDuration(text)).toBeNull();
      const result = invalid({ LW_GATEWAY_AUTH_CACHE_SOFT_BUMP: text });
      const errors = errorsFor(result, "LW_GATEWAY_AUTH_CACHE_SOFT_BUMP");
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain(`"${text}"`);
      expect(errors[0]).toMatch(/duration/);
    },
  );

  it("validates the hard grace as well as the soft bump", () => {
    expect(
      errorsFor(invalid({ LW_GATEWAY_AUTH_CACHE_HARD_GRACE: "forever" }), "LW_GATEWAY_AUTH_CACHE_HARD_GRACE"),
    ).toHaveLength(1);
  });
});

describe("booleans are exactly true or false", () => {
  it("reads true and false", () => {
    expect(valid({ LW_LOG_MESSAGE_BODY: "true" }).logMessageBody).toBe(true);
    expect(valid({ LW_LOG_MESSAGE_BODY: "false" }).logMessageBody).toBe(false);
    expect(valid({ ENABLE_VISION: "true" }).enableVision).toBe(true);
    expect(valid({ ENABLE_VISION: "false" }).enableVision).toBe(false);
    expect(valid({ ENABLE_VISION: "" }).enableVision).toBe(true); // empty is unset: the default
  });

  it.each(["LW_LOG_MESSAGE_BODY", "ENABLE_VISION"])("%s: rejects anything else, naming the variable", (name) => {
    for (const text of ["TRUE", "True", "1", "0", "yes", "no", "on", " true", "false "]) {
      const errors = errorsFor(invalid({ [name]: text }), name);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain('exactly "true" or "false"');
      expect(errors[0]).toContain(`"${text}"`);
    }
  });
});

describe("SERVER_MAX_REQUEST_BODY_BYTES", () => {
  it("takes a whole number of bytes", () => {
    expect(valid({ SERVER_MAX_REQUEST_BODY_BYTES: "1024" }).maxRequestBodyBytes).toBe(1024);
    expect(valid({ SERVER_MAX_REQUEST_BODY_BYTES: "104857600" }).maxRequestBodyBytes).toBe(104_857_600);
  });

  it("reads 0 as the default", () => {
    expect(valid({ SERVER_MAX_REQUEST_BODY_BYTES: "0" }).maxRequestBodyBytes).toBe(33_554_432);
  });

  it.each(["-1", "1e6", "10.5", "32MB", "lots"])("rejects %j, naming the variable", (text) => {
    const result = invalid({ SERVER_MAX_REQUEST_BODY_BYTES: text });
    const errors = errorsFor(result, "SERVER_MAX_REQUEST_BODY_BYTES");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`"${text}"`);
    // The edge still needs a cap to answer 413s while the configuration is broken.
    expect(result.maxRequestBodyBytes).toBe(DEFAULT_MAX_BODY_BYTES);
  });

  it("keeps a valid cap available when another variable is bad", () => {
    const result = invalid({ SERVER_MAX_REQUEST_BODY_BYTES: "2048", LW_LOG_MESSAGE_BODY: "maybe" });
    expect(result.maxRequestBodyBytes).toBe(2048);
  });
});

describe("ENVIRONMENT and the admin token", () => {
  it.each(["production", "staging", "development", "test"] as const)("accepts %s", (name) => {
    expect(valid({ ENVIRONMENT: name }).environment).toBe(name);
  });

  it("rejects an unknown environment, naming the variable", () => {
    expect(errorsFor(invalid({ ENVIRONMENT: "prod" }), "ENVIRONMENT")).toHaveLength(1);
  });

  it("keeps the admin token when set and rejects a short one", () => {
    expect(valid({ LW_GATEWAY_ADMIN_TOKEN: "admin-token-0123456789" }).adminToken).toBe("admin-token-0123456789");
    expect(errorsFor(invalid({ LW_GATEWAY_ADMIN_TOKEN: "short" }), "LW_GATEWAY_ADMIN_TOKEN")).toHaveLength(1);
  });
});

describe("the gateway secrets are all-or-none", () => {
  it("names the one missing secret", () => {
    const result = invalid({ LW_GATEWAY_JWT_SECRET: undefined });
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(/^LW_GATEWAY_JWT_SECRET: /);
    expect(result.errors[0]).toMatch(/missing LW_GATEWAY_JWT_SECRET\b/);
  });

  it("names both missing secrets and not the one that is set", () => {
    const result = invalid({ LW_VIRTUAL_KEY_PEPPER: undefined, LW_GATEWAY_INTERNAL_SECRET: "" });
    expect(result.errors).toHaveLength(1);
    const missing = /missing (.*)$/.exec(result.errors[0] ?? "")?.[1];
    expect(missing).toBe("LW_VIRTUAL_KEY_PEPPER, LW_GATEWAY_INTERNAL_SECRET");
  });

  it("reports all three when none is set (the gateway cannot hash keys without a pepper)", () => {
    const result = parseConfig({});
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toHaveLength(1);
    for (const name of Object.keys(SECRETS)) expect(result.errors[0]).toContain(name);
  });

  it("rejects a secret shorter than 16 characters, naming it", () => {
    const errors = errorsFor(invalid({ LW_GATEWAY_INTERNAL_SECRET: "too-short" }), "LW_GATEWAY_INTERNAL_SECRET");
    expect(errors).toEqual(["LW_GATEWAY_INTERNAL_SECRET: must be at least 16 characters"]);
  });
});

describe("every bad field is reported", () => {
  it("lists one error per bad variable, each naming its variable", () => {
    const result = invalid({
      LW_GATEWAY_JWT_SECRET: undefined,
      LW_GATEWAY_AUTH_CACHE_SOFT_BUMP: "soon",
      LW_GATEWAY_AUTH_CACHE_HARD_GRACE: "6 hours",
      SERVER_MAX_REQUEST_BODY_BYTES: "big",
      ENVIRONMENT: "qa",
      LW_LOG_MESSAGE_BODY: "yes",
    });
    const named = result.errors.map((e) => e.slice(0, e.indexOf(":"))).sort();
    expect(named).toEqual(
      [
        "ENVIRONMENT",
        "LW_GATEWAY_AUTH_CACHE_HARD_GRACE",
        "LW_GATEWAY_AUTH_CACHE_SOFT_BUMP",
        "LW_GATEWAY_JWT_SECRET",
        "LW_LOG_MESSAGE_BODY",
        "SERVER_MAX_REQUEST_BODY_BYTES",
      ].sort(),
    );
  });

  it("never echoes a secret's value in an error", () => {
    const result = invalid({ LW_GATEWAY_INTERNAL_SECRET: "short-secret", LW_LOG_MESSAGE_BODY: "nope" });
    expect(result.errors.join("\n")).not.toContain(SECRETS.LW_VIRTUAL_KEY_PEPPER);
    expect(result.errors.join("\n")).not.toContain("short-secret");
  });
});

describe("loadConfig", () => {
  it("validates once per env object and again for a different one", () => {
    const env = { ...SECRETS, LW_LOG_MESSAGE_BODY: "true" };
    const first = loadConfig(env);
    expect(loadConfig(env)).toBe(first);
    const other = loadConfig({ ...env, LW_LOG_MESSAGE_BODY: "bad" });
    expect(other).not.toBe(first);
    expect(other.ok).toBe(false);
  });
});
