import * as z from "zod";

/**
 * OpenAI Chat Completions wire shapes, as far as translation reads them. Objects are loose: fields
 * this module does not know pass validation and are reported (requests) or ignored (responses).
 */

export const OpenAITextPart = z.looseObject({ type: z.literal("text"), text: z.string() });
const ImagePart = z.looseObject({
  type: z.literal("image_url"),
  image_url: z.looseObject({ url: z.string(), detail: z.string().optional() }),
});
const AudioPart = z.looseObject({ type: z.literal("input_audio"), input_audio: z.unknown() });
const FilePart = z.looseObject({
  type: z.literal("file"),
  file: z.looseObject({
    file_data: z.string().optional(),
    file_id: z.string().optional(),
    filename: z.string().optional(),
  }),
});
const RefusalPart = z.looseObject({ type: z.literal("refusal"), refusal: z.string() });

export const OpenAIUserPart = z.discriminatedUnion("type", [OpenAITextPart, ImagePart, AudioPart, FilePart]);
export type OpenAIUserPart = z.infer<typeof OpenAIUserPart>;

export const OpenAIToolCall = z.looseObject({
  id: z.string(),
  type: z.literal("function"),
  function: z.looseObject({ name: z.string(), arguments: z.string() }),
});
export type OpenAIToolCall = z.infer<typeof OpenAIToolCall>;

const textContent = z.union([z.string(), z.array(OpenAITextPart)]);

const SystemMessage = z.looseObject({ role: z.literal("system"), content: textContent, name: z.string().optional() });
const DeveloperMessage = z.looseObject({
  role: z.literal("developer"),
  content: textContent,
  name: z.string().optional(),
});
const UserMessage = z.looseObject({
  role: z.literal("user"),
  content: z.union([z.string(), z.array(OpenAIUserPart)]),
  name: z.string().optional(),
});
const AssistantMessage = z.looseObject({
  role: z.literal("assistant"),
  content: z.union([z.string(), z.array(z.discriminatedUnion("type", [OpenAITextPart, RefusalPart]))]).nullish(),
  refusal: z.string().nullish(),
  tool_calls: z.array(OpenAIToolCall).nullish(),
  function_call: z.unknown().optional(),
  name: z.string().optional(),
});
const ToolMessage = z.looseObject({ role: z.literal("tool"), tool_call_id: z.string(), content: textContent });
const FunctionMessage = z.looseObject({
  role: z.literal("function"),
  name: z.string(),
  content: z.string().nullable(),
});

export const OpenAIMessage = z.discriminatedUnion("role", [
  SystemMessage,
  DeveloperMessage,
  UserMessage,
  AssistantMessage,
  ToolMessage,
  FunctionMessage,
]);
export type OpenAIMessage = z.infer<typeof OpenAIMessage>;

export const OpenAITool = z.looseObject({
  type: z.string(),
  function: z
    .looseObject({
      name: z.string(),
      description: z.string().optional(),
      parameters: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullish(),
    })
    .optional(),
});

export const OpenAIToolChoice = z.union([
  z.enum(["auto", "none", "required"]),
  z.looseObject({ type: z.literal("function"), function: z.looseObject({ name: z.string() }) }),
  z.looseObject({ type: z.string() }),
]);

export const OpenAIChatRequest = z.looseObject({
  model: z.string(),
  messages: z.array(OpenAIMessage).min(1),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
  temperature: z.number().min(0).nullish(),
  top_p: z.number().nullish(),
  stop: z.union([z.string(), z.array(z.string())]).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  tools: z.array(OpenAITool).nullish(),
  tool_choice: OpenAIToolChoice.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  user: z.string().nullish(),
});
export type OpenAIChatRequest = z.infer<typeof OpenAIChatRequest>;

export const OpenAIUsage = z.looseObject({
  prompt_tokens: z.number(),
  completion_tokens: z.number(),
  total_tokens: z.number().optional(),
  prompt_tokens_details: z.looseObject({ cached_tokens: z.number().nullish() }).nullish(),
});
export type OpenAIUsage = z.infer<typeof OpenAIUsage>;

export const OpenAIChatCompletion = z.looseObject({
  id: z.string(),
  model: z.string().optional(),
  created: z.number().optional(),
  choices: z
    .array(
      z.looseObject({
        index: z.number().optional(),
        message: z.looseObject({
          content: z.string().nullish(),
          refusal: z.string().nullish(),
          tool_calls: z.array(OpenAIToolCall).nullish(),
        }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1),
  usage: OpenAIUsage.nullish(),
});
export type OpenAIChatCompletion = z.infer<typeof OpenAIChatCompletion>;

export const OpenAIChunk = z.looseObject({
  id: z.string().optional(),
  choices: z
    .array(
      z.looseObject({
        index: z.number().optional(),
        delta: z
          .looseObject({
            content: z.string().nullish(),
            refusal: z.string().nullish(),
            tool_calls: z
              .array(
                z.looseObject({
                  index: z.number(),
                  id: z.string().nullish(),
                  function: z.looseObject({ name: z.string().nullish(), arguments: z.string().nullish() }).nullish(),
                }),
              )
              .nullish(),
          })
          .nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .nullish(),
  usage: OpenAIUsage.nullish(),
  error: z.unknown().optional(),
});
export type OpenAIChunk = z.infer<typeof OpenAIChunk>;

/** The error envelope OpenAI (and OpenAI-compatible servers) answer with. */
export const OpenAIErrorBody = z.looseObject({
  error: z.looseObject({
    message: z.string().nullish(),
    type: z.string().nullish(),
    code: z.union([z.string(), z.number()]).nullish(),
    param: z.string().nullish(),
  }),
});
