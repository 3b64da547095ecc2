import { chatCompletion, type OpenAIChatCompletionOut, type OpenAIToolCallOut } from "./chat-completion";
import { completionIdFromMessageId } from "./ids";
import { parseUpstream } from "./invalid";
import { AnthropicMessage } from "./schemas/anthropic";
import { finishReasonFromStopReason } from "./stop-reasons";
import { openAIUsageFrom, tokenUsageFromAnthropic } from "./usage";

/**
 * A non-streaming Anthropic message as an OpenAI chat completion: text blocks joined into `content`,
 * `tool_use` blocks as `tool_calls` (input as a JSON string), thinking and server-tool blocks left out.
 */
export function anthropicToOpenAIResponse(message: unknown, opts: { model?: string } = {}): OpenAIChatCompletionOut {
  const msg = parseUpstream(AnthropicMessage, message);
  let text = "";
  const toolCalls: OpenAIToolCallOut[] = [];
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
    ...chatCompletion({
      id: completionIdFromMessageId(msg.id),
      model: opts.model ?? msg.model ?? "unknown",
      text,
      toolCalls,
      finishReason: finishReasonFromStopReason(msg.stop_reason),
    }),
    usage: openAIUsageFrom(tokenUsageFromAnthropic(msg.usage)),
  };
}
