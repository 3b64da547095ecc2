import * as z from "zod";
import { listLimit } from "./common";

/** Query of GET /admin/v1/audit. */
export const listAuditQuery = z.strictObject({ target_id: z.string().min(1).optional(), limit: listLimit });
