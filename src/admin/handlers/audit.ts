import type { AdminContext } from "../context";
import { listAudit } from "../repositories/audit";
import { readQuery } from "../request";
import { listAuditQuery } from "../schemas/audit";

/** GET /admin/v1/audit: the audit trail, newest first, optionally about one target. */
export async function listAuditHandler(c: AdminContext): Promise<Response> {
  const query = readQuery(c, listAuditQuery);
  return c.json({ data: await listAudit(c.env.DB, { targetId: query.target_id, limit: query.limit }) });
}
