import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { run } from "../../cli/main.mjs";

/**
 * `faregate` commands against a recording stand-in for the admin API: the request each one sends,
 * what it prints, and its exit code. The real API is exercised in cli-gateway.test.ts.
 */

interface Sent {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: unknown;
}

const TOKEN = "admin-token-0123456789abcdef";
const BASE = "http://127.0.0.1:8787";
const PROVIDER_KEY = "sk-provider-key-do-not-print-0123";
const SECRET = "lw_vk_live_0123456789ABCDEFGHJKMNPQRS";

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
const apiError = (status: number, type: string, code: string, message: string, param: string | null = null) =>
  json({ error: { type, code, message, param } }, status);

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  sent: Sent[];
}

async function cli(
  argv: string[],
  options: {
    respond?: (sent: Sent) => Response | Promise<Response>;
    stdin?: string;
    env?: Record<string, string>;
  } = {},
): Promise<CliRun> {
  const sent: Sent[] = [];
  const respond = options.respond ?? (() => json({}));
  const fakeFetch = async (input: string | URL | Request, init: RequestInit = {}) => {
    const request = {
      method: init.method ?? "GET",
      url: new URL(String(input)),
      headers: Object.fromEntries(new Headers(init.headers).entries()),
      body: typeof init.body === "string" ? JSON.parse(init.body) : undefined,
    };
    sent.push(request);
    return respond(request);
  };
  let stdout = "";
  let stderr = "";
  const code = await run(argv, {
    env: { FAREGATE_URL: BASE, FAREGATE_ADMIN_TOKEN: TOKEN, ...options.env },
    stdin: Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]),
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    fetch: fakeFetch as typeof fetch,
  });
  return { code, stdout, stderr, sent };
}

