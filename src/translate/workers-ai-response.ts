import { unixSeconds } from "./ids";
import { malformedUpstream, parseUpstream } from "./invalid";
import type { OpenAIFinishReason } from "./stop-reasons";
import type { OpenAIUsageOut } from "./usage";
import { finishReason, openAIToolCall, openAIUsage, outputPart, type OpenAIToolCallOut } from "./workers-ai-output";
import { WorkersAIOutput } from "./workers-ai-schemas";
import { ulid } from "../lib/ids";

export interface WorkersAICompletionOut {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: {
    index: 0;
    message: {
      role: "assistant";
      content: string | null;
      refusal: null;
      tool_calls?: OpenAIToolCallOut[];
      reasoning_content?: string;
    };
    logprobs: null;
    finish_reason: OpenAIFinishReason;
  }[];
  /** Absent when Workers AI reported none (the gateway then records no tokens it did not see). */
  usage?: OpenAIUsageOut;
}

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
    id: output.id ? `chatcmpl-${output.id.replace(/^chatcmpl-/, "")}` : `chatcmpl-${ulid()}`,
    object: "chat.completion",
    created: output.created ?? unixSeconds(),
    model: opts.model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: part.text === "" && toolCalls.length > 0 ? null : part.text,
          refusal: null,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
          ...(part.reasoning ? { reasoning_content: part.reasoning } : {}),
        },
        logprobs: null,
        finish_reason: finishReason(part.finishReason, toolCalls.length > 0, part.usage, opts.maxTokens),
      },
    ],
    ...(part.usage ? { usage: openAIUsage(part.usage) } : {}),
  };
}
