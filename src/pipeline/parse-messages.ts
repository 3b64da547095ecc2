import * as z from "zod";
import { GatewayError } from "../errors";
import type { RequestBody } from "../contract/wire";
import { parseJson, schemaError } from "./parse-body";

/** Stage 3a for `/v1/messages`: the raw body → a validated Anthropic Messages request. Other fields pass through. */

const block = z.looseObject({ type: z.string().min(1, "must name the block type") });

const messagesSchema = z.looseObject({
  model: z.string().min(1, "must be a non-empty model name"),
  max_tokens: z.number({ error: "must be a positive integer" }).int().positive(),
  messages: z
    .array(
      z.looseObject({
        role: z.enum(["user", "assistant"], { error: 'must be "user" or "assistant"' }),
        content: z.union([z.string(), z.array(block)], { error: "must be a string or an array of content blocks" }),
      }),
      { error: "must be an array of message objects" },
    )
    .min(1, "must contain at least one message"),
  system: z.union([z.string(), z.array(block)], { error: "must be a string or an array of text blocks" }).optional(),
  tools: z.array(z.looseObject({})).optional(),
  stream: z.boolean().optional(),
});

export type MessagesRequest = RequestBody & z.infer<typeof messagesSchema>;

export function parseMessagesRequest(raw: Uint8Array): MessagesRequest {
  const json = parseJson(raw);
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new GatewayError("invalid_request_error", "invalid_request", "The request body must be a JSON object.");
  }
  const parsed = messagesSchema.safeParse(json);
  if (!parsed.success) throw schemaError(parsed.error);
  return parsed.data;
}

/** What admission counts as the prompt of a Messages request: system, messages and tools. */
export function messagesPrompt(body: MessagesRequest): unknown[] {
  return [...(body.system === undefined ? [] : [body.system]), ...body.messages, ...(body.tools ?? [])];
}
