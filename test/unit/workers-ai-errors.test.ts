import { describe, expect, it } from "vitest";
import { workersAIErrorAnswer } from "../../src/providers/workers-ai/errors";

/** src/providers/workers-ai/errors.ts: what an error thrown by `env.AI.run` means. */

const MODEL = "@cf/meta/llama-3.1-8b-instruct";

const named = (name: string, message: string): Error => Object.assign(new Error(message), { name });

describe("workersAIErrorAnswer", () => {
  it.each<[string, unknown, number, string | null]>([
    ["out of capacity", named("InferenceUpstreamError", "3040: Capacity temporarily exceeded"), 429, "workers_ai_3040"],
    ["a code after a prefix", new Error("InferenceUpstreamError: 3040: out of capacity"), 429, "workers_ai_3040"],
    [
      "the daily allocation",
      named("AiError", "3036: You have used up your daily free allocation"),
      429,
      "workers_ai_3036",
    ],
    ["no such model (a 404 here)", new Error("5007: No such model @cf/x or task"), 404, "workers_ai_5007"],
    ["an invalid model id", new Error("3042: The model name is invalid"), 404, "workers_ai_3042"],
    ["input validation", named("AiError", "5006: Error: oneOf at '/' not met"), 400, "workers_ai_5006"],
    ["a request too large", new Error("3006: Request is too large"), 413, "workers_ai_3006"],
    ["a timeout", new Error("3007: Request timeout"), 408, "workers_ai_3007"],
    ["a model agreement", new Error("5016: User has not agreed to Llama3.2 model terms"), 403, "workers_ai_5016"],
    ["a numeric code property", { code: 3040, message: "busy" }, 429, "workers_ai_3040"],
    ["a string code property", { code: "5004", message: "Invalid data type for base64 input" }, 400, "workers_ai_5004"],
    ["capacity words", new Error("The model is overloaded, try again"), 429, null],
    ["input words", new Error("Bad input: required properties at '/' are 'messages'"), 400, null],
    ["an upstream failure", named("InferenceUpstreamError", "upstream connect error or disconnect"), 502, null],
    ["something unknown", new Error("boom"), 502, null],
    ["a string thrown", "1101: Worker threw exception", 502, null],
  ])("%s: %#", (_, err, status, code) => {
    const answer = workersAIErrorAnswer(err, MODEL);
    expect(answer.status).toBe(status);
    expect(answer.body.error.code).toBe(code);
    expect(answer.body.error.param).toBeNull();
    expect(answer.body.error.message).toContain(`Workers AI could not run ${MODEL}`);
  });

  it("the envelope's type follows the status, and the message says what to do", () => {
    expect(workersAIErrorAnswer(new Error("5006: bad"), MODEL).body.error.type).toBe("invalid_request_error");
    const busy = workersAIErrorAnswer(new Error("3040: busy"), MODEL).body.error;
    expect(busy.type).toBe("rate_limit_error");
    expect(busy.message).toMatch(/Retry later, or add another provider/);
    const broken = workersAIErrorAnswer(new Error("boom"), MODEL).body.error;
    expect(broken.type).toBe("server_error");
    const missing = workersAIErrorAnswer(new Error("5007: No such model"), MODEL).body.error;
    expect(missing.message).toMatch(/Check the model id/);
  });

  it("names the error when its message does not", () => {
    const message = workersAIErrorAnswer(named("InferenceUpstreamError", "3040: busy"), MODEL).body.error.message;
    expect(message).toContain("(InferenceUpstreamError: 3040: busy)");
    expect(workersAIErrorAnswer(new Error("3040: busy"), MODEL).body.error.message).toContain("(3040: busy)");
  });

  it("an unknown four-digit code does not count", () => {
    expect(workersAIErrorAnswer(new Error("9999: mystery"), MODEL)).toMatchObject({
      status: 502,
      body: { error: { code: null } },
    });
  });
});
