import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  adminCall,
  adminFetch,
  auditFor,
  createKey,
  createProject,
  expectAdminError,
  expectedActor,
  expectInvalid,
  uniqueName,
  type ProjectReply,
} from "../helpers/admin";

/** /admin/v1/projects (contract §7). */

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const UNKNOWN = "prj_01HZZZZZZZZZZZZZZZZZZZZZZZ";

describe("POST /projects", () => {
  it("creates a project: 201 with id, name, revision 1 and ISO timestamps", async () => {
    const name = uniqueName("acme");
    const reply = await adminCall<ProjectReply>("/projects", { body: { name } });
    expect(reply.status).toBe(201);
    expect(reply.body.id).toMatch(/^prj_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(reply.body).toMatchObject({ name, revision: 1 });
    expect(reply.body.created_at).toMatch(ISO);
    expect(reply.body.updated_at).toBe(reply.body.created_at);
    expect(Object.keys(reply.body).sort()).toEqual(["created_at", "id", "name", "revision", "updated_at"]);
  });

  it("409 conflict for a name already taken", async () => {
    const { name } = await createProject();
    const res = await adminFetch("/projects", { body: { name } });
    const error = await expectAdminError(res, 409, { type: "conflict", code: "project_name_taken", param: null });
    expect(error.message).toContain(name);
  });

  it.each([
    ["name missing", {}, "name", /"name" is required/],
    ["name empty", { name: "" }, "name", /at least 1 character/],
    ["name too long", { name: "x".repeat(101) }, "name", /at most 100 characters/],
    ["name not a string", { name: 7 }, "name", /must be a string, not a number/],
    ["an unknown field", { name: "ok", owner: "me" }, "owner", /unknown field "owner"/],
  ])("400 for %s, naming the field", async (_, body, param, message) => {
    expect(await expectInvalid(await adminFetch("/projects", { body }), param)).toMatch(message);
  });

  it("accepts a name of exactly 100 characters", async () => {
    const name = `${uniqueName("p")}-`.padEnd(100, "x");
    expect((await adminFetch("/projects", { body: { name } })).status).toBe(201);
  });
});

describe("GET /projects and /projects/:id", () => {
  it("lists projects newest first under data", async () => {
    const a = await createProject();
    const b = await createProject();
    const reply = await adminCall<{ data: ProjectReply[] }>("/projects?limit=1000");
    expect(reply.status).toBe(200);
    const ids = reply.body.data.map((p) => p.id);
    expect(ids).toContain(a.id);
    expect(ids.indexOf(b.id)).toBeLessThan(ids.indexOf(a.id));
  });

  it("honours ?limit=", async () => {
    await createProject();
    await createProject();
    const reply = await adminCall<{ data: ProjectReply[] }>("/projects?limit=1");
    expect(reply.body.data).toHaveLength(1);
  });

  it.each(["0", "1001", "ten", "-1", "1.5"])("400 for ?limit=%s", async (limit) => {
    await expectInvalid(await adminFetch(`/projects?limit=${limit}`), "limit");
  });

  it("400 for an unknown query parameter", async () => {
    await expectInvalid(await adminFetch("/projects?lmit=5"), "lmit");
  });

  it("gets one project by id", async () => {
    const project = await createProject();
    const reply = await adminCall<ProjectReply>(`/projects/${project.id}`);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual(project);
  });

  it("404 for an unknown id", async () => {
    const error = await expectAdminError(await adminFetch(`/projects/${UNKNOWN}`), 404, {
      type: "not_found",
      code: "project_not_found",
    });
    expect(error.message).toContain(UNKNOWN);
  });
});

describe("PATCH /projects/:id", () => {
  it("renames, bumping revision and updated_at", async () => {
    const project = await createProject();
    const name = uniqueName("renamed");
    const reply = await adminCall<ProjectReply>(`/projects/${project.id}`, { method: "PATCH", body: { name } });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ id: project.id, name, revision: 2, created_at: project.created_at });
    expect(Date.parse(reply.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(project.updated_at));
    expect((await adminCall<ProjectReply>(`/projects/${project.id}`)).body).toEqual(reply.body);
  });

  it("an empty patch changes nothing", async () => {
    const project = await createProject();
    const reply = await adminCall<ProjectReply>(`/projects/${project.id}`, { method: "PATCH", body: {} });
    expect(reply.body).toEqual(project);
  });

  it("409 when the new name is taken", async () => {
    const a = await createProject();
    const b = await createProject();
    await expectAdminError(await adminFetch(`/projects/${b.id}`, { method: "PATCH", body: { name: a.name } }), 409, {
      type: "conflict",
      code: "project_name_taken",
    });
    expect((await adminCall<ProjectReply>(`/projects/${b.id}`)).body.name).toBe(b.name);
  });

  it("400 for a bad name or an unknown field", async () => {
    const project = await createProject();
    await expectInvalid(await adminFetch(`/projects/${project.id}`, { method: "PATCH", body: { name: "" } }), "name");
    await expectInvalid(await adminFetch(`/projects/${project.id}`, { method: "PATCH", body: { id: "prj_x" } }), "id");
  });

  it("404 for an unknown id", async () => {
    await expectAdminError(await adminFetch(`/projects/${UNKNOWN}`, { method: "PATCH", body: { name: "x" } }), 404, {
      type: "not_found",
      code: "project_not_found",
    });
  });
});

