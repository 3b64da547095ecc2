import { displayPrefix, generateSecret, hashSecret } from "../../auth/keys";
import { ulid } from "../../lib/ids";
import type { AdminContext } from "../context";
import { conflict, invalidField, isConstraintViolation, notFound } from "../errors";
import { mergePatch } from "../merge-patch";
import { publishAfterWrite } from "../publish";
import { auditInsert, auditInsertIfChanged } from "../repositories/audit";
import { findProject } from "../repositories/projects";
import {
  findVirtualKey,
  insertVirtualKey,
  listVirtualKeys,
  revokeVirtualKey,
  rotateVirtualKeyStatements,
  updateVirtualKey,
  virtualKeyView,
  type VirtualKeyRow,
} from "../repositories/virtual-keys";
import { auditEvent, fieldNames, readBody, readQuery } from "../request";
import { isoOrNull } from "../schemas/common";
import {
  createVirtualKeyBody,
  listVirtualKeysQuery,
  revokeVirtualKeyBody,
  rotateVirtualKeyBody,
  updateVirtualKeyBody,
} from "../schemas/virtual-keys";
import { checkVkConfig } from "../vk-config-check";

/**
 * /admin/v1/virtual-keys: create (the secret is returned once), list, get, patch (config as a JSON
 * merge patch), rotate (optionally keeping the old secret for a grace period) and revoke (one-way).
 */

async function existingKey(c: AdminContext): Promise<VirtualKeyRow> {
  const id = c.req.param("id") ?? "";
  const row = await findVirtualKey(c.env.DB, id);
  if (!row) throw notFound("virtual_key", id);
  return row;
}

function revoked(row: VirtualKeyRow, what: string) {
  return conflict(
    "virtual_key_revoked",
    `Virtual key ${row.id} is revoked and cannot be ${what}; create a new key instead.`,
  );
}

/** A conditional write changed nothing: the key was revoked or changed in the meantime. */
async function lostRace(c: AdminContext, id: string, what: string): Promise<never> {
  const now = await findVirtualKey(c.env.DB, id);
  if (!now) throw notFound("virtual_key", id);
  if (now.status === "revoked") throw revoked(now, what);
  throw conflict(
    "concurrent_update",
    `Virtual key ${id} was changed by another request while this one ran; read it again and retry.`,
  );
}

function unknownProject(id: string) {
  return invalidField(
    "project_id",
    `No project ${JSON.stringify(id)} exists. Create it with POST /admin/v1/projects, or list them with GET.`,
  );
}

export async function createVirtualKey(c: AdminContext): Promise<Response> {
  const body = readBody(c, createVirtualKeyBody);
  const db = c.env.DB;
  if (!(await findProject(db, body.project_id))) throw unknownProject(body.project_id);
  const config = body.config === undefined ? {} : body.config;
  await checkVkConfig(db, config);

  const secret = generateSecret(body.environment);
  const now = Date.now();
  const row: VirtualKeyRow = {
    id: `vk_${ulid(now)}`,
    project_id: body.project_id,
    name: body.name,
    environment: body.environment,
    principal_id: body.principal_id ?? null,
    display_prefix: displayPrefix(secret),
    status: "active",
    expires_at: body.expires_at ?? null,
    revoked_at: null,
    config,
    revision: 1,
    created_at: now,
    updated_at: now,
  };
  const insert = insertVirtualKey(
    db,
    {
      id: row.id,
      projectId: row.project_id,
      name: row.name,
      environment: row.environment,
      principalId: row.principal_id,
      displayPrefix: row.display_prefix,
      secretHash: await hashSecret(c.get("config").pepper, secret),
      expiresAt: row.expires_at,
      config,
    },
    now,
  );
  const detail = { project_id: row.project_id, name: row.name, environment: row.environment, fields: fieldNames(body) };
  try {
    await db.batch([insert, auditInsert(db, auditEvent(c, "virtual_key.create", "virtual_key", row.id, detail), now)]);
  } catch (err) {
    if (isConstraintViolation(err, "FOREIGN KEY")) throw unknownProject(body.project_id);
    throw err;
  }
  await publishAfterWrite(c, { vkIds: [row.id] });
  return c.json({ ...virtualKeyView(row), secret }, 201);
}

