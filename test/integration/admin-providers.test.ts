import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { unseal } from "../../src/crypto/seal";
import {
  adminCall,
  adminFetch,
  adminRequest,
  auditFor,
  createKey,
  createProvider,
  expectAdminError,
  expectInvalid,
  expectNoSecrets,
  uniqueName,
  type ProviderReply,
} from "../helpers/admin";
import { fakeBaseUrl } from "../helpers/fake-upstream";
import { fetchWithEnv } from "../helpers/gateway";

/** /admin/v1/providers (contract §5, §7): bindings by id or name; keys are write-only and sealed. */

const API_KEY = "sk-provider-plaintext-0123456789abcdef";

async function storedRow(id: string) {
  return env.DB.prepare("SELECT api_key_ciphertext, api_key_secret FROM providers WHERE id = ?")
    .bind(id)
    .first<{ api_key_ciphertext: string | null; api_key_secret: string | null }>();
}

describe("POST /providers", () => {
  it("creates a binding with every field; the response has the contract's fields and no key", async () => {
    const name = uniqueName("openai-main");
    const body = {
      name,
      type: "openai-compatible",
      base_url: fakeBaseUrl(),
      api_key: API_KEY,
      models: ["gpt-4o-mini"],
      prices: { "gpt-4o-mini": { input_per_mtok: "0.15", output_per_mtok: "0.60", cache_read_per_mtok: "0.075" } },
      settings: { organization: "org-1" },
    };
    const reply = await adminCall<ProviderReply>("/providers", { body });
    expect(reply.status, reply.text).toBe(201);
    expect(reply.body).toMatchObject({
      name,
      type: "openai-compatible",
      base_url: fakeBaseUrl(),
      api_key_secret: null,
      has_api_key: true,
      models: ["gpt-4o-mini"],
      prices: body.prices,
      settings: body.settings,
      revision: 1,
    });
    expect(reply.body.id).toMatch(/^prv_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(Object.keys(reply.body).sort()).toEqual([
      "api_key_secret",
      "base_url",
      "created_at",
      "has_api_key",
      "id",
      "models",
      "name",
      "prices",
      "revision",
      "settings",
      "type",
      "updated_at",
    ]);
    expectNoSecrets(reply.text, [API_KEY]);
  });

  it("stores the api_key sealed: not the plaintext, and it unseals to it with the provider-key purpose", async () => {
    const provider = await createProvider({ api_key: API_KEY, api_key_secret: undefined });
    const row = await storedRow(provider.id);
    expect(row?.api_key_secret).toBeNull();
    const sealed = row?.api_key_ciphertext ?? "";
    expect(sealed).not.toBe("");
    expect(sealed).not.toContain(API_KEY);
    expect(sealed).not.toContain(btoa(API_KEY).slice(0, 12));
    expect(await unseal(env.LW_GATEWAY_JWT_SECRET, "provider-key", sealed)).toBe(API_KEY);
    await expect(unseal(env.LW_GATEWAY_JWT_SECRET, "auth-bundle", sealed)).rejects.toThrow();
  });

  it("stores a Worker secret name as a reference, with no ciphertext", async () => {
    const provider = await createProvider({ api_key_secret: "FAKE_OPENAI_KEY" });
    expect(provider).toMatchObject({ api_key_secret: "FAKE_OPENAI_KEY", has_api_key: false });
    expect((await storedRow(provider.id))?.api_key_ciphertext).toBeNull();
  });

  it("fills defaults: no base_url for openai, empty models, prices and settings", async () => {
    const reply = await adminCall<ProviderReply>("/providers", {
      body: { name: uniqueName("openai"), type: "openai" },
    });
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({
      base_url: null,
      api_key_secret: null,
      has_api_key: false,
      models: [],
      prices: {},
      settings: {},
    });
  });

  it("409 for a name already taken", async () => {
    const { name } = await createProvider();
    await expectAdminError(await adminFetch("/providers", { body: { name, type: "openai" } }), 409, {
      type: "conflict",
      code: "provider_name_taken",
    });
  });

  const valid = { name: "valid-name", type: "openai-compatible", base_url: "https://llm.example.com/v1" };
  it.each([
    ["name missing", { ...valid, name: undefined }, "name", /required/],
    ["a name with a slash", { ...valid, name: "openai/main" }, "name", /a-z, 0-9/],
    ["a name in upper case", { ...valid, name: "OpenAI" }, "name", /a-z/],
    ["a name starting with a dash", { ...valid, name: "-x" }, "name", /starting with a letter or digit/],
    ["a name of 64 characters", { ...valid, name: "a".repeat(64) }, "name", /1 to 63/],
    ["an unknown type", { ...valid, type: "openai-ish" }, "type", /must be one of .*"openai-compatible"/],
    ["type missing", { ...valid, type: undefined }, "type", /required/],
    ["a relative base_url", { ...valid, base_url: "/v1" }, "base_url", /absolute http\(s\) URL/],
    ["an ftp base_url", { ...valid, base_url: "ftp://llm.example.com" }, "base_url", /absolute http\(s\) URL/],
    [
      "no base_url for openai-compatible",
      { ...valid, base_url: undefined },
      "base_url",
      /required for type openai-compatible/,
    ],
    ["no base_url for azure", { ...valid, type: "azure", base_url: null }, "base_url", /required for type azure/],
    [
      "both api_key and api_key_secret",
      { ...valid, api_key: "sk-1", api_key_secret: "OPENAI_KEY" },
      "api_key_secret",
      /not both/,
    ],
    ["an empty api_key", { ...valid, api_key: "" }, "api_key", /at least 1/],
    ["an api_key that is not a string", { ...valid, api_key: 12345 }, "api_key", /must be a string/],
    ["a lower-case api_key_secret", { ...valid, api_key_secret: "openai_key" }, "api_key_secret", /Worker secret/],
    ["models not an array", { ...valid, models: "gpt-4o" }, "models", /must be an array, not a string/],
    ["an empty model id", { ...valid, models: ["ok", ""] }, "models[1]", /at least 1/],
    [
      "a price as a number",
      { ...valid, prices: { m: { input_per_mtok: 0.15, output_per_mtok: "1" } } },
      "prices.m.input_per_mtok",
      /must be a string/,
    ],
    [
      "a price that is not a decimal",
      { ...valid, prices: { m: { input_per_mtok: "1e-3", output_per_mtok: "1" } } },
      "prices.m.input_per_mtok",
      /decimal string/,
    ],
    [
      "a price missing output",
      { ...valid, prices: { m: { input_per_mtok: "1" } } },
      "prices.m.output_per_mtok",
      /required/,
    ],
    [
      "an unknown price field",
      { ...valid, prices: { m: { input_per_mtok: "1", output_per_mtok: "1", per_image: "2" } } },
      "prices.m.per_image",
      /unknown field/,
    ],
    [
      "a price for an empty model id",
      { ...valid, prices: { "": { input_per_mtok: "1", output_per_mtok: "1" } } },
      "prices",
      /invalid key "": it must be at least 1 character long/,
    ],
    ["settings not an object", { ...valid, settings: [] }, "settings", /must be a JSON object/],
    ["an unknown field", { ...valid, apiKey: "sk-1" }, "apiKey", /unknown field "apiKey"/],
    ["the mock type outside development", { ...valid, type: "mock" }, "type", /ENVIRONMENT=development/],
  ])("400 for %s, naming the field", async (_, body, param, message) => {
    const res = await adminFetch("/providers", {
      body: { ...body, name: body.name === "valid-name" ? uniqueName("p") : body.name },
    });
    const text = await expectInvalid(res, param);
    expect(text).toMatch(message);
    expect(text).not.toContain("sk-1");
  });

  it("allows the mock type in development", async () => {
    const request = adminRequest("/providers", { body: { name: uniqueName("mock"), type: "mock" } });
    const { response } = await fetchWithEnv(request, { ENVIRONMENT: "development" });
    expect(response.status).toBe(201);
  });
});

describe("GET /providers and /providers/:id", () => {
  it("lists bindings newest first without keys", async () => {
    const a = await createProvider({ api_key: API_KEY, api_key_secret: undefined });
    const b = await createProvider();
    const reply = await adminCall<{ data: ProviderReply[] }>("/providers?limit=1000");
    expect(reply.status).toBe(200);
    const names = reply.body.data.map((p) => p.name);
    expect(names.indexOf(b.name)).toBeLessThan(names.indexOf(a.name));
    expect(names.indexOf(b.name)).toBeGreaterThanOrEqual(0);
    expect(reply.body.data.find((p) => p.id === a.id)?.has_api_key).toBe(true);
    expectNoSecrets(reply.text, [API_KEY]);
  });

  it("gets one by id and by name, without the key", async () => {
    const provider = await createProvider({ api_key: API_KEY, api_key_secret: undefined });
    for (const ref of [provider.id, provider.name]) {
      const reply = await adminCall<ProviderReply>(`/providers/${ref}`);
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual(provider);
      expectNoSecrets(reply.text, [API_KEY]);
    }
  });

  it("404 for an unknown id or name", async () => {
    for (const ref of ["prv_01HZZZZZZZZZZZZZZZZZZZZZZZ", "no-such-provider"]) {
      const error = await expectAdminError(await adminFetch(`/providers/${ref}`), 404, {
        type: "not_found",
        code: "provider_not_found",
      });
      expect(error.message).toContain(ref);
    }
  });
});

describe("PATCH /providers/:id", () => {
  it("replaces the fields given and keeps the others; bumps revision", async () => {
    const provider = await createProvider({ models: ["a"], settings: { x: 1 } });
    const reply = await adminCall<ProviderReply>(`/providers/${provider.name}`, {
      method: "PATCH",
      body: { models: ["b", "c"], base_url: "https://other.example.com/v1" },
    });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body).toMatchObject({
      models: ["b", "c"],
      base_url: "https://other.example.com/v1",
      settings: { x: 1 },
      revision: 2,
    });
    expect((await adminCall<ProviderReply>(`/providers/${provider.id}`)).body).toEqual(reply.body);
  });

  it("sets, replaces and clears the stored key, never echoing it", async () => {
    const provider = await createProvider({ api_key_secret: undefined, api_key: API_KEY });
    const replaced = "sk-replacement-key-9876543210";
    const set = await adminCall<ProviderReply>(`/providers/${provider.id}`, {
      method: "PATCH",
      body: { api_key: replaced },
    });
    expect(set.body.has_api_key).toBe(true);
    expectNoSecrets(set.text, [API_KEY, replaced]);
    expect(
      await unseal(env.LW_GATEWAY_JWT_SECRET, "provider-key", (await storedRow(provider.id))?.api_key_ciphertext ?? ""),
    ).toBe(replaced);

    const cleared = await adminCall<ProviderReply>(`/providers/${provider.id}`, {
      method: "PATCH",
      body: { api_key: null },
    });
    expect(cleared.body.has_api_key).toBe(false);
    expect((await storedRow(provider.id))?.api_key_ciphertext).toBeNull();
  });

  it("switches from a stored key to a Worker secret when the key is cleared in the same patch", async () => {
    const provider = await createProvider({ api_key_secret: undefined, api_key: API_KEY });
    const refused = await adminFetch(`/providers/${provider.id}`, {
      method: "PATCH",
      body: { api_key_secret: "OTHER_KEY" },
    });
    expect(await expectInvalid(refused, "api_key_secret")).toMatch(/not both/);
    const reply = await adminCall<ProviderReply>(`/providers/${provider.id}`, {
      method: "PATCH",
      body: { api_key_secret: "OTHER_KEY", api_key: null },
    });
    expect(reply.body).toMatchObject({ api_key_secret: "OTHER_KEY", has_api_key: false });
  });

  it("400 when renaming, and the binding keeps its name", async () => {
    const provider = await createProvider();
    const message = await expectInvalid(
      await adminFetch(`/providers/${provider.id}`, { method: "PATCH", body: { name: "renamed" } }),
      "name",
    );
    expect(message).toMatch(/cannot be renamed/);
    expect((await adminCall<ProviderReply>(`/providers/${provider.id}`)).body.name).toBe(provider.name);
  });

  it("accepts its own name unchanged", async () => {
    const provider = await createProvider();
    const reply = await adminCall<ProviderReply>(`/providers/${provider.id}`, {
      method: "PATCH",
      body: { name: provider.name, models: ["m"] },
    });
    expect(reply.status).toBe(200);
    expect(reply.body.models).toEqual(["m"]);
  });

  it.each([
    ["clearing base_url of openai-compatible", { base_url: null }, "base_url"],
    ["an unknown type", { type: "nope" }, "type"],
    ["an unknown field", { url: "https://x" }, "url"],
    ["bad settings", { settings: "x" }, "settings"],
  ])("400 for %s", async (_, body, param) => {
    const provider = await createProvider();
    await expectInvalid(await adminFetch(`/providers/${provider.id}`, { method: "PATCH", body }), param);
  });

  it("404 for an unknown provider", async () => {
    await expectAdminError(await adminFetch("/providers/nobody-here", { method: "PATCH", body: { models: [] } }), 404, {
      type: "not_found",
      code: "provider_not_found",
    });
  });
});

