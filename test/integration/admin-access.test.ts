import { describe, expect, it } from "vitest";
import { generateSecret } from "../../src/auth/keys";
import { adminFetch, adminRequest, createProject, expectAdminError, uniqueName } from "../helpers/admin";
import { fetchWithEnv, readOpenAIError, REQUEST_ID } from "../helpers/gateway";

/**
 * Who may reach /admin/v1 (contract §7, §8): nobody when LW_GATEWAY_ADMIN_TOKEN is unset (the API
 * does not exist), only the bearer of that token otherwise; the edge guards (body cap, configuration)
 * hold as on /v1; bodies must be JSON objects.
 */

const ROUTES: [method: string, path: string][] = [
  ["POST", "/projects"],
  ["GET", "/projects"],
  ["GET", "/projects/prj_01HZZZZZZZZZZZZZZZZZZZZZZZ"],
  ["PATCH", "/projects/prj_01HZZZZZZZZZZZZZZZZZZZZZZZ"],
  ["DELETE", "/projects/prj_01HZZZZZZZZZZZZZZZZZZZZZZZ"],
  ["POST", "/providers"],
  ["GET", "/providers"],
  ["GET", "/providers/some-provider"],
  ["PATCH", "/providers/some-provider"],
  ["DELETE", "/providers/some-provider"],
  ["POST", "/virtual-keys"],
  ["GET", "/virtual-keys"],
  ["GET", "/virtual-keys/vk_01HZZZZZZZZZZZZZZZZZZZZZZZ"],
  ["PATCH", "/virtual-keys/vk_01HZZZZZZZZZZZZZZZZZZZZZZZ"],
  ["POST", "/virtual-keys/vk_01HZZZZZZZZZZZZZZZZZZZZZZZ/rotate"],
  ["POST", "/virtual-keys/vk_01HZZZZZZZZZZZZZZZZZZZZZZZ/revoke"],
  ["GET", "/audit"],
];

const bodyFor = (method: string) => (method === "POST" || method === "PATCH" ? { name: "x" } : undefined);

describe("without LW_GATEWAY_ADMIN_TOKEN the admin API does not exist", () => {
  it.each(ROUTES)("%s %s is a 404 route_not_found, even with a token", async (method, path) => {
    for (const token of [undefined, ""]) {
      const request = adminRequest(path, { method, body: bodyFor(method) });
      const { response } = await fetchWithEnv(request, { LW_GATEWAY_ADMIN_TOKEN: token });
      expect(response.headers.get("x-langwatch-request-id")).toMatch(REQUEST_ID);
      const error = await expectAdminError(response, 404, { type: "not_found", code: "route_not_found", param: null });
      expect(error.message).toContain(`/admin/v1${path}`);
    }
  });

  it("answers exactly like a path that never existed", async () => {
    const off = { LW_GATEWAY_ADMIN_TOKEN: undefined };
    const admin = await readOpenAIError((await fetchWithEnv(adminRequest("/projects"), off)).response);
    const other = await readOpenAIError((await fetchWithEnv(new Request("http://gw/nowhere/projects"), off)).response);
    expect(admin.message.replace("/admin/v1", "/nowhere")).toBe(other.message);
    expect({ ...admin, message: "" }).toEqual({ ...other, message: "" });
  });

  it("hides it even when the configuration is otherwise broken (404, not 503)", async () => {
    const { response } = await fetchWithEnv(adminRequest("/projects"), {
      LW_GATEWAY_ADMIN_TOKEN: undefined,
      LW_GATEWAY_JWT_SECRET: undefined,
    });
    expect(response.status).toBe(404);
  });
});