export async function listVirtualKeysHandler(c: AdminContext): Promise<Response> {
  const query = readQuery(c, listVirtualKeysQuery);
  const rows = await listVirtualKeys(c.env.DB, { projectId: query.project_id, limit: query.limit });
  return c.json({ data: rows.map(virtualKeyView) });
}

export async function getVirtualKey(c: AdminContext): Promise<Response> {
  return c.json(virtualKeyView(await existingKey(c)));
}

export async function updateVirtualKeyHandler(c: AdminContext): Promise<Response> {
  const row = await existingKey(c);
  const body = readBody(c, updateVirtualKeyBody);
  if (row.status === "revoked") throw revoked(row, "changed");
  const fields = fieldNames(body);
  if (fields.length === 0) return c.json(virtualKeyView(row));

  const db = c.env.DB;
  const config = body.config === undefined ? row.config : mergePatch(row.config, body.config);
  if (body.config !== undefined) await checkVkConfig(db, config);
  const changes = {
    name: body.name ?? row.name,
    principalId: body.principal_id === undefined ? row.principal_id : body.principal_id,
    expiresAt: body.expires_at === undefined ? row.expires_at : body.expires_at,
    config,
  };
  const now = Date.now();
  const detail = { fields, ...(body.config ? { config_fields: Object.keys(body.config).sort() } : {}) };
  const [update] = await db.batch([
    updateVirtualKey(db, row.id, row.revision, changes, now),
    auditInsertIfChanged(db, auditEvent(c, "virtual_key.update", "virtual_key", row.id, detail), now),
  ]);
  if (update?.meta.changes !== 1) return lostRace(c, row.id, "changed");
  await publishAfterWrite(c, { vkIds: [row.id] });
  return c.json(
    virtualKeyView({
      ...row,
      name: changes.name,
      principal_id: changes.principalId,
      expires_at: changes.expiresAt,
      config,
      revision: row.revision + 1,
      updated_at: now,
    }),
  );
}

export async function rotateVirtualKey(c: AdminContext): Promise<Response> {
  const row = await existingKey(c);
  const body = readBody(c, rotateVirtualKeyBody, { optional: true });
  if (row.status === "revoked") throw revoked(row, "rotated");

  const db = c.env.DB;
  const secret = generateSecret(row.environment);
  const next = { secretHash: await hashSecret(c.get("config").pepper, secret), displayPrefix: displayPrefix(secret) };
  const now = Date.now();
  const previousExpiresAt = body.grace_seconds > 0 ? now + body.grace_seconds * 1000 : null;
  const statements = rotateVirtualKeyStatements(db, row.id, row.revision, next, previousExpiresAt ?? now, now);
  const detail = { grace_seconds: body.grace_seconds, previous_secret_expires_at: isoOrNull(previousExpiresAt) };
  const results = await db.batch([
    ...statements,
    auditInsertIfChanged(db, auditEvent(c, "virtual_key.rotate", "virtual_key", row.id, detail), now),
  ]);
  if (results[statements.length - 1]?.meta.changes !== 1) return lostRace(c, row.id, "rotated");
  await publishAfterWrite(c, { vkIds: [row.id] });
  return c.json({
    id: row.id,
    secret,
    display_prefix: next.displayPrefix,
    previous_secret_expires_at: isoOrNull(previousExpiresAt),
  });
}

export async function revokeVirtualKeyHandler(c: AdminContext): Promise<Response> {
  const row = await existingKey(c);
  readBody(c, revokeVirtualKeyBody, { optional: true });
  if (row.status === "revoked") return c.json(virtualKeyView(row));

  const db = c.env.DB;
  const now = Date.now();
  const [update] = await db.batch([
    revokeVirtualKey(db, row.id, now),
    auditInsertIfChanged(db, auditEvent(c, "virtual_key.revoke", "virtual_key", row.id), now),
  ]);
  await publishAfterWrite(c, { vkIds: [row.id] });
  if (update?.meta.changes !== 1) {
    // Revoked by a concurrent request: the outcome the caller asked for.
    const current = await findVirtualKey(db, row.id);
    if (!current) throw notFound("virtual_key", row.id);
    return c.json(virtualKeyView(current));
  }
  return c.json(
    virtualKeyView({ ...row, status: "revoked", revoked_at: now, revision: row.revision + 1, updated_at: now }),
  );
}
