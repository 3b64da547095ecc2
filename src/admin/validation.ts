import type * as z from "zod";
import { GatewayError } from "../errors";
import { describeStrictJsonProblem, readStrictJson, STRICT_JSON_CODE } from "../lib/strict-json";
import { invalidField, invalidJson } from "./errors";
import { isJsonObject, type JsonObject } from "./merge-patch";

/**
 * Turning request input into typed values, or into one 400 that names the field (`param`) and says
 * what is wrong with it. Unknown fields are reported before anything else: a misspelt field name
 * usually explains the other problems.
 */

type PathSegment = PropertyKey;

/** `config.policy_rules.tools.deny[0]`: dots between names, brackets around indexes. */
export function fieldPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out === "" ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

function valueAt(input: unknown, path: readonly PathSegment[]): unknown {
  let value = input;
  for (const segment of path) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

function jsonTypeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}

const EXPECTED: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "true or false",
  array: "an array",
  object: "an object",
  record: "an object",
};

function bound(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig, limit: number | bigint): string {
  const side = issue.code === "too_big" ? "at most" : "at least";
  const plural = String(limit) === "1" ? "" : "s";
  if (issue.origin === "string") return `must be ${side} ${String(limit)} character${plural} long`;
  if (issue.origin === "array") return `must have ${side} ${String(limit)} item${plural}`;
  return `must be ${side} ${String(limit)}`;
}

/** The issue as `param` and a sentence about that field. */
function describe(
  issue: z.core.$ZodIssue,
  input: unknown,
  prefix: readonly PathSegment[],
): { param: string; message: string } {
  const path = [...prefix, ...issue.path];
  const param = fieldPath(path);
  switch (issue.code) {
    case "unrecognized_keys": {
      const names = issue.keys.map((k) => fieldPath([...path, k]));
      return {
        param: names[0] ?? param,
        message: `unknown field ${names.map((n) => `"${n}"`).join(", ")}; remove it or check its spelling`,
      };
    }
    case "invalid_type": {
      const got = valueAt(input, issue.path);
      if (got === undefined) return { param, message: `"${param}" is required` };
      if (issue.expected === "int" && typeof got === "number") {
        return { param, message: `"${param}" must be a whole number, not ${got}` };
      }
      return {
        param,
        message: `"${param}" must be ${EXPECTED[issue.expected] ?? issue.expected}, not ${jsonTypeOf(got)}`,
      };
    }
    case "invalid_value": {
      const options = issue.values.map((v) => JSON.stringify(v)).join(", ");
      if (valueAt(input, issue.path) === undefined)
        return { param, message: `"${param}" is required: one of ${options}` };
      return { param, message: `"${param}" must be one of ${options}` };
    }
    case "too_small":
      return { param, message: `"${param}" ${bound(issue, issue.minimum)}` };
    case "too_big":
      return { param, message: `"${param}" ${bound(issue, issue.maximum)}` };
    case "invalid_key": {
      // The path ends at the offending key: name the object that holds it, and quote the key.
      const holder = fieldPath(path.slice(0, -1));
      const key = JSON.stringify(String(path.at(-1) ?? ""));
      const inner = issue.issues[0];
      const why = inner ? describe(inner, undefined, []).message.replace(/^"" /, "") : "is not allowed";
      return { param: holder, message: `"${holder}" has an invalid key ${key}: it ${why}` };
    }
    case "invalid_format":
    case "custom":
    case "not_multiple_of":
    case "invalid_union":
    case "invalid_element":
      return { param, message: `"${param}" ${issue.message}` };
  }
}

/** Validates `input` against `schema`; the first problem becomes a 400 naming `prefix` + the field. */
export function validate<S extends z.ZodType>(
  schema: S,
  input: unknown,
  prefix: readonly PathSegment[] = [],
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = [...result.error.issues].sort(
    (a, b) => Number(b.code === "unrecognized_keys") - Number(a.code === "unrecognized_keys"),
  );
  const first = issues[0];
  if (!first) throw invalidField(fieldPath(prefix), `"${fieldPath(prefix)}" is not valid`);
  const { param, message } = describe(first, input, prefix);
  throw invalidField(param, `${message}.`);
}

/**
 * The request body as a JSON object, read as strictly as the public routes read theirs
 * (src/lib/strict-json.ts: UTF-8, no key twice in one object, at most 128 levels deep). `optional`
 * bodies (rotate, revoke) may be empty, which reads as `{}`; any other body must be a JSON object.
 */
export function readJsonObject(raw: Uint8Array, options: { optional?: boolean } = {}): JsonObject {
  if (raw.byteLength === 0) {
    if (options.optional) return {};
    throw invalidJson("The request body is empty; send a JSON object (Content-Type: application/json).");
  }
  const read = readStrictJson(raw);
  if (!read.ok) {
    const { problem } = read;
    const next = problem.kind === "syntax" ? "; send a JSON object." : ".";
    throw new GatewayError(
      "invalid_request_error",
      STRICT_JSON_CODE[problem.kind],
      `${describeStrictJsonProblem(problem)}${next}`,
      {
        param: problem.kind === "duplicate" ? problem.path : null,
      },
    );
  }
  const parsed = read.value;
  if (!isJsonObject(parsed)) throw invalidJson(`The request body must be a JSON object, not ${jsonTypeOf(parsed)}.`);
  return parsed;
}