describe("the requests commands send", () => {
  it("sends the admin token and a JSON body to /admin/v1", async () => {
    const project = { id: "prj_1", name: "acme", revision: 1, created_at: "t", updated_at: "t" };
    const r = await cli(["projects", "create", "--name", "acme"], { respond: () => json(project, 201) });
    expect(r.code).toBe(0);
    expect(r.sent).toHaveLength(1);
    const [req] = r.sent;
    expect(req).toMatchObject({ method: "POST", body: { name: "acme" } });
    expect(req!.url.href).toBe(`${BASE}/admin/v1/projects`);
    expect(req!.headers).toMatchObject({ authorization: `Bearer ${TOKEN}`, "content-type": "application/json" });
    expect(r.stdout).toMatch(/^id +prj_1$/m);
  });

  it.each([
    [["projects", "list", "--limit", "5"], "GET", "/admin/v1/projects?limit=5"],
    [["projects", "get", "prj_1"], "GET", "/admin/v1/projects/prj_1"],
    [["providers", "get", "my provider/x"], "GET", "/admin/v1/providers/my%20provider%2Fx"],
    [["vk", "list", "--project", "prj_1"], "GET", "/admin/v1/virtual-keys?project_id=prj_1"],
    [["vk", "get", "vk_1"], "GET", "/admin/v1/virtual-keys/vk_1"],
    [["audit", "list", "--target", "vk_1"], "GET", "/admin/v1/audit?target_id=vk_1"],
  ])("%j → %s %s", async (argv, method, path) => {
    // Good enough as a list ({data}) and as a record (an object) alike.
    const r = await cli(argv, { respond: () => json({ data: [], id: "x" }) });
    expect(r.code).toBe(0);
    expect(r.sent[0]?.method).toBe(method);
    expect(`${r.sent[0]!.url.pathname}${r.sent[0]!.url.search}`).toBe(path);
    expect(r.sent[0]?.body).toBeUndefined();
  });

  it("creates a provider with the key from stdin, never echoing it", async () => {
    const r = await cli(
      [
        "providers",
        "create",
        "--name",
        "fake",
        "--type",
        "openai-compatible",
        "--base-url",
        "http://127.0.0.1:1/v1",
        "--api-key-stdin",
        "--models",
        "gpt-4o-mini, gpt-4o",
        "--prices-json",
        '{"gpt-4o-mini":{"input_per_mtok":"0.15","output_per_mtok":"0.60"}}',
      ],
      { stdin: `${PROVIDER_KEY}\n`, respond: () => json({ id: "prv_1", name: "fake", has_api_key: true }, 201) },
    );
    expect(r.code).toBe(0);
    expect(r.sent[0]?.body).toEqual({
      name: "fake",
      type: "openai-compatible",
      base_url: "http://127.0.0.1:1/v1",
      api_key: PROVIDER_KEY,
      models: ["gpt-4o-mini", "gpt-4o"],
      prices: { "gpt-4o-mini": { input_per_mtok: "0.15", output_per_mtok: "0.60" } },
    });
    expect(r.stdout + r.stderr).not.toContain(PROVIDER_KEY);
  });

  it.each([
    [["--models", "", "--base-url", "none"], { models: [], base_url: null }],
    [["--clear-api-key"], { api_key: null }],
    [["--api-key-secret", "OPENAI_API_KEY"], { api_key_secret: "OPENAI_API_KEY", api_key: null }],
    [["--api-key-secret", "none"], { api_key_secret: null }],
    [["--api-key-stdin"], { api_key: PROVIDER_KEY, api_key_secret: null }],
    [["--api-key-stdin", "--api-key-secret", "none"], { api_key: PROVIDER_KEY, api_key_secret: null }],
  ])("updates a provider with %j: sends exactly %j", async (options, body) => {
    const r = await cli(["providers", "update", "fake", ...options], { stdin: PROVIDER_KEY });
    expect(r.code).toBe(0);
    expect(r.sent[0]).toMatchObject({ method: "PATCH" });
    expect(r.sent[0]?.body).toEqual(body);
  });

  it("creates a virtual key and prints its secret once", async () => {
    const created = { id: "vk_1", name: "ci", display_prefix: SECRET.slice(0, 16), status: "active", secret: SECRET };
    const r = await cli(
      [
        "vk",
        "create",
        "--project",
        "prj_1",
        "--name",
        "ci",
        "--environment",
        "live",
        "--config-json",
        '{"providers":["fake"]}',
      ],
      { respond: () => json(created, 201) },
    );
    expect(r.code).toBe(0);
    expect(r.sent[0]?.body).toEqual({
      project_id: "prj_1",
      name: "ci",
      environment: "live",
      config: { providers: ["fake"] },
    });
    expect(r.stdout.split(SECRET)).toHaveLength(2);
    expect(r.stdout).toContain("Store this secret now");
  });

  it("sends a config merge patch and clears fields with none", async () => {
    const r = await cli([
      "vk",
      "update",
      "vk_1",
      "--config-json",
      '{"rate_limits":{"rpm":60},"models_allowed":null}',
      "--expires-at",
      "none",
      "--principal",
      "user-7",
    ]);
    expect(r.code).toBe(0);
    expect(r.sent[0]).toMatchObject({
      method: "PATCH",
      body: { config: { rate_limits: { rpm: 60 }, models_allowed: null }, expires_at: null, principal_id: "user-7" },
    });
  });

  it("rotates with a grace period and revokes", async () => {
    const rotated = {
      id: "vk_1",
      secret: SECRET,
      display_prefix: SECRET.slice(0, 16),
      previous_secret_expires_at: "t",
    };
    const rotate = await cli(["vk", "rotate", "vk_1", "--grace-seconds", "300", "--format", "json"], {
      respond: () => json(rotated),
    });
    expect(rotate.code).toBe(0);
    expect(rotate.sent[0]).toMatchObject({ method: "POST", body: { grace_seconds: 300 } });
    expect(rotate.sent[0]?.url.pathname).toBe("/admin/v1/virtual-keys/vk_1/rotate");
    expect(JSON.parse(rotate.stdout)).toEqual(rotated);
    expect(rotate.stderr).toContain("Store this secret now");

    const revoke = await cli(["vk", "revoke", "vk_1"], { respond: () => json({ id: "vk_1", status: "revoked" }) });
    expect(revoke.code).toBe(0);
    expect(revoke.sent[0]?.url.pathname).toBe("/admin/v1/virtual-keys/vk_1/revoke");
    expect(revoke.stdout).toMatch(/^status +revoked$/m);
  });

  it("deletes and says so", async () => {
    const r = await cli(["providers", "delete", "fake"], { respond: () => new Response(null, { status: 204 }) });
    expect(r.code).toBe(0);
    expect(r.sent[0]?.method).toBe("DELETE");
    expect(r.stdout).toBe("Deleted provider fake.\n");
  });
});

