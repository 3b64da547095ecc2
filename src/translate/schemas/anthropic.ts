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
/** A client's block of another kind than `known` reads: carried as it is, for translation to drop with a note. */
export type AnthropicOtherBlock = { type: string } & Record<string, unknown>;

/**
 * A client's block: one of the kinds `known` names must have that kind's shape (the issue names the
 * field that is wrong); a block of any other kind passes as an `AnthropicOtherBlock`.
 */
function knownOrOther<T extends { type: string }>(known: z.ZodType<T>, types: ReadonlySet<string>) {
  return z.looseObject({ type: z.string() }).transform((block, ctx): T | AnthropicOtherBlock => {
    if (!types.has(block.type)) return block;
    const parsed = known.safeParse(block);
    if (parsed.success) return parsed.data;
    // The issues as they are (a union's keeps its branches), so the deepest names the wrong field.
    for (const issue of parsed.error.issues) ctx.addIssue({ ...issue });
    return z.NEVER;
  });
}

const ToolResultPart = z.discriminatedUnion("type", [AnthropicTextBlock, AnthropicImageBlock]);
type ToolResultPart = z.infer<typeof ToolResultPart>;

/** Whether a tool result's block is text or an image (the kinds translation carries over). */
export const isToolResultPart = (part: ToolResultPart | AnthropicOtherBlock): part is ToolResultPart =>
  part.type === "text" || part.type === "image";

const ToolResultBlock = z.looseObject({
  type: z.literal("tool_result"),
  tool_use_id: z.string(),
  content: z.union([z.string(), z.array(knownOrOther(ToolResultPart, new Set(["text", "image"])))]).optional(),
  is_error: z.boolean().optional(),
});
const ThinkingBlock = z.looseObject({ type: z.literal("thinking"), thinking: z.string() });
const RedactedThinkingBlock = z.looseObject({ type: z.literal("redacted_thinking"), data: z.string() });

/** The block kinds translation carries over (and what a translation into Anthropic's format writes). */
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

const KNOWN_BLOCK_TYPES: ReadonlySet<string> = new Set(AnthropicContentBlock.options.map((o) => o.shape.type.value));

/**
 * A content block in a client's request: a known kind, or one translation has no counterpart for
 * (server tool calls and their results, search results, container uploads, blocks of later betas),
 * accepted and left out with a note.
 */
export const AnthropicRequestBlock = knownOrOther(AnthropicContentBlock, KNOWN_BLOCK_TYPES);
export type AnthropicRequestBlock = AnthropicContentBlock | AnthropicOtherBlock;

/** Whether a client's block is one of the kinds translation carries over. */
export const isKnownBlock = (block: AnthropicRequestBlock): block is AnthropicContentBlock =>
  KNOWN_BLOCK_TYPES.has(block.type);

/** A user or assistant turn, as a translation into Anthropic's format writes it. */
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

/**
 * A turn in a client's request: besides user and assistant turns, `system` turns inside `messages`
 * (Anthropic takes them mid-conversation; Claude Code sends them).
 */
export const AnthropicRequestMessage = z.looseObject({
  role: z.enum(["user", "assistant", "system"]),
  content: z.union([z.string(), z.array(AnthropicRequestBlock)]),
});
export type AnthropicRequestMessage = z.infer<typeof AnthropicRequestMessage>;

export const AnthropicMessagesRequest = z.looseObject({
  model: z.string(),
  messages: z.array(AnthropicRequestMessage).min(1),
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
