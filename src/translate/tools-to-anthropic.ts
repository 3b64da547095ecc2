import type * as z from "zod";
import { cacheControlOf, withCacheControl } from "./cache-control";
import type { DroppedParams } from "./notes";
import type { AnthropicTool, AnthropicToolChoice } from "./schemas/anthropic";
import type { OpenAIChatRequest } from "./schemas/openai";

/** OpenAI `tools` / `tool_choice` / `parallel_tool_calls` → Anthropic `tools` / `tool_choice`. */

export type AnthropicToolOut = z.infer<typeof AnthropicTool>;

const EMPTY_SCHEMA = { type: "object", properties: {} };

/**
 * Function tools become Anthropic tools, a prompt-cache marker on the tool kept; other kinds (custom,
 * built-in) have no equivalent and are dropped.
 */
export function anthropicTools(tools: OpenAIChatRequest["tools"], dropped: DroppedParams): AnthropicToolOut[] {
  const out: AnthropicToolOut[] = [];
  (tools ?? []).forEach((tool, i) => {
    const fn = tool.function;
    if (tool.type !== "function" || !fn) {
      dropped.add(`tools[${i}] (type "${tool.type}")`);
      return;
    }
    if (fn.strict != null) dropped.add("tools[].function.strict");
    out.push({
      name: fn.name,
      ...(fn.description !== undefined ? { description: fn.description } : {}),
      input_schema: fn.parameters ?? EMPTY_SCHEMA,
      ...withCacheControl(cacheControlOf(tool, dropped)),
    });
  });
  return out;
}

/** The tool choice, with `parallel_tool_calls: false` folded in as `disable_parallel_tool_use`. */
export function anthropicToolChoice(
  req: Pick<OpenAIChatRequest, "tool_choice" | "parallel_tool_calls">,
  dropped: DroppedParams,
): AnthropicToolChoice | undefined {
  const choice = req.tool_choice;
  let out: AnthropicToolChoice | undefined;
  if (choice === "auto") out = { type: "auto" };
  else if (choice === "none") out = { type: "none" };
  else if (choice === "required") out = { type: "any" };
  else if (choice && choice.type === "function" && "function" in choice) {
    const fn = choice.function as { name: string };
    out = { type: "tool", name: fn.name };
  } else if (choice) dropped.add(`tool_choice (type "${choice.type}")`);

  if (req.parallel_tool_calls === false) {
    out ??= { type: "auto" };
    if (out.type !== "none") out.disable_parallel_tool_use = true;
  }
  return out;
}