describe("usage errors send nothing and exit 2", () => {
  it.each([
    [
      ["vk", "create", "--project", "p", "--name", "n", "--environment", "prod"],
      "--environment must be one of live, test",
    ],
    [
      ["vk", "update", "vk_1"],
      "nothing to update: give at least one of --name, --config-json, --expires-at, --principal",
    ],
    [["vk", "update", "vk_1", "--config-json", "{nope"], "--config-json is not valid JSON"],
    [["vk", "update", "vk_1", "--config-json", "[1]"], "--config-json must be a JSON object"],
    [["vk", "rotate", "vk_1", "--grace-seconds", "1h"], "--grace-seconds must be a whole number"],
    [["providers", "update", "fake"], "nothing to update"],
    [
      ["providers", "update", "fake", "--api-key-stdin", "--clear-api-key"],
      "give either --clear-api-key or --api-key-stdin",
    ],
    [
      ["providers", "create", "--name", "p", "--type", "openai", "--api-key-stdin", "--api-key-secret", "K"],
      "give either --api-key-secret or --api-key-stdin, not both",
    ],
  ])("%j", async (argv, message) => {
    const r = await cli(argv, { stdin: PROVIDER_KEY });
    expect(r.code).toBe(2);
    expect(r.sent).toEqual([]);
    expect(r.stderr).toContain(`faregate: ${message}`);
    expect(r.stdout).toBe("");
  });

  it("refuses an empty key on stdin", async () => {
    const r = await cli(["providers", "create", "--name", "p", "--type", "openai", "--api-key-stdin"], { stdin: "\n" });
    expect(r.code).toBe(2);
    expect(r.sent).toEqual([]);
    expect(r.stderr).toContain("no key on stdin");
  });

  it("prints the usage after the message", async () => {
    const r = await cli(["vk", "get"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^faregate: missing <id>\n\nUsage: faregate virtual-keys get <id>\n/);
  });
});

describe("failures exit 1 with the API's message", () => {
  it("prints error.message, type and code on stderr", async () => {
    const r = await cli(["vk", "get", "vk_nope"], {
      respond: () =>
        apiError(404, "not_found", "virtual_key_not_found", "No virtual key vk_nope: list keys with faregate vk list."),
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      "faregate: No virtual key vk_nope: list keys with faregate vk list.\n  (HTTP 404, not_found/virtual_key_not_found)\n",
    );
  });

  it("names the field of a validation error", async () => {
    const r = await cli(["vk", "update", "vk_1", "--config-json", '{"policy_rules":{"tools":{"deny":["("]}}}'], {
      respond: () =>
        apiError(400, "invalid_request_error", "invalid_request", "bad pattern", "config.policy_rules.tools.deny[0]"),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "(HTTP 400, invalid_request_error/invalid_request, param config.policy_rules.tools.deny[0])",
    );
  });

  it("never prints the provider key or the admin token, even if an answer echoes them", async () => {
    const r = await cli(["providers", "create", "--name", "p", "--type", "openai", "--api-key-stdin"], {
      stdin: PROVIDER_KEY,
      respond: () =>
        apiError(400, "invalid_request_error", "invalid_request", `rejected ${PROVIDER_KEY} with ${TOKEN}`),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("rejected [redacted] with [redacted]");
    expect(r.stderr).not.toContain(PROVIDER_KEY);
    expect(r.stderr).not.toContain(TOKEN);
  });

  it("describes an answer that is not a Faregate error", async () => {
    const r = await cli(["projects", "list"], {
      respond: () =>
        new Response("<html>Bad gateway</html>", { status: 502, headers: { "content-type": "text/html" } }),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`GET ${BASE}/admin/v1/projects answered HTTP 502 (text/html) without a Faregate error`);
  });

  it("names the URL it could not reach", async () => {
    const refused = () => {
      throw new TypeError("fetch failed", {
        cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:8787"), { code: "ECONNREFUSED" }),
      });
    };
    const r = await cli(["projects", "list"], { respond: refused });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `faregate: could not reach ${BASE}/admin/v1/projects: connect ECONNREFUSED 127.0.0.1:8787`,
    );
  });

  it("warns before sending the token over plain HTTP to another host", async () => {
    const r = await cli(["projects", "list"], {
      env: { FAREGATE_URL: "http://gateway.internal:8787" },
      respond: () => json({ data: [] }),
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("over plain HTTP");
    const local = await cli(["projects", "list"], { respond: () => json({ data: [] }) });
    expect(local.stderr).toBe("");
  });
});
