import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { generateSecret } from "../../src/auth/keys";
import { refreshBundles, WRITE_SKEW_MS } from "../../src/control-plane/refresh";
import { CURSOR_KEY, WATERMARK_KEY } from "../../src/contract/storage-names";
import worker from "../../src/index";
import { PUBLISH_INLINE_LIMIT, publishKeys } from "../../src/control-plane/publish";
import { ulid } from "../../src/lib/ids";
import { createLogger } from "../../src/lib/log";
import { callModels, logLines, rawKvValue, secretHash, testConfig } from "../helpers/control-plane";
import { seedFakeProvider, seedKey } from "../helpers/seed";

/**
 * The cron's bundle refresh (issue 3 item 4): what it republishes, deletes and remembers. Time is
 * passed in explicitly (`now`), and the rows' `updated_at` are set by hand around a watermark W.
 */

afterEach(() => vi.restoreAllMocks());

const log = createLogger({ test: "cron-refresh" });
let W = 0;

async function setWatermark(at: number): Promise<void> {
  await env.DB.batch([
    env.DB.prepare(
      "INSERT INTO control_plane_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    ).bind(WATERMARK_KEY, String(at)),
    env.DB.prepare("DELETE FROM control_plane_state WHERE key = ?").bind(CURSOR_KEY),
  ]);
}

async function watermark(): Promise<number> {
  const row = await env.DB.prepare("SELECT value FROM control_plane_state WHERE key = ?")
    .bind(WATERMARK_KEY)
    .first<{ value: string }>();
  return Number(row?.value ?? 0);
}

const touch = (table: "virtual_keys" | "projects" | "providers", column: "id" | "name", value: string, at: number) =>
  env.DB.prepare(`UPDATE ${table} SET updated_at = ?, revision = revision + 1 WHERE ${column} = ?`)
    .bind(at, value)
    .run();

/** Everything already in D1 counts as seen: every row is older than W, and the watermark is W. */
async function settleEverythingBefore(at: number): Promise<void> {
  await env.DB.batch([
    env.DB.prepare("UPDATE virtual_keys SET updated_at = ? WHERE updated_at >= ?").bind(at - 1_000, at),
    env.DB.prepare("UPDATE projects SET updated_at = ? WHERE updated_at >= ?").bind(at - 1_000, at),
    env.DB.prepare("UPDATE providers SET updated_at = ? WHERE updated_at >= ?").bind(at - 1_000, at),
  ]);
  await setWatermark(at);
}

const run = (now: number, page?: number) => refreshBundles(env, testConfig(), log, now, page);

beforeEach(() => {
  W = Date.now() + 10 * 60_000;
});

describe("cron bundle refresh", () => {
  it("republishes exactly the keys whose own row, project or chain provider changed since the watermark", async () => {
    const shared = await seedFakeProvider();
    const ownRow = await seedKey();
    const viaProject = await seedKey();
    const viaProvider = await seedKey({ config: { providers: [await seedFakeProvider(), shared] } });
    const untouched = await seedKey({ config: { providers: [await seedFakeProvider()] } });
    await settleEverythingBefore(W);

    await touch("virtual_keys", "id", ownRow.id, W + 1_000);
    await touch("projects", "id", viaProject.projectId, W + 2_000);
    await touch("providers", "name", shared, W + 3_000);

    const result = await run(W + 60_000);
    expect(result).toMatchObject({ keys: 3, published: 3, deleted: 0, more: false, watermark: W + 3_000 });
    for (const k of [ownRow, viaProject, viaProvider]) expect(await rawKvValue(k.secret)).not.toBeNull();
    expect(await rawKvValue(untouched.secret)).toBeNull();
    expect(await watermark()).toBe(W + 3_000);
  });

  it("is safe to run twice: the second run finds nothing and changes nothing", async () => {
    const k = await seedKey();
    await settleEverythingBefore(W);
    await touch("virtual_keys", "id", k.id, W + 1_000);
    expect((await run(W + 60_000)).keys).toBe(1);
    const stored = await rawKvValue(k.secret);
    const second = await run(W + 60_000);
    expect(second).toMatchObject({ keys: 0, published: 0, deleted: 0, expiredSecrets: 0, watermark: W + 1_000 });
    expect(await rawKvValue(k.secret)).toBe(stored);
  });

  it("deletes revoked keys from KV", async () => {
    const k = await seedKey();
    expect((await callModels(k.secret)).status).toBe(200);
    expect(await rawKvValue(k.secret)).not.toBeNull();
    await settleEverythingBefore(W);
    await env.DB.prepare("UPDATE virtual_keys SET status = 'revoked', revoked_at = ?1, updated_at = ?1 WHERE id = ?2")
      .bind(W + 1_000, k.id)
      .run();
    expect(await run(W + 60_000)).toMatchObject({ keys: 1, published: 0, deleted: 1 });
    expect(await rawKvValue(k.secret)).toBeNull();
  });

  it("deletes old secrets past their grace from KV and D1, and keeps those still in grace", async () => {
    const k = await seedKey();
    const expired = generateSecret("test");
    const inGrace = generateSecret("test");
    await env.DB.batch([
      env.DB.prepare("INSERT INTO virtual_key_old_secrets (secret_hash, vk_id, expires_at) VALUES (?, ?, ?)").bind(
        await secretHash(expired),
        k.id,
        W + 30_000,
      ),
      env.DB.prepare("INSERT INTO virtual_key_old_secrets (secret_hash, vk_id, expires_at) VALUES (?, ?, ?)").bind(
        await secretHash(inGrace),
        k.id,
        W + 600_000,
      ),
    ]);
    await settleEverythingBefore(W);
    await touch("virtual_keys", "id", k.id, W + 1_000);
    // Published while both were in grace: three entries.
    expect(await run(W + 20_000)).toMatchObject({ keys: 1, published: 3, expiredSecrets: 0 });
    expect(await rawKvValue(expired)).not.toBeNull();

    const result = await run(W + 60_000);
    expect(result.expiredSecrets).toBe(1);
    expect(await rawKvValue(expired)).toBeNull();
    expect(await rawKvValue(inGrace)).not.toBeNull();
    const rows = await env.DB.prepare("SELECT secret_hash FROM virtual_key_old_secrets WHERE vk_id = ?")
      .bind(k.id)
      .all<{ secret_hash: string }>();
    expect(rows.results.map((r) => r.secret_hash)).toEqual([await secretHash(inGrace)]);
    expect((await run(W + 60_000)).expiredSecrets).toBe(0);
  });

  it("pages through a large change over several runs with a cursor, then advances the watermark", async () => {
    const provider = await seedFakeProvider();
    const keys = [];
    for (let i = 0; i < 5; i++) keys.push(await seedKey({ config: { providers: [provider] } }));
    await settleEverythingBefore(W);
    await touch("providers", "name", provider, W + 1_000);

    const first = await run(W + 60_000, 2);
    expect(first).toMatchObject({ keys: 2, more: true, watermark: W });
    expect(await watermark()).toBe(W);
    expect((await run(W + 60_000, 2)).keys).toBe(2);
    const last = await run(W + 60_000, 2);
    expect(last).toMatchObject({ keys: 1, more: false, watermark: W + 1_000 });
    for (const k of keys) expect(await rawKvValue(k.secret)).not.toBeNull();
    expect((await run(W + 60_000, 2)).keys).toBe(0);
  });

  it("publishes up to 200 keys inline and leaves the rest of a large write to the cron", async () => {
    const provider = await seedFakeProvider();
    const projectId = `prj_${ulid()}`;
    const now = Date.now();
    const keys = await Promise.all(
      Array.from({ length: PUBLISH_INLINE_LIMIT + 3 }, async () => {
        const secret = generateSecret("test");
        return { id: `vk_${ulid()}`, secret, hash: await secretHash(secret) };
      }),
    );
    await env.DB.batch([
      env.DB.prepare("INSERT INTO projects (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)").bind(
        projectId,
        `bulk-${projectId}`,
        now,
        now,
      ),
      ...keys.map((k) =>
        env.DB.prepare(
          `INSERT INTO virtual_keys (id, project_id, name, environment, display_prefix, secret_hash, config, created_at, updated_at)
           VALUES (?, ?, 'bulk', 'test', ?, ?, ?, ?, ?)`,
        ).bind(k.id, projectId, k.secret.slice(0, 16), k.hash, JSON.stringify({ providers: [provider] }), now, now),
      ),
    ]);
    await settleEverythingBefore(W);
    await touch("providers", "name", provider, W + 1_000);

    const published = await publishKeys(env, testConfig(), { providerNames: [provider] });
    expect(published).toMatchObject({ published: PUBLISH_INLINE_LIMIT, deferred: 3, failed: 0 });
    const stored = async () =>
      (await Promise.all(keys.map((k) => rawKvValue(k.secret)))).filter((v) => v !== null).length;
    expect(await stored()).toBe(PUBLISH_INLINE_LIMIT);

    expect(await run(W + 60_000)).toMatchObject({ keys: PUBLISH_INLINE_LIMIT + 3, more: false });
    expect(await stored()).toBe(PUBLISH_INLINE_LIMIT + 3);
  });

  it("never moves the watermark past the run's start minus the write skew", async () => {
    const k = await seedKey();
    await settleEverythingBefore(W);
    await touch("virtual_keys", "id", k.id, W + 1_000);
    // The run starts 2 s after the change, within the skew: a write stamped just before the change
    // may not have committed yet, so the watermark stays where it was.
    expect(WRITE_SKEW_MS).toBeGreaterThan(3_000);
    const result = await run(W + 3_000);
    expect(result).toMatchObject({ keys: 1, watermark: W });
    // A write stamped before the change above, landing late, is still picked up by the next run.
    const late = await seedKey();
    await touch("virtual_keys", "id", late.id, W + 500);
    expect((await run(W + 60_000)).keys).toBeGreaterThanOrEqual(1);
    expect(await rawKvValue(late.secret)).not.toBeNull();
  });
});

describe("scheduled handler", () => {
  it("logs the readiness heartbeat and the bundle refresh", async () => {
    const info = vi.spyOn(console, "log");
    await worker.scheduled(createScheduledController({ cron: "* * * * *" }), env);
    expect(logLines(info, "cron_readiness")).toEqual([expect.objectContaining({ status: "ok", cron: "* * * * *" })]);
    expect(logLines(info, "cron_bundle_refresh")).toEqual([
      expect.objectContaining({
        cron: "* * * * *",
        keys: expect.any(Number) as number,
        watermark: expect.any(Number) as number,
      }),
    ]);
  });
});
