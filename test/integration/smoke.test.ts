import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

describe("health", () => {
  it("answers /healthz with ids", async () => {
    const res = await exports.default.fetch("http://gw/healthz");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-langwatch-request-id")).toMatch(/^grq_[0-9A-HJKMNP-TV-Z]{26}$/);
  });
  it("readyz checks D1, KV and the Durable Object", async () => {
    const res = await exports.default.fetch("http://gw/readyz");
    const body = await res.json();
    expect(body).toMatchObject({ status: "ok" });
  });
});
