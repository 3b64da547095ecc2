import type { RequestBody } from "../../contract/wire";
import { untranslatable } from "../../translate/invalid";
import { DroppedParams, type Translated } from "../../translate/notes";

/**
 * An OpenAI embeddings body (already validated by the route) as the inputs of `env.AI.run(model,
 * inputs)` for a Workers AI text-embeddings model: `input` becomes `text` (a string or an array of
 * strings, as the client sent it). The model travels as `run`'s first argument.
 *
 * Refused with a 400 naming the field, because no Workers AI embedding model can honour them:
 * token-id `input` (the models take text only), `dimensions` (their vectors have a fixed size), and an
 * `encoding_format` other than "float" or "base64". `pooling` and `truncate_inputs`, Workers AI's own
 * parameters of the bge models, are sent as they are; anything else (`user`, …) is left out and
 * reported in `dropped`.
 */

export type EmbeddingEncoding = "float" | "base64";

export interface WorkersAIEmbeddingsCall {
  inputs: Record<string, unknown> & { text: string | string[] };
  /** The texts, one per vector the answer must have. */
  texts: string[];
  encoding: EmbeddingEncoding;
}

/** Workers AI's own parameters, sent as they are. */
const SENT = new Set(["pooling", "truncate_inputs"]);

/** Parameters read here: left out of the inputs without a note. */
const HANDLED = new Set(["model", "input", "encoding_format", "dimensions"]);

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((i) => typeof i === "string");

function texts(input: unknown): string[] {
  if (typeof input === "string") return [input];
  if (isStrings(input)) return input;
  throw untranslatable(
    "input",
    "Workers AI embedding models take text only, not token ids; send the text itself (a string or an array of strings)",
  );
}

function encoding(value: unknown): EmbeddingEncoding {
  if (value === undefined || value === null || value === "float") return "float";
  if (value === "base64") return "base64";
  throw untranslatable("encoding_format", `${JSON.stringify(value)} is not an encoding: use "float" or "base64"`);
}

export function openAIToWorkersAIEmbeddings(body: RequestBody): Translated<WorkersAIEmbeddingsCall> {
  const list = texts(body.input);
  if (body.dimensions !== undefined && body.dimensions !== null) {
    throw untranslatable(
      "dimensions",
      "Workers AI embedding models return vectors of their own fixed size and cannot shorten them; leave dimensions out",
    );
  }
  const call: WorkersAIEmbeddingsCall = {
    inputs: { text: body.input as string | string[] },
    texts: list,
    encoding: encoding(body.encoding_format),
  };
  const dropped = new DroppedParams();
  for (const [key, value] of Object.entries(body)) {
    if (HANDLED.has(key) || value === undefined || value === null) continue;
    if (SENT.has(key)) call.inputs[key] = value;
    else dropped.add(key);
  }
  return { body: call, dropped: dropped.list() };
}
