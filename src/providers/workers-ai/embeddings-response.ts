import { malformedUpstream, parseUpstream } from "../../translate/invalid";
import type { EmbeddingEncoding } from "./embeddings-request";
import { WorkersAIEmbeddingsOutput } from "./schemas";

/**
 * A Workers AI text-embeddings output as OpenAI's embeddings answer:
 * `{ object: "list", data: [{ object: "embedding", index, embedding }], model, usage }`, each
 * embedding an array of floats or, for `encoding_format: "base64"`, the vector's float32 values
 * (little-endian) in base64, as OpenAI encodes them.
 */

export interface WorkersAIEmbeddings {
  vectors: number[][];
  /** The prompt tokens Workers AI reported, or null when it reported none (no model documents any). */
  promptTokens: number | null;
}

export interface OpenAIEmbeddingsOut {
  object: "list";
  data: { object: "embedding"; index: number; embedding: number[] | string }[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

/** The vectors of `run`'s output, one per text; any other output throws a 502 GatewayError (`untranslatable_response`). */
export function readWorkersAIEmbeddings(result: unknown, texts: number): WorkersAIEmbeddings {
  const output = parseUpstream(WorkersAIEmbeddingsOutput, result);
  if (output.data.length !== texts) {
    throw malformedUpstream("data", `has ${output.data.length} vectors for ${texts} input texts`);
  }
  const reported = output.usage?.prompt_tokens ?? output.usage?.total_tokens;
  return { vectors: output.data, promptTokens: reported !== undefined && reported > 0 ? reported : null };
}

/** The vector as little-endian float32 bytes, base64-encoded. */
export function float32Base64(vector: readonly number[]): string {
  const bytes = new Uint8Array(vector.length * 4);
  const view = new DataView(bytes.buffer);
  vector.forEach((v, i) => view.setFloat32(i * 4, v, true));
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export function openAIEmbeddings(
  vectors: readonly number[][],
  opts: { model: string; encoding: EmbeddingEncoding; promptTokens: number },
): OpenAIEmbeddingsOut {
  return {
    object: "list",
    data: vectors.map((v, index) => ({
      object: "embedding",
      index,
      embedding: opts.encoding === "base64" ? float32Base64(v) : v,
    })),
    model: opts.model,
    usage: { prompt_tokens: opts.promptTokens, total_tokens: opts.promptTokens },
  };
}
