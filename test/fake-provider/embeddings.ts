/**
 * OpenAI embeddings as the fake provider speaks them, at /v1/embeddings and at Azure's
 * /openai/deployments/:deployment/embeddings: one deterministic vector per input (derived from its
 * text or token ids, so the same input always gets the same vector) and `usage.prompt_tokens`, which
 * counts one token per four characters of each string (rounded up) and one per token id.
 */

export const AZURE_EMBEDDINGS_PATH = /^\/openai\/deployments\/([^/]+)\/embeddings$/;

export const FAKE_EMBEDDING_DIMENSIONS = 8;

export interface EmbeddingsRequestLike {
  model?: unknown;
  input?: unknown;
}

/** The inputs one by one: each a string or an array of token ids. */
function inputs(input: unknown): (string | number[])[] {
  if (typeof input === "string") return [input];
  if (!Array.isArray(input)) return [];
  if (input.every((i) => typeof i === "number")) return [input];
  return input as (string | number[])[];
}

const codes = (item: string | number[]): number[] =>
  typeof item === "string" ? [...item].map((c) => c.codePointAt(0) ?? 0) : item;

export function fakeVector(item: string | number[]): number[] {
  const values = codes(item);
  return Array.from({ length: FAKE_EMBEDDING_DIMENSIONS }, (_, d) => {
    const sum = values.reduce((s, v, i) => s + v * ((i + d) % 7) + d, 0);
    return ((sum % 2000) - 1000) / 1000;
  });
}

export const fakeTokenCount = (item: string | number[]): number =>
  typeof item === "string" ? Math.ceil(item.length / 4) : item.length;

export function embeddingsAnswer(req: EmbeddingsRequestLike) {
  const items = inputs(req.input);
  const promptTokens = items.reduce((s, i) => s + fakeTokenCount(i), 0);
  return {
    object: "list",
    data: items.map((item, index) => ({ object: "embedding", index, embedding: fakeVector(item) })),
    model: String(req.model),
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
}
