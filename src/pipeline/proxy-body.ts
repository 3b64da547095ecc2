import * as z from "zod";
import { checkModelName, isJsonObject, parseStrictJson } from "./json-body";

/**
 * What the proxy reads of a body it never changes: whether it is a JSON object (then policy runs on
 * it), the model it names, and its own bound on output tokens. A field of the wrong type is ignored,
 * not refused: the body goes upstream as it is, and the provider answers for it.
 *
 * A body the gateway reads as JSON (a JSON `content-type`, or a first non-blank character `{`) must be
 * JSON every parser reads the same way, under the rules of json-body.ts (UTF-8, valid, no duplicate
 * keys, bounded nesting), or it is refused with a 400: policy checks what the gateway parsed, while
 * the provider parses the same bytes itself. A `model` string follows the model-name rule.
 */

export interface ProxyBody {
  /** The body as a JSON object, or null (empty, not JSON, or JSON that is not an object). */
  json: Record<string, unknown> | null;
  /** The body's `model` when it is a non-empty string. */
  model: string | null;
  /** `max_completion_tokens` ?? `max_tokens` ?? `max_output_tokens` (Responses), when a positive integer. */
  maxOutputTokens: number | null;
}

const bound = z.number().int().positive().optional().catch(undefined);

const fieldsSchema = z.looseObject({
  model: z.string().min(1).optional().catch(undefined),
  max_completion_tokens: bound,
  max_tokens: bound,
  max_output_tokens: bound,
});

const NOT_JSON: ProxyBody = { json: null, model: null, maxOutputTokens: null };

/** `application/json`, `application/vnd.api+json`, … (parameters such as `charset` ignored). */
function isJsonContentType(contentType: string | null): boolean {
  if (contentType === null) return false;
  const media = (contentType.split(";")[0] ?? "").trim().toLowerCase();
  return media === "application/json" || media.endsWith("+json");
}

/** Whether the first byte after JSON whitespace (and a UTF-8 byte-order mark) is `{`. */
function startsLikeObject(raw: Uint8Array): boolean {
  let i = raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf ? 3 : 0;
  while (i < raw.length && (raw[i] === 0x20 || raw[i] === 0x09 || raw[i] === 0x0a || raw[i] === 0x0d)) i++;
  return raw[i] === 0x7b;
}

export function readProxyBody(raw: Uint8Array, contentType: string | null = null): ProxyBody {
  if (raw.byteLength === 0 || !(startsLikeObject(raw) || isJsonContentType(contentType))) return NOT_JSON;
  const value = parseStrictJson(raw);
  if (!isJsonObject(value)) return NOT_JSON;
  const fields = fieldsSchema.parse(value);
  if (fields.model !== undefined) checkModelName(fields.model);
  return {
    json: value,
    model: fields.model ?? null,
    maxOutputTokens: fields.max_completion_tokens ?? fields.max_tokens ?? fields.max_output_tokens ?? null,
  };
}

/** The model a provider's path names (Bedrock's `/model/{modelId}/…`), under the model-name rule. */
export function checkedPathModel(model: string | null): string | null {
  if (model !== null) checkModelName(model, "the model in the path");
  return model;
}
