import * as z from "zod";

/**
 * What `env.AI.run` returns for a text-generation model, as far as the gateway reads it. Workers AI
 * has two output shapes, and a stream's events follow the same two:
 *
 * - the native one, `{ response, tool_calls?, usage? }` (older models such as Llama 3.x): `response` is
 *   the text (structured output may make it an object, a tool-call-only answer leaves it empty or
 *   null), `tool_calls` are `{ name, arguments }` (arguments an object) or OpenAI's
 *   `{ id, type, function: { name, arguments } }`; a stream event carries a `response` fragment, tool
 *   call fragments with an `index`, and the last one `usage`;
 * - OpenAI's chat completion, `{ id, object, created, model, choices: [{ message | delta, finish_reason }],
 *   usage }` (newer models such as gpt-oss, Kimi, GLM), with `reasoning_content` beside `content`.
 *
 * Objects are loose: fields not read here are ignored.
 */

const count = z.number().nonnegative();

export const WorkersAIUsage = z.looseObject({
  prompt_tokens: count.optional(),
  completion_tokens: count.optional(),
  total_tokens: count.optional(),
  prompt_tokens_details: z.looseObject({ cached_tokens: count.optional() }).nullish(),
});
export type WorkersAIUsage = z.infer<typeof WorkersAIUsage>;

/** A tool call, whole or a stream fragment, in either shape; `arguments` is a JSON string or an object. */
export const WorkersAIToolCall = z.looseObject({
  index: z.number().int().nonnegative().nullish(),
  id: z.string().nullish(),
  type: z.string().nullish(),
  name: z.string().nullish(),
  arguments: z.unknown().optional(),
  function: z.looseObject({ name: z.string().nullish(), arguments: z.unknown().optional() }).nullish(),
});
export type WorkersAIToolCall = z.infer<typeof WorkersAIToolCall>;

/** A choice's `message` (an answer) or `delta` (a stream event). */
const ChoiceContent = z.looseObject({
  content: z.string().nullish(),
  reasoning_content: z.string().nullish(),
  reasoning: z.string().nullish(),
  tool_calls: z.array(WorkersAIToolCall).nullish(),
});

const Choice = z.looseObject({
  message: ChoiceContent.nullish(),
  delta: ChoiceContent.nullish(),
  finish_reason: z.string().nullish(),
});

/** A whole answer, or one stream event's data, in either shape. */
export const WorkersAIOutput = z.looseObject({
  id: z.string().nullish(),
  created: z.number().nullish(),
  response: z
    .union([z.string(), z.number(), z.boolean(), z.record(z.string(), z.unknown()), z.array(z.unknown())])
    .nullish(),
  tool_calls: z.array(WorkersAIToolCall).nullish(),
  choices: z.array(Choice).nullish(),
  finish_reason: z.string().nullish(),
  usage: WorkersAIUsage.nullish(),
  /** Some error paths answer with an error object or message instead of throwing. */
  error: z.unknown().optional(),
  errors: z.unknown().optional(),
});
export type WorkersAIOutput = z.infer<typeof WorkersAIOutput>;

/**
 * What `env.AI.run` returns for a text-embeddings model given `{ text }` (`@cf/baai/bge-*`,
 * `@cf/google/embeddinggemma-300m`, …): one vector per text in `data`, `shape` = [texts, dimensions],
 * and `pooling` on the bge models. No model documents `usage`; it is read if one reports it.
 */
export const WorkersAIEmbeddingsOutput = z.looseObject({
  data: z.array(z.array(z.number())),
  shape: z.array(z.number()).nullish(),
  usage: WorkersAIUsage.nullish(),
});
export type WorkersAIEmbeddingsOutput = z.infer<typeof WorkersAIEmbeddingsOutput>;
