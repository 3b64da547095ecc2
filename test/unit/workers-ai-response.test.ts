import { describe, expect, it } from "vitest";
import { GatewayError } from "../../src/errors";
import { workersAIToOpenAIResponse, type WorkersAIResponseOptions } from "../../src/providers/workers-ai/response";

/** src/providers/workers-ai/response.ts: a whole Workers AI output, either shape, as a chat completion. */

const OPTS: WorkersAIResponseOptions = { model: "@cf/meta/llama-3.1-8b-instruct", maxTokens: null };
const USAGE = { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 };
const OPENAI_USAGE = { ...USAGE, prompt_tokens_details: { cached_tokens: 0 } };

const choice = (result: unknown, opts = OPTS) => workersAIToOpenAIResponse(result, opts).choices[0];

describe("the native shape", () => {
  it("text and usage", () => {
    const out = workersAIToOpenAIResponse({ response: "Hello.", usage: USAGE }, OPTS);
    expect(out).toMatchObject({
      object: "chat.completion",
      model: OPTS.model,
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "Hello.", refusal: null },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      usage: OPENAI_USAGE,
    });
    expect(out.id).toMatch(/^chatcmpl-/);
    expect(typeof out.created).toBe("number");
    expect(out.choices[0]?.message).not.toHaveProperty("tool_calls");
  });

  it.each([
    [{ answer: 42 }, '{"answer":42}'],
    [42, "42"],
    [null, ""],
  ])("a response of %j reads as %j", (response, content) => {
    expect(choice({ response })?.message.content).toBe(content);
  });

  it("tool calls: arguments objects become JSON text, content null, finish tool_calls", () => {
    const c = choice({
      response: null,
      tool_calls: [
        { name: "get_weather", arguments: { city: "Paris" } },
        { id: "call_7", type: "function", function: { name: "get_time", arguments: '{"tz":"UTC"}' } },
        { arguments: {} },
      ],
    });
    expect(c?.finish_reason).toBe("tool_calls");
    expect(c?.message.content).toBeNull();
    expect(c?.message.tool_calls).toEqual([
      {
        id: expect.stringMatching(/^call_/) as string,
        type: "function",
        function: { name: "get_weather", arguments: '{"city":"Paris"}' },
      },
      { id: "call_7", type: "function", function: { name: "get_time", arguments: '{"tz":"UTC"}' } },
    ]);
  });

  it("text beside a tool call is kept", () => {
    expect(choice({ response: "Let me check.", tool_calls: [{ name: "f", arguments: {} }] })?.message.content).toBe(
      "Let me check.",
    );
  });

  it("an answer that used max_tokens finishes with length; one below it with stop", () => {
    expect(choice({ response: "a b c", usage: USAGE }, { ...OPTS, maxTokens: 3 })?.finish_reason).toBe("length");
    expect(choice({ response: "a b c", usage: USAGE }, { ...OPTS, maxTokens: 4 })?.finish_reason).toBe("stop");
    expect(choice({ response: "a b c" }, { ...OPTS, maxTokens: 3 })?.finish_reason).toBe("stop");
  });

  it("no usage reported: none in the answer, so no tokens are invented", () => {
    expect(workersAIToOpenAIResponse({ response: "x" }, OPTS)).not.toHaveProperty("usage");
  });
});

describe("the OpenAI shape", () => {
  const completion = (message: object, finish_reason: string | null = "stop") => ({
    id: "id-123",
    object: "chat.completion",
    created: 1_700_000_000,
    model: "@cf/openai/gpt-oss-120b",
    choices: [{ index: 0, message: { role: "assistant", ...message }, finish_reason }],
    usage: { ...USAGE, prompt_tokens_details: { cached_tokens: 2 } },
  });

  it("content, reasoning, id, created, cached tokens; the client's model", () => {
    const out = workersAIToOpenAIResponse(completion({ content: "Hi.", reasoning_content: "Greet." }), OPTS);
    expect(out).toMatchObject({
      id: "chatcmpl-id-123",
      created: 1_700_000_000,
      model: OPTS.model,
      choices: [{ message: { content: "Hi.", reasoning_content: "Greet." }, finish_reason: "stop" }],
      usage: { ...USAGE, prompt_tokens_details: { cached_tokens: 2 } },
    });
  });

  it.each([
    ["length", "length"],
    ["content_filter", "content_filter"],
    ["max_tokens", "length"],
    ["eos", "stop"],
    [null, "stop"],
  ])("finish reason %s reads as %s", (given, expected) => {
    expect(choice(completion({ content: "x" }, given))?.finish_reason).toBe(expected);
  });

  it("tool calls win over a finish reason of stop", () => {
    const c = choice(
      completion({
        content: null,
        tool_calls: [{ id: "t1", type: "function", function: { name: "f", arguments: { a: 1 } } }],
      }),
    );
    expect(c).toMatchObject({
      finish_reason: "tool_calls",
      message: { content: null, tool_calls: [{ id: "t1", function: { name: "f", arguments: '{"a":1}' } }] },
    });
  });
});

describe("output of neither shape", () => {
  it.each([[{}], [{ result: "x" }], ["text"], [null], [{ choices: "no" }]])(
    "%j is a 502 to retry elsewhere",
    (result) => {
      let caught: unknown;
      try {
        workersAIToOpenAIResponse(result, OPTS);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(GatewayError);
      expect(caught).toMatchObject({ status: 502, code: "untranslatable_response" });
    },
  );
});
