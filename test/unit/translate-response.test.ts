import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { GatewayError } from "../../src/errors";
import {
  anthropicErrorToOpenAI,
  anthropicToOpenAIResponse,
  finishReasonFromStopReason,
  openAIErrorToAnthropic,
  openAIToAnthropicResponse,
  stopReasonFromFinishReason,
} from "../../src/translate";
import { jsonFetch } from "./translate-fixtures";

/** Non-streaming responses, stop reasons, usage and provider errors, both directions. */

const ANTHROPIC_MESSAGE = {
  id: "msg_01Aq9w938a90dw8q",
  type: "message",
  role: "assistant",
  model: "claude-sonnet-4-5-20250929",
  content: [
    { type: "thinking", thinking: "Need the tool.", signature: "sig" },
    { type: "text", text: "I'll look that up." },
    {
      type: "tool_use",
      id: "toolu_01A09q90qw90lq917835lq9",
      name: "get_weather",
      input: { location: "San Francisco, CA" },
    },
  ],
  stop_reason: "tool_use",
  stop_sequence: null,
  usage: { input_tokens: 50, cache_creation_input_tokens: 20, cache_read_input_tokens: 1000, output_tokens: 30 },
};

const OPENAI_COMPLETION = {
  id: "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
  object: "chat.completion",
  created: 1741569952,
  model: "gpt-4o-2024-08-06",
  choices: [
    {
      index: 0,
      message: {
        role: "assistant",
        content: "Checking.",
        refusal: null,
        tool_calls: [
          { id: "call_abc", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
        ],
        annotations: [],
      },
      logprobs: null,
      finish_reason: "tool_calls",
    },
  ],
  usage: {
    prompt_tokens: 1500,
    completion_tokens: 20,
    total_tokens: 1520,
    prompt_tokens_details: { cached_tokens: 1280, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0 },
  },
  service_tier: "default",
};

describe("anthropicToOpenAIResponse", () => {
  it("gives text, tool calls, finish reason and usage with cache tokens, readable by the OpenAI SDK", async () => {
    const out = anthropicToOpenAIResponse(ANTHROPIC_MESSAGE, { model: "claude-sonnet-4-5" });
    expect(out).toMatchObject({
      id: "chatcmpl-01Aq9w938a90dw8q",
      object: "chat.completion",
      model: "claude-sonnet-4-5",
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: "I'll look that up.",
            tool_calls: [
              {
                id: "toolu_01A09q90qw90lq917835lq9",
                type: "function",
                function: { name: "get_weather", arguments: '{"location":"San Francisco, CA"}' },
              },
            ],
          },
          finish_reason: "tool_calls",
        },
      ],
      usage: {
        prompt_tokens: 1070,
        completion_tokens: 30,
        total_tokens: 1100,
        prompt_tokens_details: { cached_tokens: 1000 },
      },
    });
    expect(JSON.stringify(out)).not.toContain("Need the tool");
    const client = new OpenAI({ apiKey: "test", fetch: jsonFetch(out) });
    const parsed = await client.chat.completions.create({ model: "x", messages: [{ role: "user", content: "q" }] });
    expect(parsed.choices[0]?.message.tool_calls?.[0]?.id).toBe("toolu_01A09q90qw90lq917835lq9");
  });

  it("rejects a provider body without the documented shape as a provider error", () => {
    expect(() => anthropicToOpenAIResponse({ id: "msg_1", content: "text" })).toThrow(GatewayError);
    let error: unknown;
    try {
      anthropicToOpenAIResponse({ id: "msg_1", content: [] });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).type).toBe("provider_error");
    expect((error as GatewayError).status).toBe(502);
    expect((error as GatewayError).message).toContain("usage");
  });
});

