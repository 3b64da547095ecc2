import * as z from "zod";
import { futureTimestamp, jsonObject, listLimit } from "./common";

/**
 * Request bodies of /admin/v1/virtual-keys. `config` is checked apart (src/admin/vk-config-check.ts):
 * its schema is in docs/api.md (Virtual key config), and some of its rules need D1.
 */

const keyName = z.string().min(1).max(100);
const principalId = z.string().min(1).max(256);

export const createVirtualKeyBody = z.strictObject({
  project_id: z.string().min(1),
  name: keyName,
  environment: z.enum(["live", "test"]),
  principal_id: principalId.nullable().optional(),
  expires_at: futureTimestamp.nullable().optional(),
  config: z.unknown().optional(),
});

export const updateVirtualKeyBody = z.strictObject({
  name: keyName.optional(),
  /** A JSON merge patch (RFC 7396) over the stored config. */
  config: jsonObject.optional(),
  expires_at: futureTimestamp.nullable().optional(),
  principal_id: principalId.nullable().optional(),
});

export const MAX_GRACE_SECONDS = 604_800;

export const rotateVirtualKeyBody = z.strictObject({
  grace_seconds: z.number().int().min(0).max(MAX_GRACE_SECONDS).default(0),
});

export const revokeVirtualKeyBody = z.strictObject({});

export const listVirtualKeysQuery = z.strictObject({ project_id: z.string().min(1).optional(), limit: listLimit });
