import type * as z from "zod";
import { GatewayError } from "../errors";

/** A field path as a client writes it: `messages[2].content[0].type`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** A request that cannot be translated at all: a 400 naming the field. */
export function untranslatable(field: string, problem: string): GatewayError {
  return new GatewayError(
    "invalid_request_error",
    "untranslatable_request",
    `Cannot translate ${field}: ${problem}. Change that field, or use a provider that speaks this API natively.`,
    { param: field },
  );
}

/** A provider answer that does not have the shape its API documents: a 502 naming the field. */
export function malformedUpstream(field: string, problem: string): GatewayError {
  return new GatewayError(
    "provider_error",
    "untranslatable_response",
    `The provider's response could not be translated (${field}: ${problem}). Retry, or use another provider.`,
  );
}

type Issue = z.core.$ZodIssue;

/**
 * The first issue, as deep as it goes: a union (`content` is a string or blocks) reports each branch's
 * issues relative to itself, and the deepest of them names the field that is actually wrong.
 */
function deepest(issue: Issue, prefix: readonly PropertyKey[]): { path: PropertyKey[]; message: string } {
  const path = [...prefix, ...issue.path];
  let best = { path, message: issue.message };
  if (issue.code === "invalid_union") {
    for (const branch of issue.errors) {
      const first = branch[0];
      if (!first) continue;
      const candidate = deepest(first, path);
      if (candidate.path.length > best.path.length) best = candidate;
    }
  }
  return best;
}

function firstIssue(error: z.ZodError): { field: string; message: string } {
  const issue = error.issues[0];
  if (!issue) return { field: "body", message: "invalid" };
  const { path, message } = deepest(issue, []);
  return { field: fieldPath(path) || "body", message };
}

/** Validates a client's request body; a failure is a 400 naming the first bad field. */
export function parseRequest<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const { field, message } = firstIssue(result.error);
  throw untranslatable(field, message);
}

/** Validates a provider's answer; a failure is a 502 naming the first bad field. */
export function parseUpstream<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const { field, message } = firstIssue(result.error);
  throw malformedUpstream(field, message);
}
