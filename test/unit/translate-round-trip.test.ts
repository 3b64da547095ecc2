import { describe, expect, it } from "vitest";
import {
  anthropicToOpenAIRequest,
  anthropicToOpenAIResponse,
  AnthropicToOpenAIStream,
  openAIToAnthropicRequest,
  openAIToAnthropicResponse,
  OpenAIToAnthropicStream,
  type UpstreamEvent,
} from "../../src/translate";
import { parseSse } from "../helpers/sse";
import { OPENAI_TOOL_STREAM, run } from "./translate-fixtures";

/** OpenAI → Anthropic → OpenAI keeps the meaning: requests, responses and streams. */

const OPENAI_REQUEST = {
  model: "gpt-4o",
  messages: [
    { role: "system", content: "You are terse." },
    {
      role: "user",
      content: [
        { type: "text", text: "What is on this picture, and the weather there?" },
        { type: "image_url", image_url: { url: "https://example.com/paris.jpg" } },
      ],
    },
    {
      role: "assistant",
      content: "The Eiffel Tower. Checking.",
      tool_calls: [
        { id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
      ],
    },
    { role: "tool", tool_call_id: "call_1", content: "18°C" },
  ],
  tools: [
    {
      type: "function",
      function: {
        name: "get_weather",
        description: "Weather",
        parameters: { type: "object", properties: { city: { type: "string" } } },
      },
    },
  ],
  tool_choice: { type: "function", function: { name: "get_weather" } },
  parallel_tool_calls: false,
  max_tokens: 300,
  temperature: 0.5,
  top_p: 1,
  stop: ["END", "STOP"],
  stream: true,
  user: "u1",
};

describe("round trips", () => {
  it("an OpenAI request comes back from Anthropic's shape with the same meaning", () => {
    const there = openAIToAnthropicRequest(OPENAI_REQUEST);
    const back = anthropicToOpenAIRequest(there.body);
    expect(there.dropped).toEqual([]);
    expect(back.dropped).toEqual([]);
    const { stream_options, ...rest } = back.body;
    expect(stream_options).toEqual({ include_usage: true });
    expect(rest).toEqual(OPENAI_REQUEST);
  });

  it("an Anthropic request comes back from OpenAI's shape with the same meaning", () => {
    const anthropic = openAIToAnthropicRequest(OPENAI_REQUEST).body;
    const again = openAIToAnthropicRequest(anthropicToOpenAIRequest(anthropic).body).body;
    expect(again).toEqual(anthropic);
  });

  it("a completion comes back from Anthropic's shape with the same content, reason and usage", () => {
    const completion = {
      id: "chatcmpl-abc",
      object: "chat.completion",
      created: 1,
      model: "gpt-4o",
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: "Hi.",
            tool_calls: [{ id: "call_9", type: "function", function: { name: "f", arguments: '{"a":[1,2]}' } }],
          },
          finish_reason: "tool_calls",
        },
      ],
      usage: {
        prompt_tokens: 100,
        completion_tokens: 5,
        total_tokens: 105,
        prompt_tokens_details: { cached_tokens: 60 },
      },
    };
    const back = anthropicToOpenAIResponse(openAIToAnthropicResponse(completion), { model: "gpt-4o" });
    expect(back.id).toBe("chatcmpl-abc");
    expect(back.choices).toEqual([
      {
        index: 0,
        message: {
          role: "assistant",
          content: "Hi.",
          refusal: null,
          tool_calls: completion.choices[0]?.message.tool_calls,
        },
        logprobs: null,
        finish_reason: "tool_calls",
      },
    ]);
    expect(back.usage).toEqual({ ...completion.usage });
  });

  it("a stream comes back from Anthropic's events with the same text, tool calls and usage", () => {
    const toAnthropic = new OpenAIToAnthropicStream({ model: "m" });
    const anthropicEvents: UpstreamEvent[] = parseSse(run(toAnthropic, OPENAI_TOOL_STREAM)).map((e) => ({
      event: e.event ?? undefined,
      data: e.data,
    }));
    const back = new AnthropicToOpenAIStream({ model: "gpt-4o", includeUsage: true });
    const chunks = parseSse(run(back, anthropicEvents))
      .filter((e) => e.data !== "[DONE]")
      .map(
        (e) =>
          JSON.parse(e.data) as {
            choices: {
              delta: {
                content?: string;
                tool_calls?: { index: number; function: { name?: string; arguments?: string } }[];
              };
              finish_reason: string | null;
            }[];
          },
      );
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    const args = ["", ""];
    for (const c of chunks)
      for (const tc of c.choices[0]?.delta.tool_calls ?? []) args[tc.index] += tc.function.arguments ?? "";
    expect(text).toBe("Checking both.");
    expect(args.map((a) => JSON.parse(a) as unknown)).toEqual([{ location: "Paris" }, { tz: "Europe/Paris" }]);
    expect(chunks.flatMap((c) => c.choices.map((ch) => ch.finish_reason)).filter(Boolean)).toEqual(["tool_calls"]);
    expect(back.usage()).toEqual(toAnthropic.usage());
    expect(back.finished).toBe(true);
  });
});
