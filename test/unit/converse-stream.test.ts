import { describe, expect, it } from "vitest";
import {
  ConverseStreamFailure,
  ConverseToOpenAIStream,
  type ConverseStreamMessage,
} from "../../src/providers/bedrock/converse-stream";
import { parseSse } from "../helpers/sse";

/** ConverseStream messages as an OpenAI chat-completions stream. */

const USAGE = { inputTokens: 11, outputTokens: 7, totalTokens: 26, cacheReadInputTokens: 3, cacheWriteInputTokens: 5 };

const ev = (type: string, payload: unknown): ConverseStreamMessage => ({
  messageType: "event",
  type,
  payload: JSON.stringify(payload),
});

const TEXT_STREAM = [
  ev("messageStart", { role: "assistant" }),
  ev("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "Hello" }, p: "abc" }),
  ev("contentBlockDelta", { contentBlockIndex: 0, delta: { text: " world" } }),
  ev("contentBlockStop", { contentBlockIndex: 0 }),
  ev("messageStop", { stopReason: "end_turn" }),
  ev("metadata", { usage: USAGE, metrics: { latencyMs: 5 } }),
];

const TOOL_STREAM = [
  ev("messageStart", { role: "assistant" }),
  ev("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "Checking." } }),
  ev("contentBlockStop", { contentBlockIndex: 0 }),
  ev("contentBlockStart", {
    contentBlockIndex: 1,
    start: { toolUse: { toolUseId: "tooluse_1", name: "get_weather" } },
  }),
  ev("contentBlockDelta", { contentBlockIndex: 1, delta: { toolUse: { input: '{"city":' } } }),
  ev("contentBlockDelta", { contentBlockIndex: 1, delta: { toolUse: { input: '"Paris"}' } } }),
  ev("contentBlockStop", { contentBlockIndex: 1 }),
  ev("contentBlockStart", { contentBlockIndex: 2, start: { toolUse: { toolUseId: "tooluse_2", name: "get_time" } } }),
  ev("contentBlockDelta", { contentBlockIndex: 2, delta: { toolUse: { input: "{}" } } }),
  ev("contentBlockStop", { contentBlockIndex: 2 }),
  ev("messageStop", { stopReason: "tool_use" }),
  ev("metadata", { usage: USAGE }),
];

type Chunk = {
  id: string;
  object: string;
  model: string;
  usage?: unknown;
  choices: { delta: Record<string, unknown>; finish_reason: string | null }[];
};

function run(messages: ConverseStreamMessage[], includeUsage = false) {
  const s = new ConverseToOpenAIStream({ id: "chatcmpl-1", model: "m", includeUsage });
  let text = messages.map((m) => s.push(m)).join("");
  text += s.end();
  const events = parseSse(text);
  const chunks = events.filter((e) => e.data !== "[DONE]").map((e) => JSON.parse(e.data) as Chunk);
  return { s, text, events, chunks };
}

describe("a text answer", () => {
  it("opens the turn, streams the deltas, gives the finish reason, ends with [DONE]", () => {
    const { chunks, events, s } = run(TEXT_STREAM);
    expect(chunks.map((c) => c.choices[0]?.delta)).toEqual([
      { role: "assistant", content: "" },
      { content: "Hello" },
      { content: " world" },
      {},
    ]);
    expect(chunks.map((c) => c.choices[0]?.finish_reason)).toEqual([null, null, null, "stop"]);
    expect(chunks.every((c) => c.id === "chatcmpl-1" && c.object === "chat.completion.chunk" && c.model === "m")).toBe(
      true,
    );
    expect(chunks.some((c) => "usage" in c)).toBe(false);
    expect(events.at(-1)?.data).toBe("[DONE]");
    expect(s.finished).toBe(true);
    expect(s.usage()).toEqual({ inputTokens: 19, outputTokens: 7, cacheReadTokens: 3, cacheWriteTokens: 5 });
  });

  it("with include_usage: usage null on every chunk, then a usage chunk with cache reads and writes", () => {
    const { chunks } = run(TEXT_STREAM, true);
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: {
        prompt_tokens: 19,
        completion_tokens: 7,
        total_tokens: 26,
        prompt_tokens_details: { cached_tokens: 3, cache_write_tokens: 5 },
      },
    });
  });

  it("[DONE] goes out with metadata, before the upstream closes", () => {
    const s = new ConverseToOpenAIStream({ id: "x", model: "m", includeUsage: false });
    const text = TEXT_STREAM.map((m) => s.push(m)).join("");
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
    expect(s.end()).toBe("");
  });

  it.each([
    ["max_tokens", "length"],
    ["guardrail_intervened", "content_filter"],
  ])("stopReason %s is finish_reason %s", (stopReason, finish) => {
    const messages = TEXT_STREAM.map((m) => (m.type === "messageStop" ? ev("messageStop", { stopReason }) : m));
    expect(run(messages).chunks.at(-1)?.choices[0]?.finish_reason).toBe(finish);
  });

  it("a stream that closes after messageStop but without metadata still completes, without usage", () => {
    const { events, s } = run(TEXT_STREAM.slice(0, -1), true);
    expect(events.at(-1)?.data).toBe("[DONE]");
    expect(s.usage()).toBeNull();
  });

  it("ignores event types it does not know and reasoning deltas", () => {
    const { chunks } = run([
      TEXT_STREAM[0] as ConverseStreamMessage,
      ev("somethingNew", { x: 1 }),
      ev("contentBlockDelta", { contentBlockIndex: 0, delta: { reasoningContent: { text: "hmm" } } }),
      ...TEXT_STREAM.slice(1),
    ]);
    expect(chunks).toHaveLength(4);
  });
});

