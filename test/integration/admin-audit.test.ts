import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  adminCall,
  adminFetch,
  auditFor,
  createKey,
  createProject,
  createProvider,
  expectedActor,
  expectInvalid,
  type AuditEntryReply,
} from "../helpers/admin";

/** GET /admin/v1/audit: who changed what and when, newest first, never a secret. */

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe("GET /audit", () => {
  it("lists every write about a target, newest first, with the contract's fields", async () => {
    const project = await createProject();
    const provider = await createProvider({ api_key_secret: undefined, api_key: "sk-audited-provider-key" });
    const key = await createKey({ project_id: project.id, config: { providers: [provider.name] } });
    await adminFetch(`/virtual-keys/${key.id}`, { method: "PATCH", body: { name: "renamed" } });
    const rotated = await adminCall<{ secret: string }>(`/virtual-keys/${key.id}/rotate`, {
      body: { grace_seconds: 30 },
    });
    await adminFetch(`/virtual-keys/${key.id}/revoke`, { method: "POST" });

    const entries = await auditFor(key.id);
    expect(entries.map((e) => e.action)).toEqual([
      "virtual_key.revoke",
      "virtual_key.rotate",
      "virtual_key.update",
      "virtual_key.create",
    ]);
    const actor = await expectedActor();
    expect(actor).toMatch(/^admin:[0-9a-f]{8}$/);
    for (const e of entries) {
      expect(Object.keys(e).sort()).toEqual(["action", "actor", "at", "detail", "id", "target_id", "target_type"]);
      expect(e).toMatchObject({ actor, target_type: "virtual_key", target_id: key.id });
      expect(e.id).toMatch(/^aud_[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(e.at).toMatch(ISO);
    }
    expect(entries[3]?.detail).toMatchObject({ project_id: project.id, environment: "test" });
    expect(entries[1]?.detail).toMatchObject({ grace_seconds: 30 });

    const all = await adminCall<{ data: AuditEntryReply[] }>("/audit?limit=1000");
    for (const secret of [key.secret, rotated.body.secret, "sk-audited-provider-key", env.LW_GATEWAY_ADMIN_TOKEN]) {
      expect(all.text).not.toContain(secret);
    }
    expect(all.body.data.some((e) => e.target_id === provider.id && e.action === "provider.create")).toBe(true);
  });

  it("never stores a secret in the table itself", async () => {
    const provider = await createProvider({ api_key_secret: undefined, api_key: "sk-never-in-audit-table" });
    const key = await createKey({ config: { providers: [provider.name] } });
    const { results } = await env.DB.prepare("SELECT * FROM audit_log WHERE target_id IN (?, ?)")
      .bind(provider.id, key.id)
      .all();
    expect(results.length).toBeGreaterThanOrEqual(2);
    const text = JSON.stringify(results);
    expect(text).not.toContain("sk-never-in-audit-table");
    expect(text).not.toContain(key.secret);
    expect(text).not.toContain(env.LW_GATEWAY_ADMIN_TOKEN);
  });

  it("honours ?limit= and rejects bad queries", async () => {
    await createProject();
    await createProject();
    expect((await adminCall<{ data: AuditEntryReply[] }>("/audit?limit=2")).body.data).toHaveLength(2);
    await expectInvalid(await adminFetch("/audit?limit=0"), "limit");
    await expectInvalid(await adminFetch("/audit?target=prj_x"), "target");
  });

  it("an unknown target has an empty trail", async () => {
    const reply = await adminCall<{ data: AuditEntryReply[] }>("/audit?target_id=prj_01HZZZZZZZZZZZZZZZZZZZZZZZ");
    expect(reply.body).toEqual({ data: [] });
  });
});
