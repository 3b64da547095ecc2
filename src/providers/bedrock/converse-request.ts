import { anthropicRequestParts, reportUnhandledParams } from "../../translate/anthropic-request-parts";
import { markerOf, type CacheControl } from "../../translate/cache-control";
import type { AnthropicContentBlock, AnthropicSource, AnthropicToolChoice } from "../../translate/schemas/anthropic";
import { OpenAIChatRequest, type OpenAIMessage } from "../../translate/schemas/openai";
import type {
  ConverseCachePoint,
  ConverseContentBlock,
  ConverseDocumentFormat,
  ConverseImageFormat,
  ConverseInferenceConfig,
  ConverseRequest,
  ConverseTool,
  ConverseToolChoice,
} from "./converse-schemas";
import { sourceFromUrl } from "../../translate/images";
import { parseRequest, untranslatable } from "../../translate/invalid";
import type { DroppedParams, Translated } from "../../translate/notes";

/**
 * An OpenAI chat-completions request as an AWS Bedrock Converse request. Bedrock's conversation rules
 * are Anthropic's (roles alternate, tool results open a user turn, the system prompt stands apart),
 * so the request is read into Anthropic's parts first (anthropic-request-parts.ts) and its blocks are
 * then written in Converse's shape. Images and documents must be inline (base64 data: URLs): Bedrock
 * fetches no URLs, so a remote URL is refused here with a 400 naming the field. Prompt-cache markers
 * (`cache_control` on a part, a message or a tool; cache-control.ts) become a `cachePoint` right after
 * the content block, system block or tool spec they mark; `cache.mode: "disable"` strips them before
 * the request gets here.
 */

const IMAGE_FORMATS: Record<string, ConverseImageFormat> = {
  "image/png": "png",
  "image/jpeg": "jpeg",
  "image/jpg": "jpeg",
  "image/gif": "gif",
  "image/webp": "webp",
};

const DOCUMENT_FORMATS: Record<string, ConverseDocumentFormat> = {
  "application/pdf": "pdf",
  "text/csv": "csv",
  "application/msword": "doc",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
  "application/vnd.ms-excel": "xls",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
  "text/html": "html",
  "text/plain": "txt",
  "text/markdown": "md",
};

const listOf = (formats: Record<string, unknown>): string => Object.keys(formats).join(", ");

/** An inline source's format in `formats`, or a 400 naming `field`. */
function inlineFormat<F>(
  source: AnthropicSource,
  formats: Record<string, F>,
  field: string,
  what: string,
): { format: F; bytes: string } {
  if (source.type === "url") {
    throw untranslatable(
      field,
      `Bedrock does not fetch URLs: send the ${what} inline as a base64 data: URL (data:<media type>;base64,<data>)`,
    );
  }
  if (source.type !== "base64") throw untranslatable(field, `a "${source.type}" source cannot be sent to Bedrock`);
  const format = Object.hasOwn(formats, source.media_type) ? formats[source.media_type] : undefined;
  if (format === undefined) {
    throw untranslatable(field, `Bedrock accepts ${what}s of type ${listOf(formats)}, not ${source.media_type}`);
  }
  return { format, bytes: source.data };
}

/**
 * Checks every image and file part before translation, so that a refusal names the exact field
 * (the Anthropic translation keeps the blocks but not where they came from).
 */
function checkAttachments(messages: OpenAIMessage[]): void {
  messages.forEach((m, i) => {
    if (m.role !== "user" || typeof m.content === "string") return;
    m.content.forEach((part, j) => {
      const at = `messages[${i}].content[${j}]`;
      if (part.type === "image_url") {
        const field = `${at}.image_url.url`;
        inlineFormat(sourceFromUrl(part.image_url.url, field), IMAGE_FORMATS, field, "image");
      } else if (part.type === "file" && part.file.file_data !== undefined) {
        const field = `${at}.file.file_data`;
        inlineFormat(sourceFromUrl(part.file.file_data, field), DOCUMENT_FORMATS, field, "document");
      }
    });
  });
}

/** The checkpoint a prompt-cache marker stands for. */
function cachePoint(marker: CacheControl): ConverseCachePoint {
  return { cachePoint: { type: "default", ...(marker.ttl !== undefined ? { ttl: marker.ttl } : {}) } };
}

/** `item`, followed by a checkpoint when `marked` carries a prompt-cache marker. */
function withCachePoint<T>(item: T, marked: object): (T | ConverseCachePoint)[] {
  const marker = markerOf(marked);
  return marker ? [item, cachePoint(marker)] : [item];
}

