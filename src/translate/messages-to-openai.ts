import { cacheControlOf, markerOf, withCacheControl, type CacheControl } from "./cache-control";
import { urlFromSource } from "./images";
import { untranslatable } from "./invalid";
import type { DroppedParams } from "./notes";
import {
  isKnownBlock,
  isToolResultPart,
  type AnthropicContentBlock,
  type AnthropicMessagesRequest,
  type AnthropicRequestBlock,
  type AnthropicRequestMessage,
} from "./schemas/anthropic";
import type { OpenAIMessage, OpenAIToolCall, OpenAIUserPart } from "./schemas/openai";

/**
 * An Anthropic conversation as OpenAI's: the top-level `system` becomes a leading system message,
 * `tool_result` blocks become `tool` messages (ahead of the rest of their user turn, right after the
 * assistant's tool calls), `tool_use` blocks become `tool_calls` with JSON-string arguments. Images a
 * tool returned move to a user message after the tool messages (OpenAI tool messages carry text only).
 * A `system` turn inside `messages` becomes a system message where it stands (its text blocks, as the
 * top-level `system` is). Thinking blocks have no OpenAI equivalent and are dropped, and so are blocks
 * of kinds translation does not know (server tool results, search results, …), each with a note. So
 * are `cache_control` markers, unless
 * `keepMarkers` (for a family that reads them, such as Bedrock's): then a marked block's part keeps its
 * marker, a marked tool result's `tool` message carries it, and an assistant turn with a marked block
 * carries the last one (OpenAI's assistant message has no parts for tool calls).
 */
export function openAIConversation(
  system: AnthropicMessagesRequest["system"],
  messages: AnthropicRequestMessage[],
  dropped: DroppedParams,
  keepMarkers = false,
): OpenAIMessage[] {
  const marker = (block: object): CacheControl | undefined => {
    if (keepMarkers) return cacheControlOf(block, dropped);
    if ((block as { cache_control?: unknown }).cache_control != null) dropped.add("cache_control");
    return undefined;
  };
  const out: OpenAIMessage[] = [];
  const top = system === undefined ? undefined : systemMessage(system, dropped, marker);
  if (top) out.push(top);

  messages.forEach((m, i) => {
    const field = `messages[${i}].content`;
    if (m.role === "system") {
      const turn = systemMessage(m.content, dropped, marker);
      if (turn) out.push(turn);
      return;
    }
    if (typeof m.content === "string") {
      out.push({ role: m.role, content: m.content });
      return;
    }
    if (m.role === "user") out.push(...userMessages(m.content, field, dropped, marker));
    else out.push(assistantMessage(m.content, field, dropped, marker));
  });
  return out;
}

/**
 * A system prompt (the top-level `system`, or a `system` turn) as one OpenAI system message: a string,
 * or its text blocks joined (as parts when one carries a kept marker); null when it is empty.
 */
function systemMessage(
  content: string | AnthropicRequestBlock[],
  dropped: DroppedParams,
  marker: MarkerOf,
): OpenAIMessage | null {
  if (typeof content === "string") return content === "" ? null : { role: "system", content };
  const texts: { text: string; cache_control?: CacheControl }[] = [];
  for (const block of content) {
    if (!isKnownBlock(block) || block.type !== "text") {
      dropped.add(`system blocks of type "${block.type}"`);
      continue;
    }
    texts.push({ text: block.text, ...withCacheControl(marker(block)) });
  }
  if (texts.length === 0) return null;
  if (!texts.some((t) => t.cache_control)) return { role: "system", content: texts.map((t) => t.text).join("\n") };
  return { role: "system", content: texts.map((t) => ({ type: "text" as const, ...t })) };
}

/** A note for a block translation does not carry over, by its type. */
const droppedBlock = (dropped: DroppedParams, type: string): void => dropped.add(`content blocks of type "${type}"`);

/** The marker a block carries over (undefined when markers are dropped). */
type MarkerOf = (block: object) => CacheControl | undefined;

