import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { fetchWithEnv, GATEWAY, gatewayFetch, REQUEST_ID, TRACE_ID } from "../helpers/gateway";

/** Contract §2: liveness, startup and readiness against the real local D1, KV and Durable Object. */

describe("health routes", () => {
  it("answers /healthz without touching anything", async () => {
    const res = await gatewayFetch("/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
    expect(res.headers.get("x-langwatch-request-id")).toMatch(REQUEST_ID);
    expect(res.headers.get("x-langwatch-trace-id")).toMatch(TRACE_ID);
  });

  it("answers /startupz once the configuration is valid", async () => {
    const res = await gatewayFetch("/startupz");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("reports every readiness check as ok, with the contract's check names", async () => {
    const res = await gatewayFetch("/readyz");
    expect(res.status).toBe(200);
    const body = await res.json<{ status: string; checks: Record<string, { status: string; latency_ms?: number }> }>();
    expect(body.status).toBe("ok");
    expect(Object.keys(body.checks).sort()).toEqual(["auth_cache", "config", "control_plane", "limits"]);
    for (const [name, check] of Object.entries(body.checks)) {
      expect(check.status, name).toBe("ok");
      expect(check.latency_ms, name).toBeGreaterThanOrEqual(0);
    }
  });

  it("reports limits degraded (503) when either counter class cannot answer", async () => {
    const broken = {
      idFromName: (name: string) => env.BUDGET_COUNTER.idFromName(name),
      get: () => ({ ping: () => Promise.reject(new Error("BudgetCounter unavailable")) }),
    };
    const { response } = await fetchWithEnv(new Request(`${GATEWAY}/readyz`), { BUDGET_COUNTER: broken });
    expect(response.status).toBe(503);
    const body = await response.json<{ status: string; checks: { limits: { status: string; error?: string } } }>();
    expect(body.status).toBe("degraded");
    expect(body.checks.limits).toEqual({ status: "error", error: "BudgetCounter unavailable" });
  });

  it("does not authenticate health routes", async () => {
    const res = await gatewayFetch("/readyz", { headers: { authorization: "Bearer nonsense" } });
    expect(res.status).toBe(200);
  });
});
