import * as z from "zod";

/**
 * Anthropic Messages wire shapes, as far as translation reads them. Objects are loose: fields this
 * module does not know pass validation and are reported (requests) or ignored (responses).
 */

export const AnthropicTextBlock = z.looseObject({ type: z.literal("text"), text: z.string() });

const Base64Source = z.looseObject({ type: z.literal("base64"), media_type: z.string(), data: z.string() });
const UrlSource = z.looseObject({ type: z.literal("url"), url: z.string() });
const OtherSource = z.looseObject({ type: z.enum(["file", "text", "content"]) });
export const AnthropicSource = z.discriminatedUnion("type", [Base64Source, UrlSource, OtherSource]);
export type AnthropicSource = z.infer<typeof AnthropicSource>;

export const AnthropicImageBlock = z.looseObject({ type: z.literal("image"), source: AnthropicSource });
const DocumentBlock = z.looseObject({
  type: z.literal("document"),
  source: AnthropicSource,
  title: z.string().nullish(),
});
export const AnthropicToolUseBlock = z.looseObject({
  type: z.literal("tool_use"),
  id: z.string(),
  name: z.string(),
  input: z.record(z.string(), z.unknown()),
});
const ToolResultBlock = z.looseObject({
  type: z.literal("tool_result"),
  tool_use_id: z.string(),
  content: z
    .union([z.string(), z.array(z.discriminatedUnion("type", [AnthropicTextBlock, AnthropicImageBlock]))])
    .optional(),
  is_error: z.boolean().optional(),
});
const ThinkingBlock = z.looseObject({ type: z.literal("thinking"), thinking: z.string() });
const RedactedThinkingBlock = z.looseObject({ type: z.literal("redacted_thinking"), data: z.string() });

export const AnthropicContentBlock = z.discriminatedUnion("type", [
  AnthropicTextBlock,
  AnthropicImageBlock,
  DocumentBlock,
  AnthropicToolUseBlock,
  ToolResultBlock,
  ThinkingBlock,
  RedactedThinkingBlock,
]);
export type AnthropicContentBlock = z.infer<typeof AnthropicContentBlock>;

export const AnthropicMessageParam = z.looseObject({
  role: z.enum(["user", "assistant"]),
  content: z.union([z.string(), z.array(AnthropicContentBlock)]),
});
export type AnthropicMessageParam = z.infer<typeof AnthropicMessageParam>;

export const AnthropicTool = z.looseObject({
  name: z.string(),
  type: z.string().nullish(),
  description: z.string().optional(),
  input_schema: z.record(z.string(), z.unknown()).optional(),
});

export const AnthropicToolChoice = z.looseObject({
  type: z.enum(["auto", "any", "none", "tool"]),
  name: z.string().optional(),
  disable_parallel_tool_use: z.boolean().optional(),
});
export type AnthropicToolChoice = z.infer<typeof AnthropicToolChoice>;

export const AnthropicMessagesRequest = z.looseObject({
  model: z.string(),
  messages: z.array(AnthropicMessageParam).min(1),
  system: z.union([z.string(), z.array(AnthropicTextBlock)]).optional(),
  max_tokens: z.number().int().positive().optional(),
  temperature: z.number().optional(),
  top_p: z.number().optional(),
  stop_sequences: z.array(z.string()).optional(),
  stream: z.boolean().optional(),
  tools: z.array(AnthropicTool).optional(),
  tool_choice: AnthropicToolChoice.optional(),
  metadata: z.looseObject({ user_id: z.string().nullish() }).optional(),
});
export type AnthropicMessagesRequest = z.infer<typeof AnthropicMessagesRequest>;

export const AnthropicUsage = z.looseObject({
  input_tokens: z.number().nullish(),
  output_tokens: z.number().nullish(),
  cache_creation_input_tokens: z.number().nullish(),
  cache_read_input_tokens: z.number().nullish(),
});
export type AnthropicUsage = z.infer<typeof AnthropicUsage>;

/** A response content block: the kinds translation reads, and any other kind (skipped). */
const ResponseBlock = z.union([AnthropicTextBlock, AnthropicToolUseBlock, z.looseObject({ type: z.string() })]);

export const AnthropicMessage = z.looseObject({
  id: z.string(),
  type: z.literal("message").optional(),
  role: z.literal("assistant").optional(),
  model: z.string().optional(),
  content: z.array(ResponseBlock),
  stop_reason: z.string().nullish(),
  stop_sequence: z.string().nullish(),
  usage: AnthropicUsage,
});
export type AnthropicMessage = z.infer<typeof AnthropicMessage>;

/** The stream events translation reads; other event types are skipped. */
export const AnthropicStreamEvent = z.discriminatedUnion("type", [
  z.looseObject({
    type: z.literal("message_start"),
    message: z.looseObject({ id: z.string(), model: z.string().optional(), usage: AnthropicUsage.optional() }),
  }),
  z.looseObject({
    type: z.literal("content_block_start"),
    index: z.number(),
    content_block: z.looseObject({
      type: z.string(),
      id: z.string().optional(),
      name: z.string().optional(),
      text: z.string().optional(),
    }),
  }),
  z.looseObject({
    type: z.literal("content_block_delta"),
    index: z.number(),
    delta: z.looseObject({ type: z.string(), text: z.string().optional(), partial_json: z.string().optional() }),
  }),
  z.looseObject({ type: z.literal("content_block_stop"), index: z.number() }),
  z.looseObject({
    type: z.literal("message_delta"),
    delta: z.looseObject({ stop_reason: z.string().nullish() }),
    usage: AnthropicUsage.optional(),
  }),
  z.looseObject({ type: z.literal("message_stop") }),
  z.looseObject({ type: z.literal("ping") }),
  z.looseObject({
    type: z.literal("error"),
    error: z.looseObject({ type: z.string().optional(), message: z.string().optional() }),
  }),
]);
export type AnthropicStreamEvent = z.infer<typeof AnthropicStreamEvent>;

/** The error envelope Anthropic answers with. */
export const AnthropicErrorBody = z.looseObject({
  type: z.literal("error").optional(),
  error: z.looseObject({ type: z.string().nullish(), message: z.string().nullish() }),
});
