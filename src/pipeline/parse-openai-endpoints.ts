import * as z from "zod";
import type { RequestBody } from "../contract/wire";
import { parseRequestObject } from "./json-body";
import { schemaError } from "./parse-body";

/** Stage 3a for OpenAI's embeddings and Responses bodies: validated minimally; other fields pass through. */

const tokens = z.array(z.number().int().nonnegative()).min(1, "must not be an empty token array");

const embeddingsSchema = z.looseObject({
  model: z.string().min(1, "must be a non-empty model name"),
  input: z.union(
    [
      z.string().min(1, "must not be empty"),
      z.array(z.string().min(1, "must not be empty")).min(1, "must not be an empty array"),
      tokens,
      z.array(tokens).min(1, "must not be an empty array"),
    ],
    { error: "must be a string, an array of strings, an array of token ids, or an array of token-id arrays" },
  ),
  stream: z.literal(false, { error: "is not supported: embeddings are not streamed" }).nullish(),
});

const responsesSchema = z.looseObject({
  model: z.string().min(1, "must be a non-empty model name"),
  input: z.union([z.string(), z.array(z.unknown())], { error: "must be a string or an array of input items" }),
  instructions: z.string().nullish(),
  stream: z.boolean().nullish(),
  max_output_tokens: z.number().int().positive().nullish(),
});

export type EmbeddingsRequest = RequestBody & z.infer<typeof embeddingsSchema>;
export type ResponsesRequest = RequestBody & z.infer<typeof responsesSchema>;

function parseObject<T extends z.ZodType>(raw: Uint8Array, schema: T): z.infer<T> {
  const parsed = schema.safeParse(parseRequestObject(raw));
  if (!parsed.success) throw schemaError(parsed.error);
  return parsed.data;
}

export function parseEmbeddingsRequest(raw: Uint8Array): EmbeddingsRequest {
  const body = parseObject(raw, embeddingsSchema);
  delete body.stream;
  return body as EmbeddingsRequest;
}

export function parseResponsesRequest(raw: Uint8Array): ResponsesRequest {
  const body = parseObject(raw, responsesSchema);
  if (body.stream === null) delete body.stream;
  return body as ResponsesRequest;
}
