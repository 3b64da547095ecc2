import { FAKE_EMBEDDING_DIMENSIONS, fakeVector } from "./embeddings";
import { FAKE_REPLY_WORDS, FAKE_TOOL_ARGUMENT_FRAGMENTS, FAKE_TOOL_ARGUMENTS, forcedOpenAITool } from "./openai";

/**
 * A fake Workers AI binding (the `env.AI` object a Worker gets from `[ai] binding = "AI"`): its
 * `run(model, inputs, options)` records each call and answers like a text-generation model, in one of
 * Workers AI's two output shapes:
 *
 * - `native` (older models): `{ response, tool_calls?, usage }`; streamed, one
 *   `{"response": "<word>", "p": …}` event per word, tool calls as `tool_calls` fragments with an
 *   `index` (name first, then the arguments, then a null closing fragment), a last event with only
 *   `usage`, then `data: [DONE]`. Like those models it refuses a message whose content is not a
 *   string (error 5006).
 * - `openai` (newer models): an OpenAI chat completion with `reasoning_content`, or a stream of
 *   chat.completion.chunk events whose finishing chunk carries the usage, then `data: [DONE]`.
 *
 * The text is FAKE_REPLY_WORDS, or, when the inputs have tools and `tool_choice` forces one (the HTTP
 * fake's rule, test/fake-provider/worker.ts), one call of it taking FAKE_TOOL_ARGUMENTS. Failures on
 * demand: `throws` (run rejects with it), `breakAfter` (the stream errors after that many events),
 * `errorEventAfter` (an `{"error": …}` event after that many), `withoutDone` (the stream just ends),
 * `wholeWhenStreaming` (a streaming request gets a whole output, as some models answer), `hangs`
 * (`run` answers only its signal's abort), `slowMs` (that long before each streamed event). A call
 * records its signal, and whether the gateway cancelled the stream it got (`cancelled`).
 *
 * A text-embeddings model (its id has `bge` or `embedding` in it: `@cf/baai/bge-base-en-v1.5`) answers
 * `{ text }` like Workers AI's: `{ shape, data, pooling }`, one deterministic vector per text (the HTTP
 * fake's `fakeVector`), and `usage` only when `embeddingUsage` is given. Each kind of model refuses the
 * other's inputs with the input-validation error (5006) Workers AI throws.
 */

export type FakeAIShape = "native" | "openai";

export interface FakeAIOptions {
  shape?: FakeAIShape;
  throws?: unknown;
  breakAfter?: number;
  errorEventAfter?: number;
  withoutDone?: boolean;
  wholeWhenStreaming?: boolean;
  /** `run` never settles until its signal aborts (then rejects with the signal's reason). */
  hangs?: boolean;
  /** Milliseconds to wait before each streamed event. */
  slowMs?: number;
  /** The `usage` an embeddings output carries (Workers AI's models report none). */
  embeddingUsage?: { prompt_tokens: number; total_tokens: number };
}

export interface FakeAICall {
  model: string;
  inputs: Record<string, unknown>;
  /** The `signal` option `run` got. */
  signal: AbortSignal | undefined;
  /** Whether the stream `run` answered with was cancelled by its reader. */
  cancelled: boolean;
}

export interface FakeAI {
  binding: {
    run(model: string, inputs: Record<string, unknown>, options?: { signal?: AbortSignal }): Promise<unknown>;
  };
  calls: FakeAICall[];
}

export const FAKE_AI_USAGE = { prompt_tokens: 17, completion_tokens: 9, total_tokens: 26 } as const;
export const FAKE_AI_REASONING = "The user greets me.";

/** An error as the binding throws it: a plain Error with a name, its message carrying Workers AI's code. */
export function workersAIError(name: string, message: string): Error {
  const err = new Error(message);
  err.name = name;
  return err;
}

const encoder = new TextEncoder();

function nativeAnswer(tool: string | null) {
  return tool
    ? { response: "", tool_calls: [{ name: tool, arguments: FAKE_TOOL_ARGUMENTS }], usage: FAKE_AI_USAGE }
    : { response: FAKE_REPLY_WORDS.join(" "), usage: FAKE_AI_USAGE };
}

function openAIAnswer(model: string, tool: string | null) {
  const call = {
    id: "chatcmpl-tool-fake1",
    type: "function",
    function: { name: tool, arguments: JSON.stringify(FAKE_TOOL_ARGUMENTS) },
  };
  return {
    id: "id-fake-1",
    object: "chat.completion",
    created: 1_700_000_000,
    model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: tool ? null : FAKE_REPLY_WORDS.join(" "),
          reasoning_content: FAKE_AI_REASONING,
          ...(tool ? { tool_calls: [call] } : {}),
        },
        finish_reason: tool ? "tool_calls" : "stop",
      },
    ],
    usage: FAKE_AI_USAGE,
  };
}

function nativeEvents(tool: string | null): unknown[] {
  const body: unknown[] = tool
    ? [
        {
          response: "",
          tool_calls: [{ id: "chatcmpl-tool-fake1", type: "function", index: 0, function: { name: tool } }],
        },
        ...FAKE_TOOL_ARGUMENT_FRAGMENTS.map((a) => ({
          response: "",
          tool_calls: [{ index: 0, function: { arguments: a } }],
        })),
        { response: "", tool_calls: [{ id: null, type: null, function: { name: null } }] },
      ]
    : FAKE_REPLY_WORDS.map((w, i) => ({ response: i === 0 ? w : ` ${w}`, p: "abcdefgh" }));
  return [...body, { response: "", usage: FAKE_AI_USAGE }];
}

