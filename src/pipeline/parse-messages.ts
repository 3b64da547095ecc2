import * as z from "zod";
import { GatewayError } from "../errors";
import type { RequestBody } from "../contract/wire";
import { parseRequestObject } from "./json-body";
import { schemaError } from "./parse-body";

/**
 * Stage 3a for `/v1/messages` and `/v1/messages/count_tokens`: the raw body → a validated Anthropic
 * Messages request. Only what the gateway reads is checked; every other field (`thinking`,
 * `context_management`, `output_config`, …) passes through to an Anthropic binding untouched, and a
 * translation drops what the other API cannot honour, with a note.
 */

const block = z.looseObject({ type: z.string().min(1, "must name the block type") });

/**
 * The roles Anthropic accepts in `messages`: `system` turns mid-conversation (Claude Code sends them,
 * with the `mid-conversation-system-…` beta) besides the user and assistant turns.
 */
const ROLES = ["user", "assistant", "system"] as const;

const message = z.looseObject({
  role: z.enum(ROLES, { error: `must be one of ${ROLES.map((r) => `"${r}"`).join(", ")}` }),
  content: z.union([z.string(), z.array(block)], { error: "must be a string or an array of content blocks" }),
});

const conversation = {
  model: z.string().min(1, "must be a non-empty model name"),
  messages: z
    .array(message, { error: "must be an array of message objects" })
    .min(1, "must contain at least one message"),
  system: z.union([z.string(), z.array(block)], { error: "must be a string or an array of text blocks" }).optional(),
  tools: z.array(z.looseObject({}), { error: "must be an array of tool objects" }).optional(),
};

const messagesSchema = z.looseObject({
  ...conversation,
  max_tokens: z.number({ error: "must be a positive integer" }).int().positive(),
  stream: z.boolean().optional(),
});

/** A token count takes the conversation without an output bound (`max_tokens`) or `stream`. */
const countTokensSchema = z.looseObject(conversation);

export type MessagesRequest = RequestBody & z.infer<typeof messagesSchema>;
export type CountTokensRequest = RequestBody & z.infer<typeof countTokensSchema>;

function parseWith<S extends z.ZodType>(schema: S, raw: Uint8Array): z.infer<S> {
  const json = parseRequestObject(raw);
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new GatewayError("invalid_request_error", "invalid_request", "The request body must be a JSON object.");
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw schemaError(parsed.error);
  return parsed.data;
}

export function parseMessagesRequest(raw: Uint8Array): MessagesRequest {
  return parseWith(messagesSchema, raw);
}

export function parseCountTokensRequest(raw: Uint8Array): CountTokensRequest {
  return parseWith(countTokensSchema, raw);
}

/** What admission (and a token-count estimate) counts as the prompt of a Messages request: system, messages and tools. */
export function messagesPrompt(body: CountTokensRequest): unknown[] {
  return [...(body.system === undefined ? [] : [body.system]), ...body.messages, ...(body.tools ?? [])];
}
