import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { hashSecret, KEY_PATTERN } from "../../src/auth/keys";
import {
  adminCall,
  adminFetch,
  auditFor,
  createKey,
  createProject,
  createProvider,
  expectAdminError,
  expectInvalid,
  expectNoSecrets,
  type VirtualKeyReply,
} from "../helpers/admin";

/** /admin/v1/virtual-keys: create, list, get, and PATCH with config as a JSON merge patch (contract §5, §7). */

const UNKNOWN = "vk_01HZZZZZZZZZZZZZZZZZZZZZZZ";
const DEFAULT_CONFIG = {
  providers: [],
  model_aliases: {},
  models_allowed: null,
  policy_rules: {
    models: { allow: null, deny: [] },
    tools: { allow: null, deny: [] },
    mcp: { allow: null, deny: [] },
    urls: { allow: null, deny: [] },
  },
  rate_limits: { rpm: null, rpd: null, tpm: null },
  cache: { mode: "respect" },
  vision: null,
  proxy: false,
  fallback: { max_attempts: 3, attempt_timeout_ms: 60_000 },
};

const patchKey = (id: string, body: unknown) =>
  adminCall<VirtualKeyReply>(`/virtual-keys/${id}`, { method: "PATCH", body });

describe("POST /virtual-keys", () => {
  it("creates a key and returns its secret once, with the full config", async () => {
    const project = await createProject();
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const reply = await adminCall<VirtualKeyReply & { secret: string }>("/virtual-keys", {
      body: { project_id: project.id, name: "ci", environment: "live", principal_id: "user-42", expires_at: expiresAt },
    });
    expect(reply.status, reply.text).toBe(201);
    const key = reply.body;
    expect(key.id).toMatch(/^vk_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(key.secret).toMatch(KEY_PATTERN);
    expect(key.secret.startsWith("lw_vk_live_")).toBe(true);
    expect(key.display_prefix).toBe(key.secret.slice(0, 16));
    expect(key).toMatchObject({
      project_id: project.id,
      name: "ci",
      environment: "live",
      principal_id: "user-42",
      status: "active",
      expires_at: expiresAt,
      revoked_at: null,
      revision: 1,
      config: DEFAULT_CONFIG,
    });
    expect(Object.keys(key).sort()).toEqual([
      "config",
      "created_at",
      "display_prefix",
      "environment",
      "expires_at",
      "id",
      "name",
      "principal_id",
      "project_id",
      "revision",
      "revoked_at",
      "secret",
      "status",
      "updated_at",
    ]);
  });

  it("stores only the secret's peppered hash", async () => {
    const key = await createKey();
    const row = await env.DB.prepare("SELECT * FROM virtual_keys WHERE id = ?")
      .bind(key.id)
      .first<Record<string, unknown>>();
    expect(row?.secret_hash).toBe(await hashSecret(env.LW_VIRTUAL_KEY_PEPPER, key.secret));
    expect(JSON.stringify(row)).not.toContain(key.secret);
  });

  it("never shows the secret again: get and list carry only the prefix", async () => {
    const key = await createKey();
    const get = await adminCall(`/virtual-keys/${key.id}`);
    const list = await adminCall(`/virtual-keys?project_id=${key.project_id}`);
    for (const reply of [get, list]) {
      expect(reply.status).toBe(200);
      expect(reply.text).toContain(key.display_prefix);
      expect(reply.text).not.toContain('"secret"');
      expectNoSecrets(reply.text, [key.secret]);
    }
  });

  it("accepts a full config and echoes it with defaults filled", async () => {
    const provider = await createProvider();
    const config = {
      providers: [provider.name],
      model_aliases: { fast: `${provider.name}/gpt-4o-mini` },
      models_allowed: ["gpt-4o-mini", "claude-*"],
      policy_rules: {
        tools: { allow: null, deny: ["^shell\\.", "(?i)rm -rf"] },
        urls: { allow: ["^https://docs\\."] },
      },
      rate_limits: { rpm: 60, rpd: 100_000 },
      cache: { mode: "disable" },
      vision: false,
      proxy: true,
      fallback: { max_attempts: 2 },
    };
    const key = await createKey({ config });
    expect(key.config).toEqual({
      ...DEFAULT_CONFIG,
      ...config,
      policy_rules: {
        ...DEFAULT_CONFIG.policy_rules,
        tools: config.policy_rules.tools,
        urls: { allow: ["^https://docs\\."], deny: [] },
      },
      rate_limits: { rpm: 60, rpd: 100_000, tpm: null },
      fallback: { max_attempts: 2, attempt_timeout_ms: 60_000 },
    });
  });

  const base = { name: "k", environment: "test" };
  it.each([
    ["project_id missing", { ...base }, "project_id", /required/],
    ["name missing", { project_id: "prj_x", environment: "test" }, "name", /required/],
    ["a name too long", { ...base, project_id: "prj_x", name: "n".repeat(101) }, "name", /at most 100/],
    ["environment missing", { project_id: "prj_x", name: "k" }, "environment", /required: one of "live", "test"/],
    ["an unknown environment", { ...base, project_id: "prj_x", environment: "prod" }, "environment", /"live", "test"/],
    ["expires_at not ISO", { ...base, project_id: "prj_x", expires_at: "tomorrow" }, "expires_at", /ISO-8601/],
    [
      "expires_at as epoch ms",
      { ...base, project_id: "prj_x", expires_at: 1_900_000_000_000 },
      "expires_at",
      /must be a string/,
    ],
    [
      "expires_at in the past",
      { ...base, project_id: "prj_x", expires_at: "2020-01-01T00:00:00Z" },
      "expires_at",
      /in the future/,
    ],
    ["an empty principal_id", { ...base, project_id: "prj_x", principal_id: "" }, "principal_id", /at least 1/],
    ["an unknown field", { ...base, project_id: "prj_x", secret: "lw_vk_test_x" }, "secret", /unknown field/],
  ])("400 for %s", async (_, body, param, message) => {
    expect(await expectInvalid(await adminFetch("/virtual-keys", { body }), param)).toMatch(message);
  });

  it("400 naming project_id when the project does not exist", async () => {
    const res = await adminFetch("/virtual-keys", { body: { ...base, project_id: "prj_01HZZZZZZZZZZZZZZZZZZZZZZZ" } });
    expect(await expectInvalid(res, "project_id")).toContain("prj_01HZZZZZZZZZZZZZZZZZZZZZZZ");
  });

  describe("config validation", () => {
    async function rejectConfig(config: unknown, param: string): Promise<string> {
      const project = await createProject();
      const res = await adminFetch("/virtual-keys", { body: { ...base, project_id: project.id, config } });
      const message = await expectInvalid(res, param);
      const list = await adminCall<{ data: unknown[] }>(`/virtual-keys?project_id=${project.id}`);
      expect(list.body.data).toHaveLength(0);
      return message;
    }

    it.each([
      ["config not an object", [], "config", /must be an object, not an array/],
      ["config null", null, "config", /must be an object, not null/],
      ["an unknown top-level key", { providerz: [] }, "config.providerz", /unknown field "config.providerz"/],
      ["an unknown nested key", { rate_limits: { rph: 5 } }, "config.rate_limits.rph", /unknown field/],
      [
        "an unknown policy dimension",
        { policy_rules: { files: { deny: [] } } },
        "config.policy_rules.files",
        /unknown field/,
      ],
      ["a negative rpm", { rate_limits: { rpm: -1 } }, "config.rate_limits.rpm", /at least/],
      ["a fractional tpm", { rate_limits: { tpm: 1.5 } }, "config.rate_limits.tpm", /whole number, not 1.5/],
      ["an unknown cache mode", { cache: { mode: "sometimes" } }, "config.cache.mode", /"respect", "disable"/],
      ["vision as a string", { vision: "yes" }, "config.vision", /true or false/],
      ["max_attempts 0", { fallback: { max_attempts: 0 } }, "config.fallback.max_attempts", /at least 1/],
      [
        "an empty deny pattern",
        { policy_rules: { tools: { deny: [""] } } },
        "config.policy_rules.tools.deny[0]",
        /at least 1/,
      ],
      ["models_allowed not a list", { models_allowed: "gpt-4o" }, "config.models_allowed", /array/],
    ])("400 for %s", async (_, config, param, message) => {
      expect(await rejectConfig(config, param)).toMatch(message);
    });

    it.each([
      ["tools", "deny", "(a", /missing closing \)/],
      ["tools", "allow", "\\1", /invalid escape/],
      ["urls", "deny", "[z-a]", /invalid character class range/],
      ["mcp", "allow", "(?=lookahead)", /Perl syntax|lookahead|\(\?=/],
      ["models", "deny", "a**", /nested repetition/],
    ])(
      "400 for an RE2-invalid %s %s pattern %s, naming the dimension and pattern",
      async (dimension, list, pattern, reason) => {
        const good = "^ok$";
        const config = { policy_rules: { [dimension]: { [list]: [good, pattern] } } };
        const message = await rejectConfig(config, `config.policy_rules.${dimension}.${list}[1]`);
        expect(message).toContain(dimension);
        expect(message).toContain(JSON.stringify(pattern));
        expect(message).toMatch(reason);
      },
    );

    it("reports the first bad pattern in dimension order", async () => {
      const config = { policy_rules: { urls: { deny: ["(u"] }, models: { deny: ["ok", "(m"] } } };
      expect(await rejectConfig(config, "config.policy_rules.models.deny[1]")).toContain('"(m"');
    });

    it("400 naming every provider that does not exist, param at the first", async () => {
      const provider = await createProvider();
      const message = await rejectConfig(
        { providers: [provider.name, "ghost-one", "ghost-two"] },
        "config.providers[1]",
      );
      expect(message).toContain("ghost-one, ghost-two");
      expect(message).not.toContain(provider.name);
    });

    it("400 for a provider named twice", async () => {
      const provider = await createProvider();
      await rejectConfig({ providers: [provider.name, provider.name] }, "config.providers[1]");
    });

    it("400 for an alias whose provider/model target names a provider outside the chain", async () => {
      const inChain = await createProvider();
      const outside = await createProvider();
      const config = {
        providers: [inChain.name],
        model_aliases: { ok: `${inChain.name}/m`, bare: "gpt-4o", bad: `${outside.name}/m` },
      };
      const message = await rejectConfig(config, "config.model_aliases.bad");
      expect(message).toContain(outside.name);
      expect(message).toContain(inChain.name);
    });
  });
});

describe("GET /virtual-keys and /virtual-keys/:id", () => {
  it("filters by project and lists newest first", async () => {
    const project = await createProject();
    const a = await createKey({ project_id: project.id, name: "a" });
    const b = await createKey({ project_id: project.id, name: "b" });
    await createKey();
    const reply = await adminCall<{ data: VirtualKeyReply[] }>(`/virtual-keys?project_id=${project.id}`);
    expect(reply.body.data.map((k) => k.id)).toEqual([b.id, a.id]);
    const limited = await adminCall<{ data: VirtualKeyReply[] }>(`/virtual-keys?project_id=${project.id}&limit=1`);
    expect(limited.body.data.map((k) => k.id)).toEqual([b.id]);
  });

  it("lists across projects without a filter", async () => {
    const key = await createKey();
    const reply = await adminCall<{ data: VirtualKeyReply[] }>("/virtual-keys?limit=1000");
    expect(reply.body.data.some((k) => k.id === key.id)).toBe(true);
  });

  it("gets one key as created, minus the secret", async () => {
    const { secret, ...key } = await createKey();
    const reply = await adminCall<VirtualKeyReply>(`/virtual-keys/${key.id}`);
    expect(reply.body).toEqual(key);
    expectNoSecrets(reply.text, [secret]);
  });

  it("400 for a bad query and 404 for an unknown id", async () => {
    await expectInvalid(await adminFetch("/virtual-keys?project=prj_x"), "project");
    await expectInvalid(await adminFetch("/virtual-keys?limit=5000"), "limit");
    await expectAdminError(await adminFetch(`/virtual-keys/${UNKNOWN}`), 404, {
      type: "not_found",
      code: "virtual_key_not_found",
    });
  });
});

describe("PATCH /virtual-keys/:id", () => {
  it("updates name, principal_id and expires_at; null clears them", async () => {
    const key = await createKey({ principal_id: "p-1", expires_at: new Date(Date.now() + 3_600_000).toISOString() });
    const later = new Date(Date.now() + 7_200_000).toISOString();
    const updated = await patchKey(key.id, { name: "renamed", expires_at: later });
    expect(updated.status, updated.text).toBe(200);
    expect(updated.body).toMatchObject({ name: "renamed", expires_at: later, principal_id: "p-1", revision: 2 });
    const cleared = await patchKey(key.id, { expires_at: null, principal_id: null });
    expect(cleared.body).toMatchObject({ name: "renamed", expires_at: null, principal_id: null, revision: 3 });
    expect((await adminCall<VirtualKeyReply>(`/virtual-keys/${key.id}`)).body).toEqual(cleared.body);
    expectNoSecrets(cleared.text, [key.secret]);
  });

  describe("config is a JSON merge patch", () => {
    async function keyWith(config: Record<string, unknown>) {
      const provider = await createProvider();
      const other = await createProvider();
      const key = await createKey({ config: { providers: [provider.name], ...config } });
      return { key, provider, other };
    }

    it('{"models_allowed": null} removes the allowlist', async () => {
      const { key } = await keyWith({ models_allowed: ["gpt-4o-mini"] });
      expect(key.config.models_allowed).toEqual(["gpt-4o-mini"]);
      const reply = await patchKey(key.id, { config: { models_allowed: null } });
      expect(reply.status, reply.text).toBe(200);
      expect(reply.body.config.models_allowed).toBeNull();
    });

    it("nested objects merge: one rate limit changes, the others stay", async () => {
      const { key } = await keyWith({
        rate_limits: { rpm: 60, rpd: 1000 },
        policy_rules: { tools: { deny: ["^shell\\."] } },
      });
      const reply = await patchKey(key.id, {
        config: { rate_limits: { rpm: 120, tpm: 5000 }, policy_rules: { urls: { deny: ["evil"] } } },
      });
      expect(reply.body.config.rate_limits).toEqual({ rpm: 120, rpd: 1000, tpm: 5000 });
      expect(reply.body.config.policy_rules).toMatchObject({
        tools: { allow: null, deny: ["^shell\\."] },
        urls: { allow: null, deny: ["evil"] },
      });
    });

    it("null inside a nested object removes just that member", async () => {
      const { key } = await keyWith({ rate_limits: { rpm: 60, rpd: 1000 } });
      const reply = await patchKey(key.id, { config: { rate_limits: { rpd: null } } });
      expect(reply.body.config.rate_limits).toEqual({ rpm: 60, rpd: null, tpm: null });
    });

    it("arrays replace, they do not merge", async () => {
      const { key, provider, other } = await keyWith({ policy_rules: { tools: { deny: ["a", "b"] } } });
      const reply = await patchKey(key.id, {
        config: { providers: [other.name, provider.name], policy_rules: { tools: { deny: ["c"] } } },
      });
      expect(reply.body.config.providers).toEqual([other.name, provider.name]);
      expect((reply.body.config.policy_rules as { tools: { deny: string[] } }).tools.deny).toEqual(["c"]);
    });

    it("model_aliases merge by alias; null drops one", async () => {
      const { key, provider } = await keyWith({});
      const first = await patchKey(key.id, {
        config: { model_aliases: { fast: `${provider.name}/a`, smart: `${provider.name}/b` } },
      });
      expect(first.body.config.model_aliases).toEqual({ fast: `${provider.name}/a`, smart: `${provider.name}/b` });
      const second = await patchKey(key.id, { config: { model_aliases: { fast: null, cheap: "gpt-4o-mini" } } });
      expect(second.body.config.model_aliases).toEqual({ smart: `${provider.name}/b`, cheap: "gpt-4o-mini" });
    });

    it("an empty config patch leaves the config as it was", async () => {
      const { key } = await keyWith({ vision: false });
      const reply = await patchKey(key.id, { config: {} });
      expect(reply.body.config).toEqual(key.config);
    });

    it("validates the merged result: a bad pattern, an unknown key or a missing provider is a 400 and nothing changes", async () => {
      const { key } = await keyWith({ rate_limits: { rpm: 60 } });
      await expectInvalid(
        await adminFetch(`/virtual-keys/${key.id}`, {
          method: "PATCH",
          body: { config: { policy_rules: { tools: { deny: ["(a"] } } } },
        }),
        "config.policy_rules.tools.deny[0]",
      );
      await expectInvalid(
        await adminFetch(`/virtual-keys/${key.id}`, { method: "PATCH", body: { config: { rate_limits: { rpx: 1 } } } }),
        "config.rate_limits.rpx",
      );
      await expectInvalid(
        await adminFetch(`/virtual-keys/${key.id}`, { method: "PATCH", body: { config: { providers: ["ghost"] } } }),
        "config.providers[0]",
      );
      await expectInvalid(
        await adminFetch(`/virtual-keys/${key.id}`, {
          method: "PATCH",
          body: { config: { model_aliases: { x: "ghost/m" } } },
        }),
        "config.model_aliases.x",
      );
      const now = await adminCall<VirtualKeyReply>(`/virtual-keys/${key.id}`);
      expect(now.body).toMatchObject({ revision: 1, config: key.config });
    });

    it("a merge that removes a required-by-alias provider is refused", async () => {
      const { key, provider } = await keyWith({ model_aliases: {} });
      await patchKey(key.id, { config: { model_aliases: { fast: `${provider.name}/m` } } });
      await expectInvalid(
        await adminFetch(`/virtual-keys/${key.id}`, { method: "PATCH", body: { config: { providers: [] } } }),
        "config.model_aliases.fast",
      );
    });

    it("400 when the patch is not an object", async () => {
      const { key } = await keyWith({});
      await expectInvalid(
        await adminFetch(`/virtual-keys/${key.id}`, { method: "PATCH", body: { config: ["x"] } }),
        "config",
      );
      await expectInvalid(
        await adminFetch(`/virtual-keys/${key.id}`, { method: "PATCH", body: { config: null } }),
        "config",
      );
    });

    it("a __proto__ key is an unknown field, not a prototype", async () => {
      const { key } = await keyWith({});
      const res = await adminFetch(`/virtual-keys/${key.id}`, {
        method: "PATCH",
        body: '{"config": {"__proto__": {"vision": false}}}',
      });
      await expectInvalid(res, "config.__proto__");
    });
  });

  it.each([
    ["an unknown field", { environment: "live" }, "environment"],
    ["a past expires_at", { expires_at: "2001-01-01T00:00:00Z" }, "expires_at"],
    ["an empty name", { name: "" }, "name"],
  ])("400 for %s", async (_, body, param) => {
    const key = await createKey();
    await expectInvalid(await adminFetch(`/virtual-keys/${key.id}`, { method: "PATCH", body }), param);
  });

  it("repairs a key whose stored config is not valid: it reads as stored, and a patch over it is validated afresh", async () => {
    const key = await createKey();
    await env.DB.prepare("UPDATE virtual_keys SET config = '{not json' WHERE id = ?").bind(key.id).run();
    const broken = await adminCall<VirtualKeyReply>(`/virtual-keys/${key.id}`);
    expect(broken.status).toBe(200);
    expect(broken.body.config).toBe("{not json");
    expect((await adminFetch("/virtual-keys?limit=1000")).status).toBe(200);
    const fixed = await patchKey(key.id, { config: { vision: false } });
    expect(fixed.status, fixed.text).toBe(200);
    expect(fixed.body.config).toEqual({ ...DEFAULT_CONFIG, vision: false });
  });

  it("409 for a revoked key", async () => {
    const key = await createKey();
    await adminFetch(`/virtual-keys/${key.id}/revoke`, { method: "POST" });
    await expectAdminError(
      await adminFetch(`/virtual-keys/${key.id}`, { method: "PATCH", body: { name: "again" } }),
      409,
      {
        type: "conflict",
        code: "virtual_key_revoked",
      },
    );
  });

  it("404 for an unknown key", async () => {
    await expectAdminError(
      await adminFetch(`/virtual-keys/${UNKNOWN}`, { method: "PATCH", body: { name: "x" } }),
      404,
      {
        type: "not_found",
        code: "virtual_key_not_found",
      },
    );
  });

  it("audits the field names (and config member names), not their values", async () => {
    const key = await createKey();
    await patchKey(key.id, { name: "audited", config: { models_allowed: ["secret-model-name"] } });
    const [update, create] = await auditFor(key.id);
    expect(update).toMatchObject({
      action: "virtual_key.update",
      detail: { fields: ["config", "name"], config_fields: ["models_allowed"] },
    });
    expect(JSON.stringify(update)).not.toContain("secret-model-name");
    expect(create?.action).toBe("virtual_key.create");
    expect(JSON.stringify(create)).not.toContain(key.secret);
  });
});
