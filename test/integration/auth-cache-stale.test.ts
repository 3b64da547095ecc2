import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { clearBundleCache } from "../../src/auth/bundle-cache";
import { BUNDLE_SOFT_TTL_MS } from "../../src/control-plane/bundles";
import { callModels, D1_TRANSPORT_ERROR, failingDb, logLines, rawKvValue } from "../helpers/control-plane";
import { readOpenAIError, REQUEST_ID } from "../helpers/gateway";
import { seedKey } from "../helpers/seed";

/**
 * Stale-while-error (issue 3 item 5): D1 unreachable while a cached bundle is past its soft expiry.
 * Time moves with fake Date (the gateway reads Date.now()); D1 is replaced by one whose every query
 * fails like a transport error, while KV and the Durable Objects stay real.
 */

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const MIN = 60_000;

function spies() {
  return { warn: vi.spyOn(console, "warn"), info: vi.spyOn(console, "log"), error: vi.spyOn(console, "error") };
}

/** A key whose bundle was built (and stored in KV) at t0, with the clock frozen at t0. */
async function cachedKey(): Promise<{ secret: string; id: string; t0: number }> {
  const { secret, id } = await seedKey();
  const t0 = Date.now();
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(t0);
  expect((await callModels(secret)).status).toBe(200);
  expect(await rawKvValue(secret)).not.toBeNull();
  return { secret, id, t0 };
}

