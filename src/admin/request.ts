import type * as z from "zod";
import type { AdminContext } from "./context";
import type { AuditEvent, AuditTargetType } from "./repositories/audit";
import { readJsonObject, validate } from "./validation";

/** What every admin handler reads from its request: a validated body or query, and who is asking. */

export function readBody<S extends z.ZodType>(
  c: AdminContext,
  schema: S,
  options: { optional?: boolean } = {},
): z.output<S> {
  return validate(schema, readJsonObject(c.get("rawBody"), options));
}

export function readQuery<S extends z.ZodType>(c: AdminContext, schema: S): z.output<S> {
  return validate(schema, Object.fromEntries(new URL(c.req.url).searchParams));
}

export function auditEvent(
  c: AdminContext,
  action: string,
  targetType: AuditTargetType,
  targetId: string,
  detail: Record<string, unknown> = {},
): AuditEvent {
  return { actor: c.get("actor"), action, targetType, targetId, detail };
}

/** The names of the fields a body set (audit details name fields, never their values). */
export const fieldNames = (body: object): string[] =>
  Object.entries(body)
    .filter(([, value]) => value !== undefined)
    .map(([key]) => key)
    .sort();
