import { ulid } from "../../lib/ids";
import type { AdminContext } from "../context";
import { conflict, isConstraintViolation, notFound } from "../errors";
import { publishAfterWrite } from "../publish";
import { auditInsert, auditInsertIfChanged } from "../repositories/audit";
import {
  activeKeyIds,
  deleteProjectStatements,
  findProject,
  insertProject,
  listProjects,
  projectView,
  renameProject,
  type ProjectRow,
} from "../repositories/projects";
import { auditEvent, readBody, readQuery } from "../request";
import { createProjectBody, listProjectsQuery, updateProjectBody } from "../schemas/projects";

/** /admin/v1/projects: create, list, get, rename, delete (only once no live key is left). */

function nameTaken(name: string) {
  return conflict("project_name_taken", `A project named ${JSON.stringify(name)} already exists; choose another name.`);
}

async function existingProject(c: AdminContext): Promise<ProjectRow> {
  const id = c.req.param("id") ?? "";
  const row = await findProject(c.env.DB, id);
  if (!row) throw notFound("project", id);
  return row;
}

/** A conditional write changed nothing: the project went away or moved on in the meantime. */
async function lostRace(c: AdminContext, id: string): Promise<never> {
  if (!(await findProject(c.env.DB, id))) throw notFound("project", id);
  throw conflict(
    "concurrent_update",
    `Project ${id} was changed by another request while this one ran; read it again and retry.`,
  );
}

export async function createProject(c: AdminContext): Promise<Response> {
  const body = readBody(c, createProjectBody);
  const db = c.env.DB;
  const now = Date.now();
  const row: ProjectRow = { id: `prj_${ulid(now)}`, name: body.name, revision: 1, created_at: now, updated_at: now };
  try {
    await db.batch([
      insertProject(db, row),
      auditInsert(db, auditEvent(c, "project.create", "project", row.id, { name: row.name }), now),
    ]);
  } catch (err) {
    if (isConstraintViolation(err, "UNIQUE")) throw nameTaken(body.name);
    throw err;
  }
  await publishAfterWrite(c, { projectIds: [row.id] });
  return c.json(projectView(row), 201);
}

export async function listProjectsHandler(c: AdminContext): Promise<Response> {
  const query = readQuery(c, listProjectsQuery);
  return c.json({ data: (await listProjects(c.env.DB, query.limit)).map(projectView) });
}

export async function getProject(c: AdminContext): Promise<Response> {
  return c.json(projectView(await existingProject(c)));
}

export async function updateProject(c: AdminContext): Promise<Response> {
  const row = await existingProject(c);
  const body = readBody(c, updateProjectBody);
  if (body.name === undefined || body.name === row.name) return c.json(projectView(row));
  const db = c.env.DB;
  const now = Date.now();
  let changed: number;
  try {
    const [update] = await db.batch([
      renameProject(db, row.id, row.revision, body.name, now),
      auditInsertIfChanged(db, auditEvent(c, "project.update", "project", row.id, { fields: ["name"] }), now),
    ]);
    changed = update?.meta.changes ?? 0;
  } catch (err) {
    if (isConstraintViolation(err, "UNIQUE")) throw nameTaken(body.name);
    throw err;
  }
  if (changed !== 1) return lostRace(c, row.id);
  await publishAfterWrite(c, { projectIds: [row.id] });
  return c.json(projectView({ ...row, name: body.name, revision: row.revision + 1, updated_at: now }));
}

export async function deleteProject(c: AdminContext): Promise<Response> {
  const row = await existingProject(c);
  const db = c.env.DB;
  const blocking = await activeKeyIds(db, row.id);
  if (blocking.length > 0) {
    throw conflict(
      "project_has_keys",
      `Project ${JSON.stringify(row.name)} still has keys that are not revoked (${blocking.join(", ")}). Revoke them first ` +
        "(POST /admin/v1/virtual-keys/:id/revoke), then delete the project.",
    );
  }
  const now = Date.now();
  const statements = deleteProjectStatements(db, row.id);
  const results = await db.batch([
    ...statements,
    auditInsertIfChanged(db, auditEvent(c, "project.delete", "project", row.id, { name: row.name }), now),
  ]);
  if (results[statements.length - 1]?.meta.changes !== 1) {
    // Gone already, or a key was created since the check above.
    if (!(await findProject(db, row.id))) throw notFound("project", row.id);
    throw conflict(
      "project_has_keys",
      `Project ${JSON.stringify(row.name)} gained a key while it was being deleted; revoke it first.`,
    );
  }
  await publishAfterWrite(c, { projectIds: [row.id] });
  return c.body(null, 204);
}
