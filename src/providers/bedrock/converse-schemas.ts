import * as z from "zod";

/**
 * AWS Bedrock Converse wire shapes: the request the gateway writes (plain types: it is built, never
 * parsed) and the answers it reads (zod, loose: fields this module does not know are ignored).
 * Binary fields (`bytes`) travel as base64 strings, as Bedrock's JSON protocol encodes them.
 */

export type ConverseImageFormat = "png" | "jpeg" | "gif" | "webp";
export type ConverseDocumentFormat = "pdf" | "csv" | "doc" | "docx" | "xls" | "xlsx" | "html" | "txt" | "md";

export type ConverseToolResultContent = { text: string };

/**
 * A prompt-cache checkpoint: everything before it (tools, then system, then messages) is cached. It
 * stands in the list right after the block it closes; `ttl` is `5m` (the default) or `1h`.
 */
export type ConverseCachePoint = { cachePoint: { type: "default"; ttl?: string } };

export type ConverseContentBlock =
  | { text: string }
  | { image: { format: ConverseImageFormat; source: { bytes: string } } }
  | { document: { format: ConverseDocumentFormat; name: string; source: { bytes: string } } }
  | { toolUse: { toolUseId: string; name: string; input: Record<string, unknown> } }
  | { toolResult: { toolUseId: string; content: ConverseToolResultContent[] } }
  | ConverseCachePoint;

export interface ConverseMessage {
  role: "user" | "assistant";
  content: ConverseContentBlock[];
}

export type ConverseTool =
  | { toolSpec: { name: string; description?: string; inputSchema: { json: Record<string, unknown> } } }
  | ConverseCachePoint;

export type ConverseToolChoice =
  { auto: Record<string, never> } | { any: Record<string, never> } | { tool: { name: string } };

export interface ConverseInferenceConfig {
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stopSequences?: string[];
}

/** The body of POST /model/{modelId}/converse and /converse-stream (the model is in the path). */
export interface ConverseRequest {
  messages: ConverseMessage[];
  system?: ({ text: string } | ConverseCachePoint)[];
  inferenceConfig?: ConverseInferenceConfig;
  toolConfig?: { tools: ConverseTool[]; toolChoice?: ConverseToolChoice };
}

/** Token counts; `inputTokens` leaves out the cached prompt tokens, as Anthropic's `input_tokens` does. */
export const ConverseUsage = z.looseObject({
  inputTokens: z.number().nullish(),
  outputTokens: z.number().nullish(),
  totalTokens: z.number().nullish(),
  cacheReadInputTokens: z.number().nullish(),
  cacheWriteInputTokens: z.number().nullish(),
});
export type ConverseUsage = z.infer<typeof ConverseUsage>;

const ToolUse = z.looseObject({ toolUseId: z.string(), name: z.string(), input: z.unknown() });

/** A response content block: text, a tool call, or another kind (reasoning, citations: skipped). */
const ResponseBlock = z.looseObject({ text: z.string().optional(), toolUse: ToolUse.optional() });

/** A Converse answer. */
export const ConverseResponse = z.looseObject({
  output: z.looseObject({
    message: z.looseObject({ role: z.string().optional(), content: z.array(ResponseBlock) }),
  }),
  stopReason: z.string().nullish(),
  usage: ConverseUsage.nullish(),
});
export type ConverseResponse = z.infer<typeof ConverseResponse>;

/** The payloads of ConverseStream's events, by `:event-type`. Other event types are skipped. */
export const ConverseStreamPayloads = {
  messageStart: z.looseObject({ role: z.string().optional() }),
  contentBlockStart: z.looseObject({
    contentBlockIndex: z.number(),
    start: z.looseObject({ toolUse: z.looseObject({ toolUseId: z.string(), name: z.string() }).optional() }),
  }),
  contentBlockDelta: z.looseObject({
    contentBlockIndex: z.number(),
    delta: z.looseObject({
      text: z.string().optional(),
      toolUse: z.looseObject({ input: z.string() }).optional(),
    }),
  }),
  contentBlockStop: z.looseObject({ contentBlockIndex: z.number() }),
  messageStop: z.looseObject({ stopReason: z.string() }),
  metadata: z.looseObject({ usage: ConverseUsage.nullish() }),
} as const;

/** An error body: `{"message": …}` (some services spell it `Message`), with the type in a header or `__type`. */
export const ConverseErrorBody = z.looseObject({
  message: z.string().nullish(),
  Message: z.string().nullish(),
  __type: z.string().nullish(),
});
