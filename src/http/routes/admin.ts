import { Hono } from "hono";
import type { AdminEnv } from "../../admin/context";
import { requireAdminToken } from "../../admin/gate";
import { listAuditHandler } from "../../admin/handlers/audit";
import {
  createBudget,
  deleteBudgetHandler,
  getBudget,
  listBudgetsHandler,
  updateBudgetHandler,
} from "../../admin/handlers/budgets";
import { getVirtualKeyState } from "../../admin/handlers/key-state";
import {
  createProject,
  deleteProject,
  getProject,
  listProjectsHandler,
  updateProject,
} from "../../admin/handlers/projects";
import {
  createProvider,
  deleteProviderHandler,
  getProvider,
  listProvidersHandler,
  updateProviderHandler,
} from "../../admin/handlers/providers";
import {
  createVirtualKey,
  getVirtualKey,
  listVirtualKeysHandler,
  revokeVirtualKeyHandler,
  rotateVirtualKey,
  updateVirtualKeyHandler,
} from "../../admin/handlers/virtual-keys";

/**
 * The admin API (docs/api.md, Admin API), mounted at /admin/v1 behind the edge guards (src/http/app.ts). Every
 * route needs the admin bearer token; the handlers live in src/admin/handlers, one file per resource.
 */
export const adminApi = new Hono<AdminEnv>()
  .use(requireAdminToken())
  .post("/projects", createProject)
  .get("/projects", listProjectsHandler)
  .get("/projects/:id", getProject)
  .patch("/projects/:id", updateProject)
  .delete("/projects/:id", deleteProject)
  .post("/providers", createProvider)
  .get("/providers", listProvidersHandler)
  .get("/providers/:id", getProvider)
  .patch("/providers/:id", updateProviderHandler)
  .delete("/providers/:id", deleteProviderHandler)
  .post("/virtual-keys", createVirtualKey)
  .get("/virtual-keys", listVirtualKeysHandler)
  .get("/virtual-keys/:id", getVirtualKey)
  .patch("/virtual-keys/:id", updateVirtualKeyHandler)
  .post("/virtual-keys/:id/rotate", rotateVirtualKey)
  .post("/virtual-keys/:id/revoke", revokeVirtualKeyHandler)
  .get("/virtual-keys/:id/state", getVirtualKeyState)
  .post("/budgets", createBudget)
  .get("/budgets", listBudgetsHandler)
  .get("/budgets/:id", getBudget)
  .patch("/budgets/:id", updateBudgetHandler)
  .delete("/budgets/:id", deleteBudgetHandler)
  .get("/audit", listAuditHandler);