function openAIEvents(model: string, tool: string | null): unknown[] {
  const chunk = (delta: object, finish: string | null = null, extra: object = {}) => ({
    id: "id-fake-1",
    object: "chat.completion.chunk",
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, delta, finish_reason: finish }],
    ...extra,
  });
  const body = tool
    ? [
        chunk({
          role: "assistant",
          tool_calls: [
            { index: 0, id: "chatcmpl-tool-fake1", type: "function", function: { name: tool, arguments: "" } },
          ],
        }),
        ...FAKE_TOOL_ARGUMENT_FRAGMENTS.map((a) => chunk({ tool_calls: [{ index: 0, function: { arguments: a } }] })),
      ]
    : [
        chunk({ role: "assistant", reasoning_content: FAKE_AI_REASONING }),
        ...FAKE_REPLY_WORDS.map((w, i) => chunk({ content: i === 0 ? w : ` ${w}` })),
      ];
  return [...body, chunk({}, tool ? "tool_calls" : "stop", { usage: FAKE_AI_USAGE })];
}

function stream(events: unknown[], opts: FakeAIOptions, call: FakeAICall): ReadableStream<Uint8Array> {
  const { signal } = call;
  const frames = events.map((e) => `data: ${JSON.stringify(e)}\n\n`);
  if (!opts.withoutDone) frames.push("data: [DONE]\n\n");
  let i = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (opts.slowMs !== undefined) await new Promise((r) => setTimeout(r, opts.slowMs));
      if (signal?.aborted) return controller.error(signal.reason);
      if (opts.breakAfter !== undefined && i >= opts.breakAfter) {
        return controller.error(workersAIError("InferenceUpstreamError", "fake Workers AI stream broke"));
      }
      if (opts.errorEventAfter !== undefined && i === opts.errorEventAfter) {
        i++;
        controller.enqueue(
          encoder.encode(`data: ${JSON.stringify({ error: "3040: Capacity temporarily exceeded" })}\n\n`),
        );
        return;
      }
      const frame = frames[i++];
      if (frame === undefined) return controller.close();
      controller.enqueue(encoder.encode(frame));
    },
    cancel() {
      call.cancelled = true;
    },
  });
}

const isEmbeddingModel = (model: string): boolean => /bge|embedding/i.test(model);

/** What an embeddings model answers `{ text }` with; anything else is refused as Workers AI does. */
function embeddingsOutput(inputs: Record<string, unknown>, opts: FakeAIOptions) {
  const text = inputs.text;
  const texts = typeof text === "string" ? [text] : Array.isArray(text) ? (text as unknown[]) : null;
  if (!texts?.every((t) => typeof t === "string")) {
    throw workersAIError("AiError", "5006: Error: oneOf at '/' not met, required properties at '/' are 'text'");
  }
  return {
    shape: [texts.length, FAKE_EMBEDDING_DIMENSIONS],
    data: texts.map((t) => fakeVector(t)),
    pooling: "mean",
    ...(opts.embeddingUsage ? { usage: opts.embeddingUsage } : {}),
  };
}

/** A text-generation model takes `messages` or `prompt`, as Workers AI's input schemas say. */
function refusesWithoutPrompt(inputs: Record<string, unknown>): void {
  if (inputs.messages === undefined && inputs.prompt === undefined) {
    throw workersAIError(
      "AiError",
      "5006: Error: oneOf at '/' not met, required properties at '/' are 'prompt', required properties at '/' are 'messages'",
    );
  }
}

function refusesNonStringContent(inputs: Record<string, unknown>): void {
  const messages = Array.isArray(inputs.messages) ? (inputs.messages as unknown[]) : [];
  messages.forEach((m, i) => {
    if (typeof (m as { content?: unknown }).content !== "string") {
      throw workersAIError(
        "AiError",
        `5006: Error: oneOf at '/' not met, type at '/messages/${i}/content' must be string`,
      );
    }
  });
}

export function fakeAI(opts: FakeAIOptions = {}): FakeAI {
  const calls: FakeAICall[] = [];
  const shape = opts.shape ?? "native";
  return {
    calls,
    binding: {
      run(model, inputs, options) {
        const call: FakeAICall = { model, inputs, signal: options?.signal, cancelled: false };
        calls.push(call);
        // The binding may throw anything; the gateway must cope with what is not an Error too.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        if (opts.throws !== undefined) return Promise.reject(opts.throws);
        if (opts.hangs) {
          return new Promise((_, reject) =>
            options?.signal?.addEventListener("abort", () => reject(options.signal?.reason)),
          );
        }
        try {
          if (isEmbeddingModel(model)) return Promise.resolve(embeddingsOutput(inputs, opts));
          refusesWithoutPrompt(inputs);
          if (shape === "native") refusesNonStringContent(inputs);
        } catch (err) {
          return Promise.reject(err);
        }
        const tool = forcedOpenAITool(inputs);
        const whole = shape === "native" ? nativeAnswer(tool) : openAIAnswer(model, tool);
        if (inputs.stream !== true || opts.wholeWhenStreaming) return Promise.resolve(whole);
        const events = shape === "native" ? nativeEvents(tool) : openAIEvents(model, tool);
        return Promise.resolve(stream(events, opts, call));
      },
    },
  };
}
