import { describe, expect, it } from "vitest";
import { GatewayError } from "../../src/errors";
import { readOpenAIUsage } from "../../src/providers/usage";
import {
  converseErrorToOpenAI,
  exceptionName,
  statusForStreamException,
} from "../../src/providers/bedrock/converse-error";
import {
  converseToOpenAIResponse,
  finishReasonFromConverse,
  tokenUsageFromConverse,
} from "../../src/providers/bedrock/converse-response";

/** Bedrock Converse answers and errors as OpenAI's. */

const OPTS = { id: "chatcmpl-req1", model: "anthropic.claude-3-5-haiku-20241022-v1:0" };
const USAGE = { inputTokens: 11, outputTokens: 7, totalTokens: 26, cacheReadInputTokens: 3, cacheWriteInputTokens: 5 };

const answer = (content: unknown[], stopReason = "end_turn", usage: unknown = USAGE) => ({
  output: { message: { role: "assistant", content } },
  stopReason,
  usage,
  metrics: { latencyMs: 10 },
});

describe("converseToOpenAIResponse", () => {
  it("joins text blocks into content, with the id, model and usage", () => {
    const out = converseToOpenAIResponse(answer([{ text: "Hello" }, { text: " there" }]), OPTS);
    expect(out).toMatchObject({
      id: "chatcmpl-req1",
      object: "chat.completion",
      model: OPTS.model,
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "Hello there", refusal: null },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
    });
    expect(out.choices[0]?.message.tool_calls).toBeUndefined();
    expect(typeof out.created).toBe("number");
  });

  it("reports every prompt token, cache reads and writes included, and reads back as the same usage", () => {
    const out = converseToOpenAIResponse(answer([{ text: "x" }]), OPTS);
    expect(out.usage).toEqual({
      prompt_tokens: 19,
      completion_tokens: 7,
      total_tokens: 26,
      prompt_tokens_details: { cached_tokens: 3, cache_write_tokens: 5 },
    });
    expect(readOpenAIUsage(out)).toEqual({ inputTokens: 19, outputTokens: 7, cacheReadTokens: 3, cacheWriteTokens: 5 });
  });

  it("turns toolUse blocks into tool calls, content null when there is no text", () => {
    const out = converseToOpenAIResponse(
      answer([{ toolUse: { toolUseId: "tooluse_1", name: "get_weather", input: { city: "Paris" } } }], "tool_use"),
      OPTS,
    );
    expect(out.choices[0]?.message).toEqual({
      role: "assistant",
      content: null,
      refusal: null,
      tool_calls: [
        { id: "tooluse_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
      ],
    });
    expect(out.choices[0]?.finish_reason).toBe("tool_calls");
  });

  it("skips reasoning and other block kinds", () => {
    const out = converseToOpenAIResponse(
      answer([{ reasoningContent: { reasoningText: { text: "hmm" } } }, { text: "42" }]),
      OPTS,
    );
    expect(out.choices[0]?.message.content).toBe("42");
  });

  it("reads absent usage as zero", () => {
    const out = converseToOpenAIResponse(answer([{ text: "x" }], "end_turn", null), OPTS);
    expect(out.usage.prompt_tokens).toBe(0);
  });

  it.each([
    [{ output: {} }, /output.message/],
    [answer([{ toolUse: { name: "f" } }]), /toolUseId/],
    ["nope", /body/],
  ])("refuses an answer of the wrong shape with a 502 naming the field (%#)", (body, field) => {
    let err: unknown;
    try {
      converseToOpenAIResponse(body, OPTS);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).status).toBe(502);
    expect((err as GatewayError).message).toMatch(field);
  });
});

describe("finishReasonFromConverse", () => {
  it.each([
    ["end_turn", "stop"],
    ["stop_sequence", "stop"],
    ["max_tokens", "length"],
    ["model_context_window_exceeded", "length"],
    ["tool_use", "tool_calls"],
    ["guardrail_intervened", "content_filter"],
    ["content_filtered", "content_filter"],
    ["something_new", "stop"],
    [null, "stop"],
  ])("%s → %s", (reason, expected) => {
    expect(finishReasonFromConverse(reason)).toBe(expected);
  });
});

describe("tokenUsageFromConverse", () => {
  it("ignores counts that are not non-negative numbers", () => {
    expect(tokenUsageFromConverse({ inputTokens: -1, outputTokens: 2 })).toEqual({
      inputTokens: 0,
      outputTokens: 2,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
    });
    expect(tokenUsageFromConverse(null).inputTokens).toBe(0);
  });
});

describe("converseErrorToOpenAI", () => {
  it("takes the exception from x-amzn-ErrorType and the message from the body", () => {
    const out = converseErrorToOpenAI(
      429,
      "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/",
      '{"message":"Too many requests, please wait before trying again."}',
    );
    expect(out).toEqual({
      status: 429,
      body: {
        error: {
          type: "rate_limit_exceeded",
          code: "ThrottlingException",
          message: "Too many requests, please wait before trying again.",
          param: null,
        },
      },
    });
  });

  it("falls back to the body's __type and Message", () => {
    const out = converseErrorToOpenAI(403, null, {
      __type: "com.amazon.coral.service#UnrecognizedClientException",
      Message: "The security token included in the request is invalid.",
    });
    expect(out.body.error).toMatchObject({
      type: "authentication_error",
      code: "UnrecognizedClientException",
      message: "The security token included in the request is invalid.",
    });
  });

  it.each([
    [400, "ValidationException", "invalid_request_error"],
    [403, "AccessDeniedException", "permission_error"],
    [404, "ResourceNotFoundException", "invalid_request_error"],
    [408, "ModelTimeoutException", "server_error"],
    [503, "ServiceUnavailableException", "server_error"],
    [500, "InternalServerException", "server_error"],
    [429, "ModelNotReadyException", "server_error"],
  ])("%i %s is %s", (status, name, type) => {
    expect(converseErrorToOpenAI(status, name, { message: "m" }).body.error).toMatchObject({ type, code: name });
  });

  it("an unknown exception, or none, is typed by its status; a body without a message says what to do", () => {
    const error = converseErrorToOpenAI(502, null, "<html>").body.error;
    expect(error).toMatchObject({ type: "server_error", code: null, param: null });
    expect(error.message).toMatch(/HTTP 502 without a readable error message/);
    expect(converseErrorToOpenAI(429, "SomethingNewException", {}).body.error.type).toBe("rate_limit_exceeded");
  });
});

describe("stream exceptions", () => {
  it.each([
    ["throttlingException", 429],
    ["serviceUnavailableException", 503],
    ["internalServerException", 500],
    ["modelStreamErrorException", 424],
    ["validationException", 400],
    ["modelTimeoutException", 408],
    ["brandNewException", 500],
  ])("%s stands for HTTP %i", (type, status) => {
    expect(statusForStreamException(type)).toBe(status);
  });

  it("names are read bare and capitalised", () => {
    expect(exceptionName("throttlingException")).toBe("ThrottlingException");
    expect(exceptionName("a.b#ValidationException")).toBe("ValidationException");
    expect(exceptionName("")).toBeNull();
  });
});
