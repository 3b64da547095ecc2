import { cacheControlOf, withCacheControl } from "./cache-control";
import { untranslatable } from "./invalid";
import type { DroppedParams } from "./notes";
import type { AnthropicMessagesRequest } from "./schemas/anthropic";
import type { OpenAIChatRequest } from "./schemas/openai";

/** Anthropic `tools` / `tool_choice` → OpenAI `tools` / `tool_choice` / `parallel_tool_calls`. */

type OpenAIToolOut = NonNullable<OpenAIChatRequest["tools"]>[number];
type OpenAIToolChoiceOut = NonNullable<OpenAIChatRequest["tool_choice"]>;

const EMPTY_SCHEMA = { type: "object", properties: {} };

/**
 * Client tools become function tools; Anthropic's server tools (web search, bash, …) have no
 * equivalent. A tool's `cache_control` marker is dropped, or kept on the tool with `keepMarkers`.
 */
export function openAITools(
  tools: AnthropicMessagesRequest["tools"],
  dropped: DroppedParams,
  keepMarkers = false,
): OpenAIToolOut[] {
  const out: OpenAIToolOut[] = [];
  (tools ?? []).forEach((tool, i) => {
    if (tool.type != null && tool.type !== "custom") {
      dropped.add(`tools[${i}] (type "${tool.type}")`);
      return;
    }
    if (tool.cache_control != null && !keepMarkers) dropped.add("cache_control");
    out.push({
      type: "function",
      function: {
        name: tool.name,
        ...(tool.description !== undefined ? { description: tool.description } : {}),
        parameters: tool.input_schema ?? EMPTY_SCHEMA,
      },
      ...(keepMarkers ? withCacheControl(cacheControlOf(tool, dropped)) : {}),
    });
  });
  return out;
}

export interface OpenAIToolChoiceParams {
  tool_choice?: OpenAIToolChoiceOut;
  parallel_tool_calls?: boolean;
}

export function openAIToolChoice(choice: AnthropicMessagesRequest["tool_choice"]): OpenAIToolChoiceParams {
  if (!choice) return {};
  const out: OpenAIToolChoiceParams = {};
  switch (choice.type) {
    case "auto":
      out.tool_choice = "auto";
      break;
    case "none":
      return { tool_choice: "none" };
    case "any":
      out.tool_choice = "required";
      break;
    case "tool":
      if (!choice.name) throw untranslatable("tool_choice.name", 'a tool_choice of type "tool" must name the tool');
      out.tool_choice = { type: "function", function: { name: choice.name } };
      break;
  }
  if (choice.disable_parallel_tool_use === true) out.parallel_tool_calls = false;
  return out;
}