describe("stale-while-error", () => {
  it("keeps serving a cached key while D1 is down, bumping its soft expiry, and says so in the logs", async () => {
    const { secret, id, t0 } = await cachedKey();
    vi.setSystemTime(t0 + BUNDLE_SOFT_TTL_MS + 1 * MIN);
    const log = spies();
    const res = await callModels(secret, { DB: failingDb().db });
    expect(res.status).toBe(200);

    const [warn] = logLines(log.warn, "auth_cache_refresh_transport_failure");
    expect(warn).toMatchObject({
      level: "warn",
      vk_id: id,
      error: D1_TRANSPORT_ERROR,
      error_class: "transport",
      // default SOFT_BUMP is 5m
      new_soft_expires_at: new Date(t0 + BUNDLE_SOFT_TTL_MS + 6 * MIN).toISOString(),
    });
    expect(warn?.request_id).toMatch(REQUEST_ID);
    const [stale] = logLines(log.info, "auth_cache_serve_stale");
    expect(stale).toMatchObject({ level: "info", vk_id: id });
    expect(stale?.request_id).toBe(warn?.request_id);
    const everything = JSON.stringify([...log.warn.mock.calls, ...log.info.mock.calls, ...log.error.mock.calls]);
    expect(everything).not.toContain(secret);
    expect(logLines(log.error, "auth_cache_hard_evict")).toHaveLength(0);
  });

  it("bumps by SOFT_BUMP without asking D1 in between, up to HARD_GRACE past the original expiry, then 503", async () => {
    const { secret, id, t0 } = await cachedKey();
    const grace = { LW_GATEWAY_AUTH_CACHE_SOFT_BUMP: "5m", LW_GATEWAY_AUTH_CACHE_HARD_GRACE: "12m" };
    const soft = t0 + BUNDLE_SOFT_TTL_MS;
    const cap = soft + 12 * MIN;
    const down = failingDb();
    const call = () => callModels(secret, { ...grace, DB: down.db });
    const log = spies();
    const bumpedTo = () => logLines(log.warn, "auth_cache_refresh_transport_failure").map((l) => l.new_soft_expires_at);

    vi.setSystemTime(soft + 1 * MIN);
    expect((await call()).status).toBe(200);
    expect(bumpedTo()).toEqual([new Date(soft + 6 * MIN).toISOString()]);
    const triedOnce = down.calls();

    // Inside the bump: served from the LRU, then from KV once the LRU entry is older than 5 s; no D1.
    vi.setSystemTime(soft + 5 * MIN);
    expect((await call()).status).toBe(200);
    expect(down.calls()).toBe(triedOnce);
    expect(bumpedTo()).toHaveLength(1);

    // Past the bump: D1 is tried again and the next bump stops at the cap.
    vi.setSystemTime(soft + 8 * MIN);
    expect((await call()).status).toBe(200);
    expect(down.calls()).toBeGreaterThan(triedOnce);
    expect(bumpedTo()).toEqual([new Date(soft + 6 * MIN).toISOString(), new Date(cap).toISOString()]);
    expect(logLines(log.info, "auth_cache_serve_stale")).toHaveLength(2);

    vi.setSystemTime(cap - 1);
    expect((await call()).status).toBe(200);

    vi.setSystemTime(cap);
    const res = await call();
    expect(res.status).toBe(503);
    const error = await readOpenAIError(res);
    expect(error).toMatchObject({ type: "service_unavailable", code: "control_plane_unavailable" });
    expect(logLines(log.error, "auth_cache_hard_evict")).toEqual([
      expect.objectContaining({ level: "error", reason: "hard_cap_exceeded", vk_id: id }),
    ]);
    // Still refused on the next request, and served again as soon as D1 answers.
    expect((await call()).status).toBe(503);
    expect((await callModels(secret, grace)).status).toBe(200);
  });

  it("the bump is per isolate: another isolate holding the same KV bundle serves it too, within the cap", async () => {
    const { secret, t0 } = await cachedKey();
    vi.setSystemTime(t0 + BUNDLE_SOFT_TTL_MS + 1 * MIN);
    clearBundleCache();
    const log = spies();
    expect((await callModels(secret, { DB: failingDb().db })).status).toBe(200);
    expect(logLines(log.warn, "auth_cache_refresh_transport_failure")).toHaveLength(1);
  });

  it("LW_GATEWAY_AUTH_CACHE_HARD_GRACE=0s disables serving stale: 503 at once past the soft expiry", async () => {
    const { secret, id, t0 } = await cachedKey();
    const off = { LW_GATEWAY_AUTH_CACHE_HARD_GRACE: "0s", DB: failingDb().db };
    // Before the soft expiry the bundle is simply fresh, D1 or not.
    vi.setSystemTime(t0 + BUNDLE_SOFT_TTL_MS - 1);
    expect((await callModels(secret, off)).status).toBe(200);

    vi.setSystemTime(t0 + BUNDLE_SOFT_TTL_MS);
    const log = spies();
    const res = await callModels(secret, off);
    expect(res.status).toBe(503);
    expect((await readOpenAIError(res)).code).toBe("control_plane_unavailable");
    expect(logLines(log.warn, "auth_cache_refresh_transport_failure")).toHaveLength(0);
    expect(logLines(log.info, "auth_cache_serve_stale")).toHaveLength(0);
    expect(logLines(log.error, "auth_cache_hard_evict")).toEqual([
      expect.objectContaining({ reason: "hard_cap_exceeded", vk_id: id }),
    ]);
  });

  it("logs auth_cache_hard_evict once per eviction, not on each request refused after it", async () => {
    const { secret, id, t0 } = await cachedKey();
    const off = { LW_GATEWAY_AUTH_CACHE_HARD_GRACE: "0s" };
    const log = spies();
    const evictions = () => logLines(log.error, "auth_cache_hard_evict");
    vi.setSystemTime(t0 + BUNDLE_SOFT_TTL_MS);
    const refused = [];
    for (let i = 0; i < 3; i++) {
      vi.setSystemTime(t0 + BUNDLE_SOFT_TTL_MS + i * 6_000); // past the 5 s LRU each time: KV, then D1
      const res = await callModels(secret, { ...off, DB: failingDb().db });
      expect(res.status).toBe(503);
      refused.push(res.headers.get("x-langwatch-request-id"));
    }
    expect(new Set(refused).size).toBe(3);
    expect(evictions()).toEqual([expect.objectContaining({ reason: "hard_cap_exceeded", vk_id: id })]);
    expect(evictions()[0]?.request_id).toBe(refused[0]);

    // D1 answers: a fresh bundle. When that one is evicted in its turn, that is a new eviction, logged.
    const t1 = t0 + BUNDLE_SOFT_TTL_MS + 20_000;
    vi.setSystemTime(t1);
    expect((await callModels(secret, off)).status).toBe(200);
    vi.setSystemTime(t1 + BUNDLE_SOFT_TTL_MS);
    expect((await callModels(secret, { ...off, DB: failingDb().db })).status).toBe(503);
    vi.setSystemTime(t1 + BUNDLE_SOFT_TTL_MS + 6_000);
    expect((await callModels(secret, { ...off, DB: failingDb().db })).status).toBe(503);
    expect(evictions()).toHaveLength(2);
  });

  it("a key never cached is a 503 while D1 is down", async () => {
    const { secret } = await seedKey();
    const res = await callModels(secret, { DB: failingDb().db });
    expect(res.status).toBe(503);
    expect((await readOpenAIError(res)).code).toBe("control_plane_unavailable");
  });

  it("an authoritative not-found evicts at once (auth_rejection), whatever the grace", async () => {
    const { secret, id, t0 } = await cachedKey();
    await env.DB.prepare("DELETE FROM virtual_keys WHERE id = ?").bind(id).run();
    vi.setSystemTime(t0 + BUNDLE_SOFT_TTL_MS + 1);
    const log = spies();
    const res = await callModels(secret);
    expect(res.status).toBe(401);
    expect((await readOpenAIError(res)).code).toBe("unknown_key");
    expect(logLines(log.error, "auth_cache_hard_evict")).toEqual([
      expect.objectContaining({ reason: "auth_rejection", vk_id: id }),
    ]);
    expect(await rawKvValue(secret)).toBeNull();
    // D1 going down afterwards does not bring it back: nothing is held any more.
    clearBundleCache();
    expect((await callModels(secret, { DB: failingDb().db })).status).toBe(503);
  });

  it("a successful refresh past the soft expiry rebuilds the bundle and writes it back to KV", async () => {
    const { secret, t0 } = await cachedKey();
    const before = await rawKvValue(secret);
    vi.setSystemTime(t0 + BUNDLE_SOFT_TTL_MS + 1);
    expect((await callModels(secret)).status).toBe(200);
    const after = await rawKvValue(secret);
    expect(after).not.toBe(before);
    // The fresh bundle now carries a new soft expiry: D1 down right after is no problem, and no bump.
    clearBundleCache();
    const log = spies();
    vi.setSystemTime(t0 + 2 * BUNDLE_SOFT_TTL_MS);
    expect((await callModels(secret, { DB: failingDb().db })).status).toBe(200);
    expect(logLines(log.warn, "auth_cache_refresh_transport_failure")).toHaveLength(0);
  });
});
