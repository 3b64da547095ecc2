import { completionIdFromMessageId, unixSeconds } from "./ids";
import { parseUpstream } from "./invalid";
import { AnthropicMessage } from "./schemas/anthropic";
import { finishReasonFromStopReason, type OpenAIFinishReason } from "./stop-reasons";
import { openAIUsageFrom, tokenUsageFromAnthropic, type OpenAIUsageOut } from "./usage";

export interface OpenAIChatCompletionOut {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: {
    index: number;
    message: {
      role: "assistant";
      content: string | null;
      refusal: null;
      tool_calls?: { id: string; type: "function"; function: { name: string; arguments: string } }[];
    };
    logprobs: null;
    finish_reason: OpenAIFinishReason;
  }[];
  usage: OpenAIUsageOut;
}

/**
 * A non-streaming Anthropic message as an OpenAI chat completion: text blocks joined into `content`,
 * `tool_use` blocks as `tool_calls` (input as a JSON string), thinking and server-tool blocks left out.
 */
export function anthropicToOpenAIResponse(message: unknown, opts: { model?: string } = {}): OpenAIChatCompletionOut {
  const msg = parseUpstream(AnthropicMessage, message);
  let text = "";
  const toolCalls: NonNullable<OpenAIChatCompletionOut["choices"][number]["message"]["tool_calls"]> = [];
  for (const block of msg.content) {
    if (block.type === "text" && typeof block.text === "string") text += block.text;
    else if (block.type === "tool_use" && typeof block.id === "string" && typeof block.name === "string") {
      toolCalls.push({
        id: block.id,
        type: "function",
        function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) },
      });
    }
  }
  return {
    id: completionIdFromMessageId(msg.id),
    object: "chat.completion",
    created: unixSeconds(),
    model: opts.model ?? msg.model ?? "unknown",
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: text === "" && toolCalls.length > 0 ? null : text,
          refusal: null,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        },
        logprobs: null,
        finish_reason: finishReasonFromStopReason(msg.stop_reason),
      },
    ],
    usage: openAIUsageFrom(tokenUsageFromAnthropic(msg.usage)),
  };
}
