import type * as z from "zod";
import type { TokenUsage } from "../../contract/usage";
import { finishReasonFromConverse, openAIUsageFromConverse, tokenUsageFromConverse } from "./converse-response";
import { ConverseStreamPayloads } from "./converse-schemas";
import { fieldPath } from "../../translate/invalid";
import { OpenAIChunkWriter, type OpenAIChunkWriterOptions } from "../../translate/openai-chunks";
import type { OpenAIFinishReason } from "../../translate/stop-reasons";

/**
 * Translates Bedrock ConverseStream messages, one by one, into an OpenAI chat-completions stream:
 * `messageStart` opens the assistant turn, text deltas become `content` deltas, a `toolUse` block
 * becomes a tool call (numbered from 0 in the order they start) whose `input` fragments become
 * `arguments` fragments, `messageStop` gives the `finish_reason`, and `metadata` the usage chunk (when
 * asked for) and `data: [DONE]`. Reasoning deltas and unknown event types are left out.
 *
 * The translation never writes a failure frame itself: an exception message, an unreadable event or
 * a stream that ends before `messageStop` throws `ConverseStreamFailure`, and whoever pumps the
 * stream lets it error, so that the gateway's tap ends it with the terminal frame (docs/api.md, Errors).
 */

/** One decoded event-stream message, as src/providers/bedrock/event-stream.ts reads it off the wire. */
export interface ConverseStreamMessage {
  /** `:message-type`: `event`, `exception` (a modelled error) or `error` (a protocol error). */
  messageType: string;
  /** `:event-type`, `:exception-type` or `:error-code`, by message type. */
  type: string;
  /** The payload as text: JSON for events and exceptions. */
  payload: string;
  /** `:error-message`, for `error` messages. */
  errorMessage?: string;
}

/** Why a Bedrock stream cannot go on; `exceptionType` when Bedrock said so itself. */
export class ConverseStreamFailure extends Error {
  override readonly name = "ConverseStreamFailure";
  constructor(
    message: string,
    readonly exceptionType: string | null = null,
  ) {
    super(message);
  }
}

/** The message of an exception or error message, from its payload (`{"message": …}`) or headers. */
export function exceptionMessage(msg: ConverseStreamMessage): string {
  if (msg.errorMessage) return msg.errorMessage;
  try {
    const json = JSON.parse(msg.payload) as { message?: unknown; Message?: unknown } | null;
    const text = json?.message ?? json?.Message;
    if (typeof text === "string" && text !== "") return text;
  } catch {
    // not JSON: the raw payload says more than nothing
  }
  return msg.payload.slice(0, 200) || "no message";
}

/** The stream's `id`, the `model` its chunks name, and whether it ends with a usage chunk. */
export type ConverseToOpenAIStreamOptions = OpenAIChunkWriterOptions;

type Payloads = typeof ConverseStreamPayloads;

export class ConverseToOpenAIStream {
  private readonly out: OpenAIChunkWriter;
  private readonly toolByBlock = new Map<number, number>();
  private tokenUsage: TokenUsage | null = null;
  private finishReason: OpenAIFinishReason | null = null;
  private done = false;

  constructor(opts: ConverseToOpenAIStreamOptions) {
    this.out = new OpenAIChunkWriter(opts);
  }

  /** `[DONE]` was written. */
  get finished(): boolean {
    return this.done;
  }

  /** Usage from the `metadata` event, once it arrived. */
  usage(): TokenUsage | null {
    return this.tokenUsage;
  }

  /** Takes one message; returns the SSE text to send the client (often empty). Throws ConverseStreamFailure. */
  push(msg: ConverseStreamMessage): string {
    if (this.done) return "";
    if (msg.messageType !== "event") {
      throw new ConverseStreamFailure(`Bedrock reported ${msg.type} mid-stream: ${exceptionMessage(msg)}`, msg.type);
    }
    switch (msg.type) {
      case "messageStart":
        this.read("messageStart", msg);
        return this.out.roleChunk();
      case "contentBlockStart": {
        const { contentBlockIndex, start } = this.read("contentBlockStart", msg);
        const tool = start.toolUse;
        if (!tool) return "";
        const index = this.toolByBlock.size;
        this.toolByBlock.set(contentBlockIndex, index);
        return this.out.chunk({
          tool_calls: [{ index, id: tool.toolUseId, type: "function", function: { name: tool.name, arguments: "" } }],
        });
      }
      case "contentBlockDelta": {
        const { contentBlockIndex, delta } = this.read("contentBlockDelta", msg);
        if (delta.text) return this.out.chunk({ content: delta.text });
        if (delta.toolUse) {
          const index = this.toolByBlock.get(contentBlockIndex);
          if (index === undefined) {
            throw this.unreadable(
              msg.type,
              `a toolUse delta for block ${contentBlockIndex}, which started no tool call`,
            );
          }
          const args = delta.toolUse.input;
          return args ? this.out.chunk({ tool_calls: [{ index, function: { arguments: args } }] }) : "";
        }
        return ""; // reasoning, citations
      }
      case "messageStop":
        this.finishReason = finishReasonFromConverse(this.read("messageStop", msg).stopReason);
        return this.out.chunk({}, this.finishReason);
      case "metadata":
        this.tokenUsage = tokenUsageFromConverse(this.read("metadata", msg).usage);
        return this.finishReason ? this.complete() : "";
      default:
        return ""; // contentBlockStop, and event types newer than this translation
    }
  }

  /**
   * The upstream closed: the rest of the client's stream (usage chunk and `[DONE]`, when `metadata`
   * did not already end it). Throws when Bedrock closed before `messageStop`: the answer is cut short.
   */
  end(): string {
    if (this.done) return "";
    if (!this.finishReason) throw new ConverseStreamFailure("Bedrock closed the stream before its messageStop event");
    return this.complete();
  }

  private read<K extends keyof Payloads>(type: K, msg: ConverseStreamMessage): z.infer<Payloads[K]> {
    let json: unknown;
    try {
      json = JSON.parse(msg.payload);
    } catch {
      throw this.unreadable(type, "its payload is not JSON");
    }
    const parsed = ConverseStreamPayloads[type].safeParse(json);
    if (parsed.success) return parsed.data as z.infer<Payloads[K]>;
    const issue = parsed.error.issues[0];
    throw this.unreadable(type, issue ? `${fieldPath(issue.path)} ${issue.message}` : "invalid");
  }

  private unreadable(type: string, detail: string): ConverseStreamFailure {
    return new ConverseStreamFailure(`Bedrock sent a ${type} event that could not be translated (${detail})`);
  }

  private complete(): string {
    this.done = true;
    return this.out.end(this.tokenUsage && openAIUsageFromConverse(this.tokenUsage));
  }
}
