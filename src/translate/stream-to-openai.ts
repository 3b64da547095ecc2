import type { TokenUsage } from "../contract/usage";
import { completionIdFromMessageId } from "./ids";
import { fieldPath } from "./invalid";
import { OpenAIChunkWriter } from "./openai-chunks";
import { AnthropicStreamEvent, type AnthropicUsage } from "./schemas/anthropic";
import type { UpstreamEvent } from "./sse";
import { openAIFailureFrame, unreadableEventMessage, upstreamErrorMessage } from "./stream-frames";
import { finishReasonFromStopReason, type OpenAIFinishReason } from "./stop-reasons";
import { openAIUsageFrom, tokenUsageFromAnthropic } from "./usage";
import { ulid } from "../lib/ids";

export interface AnthropicToOpenAIStreamOptions {
  /** The `model` every chunk names (the model the client asked for). */
  model: string;
  /** The client asked for `stream_options.include_usage`: end with a usage chunk (and `usage: null` on the others). */
  includeUsage: boolean;
}

const KNOWN_EVENTS = new Set([
  "message_start",
  "content_block_start",
  "content_block_delta",
  "content_block_stop",
  "message_delta",
  "message_stop",
  "ping",
  "error",
]);

/**
 * Translates an Anthropic Messages stream, event by event, into an OpenAI chat-completions stream.
 * Text deltas become `content` deltas, `tool_use` blocks become `tool_calls` (numbered from 0 in the
 * order they start; their `input_json_delta` fragments become `arguments` fragments), thinking is left
 * out, `message_delta` gives the `finish_reason`, `message_stop` the usage chunk (when asked for) and
 * `data: [DONE]`. An `error` event ends the stream with the terminal frame of docs/api.md, Errors.
 */
export class AnthropicToOpenAIStream {
  private readonly out: OpenAIChunkWriter;
  private startUsage: AnthropicUsage | null = null;
  private deltaUsage: AnthropicUsage | null = null;
  private readonly toolByBlock = new Map<number, number>();
  private finishReason: OpenAIFinishReason | null = null;
  private done = false;
  private ended = false;
  /** Why the stream ended in an error frame, when it did. */
  failure: string | null = null;

  constructor(opts: AnthropicToOpenAIStreamOptions) {
    this.out = new OpenAIChunkWriter({ id: `chatcmpl-${ulid()}`, model: opts.model, includeUsage: opts.includeUsage });
  }

  /** The stream completed normally (`message_stop` arrived and `[DONE]` was written). */
  get finished(): boolean {
    return this.done;
  }

  /** Usage so far: input (and cache) tokens from `message_start`, output tokens from `message_delta`. */
  usage(): TokenUsage | null {
    if (!this.startUsage && !this.deltaUsage) return null;
    const start = this.startUsage ?? {};
    const delta = this.deltaUsage ?? {};
    return tokenUsageFromAnthropic({
      input_tokens: delta.input_tokens ?? start.input_tokens,
      cache_read_input_tokens: delta.cache_read_input_tokens ?? start.cache_read_input_tokens,
      cache_creation_input_tokens: delta.cache_creation_input_tokens ?? start.cache_creation_input_tokens,
      output_tokens: delta.output_tokens ?? start.output_tokens,
    });
  }

  /** Takes one upstream event; returns the SSE text to send the client (often empty). */
  push(event: UpstreamEvent): string {
    if (this.ended) return "";
    let json: unknown;
    try {
      json = JSON.parse(event.data);
    } catch {
      return this.fail(unreadableEventMessage(`${event.event ?? "an event"} whose data is not JSON`));
    }
    const type = (json as { type?: unknown } | null)?.type;
    if (typeof type !== "string" || !KNOWN_EVENTS.has(type)) return ""; // a newer event kind: nothing to say
    const parsed = AnthropicStreamEvent.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return this.fail(
        unreadableEventMessage(`${type}: ${issue ? `${fieldPath(issue.path)} ${issue.message}` : "invalid"}`),
      );
    }
    const ev = parsed.data;
    switch (ev.type) {
      case "message_start":
        this.out.id = completionIdFromMessageId(ev.message.id);
        this.startUsage = ev.message.usage ?? {};
        return this.out.roleChunk();
      case "content_block_start": {
        const block = ev.content_block;
        if (block.type === "text") return block.text ? this.out.chunk({ content: block.text }) : "";
        if (block.type !== "tool_use") return "";
        const index = this.toolByBlock.size;
        this.toolByBlock.set(ev.index, index);
        return this.out.chunk({
          tool_calls: [
            {
              index,
              id: block.id ?? `call_${ulid()}`,
              type: "function",
              function: { name: block.name ?? "", arguments: "" },
            },
          ],
        });
      }
      case "content_block_delta": {
        const d = ev.delta;
        if (d.type === "text_delta" && d.text) return this.out.chunk({ content: d.text });
        const index = this.toolByBlock.get(ev.index);
        if (d.type === "input_json_delta" && d.partial_json && index !== undefined) {
          return this.out.chunk({ tool_calls: [{ index, function: { arguments: d.partial_json } }] });
        }
        return ""; // thinking, signatures, citations
      }
      case "message_delta":
        if (ev.usage) this.deltaUsage = ev.usage;
        if (ev.delta.stop_reason == null) return "";
        this.finishReason = finishReasonFromStopReason(ev.delta.stop_reason);
        return this.out.chunk({}, this.finishReason);
      case "message_stop":
        return this.complete();
      case "error": {
        const { type: kind, message } = ev.error;
        return this.fail(upstreamErrorMessage(`${kind ?? "error"}: ${message ?? "no message"}`));
      }
      case "content_block_stop":
      case "ping":
        return "";
    }
  }

  /**
   * Ends the stream with the terminal error frame (the provider broke off, or sent an error); empty
   * when the stream already ended.
   */
  fail(message: string): string {
    if (this.ended) return "";
    this.ended = true;
    this.failure = message;
    return openAIFailureFrame(message);
  }

  private complete(): string {
    const finish = this.finishReason ? "" : this.out.chunk({}, (this.finishReason = "stop"));
    const usage = this.usage();
    this.ended = true;
    this.done = true;
    return finish + this.out.end(usage && openAIUsageFrom(usage));
  }
}