describe("openAIToAnthropicResponse", () => {
  it("gives text and tool_use blocks, stop reason and usage split into cache reads, readable by the Anthropic SDK", async () => {
    const out = openAIToAnthropicResponse(OPENAI_COMPLETION, { model: "claude-alias" });
    expect(out).toEqual({
      id: "msg_B9MBs8CjcvOU2jLn4n570S5qMJKcT",
      type: "message",
      role: "assistant",
      model: "claude-alias",
      content: [
        { type: "text", text: "Checking." },
        { type: "tool_use", id: "call_abc", name: "get_weather", input: { city: "Paris" } },
      ],
      stop_reason: "tool_use",
      stop_sequence: null,
      usage: { input_tokens: 220, output_tokens: 20, cache_read_input_tokens: 1280, cache_creation_input_tokens: 0 },
    });
    const client = new Anthropic({ apiKey: "test", fetch: jsonFetch(out) });
    const parsed = await client.messages.create({
      model: "x",
      max_tokens: 5,
      messages: [{ role: "user", content: "q" }],
    });
    expect(parsed.content[1]).toMatchObject({ type: "tool_use", input: { city: "Paris" } });
  });

  it("turns a refusal into text, and malformed tool arguments into a provider error", () => {
    const refusal = structuredClone(OPENAI_COMPLETION);
    Object.assign(refusal.choices[0]!, {
      message: { role: "assistant", content: null, refusal: "I can't help with that." },
      finish_reason: "content_filter",
    });
    const out = openAIToAnthropicResponse(refusal);
    expect(out.content).toEqual([{ type: "text", text: "I can't help with that." }]);
    expect(out.stop_reason).toBe("refusal");

    const broken = structuredClone(OPENAI_COMPLETION);
    broken.choices[0]!.message.tool_calls[0]!.function.arguments = '{"city":';
    expect(() => openAIToAnthropicResponse(broken)).toThrow(/tool_calls\[0\]\.function\.arguments/);
  });
});

describe("stop reasons", () => {
  it("map both ways", () => {
    expect(["end_turn", "max_tokens", "tool_use", "stop_sequence", null].map(finishReasonFromStopReason)).toEqual([
      "stop",
      "length",
      "tool_calls",
      "stop",
      "stop",
    ]);
    expect(["stop", "length", "tool_calls", "content_filter", null].map(stopReasonFromFinishReason)).toEqual([
      "end_turn",
      "max_tokens",
      "tool_use",
      "refusal",
      "end_turn",
    ]);
  });
});

describe("provider errors", () => {
  it("Anthropic → OpenAI keeps the status, maps the type and keeps Anthropic's as the code", () => {
    const overloaded = { type: "error", error: { type: "overloaded_error", message: "Overloaded" } };
    expect(anthropicErrorToOpenAI(529, overloaded)).toEqual({
      status: 529,
      body: { error: { type: "server_error", code: "overloaded_error", message: "Overloaded", param: null } },
    });
    const invalid = JSON.stringify({
      type: "error",
      error: { type: "invalid_request_error", message: "max_tokens: Field required" },
    });
    expect(anthropicErrorToOpenAI(400, invalid).body.error).toMatchObject({
      type: "invalid_request_error",
      message: "max_tokens: Field required",
    });
    expect(
      anthropicErrorToOpenAI(429, { type: "error", error: { type: "rate_limit_error", message: "slow down" } }).body
        .error.type,
    ).toBe("rate_limit_exceeded");
    const html = anthropicErrorToOpenAI(502, "<html>Bad gateway</html>");
    expect(html.status).toBe(502);
    expect(html.body.error).toMatchObject({ type: "server_error", code: null });
    expect(html.body.error.message).toContain("HTTP 502");
  });

  it("OpenAI → Anthropic keeps the status and maps the type by status", () => {
    const body = {
      error: {
        message: "Incorrect API key provided",
        type: "invalid_request_error",
        param: null,
        code: "invalid_api_key",
      },
    };
    expect(openAIErrorToAnthropic(401, body)).toEqual({
      status: 401,
      body: {
        type: "error",
        error: { type: "authentication_error", code: "invalid_api_key", message: "Incorrect API key provided" },
      },
    });
    expect(
      openAIErrorToAnthropic(429, {
        error: { message: "quota", type: "insufficient_quota", code: "insufficient_quota" },
      }).body.error.type,
    ).toBe("billing_error");
    expect(
      openAIErrorToAnthropic(429, {
        error: { message: "Rate limit reached", type: "requests", code: "rate_limit_exceeded" },
      }).body.error.type,
    ).toBe("rate_limit_error");
    expect(
      openAIErrorToAnthropic(404, {
        error: { message: "no such model", type: "invalid_request_error", code: "model_not_found" },
      }).body.error.type,
    ).toBe("not_found_error");
    expect(openAIErrorToAnthropic(503, "upstream connect error").body.error).toMatchObject({
      type: "overloaded_error",
    });
    expect(openAIErrorToAnthropic(500, { error: { message: "boom", type: "server_error" } }).body.error).toEqual({
      type: "api_error",
      code: "server_error",
      message: "boom",
    });
  });
});