describe("tool calls", () => {
  it("numbers tool calls from 0, with id and name first, then argument fragments", () => {
    const { chunks } = run(TOOL_STREAM);
    expect(chunks.map((c) => c.choices[0]?.delta)).toEqual([
      { role: "assistant", content: "" },
      { content: "Checking." },
      {
        tool_calls: [{ index: 0, id: "tooluse_1", type: "function", function: { name: "get_weather", arguments: "" } }],
      },
      { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] },
      { tool_calls: [{ index: 1, id: "tooluse_2", type: "function", function: { name: "get_time", arguments: "" } }] },
      { tool_calls: [{ index: 1, function: { arguments: "{}" } }] },
      {},
    ]);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe("tool_calls");
  });
});

describe("failures", () => {
  function failure(messages: ConverseStreamMessage[], end = false): ConverseStreamFailure {
    const s = new ConverseToOpenAIStream({ id: "x", model: "m", includeUsage: false });
    try {
      for (const m of messages) s.push(m);
      if (end) s.end();
    } catch (err) {
      if (err instanceof ConverseStreamFailure) return err;
      throw err;
    }
    throw new Error("expected a ConverseStreamFailure");
  }

  it("an exception message mid-stream throws, with Bedrock's type and message", () => {
    const err = failure([
      ...TEXT_STREAM.slice(0, 2),
      { messageType: "exception", type: "throttlingException", payload: '{"message":"Too many tokens"}' },
    ]);
    expect(err.message).toBe("Bedrock reported throttlingException mid-stream: Too many tokens");
    expect(err.exceptionType).toBe("throttlingException");
  });

  it("a protocol error message throws with its :error-message", () => {
    const err = failure([
      { messageType: "error", type: "InternalFailure", payload: "", errorMessage: "An internal error occurred" },
    ]);
    expect(err.message).toBe("Bedrock reported InternalFailure mid-stream: An internal error occurred");
  });

  it("a stream that closes before messageStop throws when it ends", () => {
    expect(failure(TEXT_STREAM.slice(0, 3), true).message).toMatch(/closed the stream before its messageStop/);
  });

  it.each([
    [{ messageType: "event", type: "contentBlockDelta", payload: "{not json" }, /contentBlockDelta event.*not JSON/],
    [ev("contentBlockDelta", { delta: { text: "x" } }), /contentBlockDelta event.*contentBlockIndex/],
    [ev("messageStop", {}), /messageStop event.*stopReason/],
    [
      ev("contentBlockDelta", { contentBlockIndex: 4, delta: { toolUse: { input: "{" } } }),
      /block 4, which started no tool call/,
    ],
  ])("an event that cannot be read throws, naming it (%#)", (msg, message) => {
    expect(failure([TEXT_STREAM[0] as ConverseStreamMessage, msg]).message).toMatch(message);
  });

  it("nothing is written after the stream finished", () => {
    const s = new ConverseToOpenAIStream({ id: "x", model: "m", includeUsage: false });
    for (const m of TEXT_STREAM) s.push(m);
    expect(s.push(ev("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "late" } }))).toBe("");
  });
});