describe("401 invalid_api_key without the right token", () => {
  it.each(ROUTES)("%s %s: no Authorization header is missing_admin_token", async (method, path) => {
    const res = await adminFetch(path, { method, body: bodyFor(method), authorization: null });
    const error = await expectAdminError(res, 401, {
      type: "invalid_api_key",
      code: "missing_admin_token",
      param: null,
    });
    expect(error.message).toContain("LW_GATEWAY_ADMIN_TOKEN");
  });

  it.each(ROUTES)("%s %s: a wrong token is invalid_admin_token", async (method, path) => {
    const res = await adminFetch(path, {
      method,
      body: bodyFor(method),
      authorization: "Bearer not-the-admin-token-0123",
    });
    await expectAdminError(res, 401, { type: "invalid_api_key", code: "invalid_admin_token", param: null });
  });

  it.each([
    ["the token with a different last character", `Bearer ${"test-admin-token-0123456789".slice(0, -1)}8`],
    ["a prefix of the token", "Bearer test-admin-token-01234"],
    ["the token with a character appended", "Bearer test-admin-token-0123456789x"],
    ["the token twice", "Bearer test-admin-token-0123456789test-admin-token-0123456789"],
    ["the token without the Bearer scheme", "test-admin-token-0123456789"],
    ["Basic auth", `Basic ${btoa("admin:test-admin-token-0123456789")}`],
    ["an empty bearer", "Bearer "],
    ["a virtual key", `Bearer ${generateSecret("live")}`],
  ])("rejects %s", async (_, authorization) => {
    const res = await adminFetch("/projects", { authorization });
    await expectAdminError(res, 401, { type: "invalid_api_key", code: "invalid_admin_token" });
  });

  it("accepts the scheme in any case", async () => {
    const res = await adminFetch("/projects", { authorization: "bearer test-admin-token-0123456789" });
    expect(res.status).toBe(200);
  });

  it("writes nothing when the token is wrong", async () => {
    const name = uniqueName("unauthorized");
    const res = await adminFetch("/projects", { body: { name }, authorization: "Bearer wrong-token-0123456789" });
    expect(res.status).toBe(401);
    const list = await (await adminFetch("/projects?limit=1000")).json<{ data: { name: string }[] }>();
    expect(list.data.map((p) => p.name)).not.toContain(name);
  });

  it("checks the token before the route: an unknown admin path is a 401 without it, a 404 with it", async () => {
    await expectAdminError(await adminFetch("/nope", { authorization: null }), 401, {
      type: "invalid_api_key",
      code: "missing_admin_token",
    });
    await expectAdminError(await adminFetch("/nope"), 404, { type: "not_found", code: "route_not_found" });
  });
});

describe("edge guards", () => {
  it("caps the body size (413) before checking the token", async () => {
    const body = { name: "x".repeat(2_000) };
    const { response } = await fetchWithEnv(adminRequest("/projects", { body, authorization: null }), {
      SERVER_MAX_REQUEST_BODY_BYTES: "1024",
    });
    await expectAdminError(response, 413, { type: "payload_too_large", code: "payload_too_large" });
  });

  it("answers 503 naming the bad variable when the configuration is invalid", async () => {
    const { response } = await fetchWithEnv(adminRequest("/projects"), { LW_LOG_MESSAGE_BODY: "maybe" });
    const error = await expectAdminError(response, 503, { type: "service_unavailable", code: "invalid_configuration" });
    expect(error.message).toContain("LW_LOG_MESSAGE_BODY");
  });

  it("answers 503 when the admin token itself is too short to be safe", async () => {
    const { response } = await fetchWithEnv(adminRequest("/projects", { authorization: "Bearer short" }), {
      LW_GATEWAY_ADMIN_TOKEN: "short",
    });
    const error = await expectAdminError(response, 503, { type: "service_unavailable", code: "invalid_configuration" });
    expect(error.message).toContain("LW_GATEWAY_ADMIN_TOKEN");
  });
});

describe("bodies must be JSON objects", () => {
  it.each([
    ["malformed JSON", "{not json"],
    ["an array", "[]"],
    ["a string", '"name"'],
    ["null", "null"],
    ["a number", "42"],
    ["an empty body", ""],
  ])("%s is a 400 invalid_json", async (_, body) => {
    const res = await adminFetch("/projects", { method: "POST", body });
    const error = await expectAdminError(res, 400, {
      type: "invalid_request_error",
      code: "invalid_json",
      param: null,
    });
    expect(error.message).toMatch(/JSON/);
  });

  it("rejects a body that is not UTF-8", async () => {
    const res = await adminFetch("/projects", { method: "POST", body: new Uint8Array([0x7b, 0xff, 0x7d]) });
    await expectAdminError(res, 400, { code: "invalid_encoding", type: "invalid_request_error" });
  });

  it("applies to PATCH too", async () => {
    const project = await createProject();
    const res = await adminFetch(`/projects/${project.id}`, { method: "PATCH", body: "[1]" });
    await expectAdminError(res, 400, { code: "invalid_json", type: "invalid_request_error" });
  });
});
