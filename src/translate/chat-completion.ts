import { unixSeconds } from "./ids";
import type { OpenAIFinishReason } from "./stop-reasons";
import type { OpenAIUsageOut } from "./usage";

/**
 * An OpenAI chat completion (one choice) as every translation into OpenAI writes it, whatever the
 * provider's answer looked like: Anthropic's message, Bedrock's Converse output, Workers AI's output.
 */

export interface OpenAIToolCallOut {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/** A chat completion without its `usage`, which each translation adds in its own form. */
export interface OpenAIChatCompletionBase {
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
}

export type OpenAIChatCompletionOut = OpenAIChatCompletionBase & { usage: OpenAIUsageOut };

export interface CompletionParts {
  id: string;
  /** Seconds since the epoch; now when absent. */
  created?: number;
  model: string;
  /** The answer's text (`content` is null when it is empty and the answer calls tools). */
  text: string;
  toolCalls: OpenAIToolCallOut[];
  /** The model's reasoning, as `reasoning_content`, when it gave any. */
  reasoning?: string;
  finishReason: OpenAIFinishReason;
}

export function chatCompletion(parts: CompletionParts): OpenAIChatCompletionBase {
  const { text, toolCalls, reasoning } = parts;
  return {
    id: parts.id,
    object: "chat.completion",
    created: parts.created ?? unixSeconds(),
    model: parts.model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: text === "" && toolCalls.length > 0 ? null : text,
          refusal: null,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
          ...(reasoning ? { reasoning_content: reasoning } : {}),
        },
        logprobs: null,
        finish_reason: parts.finishReason,
      },
    ],
  };
}
