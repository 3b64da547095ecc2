import { ulid } from "../../lib/ids";
import { fromOpenAIUsage } from "../usage";
import type { OpenAIToolCallOut } from "../../translate/chat-completion";
import type { OpenAIFinishReason } from "../../translate/stop-reasons";
import { openAIUsageFrom, type OpenAIUsageOut } from "../../translate/usage";
import type { WorkersAIOutput, WorkersAIToolCall, WorkersAIUsage } from "./schemas";

/**
 * Reading Workers AI's output (workers-ai-schemas.ts), whichever of its two shapes: the parts an
 * OpenAI answer or chunk is written from. Shared by the answer (workers-ai-response.ts) and the
 * stream (workers-ai-stream.ts) translations.
 */

/** What one answer, or one stream event, says. */
export interface OutputPart {
  text: string;
  reasoning: string;
  toolCalls: WorkersAIToolCall[];
  /** The model's own finish reason, when it gave one. */
  finishReason: string | null;
  usage: WorkersAIUsage | null;
}

/** The parts of an output in either shape; null when it has neither shape's fields. */
export function outputPart(out: WorkersAIOutput): OutputPart | null {
  const usage = out.usage ?? null;
  if (Array.isArray(out.choices)) {
    const choice = out.choices[0];
    const said = choice?.delta ?? choice?.message ?? {};
    return {
      text: said.content ?? "",
      reasoning: said.reasoning_content ?? said.reasoning ?? "",
      toolCalls: said.tool_calls ?? [],
      finishReason: choice?.finish_reason ?? out.finish_reason ?? null,
      usage,
    };
  }
  if (out.response === undefined && out.tool_calls == null && usage === null) return null;
  return {
    text: responseText(out.response),
    reasoning: "",
    toolCalls: out.tool_calls ?? [],
    finishReason: out.finish_reason ?? null,
    usage,
  };
}

/** The native `response` as text: structured output may come as an object, some models answer numbers. */
function responseText(response: WorkersAIOutput["response"]): string {
  if (response === null || response === undefined) return "";
  return typeof response === "string" ? response : JSON.stringify(response);
}

/** A tool call's name, in either shape. */
export const toolCallName = (tc: WorkersAIToolCall): string | null => tc.function?.name ?? tc.name ?? null;

/** A tool call's arguments as OpenAI's JSON text (the native shape gives an object); null when absent. */
export function toolCallArguments(tc: WorkersAIToolCall): string | null {
  const args = tc.function?.arguments ?? tc.arguments;
  if (args === undefined || args === null) return null;
  return typeof args === "string" ? args : JSON.stringify(args);
}

export const freshToolCallId = (): string => `call_${ulid()}`;

/** A whole tool call in OpenAI's shape; null for one without a name. */
export function openAIToolCall(tc: WorkersAIToolCall): OpenAIToolCallOut | null {
  const name = toolCallName(tc);
  if (!name) return null;
  return {
    id: tc.id || freshToolCallId(),
    type: "function",
    function: { name, arguments: toolCallArguments(tc) ?? "{}" },
  };
}

const KNOWN_FINISH: Record<string, OpenAIFinishReason> = {
  stop: "stop",
  length: "length",
  max_tokens: "length",
  tool_calls: "tool_calls",
  function_call: "tool_calls",
  content_filter: "content_filter",
};

/**
 * The finish reason to report: `tool_calls` whenever the answer calls a tool (some models say `stop`
 * then, and clients act on `tool_calls`), else the model's own, else `length` when the output reached
 * `max_tokens` (the native shape says nothing), else `stop`.
 */
export function finishReason(
  given: string | null,
  calledTools: boolean,
  usage: WorkersAIUsage | null,
  maxTokens: number | null,
): OpenAIFinishReason {
  if (calledTools) return "tool_calls";
  const known = given !== null ? KNOWN_FINISH[given] : undefined;
  if (known) return known;
  const output = usage?.completion_tokens;
  return maxTokens !== null && output !== undefined && output >= maxTokens ? "length" : "stop";
}

/** Workers AI's usage in OpenAI's shape (`total_tokens` and cached tokens filled in). */
export function openAIUsage(usage: WorkersAIUsage): OpenAIUsageOut {
  const read = fromOpenAIUsage(usage) ?? { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
  return openAIUsageFrom(read);
}
