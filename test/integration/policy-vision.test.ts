import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ANTHROPIC_BODY, anthropicChain, messagesSettled, readAnthropicError } from "../helpers/anthropic";
import { installFakeUpstream, recorded } from "../helpers/fake-upstream";
import { readOpenAIError, USER_MESSAGE } from "../helpers/gateway";
import { chatSettled, keyWithBindings, type SettledReply } from "../helpers/limits";
import { postSettled } from "../helpers/openai-endpoints";

/** Issue 6: a key with `"vision": false` refuses image input in either API's shape, on every route. */

beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

const PNG =
  "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg==";

const CHAT_WITH_IMAGE = {
  model: "gpt-4o-mini",
  messages: [
    { role: "system", content: "Describe images." },
    {
      role: "user",
      content: [
        { type: "text", text: "What is this?" },
        { type: "image_url", image_url: { url: PNG } },
      ],
    },
  ],
};

const RESPONSES_WITH_IMAGE = {
  model: "gpt-4o-mini",
  input: [
    {
      role: "user",
      content: [
        { type: "input_text", text: "What is this?" },
        { type: "input_image", image_url: PNG },
      ],
    },
  ],
};

const IMAGE_BLOCK = { type: "image", source: { type: "base64", media_type: "image/png", data: PNG.split(",")[1] } };

const errorOf = (reply: SettledReply) => readOpenAIError(new Response(reply.text, { headers: reply.headers }));

function expectVisionMessage(message: string, param: string) {
  expect(message).toContain(`"vision": false`);
  expect(message).toContain(param);
  expect(message).toContain(`"vision": true`);
  expect(message).toMatch(/PATCH \/admin\/v1\/virtual-keys\/vk_/);
}

describe("vision: false", () => {
  it("refuses an image_url part on /v1/chat/completions with a 400 pointing at it", async () => {
    const { key } = await keyWithBindings([""], { vision: false });
    const reply = await chatSettled(key.secret, CHAT_WITH_IMAGE);
    expect(reply.status).toBe(400);
    const error = await errorOf(reply);
    expect(error).toMatchObject({
      type: "invalid_request_error",
      code: "vision_disabled",
      param: "messages[1].content[1]",
    });
    expectVisionMessage(error.message, "messages[1].content[1]");
    expect(recorded).toHaveLength(0);
  });

  it("serves text-only requests", async () => {
    const { key } = await keyWithBindings([""], { vision: false });
    expect((await chatSettled(key.secret, { model: "gpt-4o-mini", messages: USER_MESSAGE })).status).toBe(200);
    expect((await postSettled("/v1/responses", key.secret, { model: "gpt-4o-mini", input: "hi" })).status).toBe(200);
  });

  it("refuses an input_image part on /v1/responses", async () => {
    const { key } = await keyWithBindings([""], { vision: false });
    const reply = await postSettled("/v1/responses", key.secret, RESPONSES_WITH_IMAGE);
    expect(reply.status).toBe(400);
    const error = await errorOf(reply);
    expect(error).toMatchObject({ code: "vision_disabled", param: "input[0].content[1]" });
    expect(recorded).toHaveLength(0);
  });

  it("refuses an image block on /v1/messages, in a message and inside a tool_result, in Anthropic's envelope", async () => {
    const { key } = await anthropicChain([""], { vision: false });
    const direct = await messagesSettled(key.secret, {
      ...ANTHROPIC_BODY,
      messages: [{ role: "user", content: [{ type: "text", text: "What is this?" }, IMAGE_BLOCK] }],
    });
    expect(direct.status).toBe(400);
    const error = await readAnthropicError(new Response(direct.text, { headers: direct.headers }));
    expect(error).toMatchObject({ type: "invalid_request_error", code: "vision_disabled" });
    expectVisionMessage(error.message, "messages[0].content[1]");

    const nested = await messagesSettled(key.secret, {
      ...ANTHROPIC_BODY,
      messages: [
        { role: "user", content: "take a screenshot" },
        { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "screenshot", input: {} }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: [IMAGE_BLOCK] }] },
      ],
    });
    expect(nested.status).toBe(400);
    const nestedError = await readAnthropicError(new Response(nested.text, { headers: nested.headers }));
    expect(nestedError.message).toContain("messages[2].content[0].content[0]");
    expect(recorded).toHaveLength(0);
  });
});

describe("vision: true (the default)", () => {
  it("passes images through", async () => {
    const { key } = await keyWithBindings([""]);
    expect((await chatSettled(key.secret, CHAT_WITH_IMAGE)).status).toBe(200);
    expect(recorded).toHaveLength(1);
  });
});