function userMessages(
  blocks: AnthropicRequestBlock[],
  field: string,
  dropped: DroppedParams,
  marker: MarkerOf,
): OpenAIMessage[] {
  const tools: OpenAIMessage[] = [];
  const parts: OpenAIUserPart[] = [];
  const toolImages: OpenAIUserPart[] = [];
  blocks.forEach((block, j) => {
    const at = `${field}[${j}]`;
    if (!isKnownBlock(block)) return droppedBlock(dropped, block.type);
    const kept = withCacheControl(marker(block));
    switch (block.type) {
      case "text":
        parts.push({ type: "text", text: block.text, ...kept });
        return;
      case "image":
        parts.push({ type: "image_url", image_url: { url: urlFromSource(block.source, `${at}.source`) }, ...kept });
        return;
      case "document":
        parts.push({ ...documentPart(block.source, block.title, at), ...kept });
        return;
      case "tool_result": {
        if (block.is_error === true) dropped.add("messages[].content[].is_error");
        const content = block.content ?? "";
        const texts: string[] = [];
        let resultMarker = kept.cache_control;
        if (typeof content === "string") texts.push(content);
        else
          content.forEach((c, k) => {
            if (!isToolResultPart(c)) return droppedBlock(dropped, c.type);
            const inner = marker(c);
            if (c.type === "text") {
              texts.push(c.text);
              resultMarker ??= inner;
            } else
              toolImages.push({
                type: "image_url",
                image_url: { url: urlFromSource(c.source, `${at}.content[${k}].source`) },
                ...withCacheControl(inner),
              });
          });
        tools.push({
          role: "tool",
          tool_call_id: block.tool_use_id,
          content: texts.join("\n"),
          ...withCacheControl(resultMarker),
        });
        return;
      }
      case "thinking":
      case "redacted_thinking":
        dropped.add("thinking blocks");
        return;
      case "tool_use":
        throw untranslatable(`${at}.type`, "tool_use blocks belong in assistant turns");
    }
  });
  const rest = [...toolImages, ...parts];
  if (rest.length === 0) return tools;
  const only = rest[0];
  const content = rest.length === 1 && only?.type === "text" && !markerOf(only) ? only.text : rest;
  return [...tools, { role: "user", content }];
}

function documentPart(
  source: Extract<AnthropicContentBlock, { type: "document" }>["source"],
  title: string | null | undefined,
  at: string,
): OpenAIUserPart {
  if (source.type === "text" && typeof source.data === "string") return { type: "text", text: source.data };
  const url = urlFromSource(source, `${at}.source`);
  if (!url.startsWith("data:")) {
    throw untranslatable(`${at}.source`, "OpenAI takes documents as inline base64 data only, not by URL");
  }
  return { type: "file", file: { file_data: url, filename: title ?? "document.pdf" } };
}

function assistantMessage(
  blocks: AnthropicRequestBlock[],
  field: string,
  dropped: DroppedParams,
  marker: MarkerOf,
): OpenAIMessage {
  let text = "";
  const toolCalls: OpenAIToolCall[] = [];
  let last: CacheControl | undefined;
  blocks.forEach((block, j) => {
    if (!isKnownBlock(block)) return droppedBlock(dropped, block.type);
    last = marker(block) ?? last;
    switch (block.type) {
      case "text":
        text += block.text;
        return;
      case "tool_use":
        toolCalls.push({
          id: block.id,
          type: "function",
          function: { name: block.name, arguments: JSON.stringify(block.input) },
        });
        return;
      case "thinking":
      case "redacted_thinking":
        dropped.add("thinking blocks");
        return;
      case "image":
      case "document":
      case "tool_result":
        throw untranslatable(`${field}[${j}].type`, `${block.type} blocks belong in user turns`);
    }
  });
  return {
    role: "assistant",
    content: text === "" && toolCalls.length > 0 ? null : text,
    ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
    ...withCacheControl(last),
  };
}
