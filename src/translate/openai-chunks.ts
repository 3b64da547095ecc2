import { unixSeconds } from "./ids";
import { sseEvent } from "./sse";
import type { OpenAIFinishReason } from "./stop-reasons";
import type { OpenAIUsageOut } from "./usage";

/** One choice's delta in a `chat.completion.chunk`: `role`, `content`, `tool_calls` fragments and the like. */
export type ChunkDelta = Record<string, unknown>;

export interface OpenAIChunkWriterOptions {
  /** The `id` every chunk carries. */
  id: string;
  /** The `model` every chunk names (the model the client asked for). */
  model: string;
  /** `stream_options.include_usage`: `usage: null` on every chunk, and a usage chunk before `[DONE]`. */
  includeUsage: boolean;
}

/**
 * Writes the SSE events of an OpenAI chat-completions stream for the translations into it (from
 * Anthropic, Bedrock and Workers AI streams): `chat.completion.chunk` events of the one choice, all
 * with the same `id`, `created` and `model`, and the ending (the usage chunk, then `data: [DONE]`).
 */
export class OpenAIChunkWriter {
  /** The `id` of the chunks still to come; a translation may take it from the upstream's first event. */
  id: string;
  private readonly model: string;
  private readonly includeUsage: boolean;
  private readonly created = unixSeconds();

  constructor(opts: OpenAIChunkWriterOptions) {
    this.id = opts.id;
    this.model = opts.model;
    this.includeUsage = opts.includeUsage;
  }

  /** A chunk of `delta`, with the finish reason on the last one. */
  chunk(delta: ChunkDelta, finishReason: OpenAIFinishReason | null = null): string {
    return sseEvent({
      id: this.id,
      object: "chat.completion.chunk",
      created: this.created,
      model: this.model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...(this.includeUsage ? { usage: null } : {}),
    });
  }

  /** The first chunk: the assistant's turn opens, empty. */
  roleChunk(): string {
    return this.chunk({ role: "assistant", content: "" });
  }

  /** The end of the stream: the usage chunk (when asked for and `usage` is known), then `data: [DONE]`. */
  end(usage: OpenAIUsageOut | null): string {
    const usageChunk =
      this.includeUsage && usage
        ? sseEvent({
            id: this.id,
            object: "chat.completion.chunk",
            created: this.created,
            model: this.model,
            choices: [],
            usage,
          })
        : "";
    return `${usageChunk}data: [DONE]\n\n`;
  }
}
