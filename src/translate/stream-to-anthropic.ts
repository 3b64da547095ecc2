import type { TokenUsage } from "../contract/usage";
import { anthropicToolId, freshMessageId, freshToolId, messageIdFromCompletionId } from "./ids";
import { fieldPath } from "./invalid";
import { OpenAIChunk } from "./schemas/openai";
import { type UpstreamEvent, sseEvent } from "./sse";
import { anthropicFailureFrame, unreadableEventMessage, upstreamErrorMessage } from "./stream-frames";
import { stopReasonFromFinishReason, type AnthropicStopReason } from "./stop-reasons";
import { anthropicUsageFrom, tokenUsageFromOpenAI } from "./usage";

export interface OpenAIToAnthropicStreamOptions {
  /** The `model` of `message_start` (the model the client asked for). */
  model: string;
}

type OpenBlock = { index: number; kind: "text" } | { index: number; kind: "tool" };

/**
 * Translates an OpenAI chat-completions stream (its first choice), chunk by chunk, into an Anthropic
 * Messages stream: `message_start` with the first chunk, a `text` block per run of content, a
 * `tool_use` block per tool call (its `arguments` fragments as `input_json_delta`), one block open at
 * a time with indexes in order of appearance, and at `[DONE]` the last `content_block_stop`, a
 * `message_delta` with the stop reason and usage, and `message_stop`. The upstream must be asked for
 * `stream_options.include_usage` for the usage to be known. A fragment for a tool call whose block
 * already closed (a provider that interleaves parallel calls) still goes out under that block's index.
 */
export class OpenAIToAnthropicStream {
  private readonly model: string;
  private started = false;
  private nextIndex = 0;
  private open: OpenBlock | null = null;
  private readonly toolBlocks = new Map<number, number>();
  private stopReason: AnthropicStopReason | null = null;
  private tokenUsage: TokenUsage | null = null;
  private done = false;
  private ended = false;
  /** Why the stream ended in an error frame, when it did. */
  failure: string | null = null;

  constructor(opts: OpenAIToAnthropicStreamOptions) {
    this.model = opts.model;
  }

  /** The stream completed normally (`[DONE]` arrived and `message_stop` was written). */
  get finished(): boolean {
    return this.done;
  }

  usage(): TokenUsage | null {
    return this.tokenUsage;
  }

  /** Takes one upstream event; returns the SSE text to send the client (often empty). */
  push(event: UpstreamEvent): string {
    if (this.ended) return "";
    if (event.data === "[DONE]") return this.complete();
    let json: unknown;
    try {
      json = JSON.parse(event.data);
    } catch {
      return this.fail(unreadableEventMessage("a chunk whose data is not JSON"));
    }
    const parsed = OpenAIChunk.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return this.fail(unreadableEventMessage(issue ? `${fieldPath(issue.path)} ${issue.message}` : "invalid chunk"));
    }
    const chunk = parsed.data;
    if (chunk.error != null) return this.fail(upstreamErrorMessage(describeError(chunk.error)));

    let out = this.start(chunk.id);
    if (chunk.usage) this.tokenUsage = tokenUsageFromOpenAI(chunk.usage);
    const choice = chunk.choices?.find((c) => (c.index ?? 0) === 0);
    if (!choice) return out;
    const delta = choice.delta ?? {};
    const text = delta.content || delta.refusal;
    if (text) out += this.text(text);
    for (const call of delta.tool_calls ?? []) {
      out += this.toolFragment(
        call.index,
        call.id ?? null,
        call.function?.name ?? null,
        call.function?.arguments ?? "",
      );
    }
    if (choice.finish_reason) this.stopReason = stopReasonFromFinishReason(choice.finish_reason);
    return out;
  }

  /**
   * Ends the stream with the terminal error frame (the provider broke off, or sent an error); empty
   * when the stream already ended.
   */
  fail(message: string): string {
    if (this.ended) return "";
    this.ended = true;
    this.failure = message;
    return anthropicFailureFrame(message);
  }

  private start(id: string | undefined): string {
    if (this.started) return "";
    this.started = true;
    return sseEvent(
      {
        type: "message_start",
        message: {
          id: id ? messageIdFromCompletionId(id) : freshMessageId(),
          type: "message",
          role: "assistant",
          model: this.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 0, output_tokens: 0 },
        },
      },
      "message_start",
    );
  }

  private text(text: string): string {
    let out = "";
    if (this.open?.kind !== "text") {
      out += this.closeOpen();
      const index = this.nextIndex++;
      this.open = { index, kind: "text" };
      out += sseEvent(
        { type: "content_block_start", index, content_block: { type: "text", text: "" } },
        "content_block_start",
      );
    }
    return out + this.blockDelta(this.open.index, { type: "text_delta", text });
  }

  private toolFragment(toolIndex: number, id: string | null, name: string | null, args: string): string {
    let out = "";
    let index = this.toolBlocks.get(toolIndex);
    if (index === undefined) {
      out += this.closeOpen();
      index = this.nextIndex++;
      this.toolBlocks.set(toolIndex, index);
      this.open = { index, kind: "tool" };
      out += sseEvent(
        {
          type: "content_block_start",
          index,
          content_block: {
            type: "tool_use",
            id: id ? anthropicToolId(id) : freshToolId(),
            name: name ?? "",
            input: {},
          },
        },
        "content_block_start",
      );
    }
    if (args !== "") out += this.blockDelta(index, { type: "input_json_delta", partial_json: args });
    return out;
  }

  private blockDelta(index: number, delta: Record<string, unknown>): string {
    return sseEvent({ type: "content_block_delta", index, delta }, "content_block_delta");
  }

  private closeOpen(): string {
    if (!this.open) return "";
    const { index } = this.open;
    this.open = null;
    return sseEvent({ type: "content_block_stop", index }, "content_block_stop");
  }

  private complete(): string {
    let out = this.start(undefined) + this.closeOpen();
    const usage = this.tokenUsage ? anthropicUsageFrom(this.tokenUsage) : { output_tokens: 0 };
    out += sseEvent(
      { type: "message_delta", delta: { stop_reason: this.stopReason ?? "end_turn", stop_sequence: null }, usage },
      "message_delta",
    );
    out += sseEvent({ type: "message_stop" }, "message_stop");
    this.ended = true;
    this.done = true;
    return out;
  }
}

function describeError(error: unknown): string {
  if (typeof error === "object" && error !== null) {
    const e = error as { type?: unknown; message?: unknown };
    const kind = typeof e.type === "string" ? e.type : "error";
    return `${kind}: ${typeof e.message === "string" ? e.message : "no message"}`;
  }
  return typeof error === "string" ? error : "error";
}
