import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { installFakeUpstream, recorded } from "../helpers/fake-upstream";
import { postChat, readOpenAIError, REQUEST_ID, USER_MESSAGE } from "../helpers/gateway";
import { seedFakeChain } from "../helpers/seed";

/** Contract §4: a body the gateway cannot use is a 400 `invalid_request_error` naming the field, and reaches no provider. */

let secret = "";
beforeAll(async () => {
  ({ secret } = await seedFakeChain([""]));
});
beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

async function expect400(body: unknown, code: string, param: string | null): Promise<string> {
  const res = await postChat(secret, body);
  expect(res.status).toBe(400);
  expect(res.headers.get("x-langwatch-request-id")).toMatch(REQUEST_ID);
  const error = await readOpenAIError(res);
  expect(error).toMatchObject({ type: "invalid_request_error", code, param });
  expect(recorded).toHaveLength(0);
  return error.message;
}

describe("the body is not a JSON object", () => {
  it("rejects malformed JSON", async () => {
    const message = await expect400('{"model": "gpt-4o-mini", ', "invalid_json", null);
    expect(message).toContain("not valid JSON");
  });

  it("rejects an empty body", async () => {
    expect(await expect400("", "invalid_json", null)).toContain("empty");
  });

  it.each([
    ["an array", "[]"],
    ["a string", '"hello"'],
    ["a number", "42"],
    ["null", "null"],
  ])("rejects %s", async (_, body) => {
    expect(await expect400(body, "invalid_request", null)).toContain("JSON object");
  });
});

describe("fields", () => {
  it("requires model", async () => {
    expect(await expect400({ messages: USER_MESSAGE }, "invalid_request", "model")).toMatch(/^model is required/);
  });

  it.each([
    ["a number", 42],
    ["null", null],
    ["an object", { id: "gpt-4o-mini" }],
    ["empty", ""],
  ])("rejects a model that is %s", async (_, model) => {
    await expect400({ model, messages: USER_MESSAGE }, "invalid_request", "model");
  });

  it("requires messages", async () => {
    expect(await expect400({ model: "gpt-4o-mini" }, "invalid_request", "messages")).toMatch(/^messages is required/);
  });

  it.each([
    ["a string", "hi"],
    ["an object", { role: "user", content: "hi" }],
    ["empty", []],
  ])("rejects messages that is %s", async (_, messages) => {
    await expect400({ model: "gpt-4o-mini", messages }, "invalid_request", "messages");
  });

  it("points at the message that lacks a role", async () => {
    await expect400(
      { model: "gpt-4o-mini", messages: [USER_MESSAGE[0], { content: "no role" }] },
      "invalid_request",
      "messages[1].role",
    );
  });

  it.each([
    ["a string", "true"],
    ["a number", 1],
  ])("rejects stream that is %s", async (_, stream) => {
    await expect400({ model: "gpt-4o-mini", messages: USER_MESSAGE, stream }, "invalid_request", "stream");
  });

  it("rejects stream_options.include_usage that is not a boolean", async () => {
    await expect400(
      { model: "gpt-4o-mini", messages: USER_MESSAGE, stream: true, stream_options: { include_usage: "yes" } },
      "invalid_request",
      "stream_options.include_usage",
    );
  });

  it.each([
    ["max_tokens", 0],
    ["max_tokens", 1.5],
    ["max_completion_tokens", -1],
  ])("rejects %s = %s", async (field, value) => {
    await expect400({ model: "gpt-4o-mini", messages: USER_MESSAGE, [field]: value }, "invalid_request", field);
  });

  it("says what to do next", async () => {
    expect(await expect400({ model: "gpt-4o-mini", messages: "hi" }, "invalid_request", "messages")).toContain(
      "Fix the request body",
    );
  });
});

describe("what is accepted", () => {
  it("takes stream: null as not streaming", async () => {
    const res = await postChat(secret, { model: "gpt-4o-mini", messages: USER_MESSAGE, stream: null });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
  });
});
