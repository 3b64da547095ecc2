import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { clearBundleCache } from "../../src/auth/bundle-cache";
import { bundleKvKey } from "../../src/contract/storage-names";
import { generateSecret } from "../../src/auth/keys";
import { publishKeys } from "../../src/control-plane/publish";
import { seal } from "../../src/crypto/seal";
import { ulid } from "../../src/lib/ids";
import {
  callModels,
  countingDb,
  countingKv,
  failingDb,
  logLines,
  rawKvValue,
  secretHash,
  testConfig,
} from "../helpers/control-plane";
import { fakeBaseUrl, installFakeUpstream, recorded } from "../helpers/fake-upstream";
import { fetchWithEnv, GATEWAY, readOpenAIError, USER_MESSAGE } from "../helpers/gateway";
import { seedFakeProvider, seedKey } from "../helpers/seed";

/**
 * Key resolution through the isolate LRU, KV and D1 (issue 3): what is stored where, sealed how, and
 * when each layer is asked. Stale-while-error is in auth-cache-stale.test.ts.
 */

beforeEach(() => installFakeUpstream());
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const STORED_PROVIDER_KEY = "sk-stored-in-d1-0123456789";

/** A provider binding whose key is stored sealed in D1 (api_key_ciphertext), pointing at the fake. */
async function seedSealedProvider(apiKey = STORED_PROVIDER_KEY): Promise<string> {
  const name = `sealed-${ulid().slice(-8).toLowerCase()}`;
  const now = Date.now();
  await env.DB.prepare(
    `INSERT INTO providers (id, name, type, base_url, api_key_ciphertext, models, created_at, updated_at)
     VALUES (?, ?, 'openai-compatible', ?, ?, '[]', ?, ?)`,
  )
    .bind(`prv_${ulid()}`, name, fakeBaseUrl(), await seal(env.LW_GATEWAY_JWT_SECRET, "provider-key", apiKey), now, now)
    .run();
  return name;
}

