import * as z from "zod";

/**
 * What the proxy reads of a body it never changes: whether it is a JSON object (then policy runs on
 * it), the model it names, and its own bound on output tokens. A field of the wrong type is ignored,
 * not refused: the body goes upstream as it is, and the provider answers for it.
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

const jsonObject = z.record(z.string(), z.unknown());

const decoder = new TextDecoder();

function parseObject(raw: Uint8Array): Record<string, unknown> | null {
  const text = decoder.decode(raw).trimStart();
  if (!text.startsWith("{")) return null;
  try {
    const parsed = jsonObject.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export function readProxyBody(raw: Uint8Array): ProxyBody {
  const json = raw.byteLength === 0 ? null : parseObject(raw);
  if (json === null) return { json, model: null, maxOutputTokens: null };
  const fields = fieldsSchema.parse(json);
  return {
    json,
    model: fields.model ?? null,
    maxOutputTokens: fields.max_completion_tokens ?? fields.max_tokens ?? fields.max_output_tokens ?? null,
  };
}
