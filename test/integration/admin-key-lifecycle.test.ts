import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { hashSecret } from "../../src/auth/keys";
import {
  adminCall,
  adminFetch,
  adminRequest,
  auditFor,
  createKey,
  createServingKey,
  expectAdminError,
  expectInvalid,
  expectNoSecrets,
  type VirtualKeyReply,
} from "../helpers/admin";
import { installFakeUpstream } from "../helpers/fake-upstream";
import { fetchWithEnv, postChat, readOpenAIError, USER_MESSAGE } from "../helpers/gateway";

/**
 * Rotate and revoke (contract §1, §7) as a client of /v1 sees them: in the colo that made the change,
 * a revoked or rotated-out secret stops at once; a grace period keeps the old secret working until it
 * ends.
 */

beforeEach(() => installFakeUpstream());
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const CHAT = { model: "gpt-4o-mini", messages: USER_MESSAGE };

async function chatStatus(secret: string): Promise<number> {
  const res = await postChat(secret, CHAT);
  await res.text();
  return res.status;
}

async function expectRefused(secret: string, code: string): Promise<void> {
  const res = await postChat(secret, CHAT);
  expect(res.status).toBe(401);
  expect(await readOpenAIError(res)).toMatchObject({ type: "invalid_api_key", code });
}

interface RotateReply {
  id: string;
  secret: string;
  display_prefix: string;
  previous_secret_expires_at: string | null;
}

const rotate = (id: string, body?: unknown) =>
  adminCall<RotateReply>(`/virtual-keys/${id}/rotate`, { method: "POST", body });

describe("POST /virtual-keys/:id/revoke", () => {
  it("revokes: the key gets 401 revoked_key at once, even right after a successful call", async () => {
    const { key } = await createServingKey();
    expect(await chatStatus(key.secret)).toBe(200);
    const reply = await adminCall<VirtualKeyReply>(`/virtual-keys/${key.id}/revoke`, { method: "POST" });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ id: key.id, status: "revoked", revision: 2 });
    expect(Date.parse(reply.body.revoked_at ?? "")).toBeGreaterThan(0);
    expectNoSecrets(reply.text, [key.secret]);
    await expectRefused(key.secret, "revoked_key");
  });

  it("is idempotent: revoking twice is a 200 with the same key, audited once", async () => {
    const key = await createKey();
    const first = await adminCall<VirtualKeyReply>(`/virtual-keys/${key.id}/revoke`, { method: "POST", body: {} });
    const second = await adminCall<VirtualKeyReply>(`/virtual-keys/${key.id}/revoke`, { method: "POST" });
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect((await auditFor(key.id)).map((e) => e.action)).toEqual(["virtual_key.revoke", "virtual_key.create"]);
  });

  it("400 for a body with fields, 404 for an unknown key", async () => {
    const key = await createKey();
    await expectInvalid(await adminFetch(`/virtual-keys/${key.id}/revoke`, { body: { reason: "leaked" } }), "reason");
    expect((await adminCall<VirtualKeyReply>(`/virtual-keys/${key.id}`)).body.status).toBe("active");
    await expectAdminError(
      await adminFetch("/virtual-keys/vk_01HZZZZZZZZZZZZZZZZZZZZZZZ/revoke", { method: "POST" }),
      404,
      {
        type: "not_found",
        code: "virtual_key_not_found",
      },
    );
  });
});

