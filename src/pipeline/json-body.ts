import { GatewayError } from "../errors";
import { describeStrictJsonProblem, readStrictJson, STRICT_JSON_CODE } from "../lib/strict-json";

/**
 * Stage 3a's first step on every public route: the raw body bytes → one JSON value that means the same
 * thing to the gateway and to any provider the bytes are forwarded to, under the rules of
 * src/lib/strict-json.ts (UTF-8, no key twice in one object, bounded nesting), and, on the routes
 * that read it, a `model` within the model-name rule (`checkModelName`), because the name travels in
 * a response header and in log lines. Every problem is a 400 `invalid_request_error` that says what to
 * fix, before anything is called or counted.
 */

export { MAX_JSON_DEPTH } from "../lib/strict-json";

/** The longest model name accepted, in characters. */
export const MAX_MODEL_NAME_LENGTH = 256;

function invalidJson(code: string, message: string, param: string | null = null): GatewayError {
  return new GatewayError("invalid_request_error", code, message, { param });
}

/**
 * The body as a JSON value, or a 400: `invalid_json` (empty, too deep, not JSON), `invalid_encoding`
 * (not UTF-8) or `duplicate_key` (with `param` at the key).
 */
export function parseStrictJson(raw: Uint8Array): unknown {
  const read = readStrictJson(raw);
  if (read.ok) return read.value;
  const { problem } = read;
  const next = problem.kind === "empty" || problem.kind === "syntax" ? "; send a JSON object." : ".";
  throw invalidJson(
    STRICT_JSON_CODE[problem.kind],
    `${describeStrictJsonProblem(problem)}${next}`,
    problem.kind === "duplicate" ? problem.path : null,
  );
}

export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** How a character looks in an error message: `U+000A`. */
const codePoint = (cp: number): string => `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;

/**
 * The model-name rule of every route: 1 to MAX_MODEL_NAME_LENGTH characters of printable ASCII
 * (U+0020 to U+007E: letters, digits, punctuation, spaces), not starting or ending with a space. Model
 * ids are ASCII everywhere (`gpt-4o-mini`, `@cf/meta/llama-3.1-8b-instruct`,
 * `anthropic.claude-3-5-haiku-20241022-v1:0`), and the name is sent back in `X-LangWatch-Model` and
 * written to log lines, which must not carry control characters. `where` names the source in the
 * message ("model", "the model in the path").
 */
export function checkModelName(model: string, where = "model"): void {
  const fix = "Send the model id as the provider names it (GET /v1/models lists what this key may call).";
  if (model.length > MAX_MODEL_NAME_LENGTH) {
    throw invalidJson(
      "invalid_request",
      `${where} is ${model.length} characters long; a model name has at most ${MAX_MODEL_NAME_LENGTH}. ${fix}`,
      "model",
    );
  }
  for (let i = 0; i < model.length; i++) {
    const unit = model.charCodeAt(i);
    if (unit >= 0x20 && unit <= 0x7e) continue;
    const cp = model.codePointAt(i) ?? unit;
    const kind = unit < 0x20 || (unit >= 0x7f && unit <= 0x9f) ? "a control character" : "not printable ASCII";
    throw invalidJson(
      "invalid_request",
      `${where} contains ${codePoint(cp)} (${kind}) at index ${i}; a model name is printable ASCII only. ${fix}`,
      "model",
    );
  }
  if (model.startsWith(" ") || model.endsWith(" ")) {
    throw invalidJson("invalid_request", `${where} starts or ends with a space; remove it. ${fix}`, "model");
  }
}

/**
 * The body of a `/v1` route: a JSON object under parseStrictJson's rules whose `model`, when it is a
 * string, follows the model-name rule (a missing or mistyped model is the route schema's to report).
 */
export function parseRequestObject(raw: Uint8Array): Record<string, unknown> {
  const json = parseStrictJson(raw);
  if (!isJsonObject(json)) {
    throw invalidJson("invalid_request", "The request body must be a JSON object.");
  }
  if (typeof json.model === "string" && json.model !== "") checkModelName(json.model);
  return json;
}
