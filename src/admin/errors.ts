import { GatewayError } from "../errors";

/** The admin API's own errors: invalid fields (400), unknown ids (404), conflicts (409), counters down (503). */

export function invalidField(param: string, message: string): GatewayError {
  return new GatewayError("invalid_request_error", "invalid_request", message, { param });
}

export function invalidJson(message: string): GatewayError {
  return new GatewayError("invalid_request_error", "invalid_json", message);
}

export type ResourceKind = "project" | "provider" | "virtual_key" | "budget";

const LIST_PATH: Record<ResourceKind, string> = {
  project: "/admin/v1/projects",
  provider: "/admin/v1/providers",
  virtual_key: "/admin/v1/virtual-keys",
  budget: "/admin/v1/budgets",
};

export function notFound(kind: ResourceKind, id: string): GatewayError {
  return new GatewayError(
    "not_found",
    `${kind}_not_found`,
    `No ${kind.replace("_", " ")} ${JSON.stringify(id)} exists. List them with GET ${LIST_PATH[kind]}.`,
  );
}

export function conflict(code: string, message: string): GatewayError {
  return new GatewayError("conflict", code, message);
}

/** A Durable Object holding live counters did not answer; nothing was changed, so a retry is safe. */
export function countersUnavailable(objects: string[], detail: string): GatewayError {
  return new GatewayError(
    "service_unavailable",
    "counters_unavailable",
    `The live counters of ${objects.join(", ")} did not answer (${detail}). Retry in a moment; if it persists, check /readyz.`,
  );
}

/** D1 reports constraint failures only in the error text, e.g. `UNIQUE constraint failed: projects.name`. */
export function isConstraintViolation(err: unknown, kind: "UNIQUE" | "FOREIGN KEY"): boolean {
  return err instanceof Error && err.message.includes(`${kind} constraint failed`);
}