/** One Anthropic block (from the conversation translation) as Converse's; null: nothing to send. */
function converseBlock(block: AnthropicContentBlock, documents: { count: number }): ConverseContentBlock | null {
  switch (block.type) {
    case "text":
      return block.text === "" ? null : { text: block.text };
    case "image": {
      const { format, bytes } = inlineFormat(block.source, IMAGE_FORMATS, "messages[].content[]", "image");
      return { image: { format, source: { bytes } } };
    }
    case "document": {
      const { format, bytes } = inlineFormat(block.source, DOCUMENT_FORMATS, "messages[].content[]", "document");
      return { document: { format, name: `document-${++documents.count}`, source: { bytes } } };
    }
    case "tool_use":
      return { toolUse: { toolUseId: block.id, name: block.name, input: block.input } };
    case "tool_result": {
      const text = typeof block.content === "string" ? block.content : "";
      return { toolResult: { toolUseId: block.tool_use_id, content: text === "" ? [] : [{ text }] } };
    }
    case "thinking":
    case "redacted_thinking":
      return null;
  }
}

function converseToolChoice(
  choice: AnthropicToolChoice | undefined,
  dropped: DroppedParams,
): ConverseToolChoice | null {
  if (choice?.disable_parallel_tool_use) dropped.add("parallel_tool_calls");
  if (choice?.type === "any") return { any: {} };
  if (choice?.type === "tool" && choice.name) return { tool: { name: choice.name } };
  return null; // auto is Bedrock's default
}

export interface ToConverseRequestOptions {
  /** The model to ask for upstream (it goes in the URL, not the body); the client's `model` when absent. */
  model?: string;
}

/** A translated request, with what the call needs besides the body (Converse has these in the URL and the stream). */
export interface ConverseCall extends Translated<ConverseRequest> {
  model: string;
  /** ConverseStream rather than Converse. */
  stream: boolean;
  /** The client asked for `stream_options.include_usage`. */
  includeUsage: boolean;
}

/** An OpenAI chat-completions request as a Converse request, and how to call it. */
export function openAIToConverseRequest(body: unknown, opts: ToConverseRequestOptions = {}): ConverseCall {
  const req = parseRequest(OpenAIChatRequest, body);
  checkAttachments(req.messages);
  const parts = anthropicRequestParts(req);
  const { dropped } = parts;

  const documents = { count: 0 };
  let hasToolBlocks = false;
  const out: ConverseRequest = {
    messages: parts.messages.map((m) => {
      const blocks = typeof m.content === "string" ? [{ type: "text" as const, text: m.content }] : m.content;
      const content: ConverseContentBlock[] = [];
      for (const block of blocks) {
        const converted = converseBlock(block, documents);
        if (!converted) continue;
        if ("toolUse" in converted || "toolResult" in converted) hasToolBlocks = true;
        content.push(...withCachePoint(converted, block));
      }
      return { role: m.role, content };
    }),
  };
  if (parts.system !== undefined) {
    out.system =
      typeof parts.system === "string"
        ? [{ text: parts.system }]
        : parts.system.flatMap((b) => withCachePoint({ text: b.text }, b));
  }

  const inference: ConverseInferenceConfig = {};
  if (parts.maxTokens !== undefined) inference.maxTokens = parts.maxTokens;
  if (parts.temperature !== undefined) inference.temperature = parts.temperature;
  if (parts.topP !== undefined) inference.topP = parts.topP;
  if (parts.stopSequences) inference.stopSequences = parts.stopSequences;
  if (Object.keys(inference).length > 0) out.inferenceConfig = inference;

  const tools = parts.tools.flatMap((t) =>
    withCachePoint<ConverseTool>(
      {
        toolSpec: {
          name: t.name,
          ...(t.description ? { description: t.description } : {}),
          inputSchema: { json: t.input_schema ?? { type: "object", properties: {} } },
        },
      },
      t,
    ),
  );
  const choice = parts.toolChoice;
  if (choice?.type === "none" && tools.length > 0) {
    // Bedrock cannot forbid tool calls. Leaving the tools out does, unless the conversation already
    // holds tool calls or results: Bedrock then requires the tool definitions.
    if (hasToolBlocks) {
      dropped.add("tool_choice (none: Bedrock cannot forbid tool calls; the tools were kept)");
      out.toolConfig = { tools };
    }
  } else if (tools.length > 0) {
    const toolChoice = converseToolChoice(choice, dropped);
    out.toolConfig = { tools, ...(toolChoice ? { toolChoice } : {}) };
  }

  reportUnhandledParams(req, dropped);
  return {
    body: out,
    dropped: dropped.list(),
    model: opts.model ?? req.model,
    stream: req.stream === true,
    includeUsage: req.stream_options?.include_usage === true,
  };
}
