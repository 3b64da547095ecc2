import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { deleteStoredBundle, readStoredBundle, writeStoredBundle } from "../../src/auth/bundle-store";
import { bundleKvKey } from "../../src/contract/storage-names";
import { BUNDLE_SOFT_TTL_MS } from "../../src/control-plane/bundles";
import { type KeyBundle } from "../../src/contract/bundle";
import { parseVkConfig } from "../../src/contract/vk-config";
import { seal } from "../../src/crypto/seal";
import { ulid } from "../../src/lib/ids";

/** src/auth/bundle-store.ts: sealed bundles in KV under vk:<hash>, checked on the way out. */

const SECRET = "jwt-secret-for-store-tests-0123456789";
const kv = env.AUTH_CACHE;

function hash(): string {
  return `h${ulid().toLowerCase()}`;
}

function bundle(overrides: Partial<KeyBundle> = {}): KeyBundle {
  const now = Date.now();
  return {
    vk: {
      id: `vk_${ulid()}`,
      name: "k",
      environment: "test",
      displayPrefix: "lw_vk_test_01ABC",
      principalId: null,
      status: "active",
      expiresAt: null,
    },
    project: { id: `prj_${ulid()}`, name: "p" },
    config: parseVkConfig({ providers: ["one"] }),
    providers: [
      {
        id: "prv_1",
        name: "one",
        type: "openai",
        baseUrl: null,
        apiKeySecret: null,
        apiKey: "sk-provider-secret-value",
        models: [],
        prices: {},
        settings: {},
      },
    ],
    budgets: [],
    revision: "1.1.1.",
    builtAt: now,
    softExpiresAt: now + BUNDLE_SOFT_TTL_MS,
    secretExpiresAt: null,
    ...overrides,
  };
}

describe("bundle store", () => {
  it("keys entries vk:<hash>", () => {
    expect(bundleKvKey("abc123")).toBe("vk:abc123");
  });

  it("writes a sealed value and reads the same bundle back", async () => {
    const h = hash();
    const b = bundle();
    await writeStoredBundle(kv, SECRET, h, b, Date.now());
    const raw = await kv.get(bundleKvKey(h));
    expect(raw?.split(".")).toHaveLength(5);
    expect(raw).not.toContain("sk-provider-secret-value");
    expect(await readStoredBundle(kv, SECRET, h)).toEqual({ kind: "hit", bundle: b });
  });

  it("a missing entry is a miss", async () => {
    expect(await readStoredBundle(kv, SECRET, hash())).toEqual({ kind: "miss" });
  });

  it("deletes", async () => {
    const h = hash();
    await writeStoredBundle(kv, SECRET, h, bundle(), Date.now());
    await deleteStoredBundle(kv, h);
    expect(await kv.get(bundleKvKey(h))).toBeNull();
  });

  it("refuses a tampered value", async () => {
    const h = hash();
    await writeStoredBundle(kv, SECRET, h, bundle(), Date.now());
    const parts = ((await kv.get(bundleKvKey(h))) ?? "").split(".");
    const tag = parts[4] ?? "";
    parts[4] = (tag.startsWith("A") ? "B" : "A") + tag.slice(1);
    await kv.put(bundleKvKey(h), parts.join("."));
    expect(await readStoredBundle(kv, SECRET, h)).toMatchObject({ kind: "invalid" });
  });

  it("refuses a plaintext JSON value", async () => {
    const h = hash();
    await kv.put(bundleKvKey(h), JSON.stringify({ v: 1, hash: h, bundle: bundle() }));
    expect(await readStoredBundle(kv, SECRET, h)).toMatchObject({ kind: "invalid" });
  });

  it("refuses a value sealed under another JWT secret", async () => {
    const h = hash();
    await writeStoredBundle(kv, `${SECRET}-old`, h, bundle(), Date.now());
    expect(await readStoredBundle(kv, SECRET, h)).toMatchObject({ kind: "invalid" });
  });

  it("refuses a value stored under another hash than the one it was sealed for", async () => {
    const a = hash();
    const b = hash();
    await writeStoredBundle(kv, SECRET, a, bundle(), Date.now());
    await kv.put(bundleKvKey(b), (await kv.get(bundleKvKey(a))) ?? "");
    expect(await readStoredBundle(kv, SECRET, b)).toEqual({
      kind: "invalid",
      reason: expect.stringContaining("another key hash") as string,
    });
  });

  it("refuses a sealed value in an unknown format (e.g. an older deployment's bundle)", async () => {
    const h = hash();
    const { revision: _dropped, ...old } = bundle();
    await kv.put(bundleKvKey(h), await seal(SECRET, "auth-bundle", JSON.stringify({ v: 1, hash: h, bundle: old })));
    expect(await readStoredBundle(kv, SECRET, h)).toEqual({
      kind: "invalid",
      reason: expect.stringContaining("format") as string,
    });
  });

  it("gives an old secret's entry a KV expiration at the end of its grace (never under KV's 60 s minimum)", async () => {
    const now = Date.now();
    const far = hash();
    await writeStoredBundle(kv, SECRET, far, bundle({ secretExpiresAt: now + 3_600_000 }), now);
    const soon = hash();
    await writeStoredBundle(kv, SECRET, soon, bundle({ secretExpiresAt: now + 5_000 }), now);
    const current = hash();
    await writeStoredBundle(kv, SECRET, current, bundle(), now);
    const { keys } = await kv.list({ prefix: "vk:h" });
    const expiration = (h: string) => keys.find((k) => k.name === bundleKvKey(h))?.expiration;
    expect(expiration(far)).toBe(Math.ceil((now + 3_600_000) / 1000));
    expect(expiration(soon)).toBe(Math.ceil(now / 1000) + 60);
    expect(expiration(current)).toBeUndefined();
  });
});
