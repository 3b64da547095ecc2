import { anthropicToolId, messageIdFromCompletionId } from "./ids";
import { malformedUpstream, parseUpstream } from "./invalid";
import { OpenAIChatCompletion } from "./schemas/openai";
import { stopReasonFromFinishReason, type AnthropicStopReason } from "./stop-reasons";
import { anthropicUsageFrom, tokenUsageFromOpenAI, type AnthropicUsageOut } from "./usage";

export type AnthropicResponseBlock =
  { type: "text"; text: string } | { type: "tool_use"; id: string; name: string; input: Record<string, unknown> };

export interface AnthropicMessageOut {
  id: string;
  type: "message";
  role: "assistant";
  model: string;
  content: AnthropicResponseBlock[];
  stop_reason: AnthropicStopReason;
  stop_sequence: null;
  usage: AnthropicUsageOut;
}

/**
 * A non-streaming OpenAI chat completion (its first choice) as an Anthropic message: content (or a
 * refusal) as a text block, tool calls as `tool_use` blocks with parsed `input`.
 */
export function openAIToAnthropicResponse(completion: unknown, opts: { model?: string } = {}): AnthropicMessageOut {
  const c = parseUpstream(OpenAIChatCompletion, completion);
  const choice = c.choices[0] as (typeof c.choices)[number];
  const content: AnthropicResponseBlock[] = [];
  const text = choice.message.content || choice.message.refusal || "";
  if (text !== "") content.push({ type: "text", text });
  (choice.message.tool_calls ?? []).forEach((call, k) => {
    content.push({
      type: "tool_use",
      id: anthropicToolId(call.id),
      name: call.function.name,
      input: toolInput(call.function.arguments, `choices[0].message.tool_calls[${k}].function.arguments`),
    });
  });
  return {
    id: messageIdFromCompletionId(c.id),
    type: "message",
    role: "assistant",
    model: opts.model ?? c.model ?? "unknown",
    content,
    stop_reason: stopReasonFromFinishReason(choice.finish_reason),
    stop_sequence: null,
    usage: anthropicUsageFrom(
      c.usage
        ? tokenUsageFromOpenAI(c.usage)
        : { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
    ),
  };
}

function toolInput(args: string, field: string): Record<string, unknown> {
  if (args.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    throw malformedUpstream(field, "not valid JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw malformedUpstream(field, "not a JSON object");
  }
  return parsed as Record<string, unknown>;
}