describe("DELETE /providers/:id", () => {
  it("deletes an unused binding by name: 204, then 404", async () => {
    const provider = await createProvider();
    expect((await adminFetch(`/providers/${provider.name}`, { method: "DELETE" })).status).toBe(204);
    expect((await adminFetch(`/providers/${provider.id}`)).status).toBe(404);
  });

  it("409 naming the keys whose chain still uses it; allowed once they are revoked", async () => {
    const provider = await createProvider();
    const key = await createKey({ config: { providers: [provider.name] } });
    const error = await expectAdminError(await adminFetch(`/providers/${provider.id}`, { method: "DELETE" }), 409, {
      type: "conflict",
      code: "provider_in_use",
    });
    expect(error.message).toContain(key.id);
    expect((await adminFetch(`/virtual-keys/${key.id}/revoke`, { method: "POST" })).status).toBe(200);
    expect((await adminFetch(`/providers/${provider.id}`, { method: "DELETE" })).status).toBe(204);
  });

  it("is not blocked by a key whose stored config is not JSON", async () => {
    const provider = await createProvider();
    const key = await createKey();
    await env.DB.prepare("UPDATE virtual_keys SET config = '{not json' WHERE id = ?").bind(key.id).run();
    try {
      expect((await adminFetch(`/providers/${provider.id}`, { method: "DELETE" })).status).toBe(204);
    } finally {
      await env.DB.prepare("UPDATE virtual_keys SET config = '{}', status = 'revoked' WHERE id = ?").bind(key.id).run();
    }
  });

  it("404 for an unknown provider", async () => {
    await expectAdminError(await adminFetch("/providers/nobody-here", { method: "DELETE" }), 404, {
      type: "not_found",
      code: "provider_not_found",
    });
  });
});

describe("audit", () => {
  it("records create, update and delete with field names only, never the key", async () => {
    const provider = await createProvider({ api_key_secret: undefined, api_key: API_KEY });
    await adminFetch(`/providers/${provider.id}`, {
      method: "PATCH",
      body: { api_key: "sk-second-secret-value", models: ["x"] },
    });
    await adminFetch(`/providers/${provider.id}`, { method: "DELETE" });
    const entries = await auditFor(provider.id);
    expect(entries.map((e) => e.action)).toEqual(["provider.delete", "provider.update", "provider.create"]);
    expect(entries[1]?.detail).toEqual({ name: provider.name, fields: ["api_key", "models"] });
    expect(entries[2]?.detail).toMatchObject({ name: provider.name, type: "openai-compatible" });
    const { results } = await env.DB.prepare("SELECT detail FROM audit_log WHERE target_id = ?")
      .bind(provider.id)
      .all<{ detail: string }>();
    for (const { detail } of results) {
      expect(detail).not.toContain(API_KEY);
      expect(detail).not.toContain("sk-second-secret-value");
    }
  });
});
