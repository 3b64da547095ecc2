import { ulid } from "../../lib/ids";
import { OpenAIChunkWriter, type ChunkDelta } from "../../translate/openai-chunks";
import {
  finishReason,
  freshToolCallId,
  openAIUsage,
  outputPart,
  toolCallArguments,
  toolCallName,
  type OutputPart,
} from "./output";
import { WorkersAIOutput, type WorkersAIToolCall, type WorkersAIUsage } from "./schemas";

export interface WorkersAIStreamOptions {
  /** The model every chunk names (the model the client asked for). */
  model: string;
  /** The request asked for `stream_options.include_usage`: end with a usage chunk, `usage: null` on the others. */
  includeUsage: boolean;
  /** The request's `max_tokens` (a native stream says nothing of truncation). */
  maxTokens: number | null;
}

/** The Workers AI stream reported an error, or sent an event that cannot be read. */
export class WorkersAIStreamError extends Error {
  override readonly name = "WorkersAIStreamError";
}

/**
 * Translates a Workers AI text-generation stream, event by event (the `data` of each SSE event), into
 * an OpenAI chat-completions stream. Events of either output shape (workers-ai-schemas.ts) give
 * `content` deltas (the native `response` fragments, or OpenAI's own deltas), `reasoning_content`
 * deltas, and tool calls: a call's first fragment opens it (`id`, `type`, `name`, its arguments so
 * far), later fragments of the same `index` add `arguments`; a call that arrives whole (the native
 * `{ name, arguments }`) is opened with all of them; the empty fragments some models close calls with
 * are skipped. The first chunk carries `role: "assistant"`.
 *
 * `data: [DONE]` ends the stream: the finish chunk (`finishReason` in workers-ai-output.ts), the
 * usage chunk when asked for and Workers AI reported usage, then `data: [DONE]`. A stream whose
 * source closes without `[DONE]` is complete too if a finish reason came (`end()`); otherwise it is
 * left unfinished, for the gateway's terminal frame. An `error` event, or data that is not an output
 * of either shape, throws WorkersAIStreamError.
 */
export class WorkersAIToOpenAIStream {
  private readonly maxTokens: number | null;
  private readonly out: OpenAIChunkWriter;
  private started = false;
  /** Upstream tool-call key (its `index`, or a fresh one for whole calls) → the OpenAI `index`. */
  private readonly calls = new Map<string, number>();
  private given: string | null = null;
  private usage: WorkersAIUsage | null = null;
  private done = false;

  constructor(opts: WorkersAIStreamOptions) {
    this.maxTokens = opts.maxTokens;
    this.out = new OpenAIChunkWriter({ id: `chatcmpl-${ulid()}`, model: opts.model, includeUsage: opts.includeUsage });
  }

  /** `[DONE]` (or a finish reason, then the end) arrived and the closing chunks were written. */
  get finished(): boolean {
    return this.done;
  }

  /** Takes one event's data; returns the SSE text for the client (possibly empty). */
  push(data: string): string {
    if (this.done) return "";
    if (data === "[DONE]") return this.complete();
    const part = outputPart(this.parse(data));
    if (!part) throw new WorkersAIStreamError(`an event of neither output shape (${data.slice(0, 200)})`);
    if (part.usage) this.usage = part.usage;
    if (part.finishReason) this.given = part.finishReason;
    return this.deltas(part)
      .map((d) => this.out.chunk(d))
      .join("");
  }

  /** The source closed: the closing chunks when a finish reason came without `[DONE]`, else "". */
  end(): string {
    return this.done || this.given === null ? "" : this.complete();
  }

  private parse(data: string): WorkersAIOutput {
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      throw new WorkersAIStreamError(`an event whose data is not JSON (${data.slice(0, 200)})`);
    }
    const parsed = WorkersAIOutput.safeParse(json);
    if (!parsed.success) throw new WorkersAIStreamError(`an unreadable event (${data.slice(0, 200)})`);
    const { error: one, errors: many } = parsed.data;
    const error = one ?? (Array.isArray(many) && many.length === 0 ? null : many);
    if (error !== undefined && error !== null && error !== false) {
      throw new WorkersAIStreamError(`an error report: ${describe(error)}`);
    }
    return parsed.data;
  }

  private deltas(part: OutputPart): ChunkDelta[] {
    const out: ChunkDelta[] = [];
    if (!this.started) {
      this.started = true;
      out.push({ role: "assistant", content: "" });
    }
    if (part.reasoning) out.push({ reasoning_content: part.reasoning });
    if (part.text) out.push({ content: part.text });
    for (const tc of part.toolCalls) {
      const delta = this.toolCallDelta(tc);
      if (delta) out.push({ tool_calls: [delta] });
    }
    return out;
  }

  private toolCallDelta(tc: WorkersAIToolCall): ChunkDelta | null {
    const name = toolCallName(tc);
    const args = toolCallArguments(tc);
    const key = typeof tc.index === "number" ? `i${tc.index}` : null;
    const open = key !== null ? this.calls.get(key) : undefined;
    if (open !== undefined) return args ? { index: open, function: { arguments: args } } : null;
    if (!name) return null; // a closing fragment, or arguments of a call never opened
    const index = this.calls.size;
    this.calls.set(key ?? `whole${index}`, index);
    return { index, id: tc.id || freshToolCallId(), type: "function", function: { name, arguments: args ?? "" } };
  }

  private complete(): string {
    this.done = true;
    const lead = this.started ? "" : this.out.roleChunk();
    const reason = finishReason(this.given, this.calls.size > 0, this.usage, this.maxTokens);
    return lead + this.out.chunk({}, reason) + this.out.end(this.usage && openAIUsage(this.usage));
  }
}

function describe(error: unknown): string {
  if (typeof error === "string") return error;
  if (typeof error === "object" && error !== null && typeof (error as { message?: unknown }).message === "string") {
    return (error as { message: string }).message;
  }
  return JSON.stringify(error);
}
