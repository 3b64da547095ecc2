import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { AnthropicToOpenAIStream } from "../../src/translate";
import { ANTHROPIC_THINKING_STREAM, ANTHROPIC_TOOL_STREAM, parsedEvents, run, sseFetch } from "./translate-fixtures";

/** Anthropic Messages stream → OpenAI chat-completions stream. */

interface Chunk {
  id: string;
  object: string;
  created: number;
  model: string;
  choices: {
    index: number;
    delta: {
      role?: string;
      content?: string;
      tool_calls?: { index: number; id?: string; function: { name?: string; arguments: string } }[];
    };
    finish_reason: string | null;
  }[];
  usage?: {
    prompt_tokens: number;
    completion_tokens: number;
    total_tokens: number;
    prompt_tokens_details: { cached_tokens: number };
  } | null;
}

function chunks(text: string): Chunk[] {
  const events = parsedEvents(text);
  expect(events.at(-1)?.json).toBe("[DONE]");
  return events.slice(0, -1).map((e) => {
    expect(e.event).toBeNull();
    return e.json as unknown as Chunk;
  });
}

describe("AnthropicToOpenAIStream", () => {
  it("turns text and streamed tool input into chunks every OpenAI SDK field is on", () => {
    const t = new AnthropicToOpenAIStream({ model: "claude-sonnet-4-5", includeUsage: true });
    const out = chunks(run(t, ANTHROPIC_TOOL_STREAM));
    for (const c of out) {
      expect(c.id).toBe("chatcmpl-01XFDUDYJgAACzvnptvVoYEL");
      expect(c.object).toBe("chat.completion.chunk");
      expect(Number.isInteger(c.created)).toBe(true);
      expect(c.model).toBe("claude-sonnet-4-5");
      for (const choice of c.choices) {
        expect(choice.index).toBe(0);
        expect(choice.delta).toBeTypeOf("object");
      }
    }
    expect(out[0]?.choices[0]?.delta).toEqual({ role: "assistant", content: "" });
    const text = out.map((c) => c.choices[0]?.delta.content ?? "").join("");
    expect(text).toBe("Okay, let me check the weather.");

    const calls = new Map<number, { id?: string; name?: string; args: string }>();
    for (const c of out) {
      for (const tc of c.choices[0]?.delta.tool_calls ?? []) {
        const call = calls.get(tc.index) ?? { args: "" };
        if (tc.id) call.id = tc.id;
        if (tc.function.name) call.name = tc.function.name;
        call.args += tc.function.arguments;
        calls.set(tc.index, call);
      }
    }
    expect([...calls.keys()]).toEqual([0, 1]);
    expect(calls.get(0)).toMatchObject({ id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6", name: "get_weather" });
    expect(JSON.parse(calls.get(0)?.args ?? "")).toEqual({ location: "San Francisco, CA", unit: "celsius" });
    expect(JSON.parse(calls.get(1)?.args ?? "")).toEqual({ tz: "America/Los_Angeles" });

    const finishes = out.flatMap((c) => c.choices.map((ch) => ch.finish_reason)).filter((f) => f !== null);
    expect(finishes).toEqual(["tool_calls"]);
    const usageChunk = out.at(-1);
    expect(usageChunk?.choices).toEqual([]);
    expect(usageChunk?.usage).toEqual({
      prompt_tokens: 472 + 100 + 2000,
      completion_tokens: 89,
      total_tokens: 2572 + 89,
      prompt_tokens_details: { cached_tokens: 2000 },
    });
    expect(out.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    expect(t.finished).toBe(true);
    expect(t.usage()).toEqual({ inputTokens: 2572, outputTokens: 89, cacheReadTokens: 2000, cacheWriteTokens: 100 });
  });

  it("is read by the official OpenAI SDK into the same completion", async () => {
    const t = new AnthropicToOpenAIStream({ model: "claude-sonnet-4-5", includeUsage: true });
    const client = new OpenAI({ apiKey: "test", fetch: sseFetch(run(t, ANTHROPIC_TOOL_STREAM)) });
    const completion = await client.chat.completions
      .stream({
        model: "claude-sonnet-4-5",
        messages: [{ role: "user", content: "weather?" }],
        stream_options: { include_usage: true },
      })
      .finalChatCompletion();
    const message = completion.choices[0]?.message;
    expect(message?.content).toBe("Okay, let me check the weather.");
    expect(
      message?.tool_calls?.map((c) =>
        c.type === "function" ? [c.function.name, JSON.parse(c.function.arguments)] : null,
      ),
    ).toEqual([
      ["get_weather", { location: "San Francisco, CA", unit: "celsius" }],
      ["get_time", { tz: "America/Los_Angeles" }],
    ]);
    expect(completion.choices[0]?.finish_reason).toBe("tool_calls");
    expect(completion.usage?.prompt_tokens).toBe(2572);
  });

  it("leaves thinking out, maps max_tokens to length, and writes no usage chunk unless asked", () => {
    const t = new AnthropicToOpenAIStream({ model: "m", includeUsage: false });
    const out = chunks(run(t, ANTHROPIC_THINKING_STREAM));
    expect(JSON.stringify(out)).not.toContain("27*453");
    expect(JSON.stringify(out)).not.toContain("signature");
    expect(out.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe("27 * 453 = 12,231");
    expect(out.at(-1)?.choices[0]?.finish_reason).toBe("length");
    expect(out.every((c) => !("usage" in c))).toBe(true);
    expect(t.usage()).toEqual({ inputTokens: 12, outputTokens: 40, cacheReadTokens: 0, cacheWriteTokens: 0 });
  });

  it("ends with the contract's terminal frame on an upstream error event, and writes nothing after", () => {
    const t = new AnthropicToOpenAIStream({ model: "m", includeUsage: true });
    const before = run(t, ANTHROPIC_TOOL_STREAM.slice(0, 5));
    const failed = t.push({
      event: "error",
      data: JSON.stringify({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } }),
    });
    const events = parsedEvents(failed);
    expect(events).toHaveLength(1);
    expect(events[0]?.event).toBe("error");
    expect(events[0]?.json).toMatchObject({
      error: { type: "provider_error", code: "upstream_mid_stream_failure" },
    });
    expect(JSON.stringify(events[0]?.json)).toContain("overloaded_error: Overloaded");
    expect(before).toContain("Okay, let me check");
    expect(t.finished).toBe(false);
    expect(t.failure).toContain("Overloaded");
    expect(run(t, ANTHROPIC_TOOL_STREAM.slice(5))).toBe("");
    expect(t.fail("again")).toBe("");
  });

  it("fail() gives the terminal frame for a provider that broke off; after a normal end it gives nothing", () => {
    const broken = new AnthropicToOpenAIStream({ model: "m", includeUsage: false });
    run(broken, ANTHROPIC_TOOL_STREAM.slice(0, 8));
    const frame = broken.fail("the provider closed the stream early");
    expect(frame).toBe(
      'event: error\ndata: {"error":{"type":"provider_error","code":"upstream_mid_stream_failure","message":"the provider closed the stream early"}}\n\n',
    );
    expect(broken.usage()?.inputTokens).toBe(2572);

    const complete = new AnthropicToOpenAIStream({ model: "m", includeUsage: false });
    run(complete, ANTHROPIC_TOOL_STREAM);
    expect(complete.fail("late")).toBe("");
  });

  it("fails on an event whose data is not JSON, and skips event types it does not know", () => {
    const t = new AnthropicToOpenAIStream({ model: "m", includeUsage: false });
    run(t, ANTHROPIC_TOOL_STREAM.slice(0, 2));
    expect(t.push({ event: "future_event", data: JSON.stringify({ type: "future_event" }) })).toBe("");
    expect(t.push({ event: "content_block_delta", data: "{not json" })).toContain("upstream_mid_stream_failure");
  });
});
