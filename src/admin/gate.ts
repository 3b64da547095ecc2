import type { MiddlewareHandler } from "hono";
import { timingSafeEqual } from "../auth/keys";
import { GatewayError, routeNotFound } from "../errors";
import { hex } from "../lib/ids";
import type { AppEnv } from "../http/app-env";
import type { AdminEnv } from "./context";

/**
 * Who may reach the admin API. Without LW_GATEWAY_ADMIN_TOKEN the API does not exist: every
 * /admin/* path answers the same 404 as an unknown route. With it, the bearer must match.
 */

/** Read from the raw env (not the validated config) so the API stays hidden even when the config is bad. */
function adminTokenConfigured(env: object): boolean {
  const value: unknown = (env as Record<string, unknown>).LW_GATEWAY_ADMIN_TOKEN;
  return typeof value === "string" && value !== "";
}

export function adminApiEnabled(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!adminTokenConfigured(c.env)) throw routeNotFound(c.req.method, c.req.path);
    return next();
  };
}

async function sha256Hex(text: string): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

/** Bearer check against the configured token; digests are compared so the token's length leaks nothing. */
export function requireAdminToken(): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    const expected = c.get("config").adminToken;
    if (expected === null) throw routeNotFound(c.req.method, c.req.path);
    const header = c.req.header("authorization");
    if (header === undefined || header === "") {
      throw new GatewayError(
        "invalid_api_key",
        "missing_admin_token",
        "The admin API needs `Authorization: Bearer <LW_GATEWAY_ADMIN_TOKEN>`.",
      );
    }
    const token = /^bearer /i.test(header) ? header.slice("Bearer ".length) : "";
    const [given, wanted] = await Promise.all([sha256Hex(token), sha256Hex(expected)]);
    if (token === "" || !timingSafeEqual(given, wanted)) {
      throw new GatewayError(
        "invalid_api_key",
        "invalid_admin_token",
        "The admin token is not valid. Send the gateway's LW_GATEWAY_ADMIN_TOKEN as `Authorization: Bearer <token>`.",
      );
    }
    // The audit log's name for the token holder: a short fingerprint, never the token.
    c.set("actor", `admin:${wanted.slice(0, 8)}`);
    return next();
  };
}