describe("POST /virtual-keys/:id/rotate", () => {
  it("without grace: a new secret for the same id; the old one stops at once, the new one works", async () => {
    const { key } = await createServingKey();
    expect(await chatStatus(key.secret)).toBe(200);
    const reply = await rotate(key.id);
    expect(reply.status, reply.text).toBe(200);
    expect(Object.keys(reply.body).sort()).toEqual(["display_prefix", "id", "previous_secret_expires_at", "secret"]);
    expect(reply.body).toMatchObject({ id: key.id, previous_secret_expires_at: null });
    expect(reply.body.secret).not.toBe(key.secret);
    expect(reply.body.secret.startsWith("lw_vk_test_")).toBe(true);
    expect(reply.body.display_prefix).toBe(reply.body.secret.slice(0, 16));
    expect(reply.text).not.toContain(key.secret);

    await expectRefused(key.secret, "unknown_key");
    expect(await chatStatus(reply.body.secret)).toBe(200);

    const after = await adminCall<VirtualKeyReply>(`/virtual-keys/${key.id}`);
    expect(after.body).toMatchObject({ display_prefix: reply.body.display_prefix, revision: 2, status: "active" });
    expectNoSecrets(after.text, [key.secret, reply.body.secret]);
  });

  it("with grace: both secrets work until it ends, then only the new one", async () => {
    const { key } = await createServingKey();
    expect(await chatStatus(key.secret)).toBe(200);
    const before = Date.now();
    const reply = await rotate(key.id, { grace_seconds: 600 });
    expect(reply.status, reply.text).toBe(200);
    const graceEnd = Date.parse(reply.body.previous_secret_expires_at ?? "");
    expect(graceEnd).toBeGreaterThanOrEqual(before + 600_000);
    expect(graceEnd).toBeLessThan(Date.now() + 600_000 + 1_000);

    expect(await chatStatus(key.secret)).toBe(200);
    expect(await chatStatus(reply.body.secret)).toBe(200);

    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(graceEnd + 1_000);
    await expectRefused(key.secret, "unknown_key");
    expect(await chatStatus(reply.body.secret)).toBe(200);
  });

  it("records the grace period in D1 as the old secret's expiry", async () => {
    const key = await createKey();
    const reply = await rotate(key.id, { grace_seconds: 60 });
    const row = await env.DB.prepare("SELECT vk_id, expires_at FROM virtual_key_old_secrets WHERE secret_hash = ?")
      .bind(await hashSecret(env.LW_VIRTUAL_KEY_PEPPER, key.secret))
      .first<{ vk_id: string; expires_at: number }>();
    expect(row).toEqual({ vk_id: key.id, expires_at: Date.parse(reply.body.previous_secret_expires_at ?? "") });
  });

  it("can rotate again during a grace period; each old secret keeps its own expiry", async () => {
    const { key } = await createServingKey();
    const first = await rotate(key.id, { grace_seconds: 300 });
    const second = await rotate(key.id, { grace_seconds: 0 });
    expect(second.status).toBe(200);
    expect(await chatStatus(key.secret)).toBe(200);
    await expectRefused(first.body.secret, "unknown_key");
    expect(await chatStatus(second.body.secret)).toBe(200);
  });

  it("accepts an empty body (grace 0) and audits the rotation without any secret", async () => {
    const key = await createKey();
    const reply = await rotate(key.id);
    expect(reply.status).toBe(200);
    const [entry] = await auditFor(key.id);
    expect(entry).toMatchObject({
      action: "virtual_key.rotate",
      detail: { grace_seconds: 0, previous_secret_expires_at: null },
    });
    const { results } = await env.DB.prepare("SELECT detail FROM audit_log WHERE target_id = ?")
      .bind(key.id)
      .all<{ detail: string }>();
    for (const { detail } of results) expectNoSecrets(detail, [key.secret, reply.body.secret, key.secret.slice(16)]);
  });

  it.each([
    ["negative", -1, /at least 0/],
    ["over a week", 604_801, /at most 604800/],
    ["fractional", 1.5, /whole number, not 1.5/],
    ["a string", "60", /must be a number, not a string/],
  ])("400 for a %s grace_seconds", async (_, grace_seconds, message) => {
    const key = await createKey();
    expect(
      await expectInvalid(
        await adminFetch(`/virtual-keys/${key.id}/rotate`, { body: { grace_seconds } }),
        "grace_seconds",
      ),
    ).toMatch(message);
    expect((await adminCall<VirtualKeyReply>(`/virtual-keys/${key.id}`)).body.revision).toBe(1);
  });

  it("accepts the maximum grace of a week", async () => {
    const key = await createKey();
    expect((await rotate(key.id, { grace_seconds: 604_800 })).status).toBe(200);
  });

  it("400 for an unknown field", async () => {
    const key = await createKey();
    await expectInvalid(await adminFetch(`/virtual-keys/${key.id}/rotate`, { body: { grace: 60 } }), "grace");
  });

  it("409 for a revoked key, 404 for an unknown one", async () => {
    const key = await createKey();
    await adminFetch(`/virtual-keys/${key.id}/revoke`, { method: "POST" });
    await expectAdminError(await adminFetch(`/virtual-keys/${key.id}/rotate`, { method: "POST" }), 409, {
      type: "conflict",
      code: "virtual_key_revoked",
    });
    await expectAdminError(
      await adminFetch("/virtual-keys/vk_01HZZZZZZZZZZZZZZZZZZZZZZZ/rotate", { method: "POST" }),
      404,
      {
        type: "not_found",
        code: "virtual_key_not_found",
      },
    );
  });

  it("revoking stops the secret still in grace as well", async () => {
    const { key } = await createServingKey();
    const reply = await rotate(key.id, { grace_seconds: 600 });
    expect(await chatStatus(key.secret)).toBe(200);
    await adminFetch(`/virtual-keys/${key.id}/revoke`, { method: "POST" });
    await expectRefused(reply.body.secret, "revoked_key");
    const old = await postChat(key.secret, CHAT);
    expect(old.status).toBe(401);
  });
});

describe("expiry set through the API", () => {
  it("a key past its expires_at gets 401 expired_key", async () => {
    const { key } = await createServingKey();
    const expiresAt = Date.now() + 60_000;
    const reply = await adminCall<VirtualKeyReply>(`/virtual-keys/${key.id}`, {
      method: "PATCH",
      body: { expires_at: new Date(expiresAt).toISOString() },
    });
    expect(reply.status).toBe(200);
    expect(await chatStatus(key.secret)).toBe(200);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(expiresAt + 1);
    await expectRefused(key.secret, "expired_key");
  });
});

describe("publishing", () => {
  it("a failure to publish to KV does not fail the write; it is logged as bundle_publish_failed", async () => {
    const fail = () => Promise.reject(new Error("KV unavailable"));
    const brokenKv = { get: fail, getWithMetadata: fail, put: fail, delete: fail, list: fail };
    const warn = vi.spyOn(console, "warn");
    const key = await createKey();
    const { response } = await fetchWithEnv(
      adminRequest(`/virtual-keys/${key.id}`, { method: "PATCH", body: { name: "renamed" } }),
      {
        AUTH_CACHE: brokenKv,
      },
    );
    expect(response.status).toBe(200);
    expect((await adminCall<VirtualKeyReply>(`/virtual-keys/${key.id}`)).body.name).toBe("renamed");
    const lines = warn.mock.calls.map((args) => String(args[0]));
    const line = lines.find((l) => l.includes('"bundle_publish_failed"'));
    expect(line).toBeDefined();
    expect(line).toContain(key.id);
    expect(line).not.toContain(key.secret);
  });
});