async function chat(secret: string, overrides: Record<string, unknown> = {}): Promise<Response> {
  const request = new Request(`${GATEWAY}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "gpt-4o-mini", messages: USER_MESSAGE }),
  });
  const { response, settled } = await fetchWithEnv(request, overrides);
  await settled();
  return response;
}

function freezeTime(at: number): void {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(at);
}

describe("bundles in KV", () => {
  it("the first request builds the bundle from D1 and stores it sealed under vk:<hash>", async () => {
    const { secret } = await seedKey({ config: { providers: [await seedSealedProvider()] } });
    expect(await rawKvValue(secret)).toBeNull();
    expect((await callModels(secret)).status).toBe(200);
    const raw = await rawKvValue(secret);
    expect(raw).not.toBeNull();
    // A compact JWE: five base64url parts, not JSON, and nothing readable inside.
    expect(raw?.split(".")).toHaveLength(5);
    expect(() => JSON.parse(raw ?? "") as unknown).toThrow();
    expect(raw).not.toContain(STORED_PROVIDER_KEY);
    expect(raw).not.toContain(btoa(STORED_PROVIDER_KEY).replace(/=+$/, ""));
    expect(raw).not.toContain(secret);
  });

  it("calls the provider with the key decrypted from D1's api_key_ciphertext", async () => {
    const { secret } = await seedKey({ config: { providers: [await seedSealedProvider()] } });
    const res = await chat(secret);
    expect(res.status).toBe(200);
    expect(recorded[0]?.headers.authorization).toBe(`Bearer ${STORED_PROVIDER_KEY}`);
  });

  it("a key held only in KV serves with D1 down (another isolate: empty LRU)", async () => {
    const { secret } = await seedKey({ config: { providers: [await seedSealedProvider()] } });
    expect((await chat(secret)).status).toBe(200);
    clearBundleCache();
    const down = failingDb();
    const res = await chat(secret, { DB: down.db });
    expect(res.status).toBe(200);
    expect(down.calls()).toBe(0);
    expect(recorded.at(-1)?.headers.authorization).toBe(`Bearer ${STORED_PROVIDER_KEY}`);
  });

  it("a tampered KV value is refused and rebuilt from D1", async () => {
    const { secret } = await seedKey({ config: { providers: [await seedSealedProvider()] } });
    await callModels(secret);
    const key = bundleKvKey(await secretHash(secret));
    const raw = (await env.AUTH_CACHE.get(key)) ?? "";
    const parts = raw.split(".");
    const ciphertext = parts[3] ?? "";
    parts[3] = (ciphertext.startsWith("A") ? "B" : "A") + ciphertext.slice(1);
    await env.AUTH_CACHE.put(key, parts.join("."));
    clearBundleCache();

    const warn = vi.spyOn(console, "warn");
    const db = countingDb();
    expect((await callModels(secret, { DB: db.db })).status).toBe(200);
    expect(db.calls()).toBeGreaterThan(0);
    expect(logLines(warn, "auth_cache_kv_invalid")).toHaveLength(1);
    const rewritten = await env.AUTH_CACHE.get(key);
    expect(rewritten).not.toBe(parts.join("."));
    expect(rewritten?.split(".")).toHaveLength(5);
  });

  it("a tampered KV value with D1 down is a 503, never a served bundle", async () => {
    const { secret } = await seedKey();
    await callModels(secret);
    await env.AUTH_CACHE.put(bundleKvKey(await secretHash(secret)), "not.a.valid.jwe.value");
    clearBundleCache();
    const res = await callModels(secret, { DB: failingDb().db });
    expect(res.status).toBe(503);
    expect(await readOpenAIError(res)).toMatchObject({
      type: "service_unavailable",
      code: "control_plane_unavailable",
    });
  });

  it("a bundle copied under another key's hash is refused (the sealed payload names its hash)", async () => {
    const a = await seedKey();
    const b = await seedKey();
    await callModels(a.secret);
    await callModels(b.secret);
    const aValue = await rawKvValue(a.secret);
    await env.AUTH_CACHE.put(bundleKvKey(await secretHash(b.secret)), aValue ?? "");
    clearBundleCache();
    const warn = vi.spyOn(console, "warn");
    // With D1 up, b is rebuilt from D1 as itself; with D1 down it would be a 503, never a's bundle.
    const res = await callModels(b.secret);
    expect(res.status).toBe(200);
    expect(logLines(warn, "auth_cache_kv_invalid")[0]?.reason).toContain("another key hash");
    clearBundleCache();
    await env.AUTH_CACHE.put(bundleKvKey(await secretHash(b.secret)), aValue ?? "");
    expect((await callModels(b.secret, { DB: failingDb().db })).status).toBe(503);
  });
});

describe("isolate LRU", () => {
  it("a hot key costs no I/O for 5 s, then one KV read and no D1", async () => {
    const { secret } = await seedKey();
    const t0 = Date.now();
    freezeTime(t0);
    const db = countingDb();
    const kv = countingKv();
    const stores = { DB: db.db, AUTH_CACHE: kv.kv };
    expect((await callModels(secret, stores)).status).toBe(200);
    const afterFirst = { db: db.calls(), kv: kv.reads() };
    expect(afterFirst.db).toBeGreaterThan(0);
    for (let i = 0; i < 5; i++) expect((await callModels(secret, stores)).status).toBe(200);
    expect({ db: db.calls(), kv: kv.reads() }).toEqual(afterFirst);

    vi.setSystemTime(t0 + 5_001);
    expect((await callModels(secret, stores)).status).toBe(200);
    expect(kv.reads()).toBe(afterFirst.kv + 1);
    expect(db.calls()).toBe(afterFirst.db);
  });

  it("a key revoked through another isolate stops here within 5 s (its KV entry is gone)", async () => {
    const { secret, id } = await seedKey();
    const t0 = Date.now();
    freezeTime(t0);
    expect((await callModels(secret)).status).toBe(200);
    // Another isolate (or colo) revoked it: D1 updated, KV entry deleted; this isolate's LRU still has it.
    await env.DB.prepare("UPDATE virtual_keys SET status = 'revoked', updated_at = ? WHERE id = ?").bind(t0, id).run();
    await env.AUTH_CACHE.delete(bundleKvKey(await secretHash(secret)));
    vi.setSystemTime(t0 + 4_000);
    expect((await callModels(secret)).status).toBe(200);
    vi.setSystemTime(t0 + 5_001);
    expect((await readOpenAIError(await callModels(secret))).code).toBe("revoked_key");
  });

  it("unknown keys are cached negatively for 5 s: a second bad request does not touch D1", async () => {
    const secret = generateSecret("live");
    const t0 = Date.now();
    freezeTime(t0);
    const db = countingDb();
    const first = await callModels(secret, { DB: db.db });
    expect(first.status).toBe(401);
    const afterFirst = db.calls();
    expect(afterFirst).toBeGreaterThan(0);

    vi.setSystemTime(t0 + 4_000);
    const second = await callModels(secret, { DB: db.db });
    expect(second.status).toBe(401);
    expect((await readOpenAIError(second)).code).toBe("unknown_key");
    expect(db.calls()).toBe(afterFirst);
    // Never in KV.
    expect(await rawKvValue(secret)).toBeNull();

    vi.setSystemTime(t0 + 5_001);
    expect((await callModels(secret, { DB: db.db })).status).toBe(401);
    expect(db.calls()).toBeGreaterThan(afterFirst);
  });
});

describe("publishKeys", () => {
  it("a revoked key stops at once in this isolate and leaves KV", async () => {
    const { secret, id } = await seedKey();
    expect((await callModels(secret)).status).toBe(200);
    expect(await rawKvValue(secret)).not.toBeNull();
    await env.DB.prepare(
      "UPDATE virtual_keys SET status = 'revoked', revoked_at = ?1, updated_at = ?1, revision = revision + 1 WHERE id = ?2",
    )
      .bind(Date.now(), id)
      .run();
    const result = await publishKeys(env, testConfig(), { vkIds: [id] });
    expect(result).toMatchObject({ published: 0, deleted: 1, deferred: 0 });

    const res = await callModels(secret);
    expect(res.status).toBe(401);
    expect((await readOpenAIError(res)).code).toBe("revoked_key");
    expect(await rawKvValue(secret)).toBeNull();
    // Another isolate (empty LRU) reaches D1, which says revoked, and does not put it back in KV.
    clearBundleCache();
    const again = await callModels(secret);
    expect((await readOpenAIError(again)).code).toBe("revoked_key");
    expect(await rawKvValue(secret)).toBeNull();
  });

  it("a provider change reaches every key using it, at once", async () => {
    const provider = await seedSealedProvider("sk-old-provider-key-0000");
    const k1 = await seedKey({ config: { providers: [provider] } });
    const k2 = await seedKey({ config: { providers: [await seedFakeProvider(), provider] } });
    const other = await seedKey({ config: { providers: [await seedFakeProvider()] } });
    for (const k of [k1, k2, other]) await callModels(k.secret);
    const otherBefore = await rawKvValue(other.secret);

    await env.DB.prepare(
      "UPDATE providers SET api_key_ciphertext = ?, updated_at = ?, revision = revision + 1 WHERE name = ?",
    )
      .bind(await seal(env.LW_GATEWAY_JWT_SECRET, "provider-key", "sk-new-provider-key-1111"), Date.now(), provider)
      .run();
    const result = await publishKeys(env, testConfig(), { providerNames: [provider] });
    expect(result).toMatchObject({ published: 2, deleted: 0, deferred: 0 });
    expect(await rawKvValue(other.secret)).toBe(otherBefore);

    // Another isolate reads the new bundle from KV, with D1 down.
    clearBundleCache();
    expect((await chat(k1.secret, { DB: failingDb().db })).status).toBe(200);
    expect(recorded.at(-1)?.headers.authorization).toBe("Bearer sk-new-provider-key-1111");
  });

  it("an old secret in grace works until its grace ends, then is evicted (auth_rejection)", async () => {
    const { secret: oldSecret, id } = await seedKey();
    await callModels(oldSecret);
    const t0 = Date.now();
    // Rotate with a 60 s grace, as the admin API does: new hash on the key, old hash set aside.
    const newSecret = generateSecret("test");
    await env.DB.batch([
      env.DB.prepare("INSERT INTO virtual_key_old_secrets (secret_hash, vk_id, expires_at) VALUES (?, ?, ?)").bind(
        await secretHash(oldSecret),
        id,
        t0 + 60_000,
      ),
      env.DB.prepare(
        "UPDATE virtual_keys SET secret_hash = ?, updated_at = ?, revision = revision + 1 WHERE id = ?",
      ).bind(await secretHash(newSecret), t0, id),
    ]);
    expect(await publishKeys(env, testConfig(), { vkIds: [id] })).toMatchObject({ published: 2, deleted: 0 });
    expect((await callModels(newSecret)).status).toBe(200);
    expect((await callModels(oldSecret)).status).toBe(200);

    freezeTime(t0 + 61_000);
    const error = vi.spyOn(console, "error");
    const res = await callModels(oldSecret);
    expect(res.status).toBe(401);
    expect((await readOpenAIError(res)).code).toBe("unknown_key");
    expect(logLines(error, "auth_cache_hard_evict")).toEqual([
      expect.objectContaining({ reason: "auth_rejection", vk_id: id }),
    ]);
    expect(await rawKvValue(oldSecret)).toBeNull();
    expect((await callModels(newSecret)).status).toBe(200);
  });

  it("a rotation with no grace stops the old secret at once (old secret recorded as already expired)", async () => {
    const { secret: oldSecret, id } = await seedKey();
    await callModels(oldSecret);
    const now = Date.now();
    const newSecret = generateSecret("test");
    await env.DB.batch([
      env.DB.prepare("INSERT INTO virtual_key_old_secrets (secret_hash, vk_id, expires_at) VALUES (?, ?, ?)").bind(
        await secretHash(oldSecret),
        id,
        now,
      ),
      env.DB.prepare(
        "UPDATE virtual_keys SET secret_hash = ?, updated_at = ?, revision = revision + 1 WHERE id = ?",
      ).bind(await secretHash(newSecret), now, id),
    ]);
    expect(await publishKeys(env, testConfig(), { vkIds: [id] })).toMatchObject({ published: 1, deleted: 1 });
    expect((await readOpenAIError(await callModels(oldSecret))).code).toBe("unknown_key");
    expect(await rawKvValue(oldSecret)).toBeNull();
    clearBundleCache();
    expect((await readOpenAIError(await callModels(oldSecret))).code).toBe("unknown_key");
    expect((await callModels(newSecret)).status).toBe(200);
  });

  it("a rotation with no grace stops the old secret at once (retiredSecretHashes)", async () => {
    const { secret: oldSecret, id } = await seedKey();
    await callModels(oldSecret);
    const newSecret = generateSecret("test");
    await env.DB.prepare(
      "UPDATE virtual_keys SET secret_hash = ?, updated_at = ?, revision = revision + 1 WHERE id = ?",
    )
      .bind(await secretHash(newSecret), Date.now(), id)
      .run();
    await publishKeys(env, testConfig(), { vkIds: [id], retiredSecretHashes: [await secretHash(oldSecret)] });
    expect((await readOpenAIError(await callModels(oldSecret))).code).toBe("unknown_key");
    expect(await rawKvValue(oldSecret)).toBeNull();
    expect((await callModels(newSecret)).status).toBe(200);
  });
});

describe("invalid stored data", () => {
  it("a stored config that fails validation is a 503 invalid_key_config telling the operator what to fix", async () => {
    const { secret, id } = await seedKey();
    await env.DB.prepare("UPDATE virtual_keys SET config = ? WHERE id = ?")
      .bind(JSON.stringify({ providers: "not-a-list" }), id)
      .run();
    const res = await callModels(secret);
    expect(res.status).toBe(503);
    const error = await readOpenAIError(res);
    expect(error).toMatchObject({ type: "service_unavailable", code: "invalid_key_config" });
    expect(error.message).toContain(id);
    expect(error.message).toContain("providers");
    expect(error.message).toContain(`PATCH /admin/v1/virtual-keys/${id}`);
    expect(error.message).not.toContain("reach");
  });

  it("publishing a key whose stored config is bad removes its KV entry and logs bundle_build_failed", async () => {
    const { secret, id } = await seedKey();
    await callModels(secret);
    await env.DB.prepare("UPDATE virtual_keys SET config = '{not json' WHERE id = ?").bind(id).run();
    const error = vi.spyOn(console, "error");
    expect(await publishKeys(env, testConfig(), { vkIds: [id] })).toMatchObject({ failed: 1, deleted: 1 });
    expect(logLines(error, "bundle_build_failed")).toEqual([
      expect.objectContaining({ vk_id: id, code: "invalid_key_config" }),
    ]);
    expect(await rawKvValue(secret)).toBeNull();
    expect((await readOpenAIError(await callModels(secret))).code).toBe("invalid_key_config");
  });

  it("a provider key that no longer decrypts is a 503 invalid_provider_config naming the provider", async () => {
    const provider = await seedSealedProvider();
    const { secret } = await seedKey({ config: { providers: [provider] } });
    const res = await callModels(secret, { LW_GATEWAY_JWT_SECRET: "another-jwt-secret-0123456789abcdef" });
    expect(res.status).toBe(503);
    const error = await readOpenAIError(res);
    expect(error.code).toBe("invalid_provider_config");
    expect(error.message).toContain(provider);
    expect(error.message).not.toContain(STORED_PROVIDER_KEY);
  });
});
