import Anthropic from "@anthropic-ai/sdk";
import { describe, expect, it } from "vitest";
import { OpenAIToAnthropicStream, type UpstreamEvent } from "../../src/translate";
import { OPENAI_TOOL_STREAM, parsedEvents, run, sseFetch } from "./translate-fixtures";

/** OpenAI chat-completions stream → Anthropic Messages stream. */

type Ev = Record<string, unknown> & { type: string };

function events(text: string): Ev[] {
  return parsedEvents(text).map((e) => {
    const json = e.json as Ev;
    expect(json.type).toBeTypeOf("string");
    expect(e.event).toBe(json.type);
    return json;
  });
}

const chunk = (delta: object, finish: string | null = null): UpstreamEvent => ({
  data: JSON.stringify({
    id: "chatcmpl-x",
    object: "chat.completion.chunk",
    created: 1,
    model: "g",
    choices: [{ index: 0, delta, finish_reason: finish }],
  }),
});

describe("OpenAIToAnthropicStream", () => {
  it("opens one block at a time with indexes in order: text, then each tool call", () => {
    const t = new OpenAIToAnthropicStream({ model: "claude-via-gpt" });
    const out = events(run(t, OPENAI_TOOL_STREAM));
    expect(out.map((e) => (typeof e.index === "number" ? `${e.type}:${e.index}` : e.type))).toEqual([
      "message_start",
      "content_block_start:0",
      "content_block_delta:0",
      "content_block_delta:0",
      "content_block_stop:0",
      "content_block_start:1",
      "content_block_delta:1",
      "content_block_delta:1",
      "content_block_stop:1",
      "content_block_start:2",
      "content_block_delta:2",
      "content_block_stop:2",
      "message_delta",
      "message_stop",
    ]);
    const start = out[0] as unknown as { message: Record<string, unknown> };
    expect(start.message).toMatchObject({
      id: "msg_B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
      type: "message",
      role: "assistant",
      content: [],
      model: "claude-via-gpt",
      usage: { input_tokens: 0, output_tokens: 0 },
    });
    expect(out[5]).toMatchObject({
      content_block: { type: "tool_use", id: "call_DdmO9pD3xa9XTPNJ32zg2hcA", name: "get_weather", input: {} },
    });
    expect(out[12]).toEqual({
      type: "message_delta",
      delta: { stop_reason: "tool_use", stop_sequence: null },
      usage: { input_tokens: 176, output_tokens: 57, cache_read_input_tokens: 1024, cache_creation_input_tokens: 0 },
    });
    expect(t.finished).toBe(true);
    expect(t.usage()).toEqual({ inputTokens: 1200, outputTokens: 57, cacheReadTokens: 1024, cacheWriteTokens: 0 });
  });

  it("is read by the official Anthropic SDK into the same message, tool input reassembled", async () => {
    const t = new OpenAIToAnthropicStream({ model: "claude-via-gpt" });
    const client = new Anthropic({ apiKey: "test", fetch: sseFetch(run(t, OPENAI_TOOL_STREAM)) });
    const message = await client.messages
      .stream({ model: "claude-via-gpt", max_tokens: 100, messages: [{ role: "user", content: "weather and time?" }] })
      .finalMessage();
    expect(message.content).toEqual([
      { type: "text", text: "Checking both." },
      { type: "tool_use", id: "call_DdmO9pD3xa9XTPNJ32zg2hcA", name: "get_weather", input: { location: "Paris" } },
      { type: "tool_use", id: "call_ABCd", name: "get_time", input: { tz: "Europe/Paris" } },
    ]);
    expect(message.stop_reason).toBe("tool_use");
    expect(message.usage).toMatchObject({ input_tokens: 176, output_tokens: 57, cache_read_input_tokens: 1024 });
  });

  it("opens a new text block for text after a tool call, and maps length to max_tokens", () => {
    const t = new OpenAIToAnthropicStream({ model: "m" });
    const out = events(
      run(t, [
        chunk({ tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "f", arguments: "{}" } }] }),
        chunk({ content: "after" }),
        chunk({}, "length"),
        { data: "[DONE]" },
      ]),
    );
    expect(
      out.filter((e) => e.type === "content_block_start").map((e) => [e.index, (e.content_block as Ev).type]),
    ).toEqual([
      [0, "tool_use"],
      [1, "text"],
    ]);
    expect(out.find((e) => e.type === "message_delta")).toMatchObject({
      delta: { stop_reason: "max_tokens" },
      usage: { output_tokens: 0 },
    });
    expect(t.usage()).toBeNull();
  });

  it("answers an empty stream with a complete empty message", () => {
    const t = new OpenAIToAnthropicStream({ model: "m" });
    const out = events(t.push({ data: "[DONE]" }));
    expect(out.map((e) => e.type)).toEqual(["message_start", "message_delta", "message_stop"]);
    expect(out[1]).toMatchObject({ delta: { stop_reason: "end_turn" } });
  });

  it("ends with the Anthropic-envelope terminal frame on an error chunk, and writes nothing after", () => {
    const t = new OpenAIToAnthropicStream({ model: "m" });
    const before = run(t, OPENAI_TOOL_STREAM.slice(0, 3));
    expect(before).toContain("Checking");
    const frame = t.push({
      data: JSON.stringify({ error: { message: "The server had an error", type: "server_error" } }),
    });
    const out = parsedEvents(frame);
    expect(out).toHaveLength(1);
    expect(out[0]?.event).toBe("error");
    expect(out[0]?.json).toMatchObject({
      type: "error",
      error: { type: "provider_error", code: "upstream_mid_stream_failure" },
    });
    expect(JSON.stringify(out[0]?.json)).toContain("server_error: The server had an error");
    expect(t.finished).toBe(false);
    expect(run(t, OPENAI_TOOL_STREAM.slice(3))).toBe("");
  });

  it("fail() gives the Anthropic-envelope terminal frame, once", () => {
    const t = new OpenAIToAnthropicStream({ model: "m" });
    run(t, OPENAI_TOOL_STREAM.slice(0, 5));
    expect(t.fail("connection reset")).toBe(
      'event: error\ndata: {"type":"error","error":{"type":"provider_error","code":"upstream_mid_stream_failure","message":"connection reset"}}\n\n',
    );
    expect(t.fail("again")).toBe("");
    expect(t.push({ data: "[DONE]" })).toBe("");
  });

  it("fails on a chunk that is not JSON", () => {
    const t = new OpenAIToAnthropicStream({ model: "m" });
    expect(t.push({ data: "<html>502</html>" })).toContain("upstream_mid_stream_failure");
    expect(t.failure).toContain("not JSON");
  });
});
