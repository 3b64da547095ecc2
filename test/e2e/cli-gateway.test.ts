import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { useCli } from "./support/cli";
import { refusedPort } from "./support/ports";
import { useStack } from "./support/stack";

/**
 * The `faregate` CLI as an operator runs it: a child process with FAREGATE_URL and
 * FAREGATE_ADMIN_TOKEN, against `wrangler dev` of the real gateway (a control plane with one empty
 * project, no bindings, no keys) in front of the fake provider. Everything the requests use is
 * created through the CLI.
 */

const PROVIDER_KEY = `sk-fake-${randomBytes(12).toString("hex")}`;
const SECRET = /lw_vk_test_[0-9A-HJKMNP-TV-Z]{26}/g;

const stack = useStack("e2e-cli", PROVIDER_KEY, () => ({ project: "e2e-cli-seed", providers: [], keys: [] }));
const { faregate, faregateJson } = useCli(stack);

async function chat(secret: string, model = "gpt-4o-mini"): Promise<Response> {
  return fetch(`${stack.gatewayUrl()}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "hello" }] }),
  });
}

interface VirtualKey {
  id: string;
  name: string;
  status: string;
  display_prefix: string;
  config: { providers: string[]; model_aliases: Record<string, string>; rate_limits: Record<string, number | null> };
}

describe("an operator with only the CLI", () => {
  let projectId = "";
  let keyId = "";
  let secret = "";
  /** The secret rotated out with a grace period, still working until the key is revoked. */
  let previousSecret = "";

  it("creates a project", async () => {
    const project = await faregateJson<{ id: string; name: string }>(["projects", "create", "--name", "cli-e2e"]);
    expect(project).toMatchObject({ id: expect.stringMatching(/^prj_/), name: "cli-e2e" });
    projectId = project.id;
  });

  it("creates a provider binding at the fake provider, its key read from stdin and never printed", async () => {
    const result = await faregate(
      [
        "providers",
        "create",
        "--name",
        "fake",
        "--type",
        "openai-compatible",
        "--base-url",
        `${stack.fakeUrl()}/v1`,
        "--models",
        "gpt-4o-mini",
        "--api-key-stdin",
      ],
      { stdin: `${PROVIDER_KEY}\n` },
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^name +fake$/m);
    expect(result.stdout).toMatch(/^has_api_key +true$/m);
    expect(result.stdout).not.toContain(PROVIDER_KEY);
  });

  it("creates a virtual key, shows its secret once, and the secret calls chat completions", async () => {
    const result = await faregate([
      "vk",
      "create",
      "--project",
      projectId,
      "--name",
      "ci",
      "--environment",
      "test",
      "--config-json",
      '{"providers":["fake"]}',
    ]);
    expect(result.code).toBe(0);
    const secrets = result.stdout.match(SECRET) ?? [];
    expect(secrets).toHaveLength(1);
    secret = secrets[0]!;
    expect(result.stdout).toContain("Store this secret now");
    keyId = /^id +(vk_\S+)$/m.exec(result.stdout)?.[1] ?? "";
    expect(keyId).not.toBe("");

    const res = await chat(secret);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { choices: unknown[] }).choices).toHaveLength(1);
    const [upstream] = await stack.fakeRequests();
    expect(upstream?.headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`);
  });

  it("updates the key's config with a merge patch, keeping what the patch does not name", async () => {
    const updated = await faregateJson<VirtualKey>([
      "vk",
      "update",
      keyId,
      "--config-json",
      '{"model_aliases":{"fast":"fake/gpt-4o-mini"},"rate_limits":{"rpm":1000}}',
    ]);
    expect(updated.config.providers).toEqual(["fake"]);
    expect(updated.config.model_aliases).toEqual({ fast: "fake/gpt-4o-mini" });
    expect(updated.config.rate_limits).toMatchObject({ rpm: 1000 });
    const res = await chat(secret, "fast");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-langwatch-model")).toBe("gpt-4o-mini");
  });

  it("rotates the key: the new secret works, the old one stops at once", async () => {
    const rotated = await faregateJson<{ id: string; secret: string; previous_secret_expires_at: string | null }>([
      "vk",
      "rotate",
      keyId,
    ]);
    expect(rotated.id).toBe(keyId);
    expect(rotated.secret).toMatch(SECRET);
    expect(rotated.secret).not.toBe(secret);
    expect(rotated.previous_secret_expires_at).toBeNull();
    expect((await chat(rotated.secret)).status).toBe(200);
    expect((await chat(secret)).status).toBe(401);
    secret = rotated.secret;
  });

  it("rotates with --grace-seconds: both secrets work until the grace ends", async () => {
    const before = Date.now();
    const rotated = await faregateJson<{ secret: string; previous_secret_expires_at: string | null }>([
      "vk",
      "rotate",
      keyId,
      "--grace-seconds",
      "600",
    ]);
    const graceEnds = Date.parse(rotated.previous_secret_expires_at ?? "");
    expect(graceEnds).toBeGreaterThanOrEqual(before + 599_000);
    expect(graceEnds).toBeLessThanOrEqual(Date.now() + 601_000);
    expect((await chat(rotated.secret)).status).toBe(200);
    expect((await chat(secret)).status).toBe(200);
    previousSecret = secret;
    secret = rotated.secret;
  });

  it("revokes the key, which then gets 401", async () => {
    const result = await faregate(["vk", "revoke", keyId]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^status +revoked$/m);
    expect(result.stdout).not.toMatch(SECRET);
    for (const revoked of [secret, previousSecret]) {
      const res = await chat(revoked);
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { type: string } }).error.type).toBe("invalid_api_key");
    }
  });

  it("lists keys as JSON (the data array) and as a table", async () => {
    const keys = await faregateJson<VirtualKey[]>(["vk", "list", "--project", projectId]);
    expect(keys.map((k) => [k.id, k.name, k.status])).toEqual([[keyId, "ci", "revoked"]]);
    expect(JSON.stringify(keys)).not.toMatch(SECRET);

    const table = await faregate(["virtual-keys", "list"]);
    expect(table.code).toBe(0);
    const [header, ...rows] = table.stdout.trimEnd().split("\n");
    expect(header).toMatch(/^ID +PROJECT_ID +NAME +STATUS +DISPLAY_PREFIX +ENVIRONMENT +EXPIRES_AT$/);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(new RegExp(`^${keyId} +${projectId} +ci +revoked +lw_vk_test_\\S{5} +test +-$`));

    const providers = await faregate(["providers", "list"]);
    expect(providers.stdout).toMatch(
      /^prv_\S+ +fake +openai-compatible +http:\/\/127\.0\.0\.1:\d+\/v1 +gpt-4o-mini +stored /m,
    );
  });

  it("shows the audit trail of the key's writes", async () => {
    const entries = await faregateJson<{ action: string; target_id: string; actor: string }[]>([
      "audit",
      "list",
      "--target",
      keyId,
    ]);
    expect(entries.map((e) => e.action).sort()).toEqual(
      [
        "virtual_key.create",
        "virtual_key.revoke",
        "virtual_key.rotate",
        "virtual_key.rotate",
        "virtual_key.update",
      ].sort(),
    );
    expect(entries.every((e) => e.target_id === keyId && e.actor.startsWith("admin:"))).toBe(true);
  });

  it("deletes a project", async () => {
    const scratch = await faregateJson<{ id: string }>(["projects", "create", "--name", "cli-e2e-scratch"]);
    const result = await faregate(["projects", "delete", scratch.id]);
    expect(result).toEqual({ code: 0, stdout: `Deleted project ${scratch.id}.\n`, stderr: "" });
    expect((await faregate(["projects", "get", scratch.id])).code).toBe(1);
  });
});

