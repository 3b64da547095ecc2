import { cacheControlOf, markLast, withCacheControl, type CacheControl } from "./cache-control";
import { anthropicToolId } from "./ids";
import { sourceFromUrl } from "./images";
import { untranslatable } from "./invalid";
import type { DroppedParams } from "./notes";
import type { AnthropicContentBlock, AnthropicMessageParam } from "./schemas/anthropic";
import type { OpenAIMessage, OpenAIToolCall, OpenAIUserPart } from "./schemas/openai";

/**
 * An OpenAI conversation as Anthropic's: `system` / `developer` messages become the top-level `system`
 * (wherever they stood), `tool` messages become `tool_result` blocks in a user turn, assistant
 * `tool_calls` become `tool_use` blocks, and consecutive turns of one role merge into one turn (tool
 * results first, as Anthropic requires). Prompt-cache markers (`cache_control`, cache-control.ts) stay
 * on the block they mark; a message's own marker goes on its last block.
 */

type TextBlock = { type: "text"; text: string; cache_control?: CacheControl };
type Role = AnthropicMessageParam["role"];
type AssistantMessage = Extract<OpenAIMessage, { role: "assistant" }>;

export interface AnthropicConversation {
  system: string | TextBlock[] | undefined;
  messages: AnthropicMessageParam[];
}

export function anthropicConversation(messages: OpenAIMessage[], dropped: DroppedParams): AnthropicConversation {
  const system: TextBlock[] = [];
  const turns: { role: Role; content: AnthropicContentBlock[] }[] = [];

  const push = (role: Role, blocks: AnthropicContentBlock[]) => {
    if (blocks.length === 0) return;
    const last = turns.at(-1);
    if (last?.role === role) {
      // Tool results lead a user turn; anything else keeps its order.
      const results = blocks.filter((b) => b.type === "tool_result");
      const rest = blocks.filter((b) => b.type !== "tool_result");
      const firstOther = last.content.findIndex((b) => b.type !== "tool_result");
      if (results.length > 0 && firstOther >= 0) last.content.splice(firstOther, 0, ...results);
      else last.content.push(...results);
      last.content.push(...rest);
    } else {
      turns.push({ role, content: blocks });
    }
  };

  messages.forEach((m, i) => {
    const field = `messages[${i}]`;
    switch (m.role) {
      case "system":
      case "developer":
        if (m.name !== undefined) dropped.add("messages[].name");
        system.push(...markLast(nonEmpty(textBlocks(m.content, dropped)), cacheControlOf(m, dropped)));
        return;
      case "user":
        if (m.name !== undefined) dropped.add("messages[].name");
        push("user", markLast(userBlocks(m.content, `${field}.content`, dropped), cacheControlOf(m, dropped)));
        return;
      case "assistant":
        if (m.name !== undefined) dropped.add("messages[].name");
        if (m.function_call != null) {
          throw untranslatable(
            `${field}.function_call`,
            'the legacy function_call form is not supported; send "tool_calls"',
          );
        }
        push(
          "assistant",
          markLast(
            assistantBlocks(m.content, m.refusal, m.tool_calls ?? [], field, dropped),
            cacheControlOf(m, dropped),
          ),
        );
        return;
      case "tool": {
        const texts = textBlocks(m.content, dropped);
        const marker = cacheControlOf(m, dropped) ?? texts.findLast((b) => b.cache_control)?.cache_control;
        push("user", [
          {
            type: "tool_result",
            tool_use_id: anthropicToolId(m.tool_call_id),
            content: texts.map((b) => b.text).join("\n"),
            ...withCacheControl(marker),
          },
        ]);
        return;
      }
      case "function":
        throw untranslatable(`${field}.role`, 'legacy "function" messages are not supported; send "tool" messages');
    }
  });

  if (turns.length === 0) {
    throw untranslatable("messages", "there must be at least one user or assistant message besides the system prompt");
  }
  const only = system.length === 1 ? system[0] : undefined;
  return {
    system: system.length === 0 ? undefined : only && !only.cache_control ? only.text : system,
    messages: turns,
  };
}

/** A system, developer or tool message's text as blocks, each part's marker kept. */
function textBlocks(content: string | { text: string }[], dropped: DroppedParams): TextBlock[] {
  const parts = typeof content === "string" ? [{ text: content }] : content;
  return parts.map((p) => ({ type: "text" as const, text: p.text, ...withCacheControl(cacheControlOf(p, dropped)) }));
}

const nonEmpty = (blocks: TextBlock[]): TextBlock[] => blocks.filter((b) => b.text !== "");

function userBlocks(
  content: string | OpenAIUserPart[],
  field: string,
  dropped: DroppedParams,
): AnthropicContentBlock[] {
  if (typeof content === "string") return content === "" ? [] : [{ type: "text", text: content }];
  const blocks: AnthropicContentBlock[] = [];
  content.forEach((part, j) => {
    const at = `${field}[${j}]`;
    const marker = withCacheControl(cacheControlOf(part, dropped));
    switch (part.type) {
      case "text":
        if (part.text !== "") blocks.push({ type: "text", text: part.text, ...marker });
        return;
      case "image_url":
        if (part.image_url.detail !== undefined && part.image_url.detail !== "auto") {
          dropped.add("messages[].content[].image_url.detail");
        }
        blocks.push({ type: "image", source: sourceFromUrl(part.image_url.url, `${at}.image_url.url`), ...marker });
        return;
      case "file": {
        const data = part.file.file_data;
        if (data === undefined)
          throw untranslatable(`${at}.file`, "only inline file_data can be translated, not a file_id");
        blocks.push({ type: "document", source: sourceFromUrl(data, `${at}.file.file_data`), ...marker });
        return;
      }
      case "input_audio":
        throw untranslatable(`${at}.type`, "audio input has no Anthropic equivalent");
    }
  });
  return blocks;
}

function assistantBlocks(
  content: AssistantMessage["content"],
  refusal: AssistantMessage["refusal"],
  toolCalls: OpenAIToolCall[],
  field: string,
  dropped: DroppedParams,
): AnthropicContentBlock[] {
  const blocks: AnthropicContentBlock[] = [];
  const text = (t: string, marker?: CacheControl) => {
    if (t !== "") blocks.push({ type: "text", text: t, ...withCacheControl(marker) });
  };
  if (typeof content === "string") text(content);
  else if (Array.isArray(content)) {
    for (const p of content) text(p.type === "text" ? p.text : p.refusal, cacheControlOf(p, dropped));
  }
  if ((content == null || content === "") && refusal) text(refusal);
  toolCalls.forEach((call, k) => {
    blocks.push({
      type: "tool_use",
      id: anthropicToolId(call.id),
      name: call.function.name,
      input: parseArguments(call.function.arguments, `${field}.tool_calls[${k}].function.arguments`),
    });
  });
  return blocks;
}

/** A tool call's `arguments` (a JSON string) as the object Anthropic's `input` must be. */
function parseArguments(args: string, field: string): Record<string, unknown> {
  if (args.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    throw untranslatable(field, "it is not valid JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw untranslatable(field, "it must encode a JSON object");
  }
  return parsed as Record<string, unknown>;
}
