import * as z from "zod";
import { countTokens, tokensOf } from "./tokens";
import { invalidBody } from "./wire";
import { mulberry32 } from "../../lib/prng";

/**
 * OpenAI embeddings as the mock provider answers them: one unit-length vector per input, the same
 * for the same input. A vector is the normalised sum of one pseudo-random vector per token (each
 * drawn from a generator seeded by the token's text, case ignored), so inputs that share words point
 * in similar directions and identical inputs are identical. `dimensions` sets the length (default
 * 1536, as text-embedding-3-small's), `encoding_format: "base64"` packs it as little-endian float32
 * (what the official clients ask for by default). `usage.prompt_tokens` counts the inputs' tokens
 * (tokens.ts) or token ids.
 */

export const DEFAULT_EMBEDDING_DIMENSIONS = 1536;
const MAX_DIMENSIONS = 3072;
/** OpenAI's own limit on the inputs of one request. */
const MAX_INPUTS = 2048;

const tokenIds = z.array(z.number().int().nonnegative()).min(1, "must not be an empty token array");

const embeddingsRequest = z.looseObject({
  model: z.string().min(1, "must be a non-empty model name"),
  input: z.union(
    [
      z.string().min(1, "must not be empty"),
      z.array(z.string().min(1, "must not be empty")).min(1, "must not be an empty array").max(MAX_INPUTS),
      tokenIds,
      z.array(tokenIds).min(1, "must not be an empty array").max(MAX_INPUTS),
    ],
    { error: "must be a string, an array of strings, an array of token ids, or an array of token-id arrays" },
  ),
  encoding_format: z.enum(["float", "base64"], { error: 'must be "float" or "base64"' }).nullish(),
  dimensions: z
    .number()
    .int()
    .min(1, "must be at least 1")
    .max(MAX_DIMENSIONS, `must be at most ${MAX_DIMENSIONS}`)
    .nullish(),
});

type Item = string | number[];

function inputsOf(input: z.infer<typeof embeddingsRequest>["input"]): Item[] {
  if (typeof input === "string") return [input];
  if (input.every((i): i is number => typeof i === "number")) return [input];
  return input;
}

/** A 32-bit FNV-1a hash of `text`. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

function tokenVector(token: string, dimensions: number, cache: Map<string, Float64Array>): Float64Array {
  let v = cache.get(token);
  if (!v) {
    const next = mulberry32(hash32(token));
    v = new Float64Array(dimensions);
    for (let d = 0; d < dimensions; d++) v[d] = next() * 2 - 1;
    cache.set(token, v);
  }
  return v;
}

export function mockEmbedding(item: Item, dimensions: number, cache = new Map<string, Float64Array>()): number[] {
  const tokens = typeof item === "string" ? tokensOf(item.toLowerCase()) : item.map((id) => `#${id}`);
  const sum = new Float64Array(dimensions);
  for (const t of tokens.length > 0 ? tokens : [" "]) {
    const v = tokenVector(t, dimensions, cache);
    for (let d = 0; d < dimensions; d++) sum[d] = (sum[d] as number) + (v[d] as number);
  }
  const norm = Math.sqrt(sum.reduce((s, x) => s + x * x, 0)) || 1;
  return Array.from(sum, (x) => Math.fround(x / norm));
}

function base64Float32(vector: number[]): string {
  const bytes = new Uint8Array(vector.length * 4);
  const view = new DataView(bytes.buffer);
  vector.forEach((x, i) => view.setFloat32(i * 4, x, true));
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** Answers one embeddings request body (already JSON). */
export function embeddingsAnswer(json: unknown): Response {
  const parsed = embeddingsRequest.safeParse(json);
  if (!parsed.success) return invalidBody(parsed.error, "embeddings request");
  const req = parsed.data;
  const dimensions = req.dimensions ?? DEFAULT_EMBEDDING_DIMENSIONS;
  const cache = new Map<string, Float64Array>();
  const items = inputsOf(req.input);
  const promptTokens = items.reduce((n, i) => n + (typeof i === "string" ? countTokens(i) : i.length), 0);
  return Response.json({
    object: "list",
    data: items.map((item, index) => {
      const vector = mockEmbedding(item, dimensions, cache);
      return {
        object: "embedding",
        index,
        embedding: req.encoding_format === "base64" ? base64Float32(vector) : vector,
      };
    }),
    model: req.model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  });
}
