import { seal } from "../../crypto/seal";
import { ulid } from "../../lib/ids";
import type { AdminContext } from "../context";
import { conflict, invalidField, isConstraintViolation, notFound } from "../errors";
import { checkProviderShape } from "../provider-rules";
import { publishAfterWrite } from "../publish";
import { auditInsert, auditInsertIfChanged } from "../repositories/audit";
import {
  deleteUnusedProvider,
  findProvider,
  insertProvider,
  keysUsingProvider,
  listProviders,
  providerView,
  updateProvider,
  type ProviderFields,
  type ProviderRow,
} from "../repositories/providers";
import { auditEvent, fieldNames, readBody, readQuery } from "../request";
import { createProviderBody, listProvidersQuery, updateProviderBody } from "../schemas/providers";

/**
 * /admin/v1/providers: provider bindings, addressed by id or name. A key given as `api_key` is sealed
 * before it reaches D1 and never comes back out of this API; `api_key_secret` names a Worker secret.
 */

async function existingProvider(c: AdminContext): Promise<ProviderRow> {
  const idOrName = c.req.param("id") ?? "";
  const row = await findProvider(c.env.DB, idOrName);
  if (!row) throw notFound("provider", idOrName);
  return row;
}

const sealKey = (c: AdminContext, apiKey: string): Promise<string> =>
  seal(c.get("config").jwtSecret, "provider-key", apiKey);

function inUse(name: string, keyIds: string[]) {
  return conflict(
    "provider_in_use",
    `Provider ${JSON.stringify(name)} is still in the providers chain of keys that are not revoked: ${keyIds.join(", ")}. ` +
      "Remove it from their config (PATCH /admin/v1/virtual-keys/:id) or revoke them, then delete it.",
  );
}

export async function createProvider(c: AdminContext): Promise<Response> {
  const body = readBody(c, createProviderBody);
  const fields: ProviderFields = {
    type: body.type,
    base_url: body.base_url ?? null,
    api_key_secret: body.api_key_secret ?? null,
    api_key_ciphertext: null,
    models: body.models ?? [],
    prices: body.prices ?? {},
    settings: body.settings ?? {},
  };
  checkProviderShape({ ...fields, has_api_key: body.api_key !== undefined }, c.get("config").environment);
  if (body.api_key !== undefined) fields.api_key_ciphertext = await sealKey(c, body.api_key);

  const db = c.env.DB;
  const now = Date.now();
  const id = `prv_${ulid(now)}`;
  const detail = { name: body.name, type: body.type, fields: fieldNames(body) };
  try {
    await db.batch([
      insertProvider(db, id, body.name, fields, now),
      auditInsert(db, auditEvent(c, "provider.create", "provider", id, detail), now),
    ]);
  } catch (err) {
    if (isConstraintViolation(err, "UNIQUE")) {
      throw conflict(
        "provider_name_taken",
        `A provider named ${JSON.stringify(body.name)} already exists; choose another name or PATCH it.`,
      );
    }
    throw err;
  }
  await publishAfterWrite(c, { providerNames: [body.name] });
  return c.json(providerView({ id, name: body.name, ...fields, revision: 1, created_at: now, updated_at: now }), 201);
}

export async function listProvidersHandler(c: AdminContext): Promise<Response> {
  const query = readQuery(c, listProvidersQuery);
  return c.json({ data: (await listProviders(c.env.DB, query.limit)).map(providerView) });
}

export async function getProvider(c: AdminContext): Promise<Response> {
  return c.json(providerView(await existingProvider(c)));
}

export async function updateProviderHandler(c: AdminContext): Promise<Response> {
  const row = await existingProvider(c);
  const { name, ...body } = readBody(c, updateProviderBody);
  if (name !== undefined && name !== row.name) {
    throw invalidField(
      "name",
      `Providers cannot be renamed: keys name ${JSON.stringify(row.name)} in their config. Create a new binding and move the keys to it.`,
    );
  }
  const changed = fieldNames(body);
  if (changed.length === 0) return c.json(providerView(row));

  const fields: ProviderFields = {
    type: body.type ?? row.type,
    base_url: body.base_url === undefined ? row.base_url : body.base_url,
    api_key_secret: body.api_key_secret === undefined ? row.api_key_secret : body.api_key_secret,
    api_key_ciphertext: body.api_key === null ? null : row.api_key_ciphertext,
    models: body.models ?? row.models,
    prices: body.prices ?? row.prices,
    settings: body.settings ?? row.settings,
  };
  const hasApiKey = typeof body.api_key === "string" || fields.api_key_ciphertext !== null;
  checkProviderShape({ ...fields, has_api_key: hasApiKey }, c.get("config").environment);
  if (typeof body.api_key === "string") fields.api_key_ciphertext = await sealKey(c, body.api_key);

  const db = c.env.DB;
  const now = Date.now();
  const [update] = await db.batch([
    updateProvider(db, row.id, row.revision, fields, now),
    auditInsertIfChanged(
      db,
      auditEvent(c, "provider.update", "provider", row.id, { name: row.name, fields: changed }),
      now,
    ),
  ]);
  if (update?.meta.changes !== 1) {
    if (!(await findProvider(db, row.id))) throw notFound("provider", row.id);
    throw conflict(
      "concurrent_update",
      `Provider ${row.name} was changed by another request while this one ran; read it again and retry.`,
    );
  }
  await publishAfterWrite(c, { providerNames: [row.name] });
  return c.json(providerView({ ...row, ...fields, revision: row.revision + 1, updated_at: now }));
}

export async function deleteProviderHandler(c: AdminContext): Promise<Response> {
  const row = await existingProvider(c);
  const db = c.env.DB;
  const users = await keysUsingProvider(db, row.name);
  if (users.length > 0) throw inUse(row.name, users);
  const now = Date.now();
  const [deleted] = await db.batch([
    deleteUnusedProvider(db, row.id, row.name),
    auditInsertIfChanged(db, auditEvent(c, "provider.delete", "provider", row.id, { name: row.name }), now),
  ]);
  if (deleted?.meta.changes !== 1) {
    if (!(await findProvider(db, row.id))) throw notFound("provider", row.id);
    throw inUse(row.name, await keysUsingProvider(db, row.name));
  }
  await publishAfterWrite(c, { providerNames: [row.name] });
  return c.body(null, 204);
}
