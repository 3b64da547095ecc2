import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { installFakeUpstream, recorded } from "../helpers/fake-upstream";
import { fetchWithEnv, GATEWAY, readOpenAIError, REQUEST_ID, USER_MESSAGE } from "../helpers/gateway";
import { seedFakeChain } from "../helpers/seed";

/** Contract §8: a bad configuration turns every /v1 request into a 503 naming the bad fields; health says so. */

let secret = "";
beforeAll(async () => {
  ({ secret } = await seedFakeChain([""]));
});
beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

const chatRequest = () =>
  new Request(`${GATEWAY}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "gpt-4o-mini", messages: USER_MESSAGE }),
  });
const get = (path: string, headers: Record<string, string> = {}) => new Request(`${GATEWAY}${path}`, { headers });

async function expect503(res: Response): Promise<string> {
  expect(res.status).toBe(503);
  expect(res.headers.get("x-langwatch-request-id")).toMatch(REQUEST_ID);
  const error = await readOpenAIError(res);
  expect(error).toMatchObject({ type: "service_unavailable", code: "invalid_configuration", param: null });
  expect(recorded).toHaveLength(0);
  return error.message;
}

describe("a missing gateway secret", () => {
  const BROKEN = { LW_GATEWAY_JWT_SECRET: undefined };

  it("makes chat completions a 503 naming the missing secret, even with a valid key", async () => {
    const message = await expect503((await fetchWithEnv(chatRequest(), BROKEN)).response);
    expect(message).toContain("LW_GATEWAY_JWT_SECRET");
    expect(message).toMatch(/missing LW_GATEWAY_JWT_SECRET\b/);
    expect(message).not.toContain("test-pepper");
  });

  it("makes GET /v1/models a 503 too", async () => {
    await expect503((await fetchWithEnv(get("/v1/models", { authorization: `Bearer ${secret}` }), BROKEN)).response);
  });

  it("makes /v1 requests without a key a 503 rather than a 401", async () => {
    await expect503((await fetchWithEnv(get("/v1/models"), BROKEN)).response);
  });

  it("names each secret that is missing, and only those", async () => {
    const message = await expect503(
      (await fetchWithEnv(chatRequest(), { LW_GATEWAY_JWT_SECRET: "", LW_VIRTUAL_KEY_PEPPER: undefined })).response,
    );
    expect(message).toMatch(/missing LW_VIRTUAL_KEY_PEPPER, LW_GATEWAY_JWT_SECRET\b/);
    expect(message).not.toMatch(/missing [^.;]*LW_GATEWAY_INTERNAL_SECRET/);
  });
});

describe("several bad variables", () => {
  const BROKEN = {
    LW_LOG_MESSAGE_BODY: "yes",
    LW_GATEWAY_AUTH_CACHE_SOFT_BUMP: "soon",
    LW_GATEWAY_INTERNAL_SECRET: undefined,
  };

  it("are all named in one 503", async () => {
    const message = await expect503((await fetchWithEnv(chatRequest(), BROKEN)).response);
    for (const name of ["LW_LOG_MESSAGE_BODY", "LW_GATEWAY_AUTH_CACHE_SOFT_BUMP", "LW_GATEWAY_INTERNAL_SECRET"])
      expect(message).toContain(name);
    expect(message).toContain('"yes"');
  });

  it("make /readyz 503 with the config check failing and the others ok", async () => {
    const res = (await fetchWithEnv(get("/readyz"), BROKEN)).response;
    expect(res.status).toBe(503);
    const body = await res.json<{ status: string; checks: Record<string, { status: string; errors?: string[] }> }>();
    expect(body.status).toBe("degraded");
    expect(body.checks.config?.status).toBe("error");
    const errors = body.checks.config?.errors ?? [];
    expect(errors).toHaveLength(3);
    for (const name of ["LW_LOG_MESSAGE_BODY", "LW_GATEWAY_AUTH_CACHE_SOFT_BUMP", "LW_GATEWAY_INTERNAL_SECRET"]) {
      expect(
        errors.some((e) => e.startsWith(`${name}:`)),
        name,
      ).toBe(true);
    }
    for (const check of ["control_plane", "auth_cache", "limits"]) expect(body.checks[check]?.status, check).toBe("ok");
  });

  it("make /startupz 503 with the errors", async () => {
    const res = (await fetchWithEnv(get("/startupz"), BROKEN)).response;
    expect(res.status).toBe(503);
    const body = await res.json<{ status: string; errors: string[] }>();
    expect(body.status).toBe("error");
    expect(body.errors).toHaveLength(3);
  });

  it("leave /healthz at 200 (the process is alive)", async () => {
    const res = (await fetchWithEnv(get("/healthz"), BROKEN)).response;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });
});

describe("the same app with the good configuration", () => {
  it("serves the request the broken one refused", async () => {
    const { response, settled } = await fetchWithEnv(chatRequest(), {});
    expect(response.status).toBe(200);
    await response.text();
    await settled();
    expect(recorded).toHaveLength(1);
  });
});