describe("failures", () => {
  it("a wrong admin token: exit 1 with the API's message, the token not echoed", async () => {
    const wrong = `wrong-${randomBytes(8).toString("hex")}`;
    const api = (await (
      await fetch(`${stack.gatewayUrl()}/admin/v1/projects`, { headers: { authorization: `Bearer ${wrong}` } })
    ).json()) as { error: { message: string } };
    const result = await faregate(["projects", "list"], { env: { FAREGATE_ADMIN_TOKEN: wrong } });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(`faregate: ${api.error.message}\n`);
    expect(result.stderr).toContain("(HTTP 401, invalid_api_key/invalid_admin_token)");
    expect(result.stderr).not.toContain(wrong);
  });

  it("an unknown id: exit 1 with the API's not_found", async () => {
    const result = await faregate(["vk", "get", "vk_01JZZZZZZZZZZZZZZZZZZZZZZZ"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^faregate: .+\n {2}\(HTTP 404, not_found/);
  });

  it("a value the API rejects: exit 1 naming the field", async () => {
    const result = await faregate(["providers", "create", "--name", "Not/Allowed", "--type", "openai"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("(HTTP 400, invalid_request_error/invalid_request, param name)");
  });

  it("a usage error: exit 2 with the usage, nothing sent", async () => {
    const result = await faregate(["vk", "create", "--name", "x"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^faregate: --project is required\n\nUsage: faregate virtual-keys create /);
    expect(result.stdout).toBe("");
  });

  it("an unreachable gateway: exit 1 naming the URL", async () => {
    const unreachable = await refusedPort();
    try {
      const url = `http://127.0.0.1:${unreachable.port}`;
      const result = await faregate(["projects", "list"], { env: { FAREGATE_URL: url } });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`faregate: could not reach ${url}/admin/v1/projects: `);
      expect(result.stderr).toContain("ECONNREFUSED");
    } finally {
      unreachable.release();
    }
  });
});
