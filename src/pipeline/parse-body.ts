import * as z from "zod";
import { GatewayError } from "../errors";
import type { ChatBody } from "../contract/wire";
import { parseRequestObject, parseStrictJson } from "./json-body";

/** Stage 3a: the raw body → a validated request. Fields the gateway does not read pass through. */

/**
 * The body as a JSON value under the strict rules of json-body.ts (UTF-8, no duplicate keys, bounded
 * nesting). Routes that need an object with a checked `model` call parseRequestObject instead.
 */
export function parseJson(raw: Uint8Array): unknown {
  return parseStrictJson(raw);
}

const chatSchema = z.looseObject({
  model: z.string().min(1, "must be a non-empty model name"),
  messages: z
    .array(z.looseObject({ role: z.string().min(1) }), { error: "must be an array of message objects" })
    .min(1, "must contain at least one message"),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
});

/** Turns the first zod issue into a 400 whose `param` points at the field. */
export function schemaError(error: z.ZodError): GatewayError {
  const issue = error.issues[0];
  const param = issue?.path.length
    ? issue.path
        .map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`))
        .join("")
        .replace(/^\./, "")
    : null;
  const what =
    issue?.code === "invalid_type" && issue.input === undefined ? "is required" : (issue?.message ?? "is invalid");
  return new GatewayError(
    "invalid_request_error",
    "invalid_request",
    `${param ?? "body"} ${what}. Fix the request body and retry.`,
    {
      param,
    },
  );
}

export type ChatRequest = ChatBody & z.infer<typeof chatSchema>;

export function parseChatRequest(raw: Uint8Array): ChatRequest {
  const parsed = chatSchema.safeParse(parseRequestObject(raw));
  if (!parsed.success) throw schemaError(parsed.error);
  const body = parsed.data;
  if (body.stream === null) delete body.stream;
  return body as ChatRequest;
}