describe("DELETE /projects/:id", () => {
  it("deletes an empty project: 204, then 404", async () => {
    const project = await createProject();
    const res = await adminFetch(`/projects/${project.id}`, { method: "DELETE" });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
    expect((await adminFetch(`/projects/${project.id}`)).status).toBe(404);
  });

  it("409 while the project has a key that is not revoked, naming it", async () => {
    const project = await createProject();
    const key = await createKey({ project_id: project.id });
    const error = await expectAdminError(await adminFetch(`/projects/${project.id}`, { method: "DELETE" }), 409, {
      type: "conflict",
      code: "project_has_keys",
    });
    expect(error.message).toContain(key.id);
    expect((await adminFetch(`/projects/${project.id}`)).status).toBe(200);
  });

  it("deletes a project whose keys are all revoked, and those keys with it", async () => {
    const project = await createProject();
    const key = await createKey({ project_id: project.id });
    expect((await adminFetch(`/virtual-keys/${key.id}/rotate`, { body: { grace_seconds: 600 } })).status).toBe(200);
    expect((await adminFetch(`/virtual-keys/${key.id}/revoke`, { method: "POST" })).status).toBe(200);
    expect((await adminFetch(`/projects/${project.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await adminFetch(`/virtual-keys/${key.id}`)).status).toBe(404);
    const old = await env.DB.prepare("SELECT COUNT(*) AS n FROM virtual_key_old_secrets WHERE vk_id = ?")
      .bind(key.id)
      .first<{ n: number }>();
    expect(old?.n).toBe(0);
  });

  it("404 for an unknown id", async () => {
    await expectAdminError(await adminFetch(`/projects/${UNKNOWN}`, { method: "DELETE" }), 404, {
      type: "not_found",
      code: "project_not_found",
    });
  });
});

describe("audit", () => {
  it("records create, update and delete with the actor and no values beyond the name", async () => {
    const project = await createProject();
    await adminFetch(`/projects/${project.id}`, { method: "PATCH", body: { name: uniqueName("audited") } });
    await adminFetch(`/projects/${project.id}`, { method: "DELETE" });
    const entries = await auditFor(project.id);
    expect(entries.map((e) => e.action)).toEqual(["project.delete", "project.update", "project.create"]);
    const actor = await expectedActor();
    for (const e of entries) expect(e).toMatchObject({ actor, target_type: "project", target_id: project.id });
    expect(entries[1]?.detail).toEqual({ fields: ["name"] });
  });

  it("records nothing for a rejected write", async () => {
    const { name, id } = await createProject();
    await adminFetch("/projects", { body: { name } });
    await adminFetch(`/projects/${id}`, { method: "PATCH", body: { name: "" } });
    expect((await auditFor(id)).map((e) => e.action)).toEqual(["project.create"]);
  });
});
