import * as z from "zod";
import { listLimit } from "./common";

/** Request bodies of /admin/v1/projects. */

const projectName = z.string().min(1).max(100);

export const createProjectBody = z.strictObject({ name: projectName });
export const updateProjectBody = z.strictObject({ name: projectName.optional() });
export const listProjectsQuery = z.strictObject({ limit: listLimit });
