import { describe, expect, it } from "vitest";
import { mergeDeltaUsage, tapAnthropicStream } from "../../src/sse/anthropic-stream";
import type { StreamOutcome } from "../../src/sse/event-tap";
import { FAKE_ANTHROPIC_USAGE, messageStreamEvents } from "../fake-provider/anthropic";
import { parseSse } from "../helpers/sse";

/** The Anthropic stream tap: bytes through untouched, usage from message_start + message_delta, an Anthropic terminal frame. */

const enc = new TextEncoder();
const dec = new TextDecoder();
const EVENTS = messageStreamEvents({ model: "claude-test" }, "msg_1");
const U = FAKE_ANTHROPIC_USAGE;
const FULL_USAGE = {
  inputTokens: U.input_tokens + U.cache_read_input_tokens + U.cache_creation_input_tokens,
  outputTokens: U.output_tokens,
  cacheReadTokens: U.cache_read_input_tokens,
  cacheWriteTokens: U.cache_creation_input_tokens,
};

async function run(pieces: string[], failWith?: Error): Promise<{ text: string; outcome: StreamOutcome }> {
  let i = 0;
  const upstream = new ReadableStream<Uint8Array>({
    pull(c) {
      if (i < pieces.length) c.enqueue(enc.encode(pieces[i++]));
      else if (failWith) c.error(failWith);
      else c.close();
    },
  });
  let outcome: StreamOutcome | null = null;
  const out = tapAnthropicStream(upstream, { abortUpstream: () => undefined, onDone: (o) => (outcome = o) });
  let text = "";
  const reader = out.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += dec.decode(value);
  }
  if (!outcome) throw new Error("onDone was not called");
  return { text, outcome };
}

describe("a complete stream", () => {
  it.each([
    ["one event per chunk", EVENTS],
    ["all in one chunk", [EVENTS.join("")]],
    ["in 5-byte pieces", EVENTS.join("").match(/[\s\S]{1,5}/g) ?? []],
  ])(
    "%s: forwarded byte for byte; usage from message_start and message_delta; pings not counted",
    async (_, pieces) => {
      const { text, outcome } = await run(pieces);
      expect(text).toBe(EVENTS.join(""));
      expect(outcome).toEqual({
        chunks: EVENTS.length - 1,
        usage: FULL_USAGE,
        completed: true,
        cancelled: false,
        failure: null,
      });
    },
  );
});

describe("a stream that does not finish", () => {
  it("breaks: the Anthropic-shaped terminal frame, once, with the input usage seen so far", async () => {
    const { text, outcome } = await run(EVENTS.slice(0, 3), new Error("reset"));
    const events = parseSse(text);
    expect(events).toHaveLength(4);
    expect(events.at(-1)?.event).toBe("error");
    expect(JSON.parse(events.at(-1)?.data ?? "")).toEqual({
      type: "error",
      error: {
        type: "provider_error",
        code: "upstream_mid_stream_failure",
        message: expect.stringMatching(
          /broke after 2 chunks \(reset\)\. The partial answer above is incomplete/,
        ) as string,
      },
    });
    expect(outcome.completed).toBe(false);
    expect(outcome.usage).toEqual({ ...FULL_USAGE, outputTokens: 1 });
  });

  it("ends without message_stop: the terminal frame", async () => {
    const { text, outcome } = await run(EVENTS.slice(0, -1));
    expect(parseSse(text).at(-1)?.event).toBe("error");
    expect(outcome.failure).toMatch(/without finishing it/);
    expect(outcome.usage).toEqual(FULL_USAGE);
  });

  it("the provider's own error event ends it as failed, without a second error frame", async () => {
    const overloaded = `event: error\ndata: ${JSON.stringify({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } })}\n\n`;
    const { text, outcome } = await run([...EVENTS.slice(0, 4), overloaded]);
    expect(text).toBe([...EVENTS.slice(0, 4), overloaded].join(""));
    expect(outcome.completed).toBe(true);
    expect(outcome.failure).toBe("the provider reported an error mid-stream (overloaded_error: Overloaded)");
  });
});

describe("message_delta usage", () => {
  const start = { inputTokens: 19, outputTokens: 1, cacheReadTokens: 3, cacheWriteTokens: 5 };

  it("replaces the output count; keeps input and cache counts it does not carry", () => {
    expect(mergeDeltaUsage(start, { output_tokens: 40 })).toEqual({ ...start, outputTokens: 40 });
  });

  it("replaces input and cache counts it carries (they are cumulative), applied twice to the same effect", () => {
    const delta = { input_tokens: 20, cache_read_input_tokens: 4, output_tokens: 9 };
    const once = mergeDeltaUsage(start, delta);
    expect(once).toEqual({ inputTokens: 29, outputTokens: 9, cacheReadTokens: 4, cacheWriteTokens: 5 });
    expect(mergeDeltaUsage(once, delta)).toEqual(once);
  });
});
