import { chatCompletion, type OpenAIChatCompletionBase, type OpenAIToolCallOut } from "../../translate/chat-completion";
import { malformedUpstream, parseUpstream } from "../../translate/invalid";
import type { OpenAIUsageOut } from "../../translate/usage";
import { finishReason, openAIToolCall, openAIUsage, outputPart } from "./output";
import { WorkersAIOutput } from "./schemas";
import { ulid } from "../../lib/ids";

export type WorkersAICompletionOut = OpenAIChatCompletionBase & {
  /** Absent when Workers AI reported none (the gateway then records no tokens it did not see). */
  usage?: OpenAIUsageOut;
};

export interface WorkersAIResponseOptions {
  /** The model the client asked for, named in the answer. */
  model: string;
  /** The request's `max_tokens`, to tell a truncated native answer (`length`) from a finished one. */
  maxTokens: number | null;
}

/**
 * What `env.AI.run` returned for a non-streaming text-generation request, in either of its shapes, as
 * an OpenAI chat completion: the text (`content: null` when the answer is only tool calls), tool calls
 * with their arguments as JSON text, reasoning as `reasoning_content`, the finish reason, and usage.
 * An output of neither shape throws a 502 GatewayError (`untranslatable_response`).
 */
export function workersAIToOpenAIResponse(result: unknown, opts: WorkersAIResponseOptions): WorkersAICompletionOut {
  const output = parseUpstream(WorkersAIOutput, result);
  const part = outputPart(output);
  if (!part) throw malformedUpstream("response", "has neither `response` nor `choices`");
  const toolCalls = part.toolCalls.map(openAIToolCall).filter((c): c is OpenAIToolCallOut => c !== null);
  return {
    ...chatCompletion({
      id: output.id ? `chatcmpl-${output.id.replace(/^chatcmpl-/, "")}` : `chatcmpl-${ulid()}`,
      created: output.created ?? undefined,
      model: opts.model,
      text: part.text,
      toolCalls,
      reasoning: part.reasoning,
      finishReason: finishReason(part.finishReason, toolCalls.length > 0, part.usage, opts.maxTokens),
    }),
    ...(part.usage ? { usage: openAIUsage(part.usage) } : {}),
  };
}
