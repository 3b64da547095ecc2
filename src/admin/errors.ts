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

/**
 * Why a D1 call failed when the store itself could not answer (locked, overloaded, unreachable), as
 * workerd words it; null for any other error, a constraint failure or a SQL mistake included (those
 * are the handler's to map, or a bug).
 */
export function d1Unavailable(err: unknown): string | null {
  if (!(err instanceof Error)) return null;
  const message = err.message;
  if (/constraint failed|no such (table|column)|syntax error|D1_TYPE_ERROR|D1_COLUMN_NOTFOUND/i.test(message)) {
    return null;
  }
  if (/database is locked|SQLITE_BUSY|SQLITE_LOCKED/i.test(message)) return "the database is locked";
  if (/overloaded|too many requests|queued for too long/i.test(message)) return "D1 is overloaded";
  if (
    /network connection lost|connection (reset|refused|closed)|fetch failed|timed? ?out|exceeded timeout/i.test(message)
  ) {
    return "D1 could not be reached";
  }
  if (/\bD1(_[A-Z]+)?\b/.test(message)) return "D1 reported an error";
  return null;
}

/** The admin API's answer when D1 cannot answer: a 503 naming the control plane, never a 500. */
export function controlPlaneUnavailable(reason: string): GatewayError {
  return new GatewayError(
    "service_unavailable",
    "control_plane_unavailable",
    `The control plane database (D1) could not answer (${reason}). Retry in a few seconds; a write refused this way ` +
      "may still have been applied if the connection dropped, so read the resource back before repeating a create. " +
      "If it persists, check GET /readyz and the D1 database's status.",
  );
}
