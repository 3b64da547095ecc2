import { describe, expect, it } from "vitest";
import { GatewayError } from "../../src/errors";
import { AnthropicMessagesRequest, DEFAULT_MAX_TOKENS, openAIToAnthropicRequest } from "../../src/translate";

/** OpenAI chat-completions request → Anthropic Messages request. */

const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

const WEATHER_TOOL = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather in a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

function rejects(body: unknown, field: string): void {
  try {
    openAIToAnthropicRequest(body);
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    const e = err as GatewayError;
    expect(e.type).toBe("invalid_request_error");
    expect(e.status).toBe(400);
    expect(e.param).toBe(field);
    expect(e.message).toContain(field);
    return;
  }
  expect.fail(`expected ${field} to be rejected`);
}

describe("openAIToAnthropicRequest", () => {
  it("translates a multi-turn tool conversation with system prompts and images", () => {
    const { body, dropped } = openAIToAnthropicRequest(
      {
        model: "claude-sonnet-4-5",
        messages: [
          { role: "system", content: "You are terse." },
          { role: "developer", content: [{ type: "text", text: "Answer in French." }] },
          {
            role: "user",
            content: [
              { type: "text", text: "Weather in both cities on these pictures?" },
              { type: "image_url", image_url: { url: `data:image/png;base64,${PNG}` } },
              { type: "image_url", image_url: { url: "https://example.com/lyon.jpg", detail: "auto" } },
            ],
          },
          {
            role: "assistant",
            content: null,
            tool_calls: [
              { id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
              { id: "call_2", type: "function", function: { name: "get_weather", arguments: '{"city":"Lyon"}' } },
            ],
          },
          { role: "tool", tool_call_id: "call_1", content: "18°C, sunny" },
          { role: "tool", tool_call_id: "call_2", content: [{ type: "text", text: "12°C, rain" }] },
          { role: "user", content: "And tomorrow?" },
        ],
        tools: [WEATHER_TOOL],
        tool_choice: "required",
        parallel_tool_calls: false,
        max_completion_tokens: 512,
        temperature: 0.2,
        top_p: 0.9,
        stop: "END",
        stream: true,
        stream_options: { include_usage: true },
        user: "user-42",
        n: 1,
      },
      { model: "claude-sonnet-4-5-20250929" },
    );
    expect(dropped).toEqual([]);
    expect(AnthropicMessagesRequest.safeParse(body).success).toBe(true);
    expect(body).toEqual({
      model: "claude-sonnet-4-5-20250929",
      max_tokens: 512,
      system: [
        { type: "text", text: "You are terse." },
        { type: "text", text: "Answer in French." },
      ],
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Weather in both cities on these pictures?" },
            { type: "image", source: { type: "base64", media_type: "image/png", data: PNG } },
            { type: "image", source: { type: "url", url: "https://example.com/lyon.jpg" } },
          ],
        },
        {
          role: "assistant",
          content: [
            { type: "tool_use", id: "call_1", name: "get_weather", input: { city: "Paris" } },
            { type: "tool_use", id: "call_2", name: "get_weather", input: { city: "Lyon" } },
          ],
        },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "call_1", content: "18°C, sunny" },
            { type: "tool_result", tool_use_id: "call_2", content: "12°C, rain" },
            { type: "text", text: "And tomorrow?" },
          ],
        },
      ],
      temperature: 0.2,
      top_p: 0.9,
      stop_sequences: ["END"],
      stream: true,
      metadata: { user_id: "user-42" },
      tools: [
        {
          name: "get_weather",
          description: "Current weather in a city",
          input_schema: WEATHER_TOOL.function.parameters,
        },
      ],
      tool_choice: { type: "any", disable_parallel_tool_use: true },
    });
  });

  it("uses a single system string as is, and the default max_tokens when the client set none", () => {
    const { body } = openAIToAnthropicRequest({
      model: "m",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hi" },
      ],
    });
    expect(body.system).toBe("Be brief.");
    expect(body.max_tokens).toBe(DEFAULT_MAX_TOKENS);
    expect(
      openAIToAnthropicRequest({ model: "m", messages: [{ role: "user", content: "Hi" }] }, { defaultMaxTokens: 100 })
        .body.max_tokens,
    ).toBe(100);
    expect(
      openAIToAnthropicRequest({ model: "m", max_tokens: 7, messages: [{ role: "user", content: "Hi" }] }).body
        .max_tokens,
    ).toBe(7);
  });

  it("maps each tool_choice", () => {
    const choice = (tool_choice: unknown) =>
      openAIToAnthropicRequest({
        model: "m",
        messages: [{ role: "user", content: "x" }],
        tools: [WEATHER_TOOL],
        tool_choice,
      }).body.tool_choice;
    expect(choice("auto")).toEqual({ type: "auto" });
    expect(choice("none")).toEqual({ type: "none" });
    expect(choice("required")).toEqual({ type: "any" });
    expect(choice({ type: "function", function: { name: "get_weather" } })).toEqual({
      type: "tool",
      name: "get_weather",
    });
  });

  it("drops and reports what Anthropic cannot honour, without failing", () => {
    const { body, dropped } = openAIToAnthropicRequest({
      model: "m",
      messages: [{ role: "user", content: "x", name: "alice" }],
      n: 3,
      logprobs: true,
      top_logprobs: 2,
      presence_penalty: 0.5,
      frequency_penalty: 0.1,
      seed: 7,
      response_format: { type: "json_object" },
      logit_bias: { "50256": -100 },
      temperature: 1.6,
      tools: [WEATHER_TOOL, { type: "custom", custom: { name: "grammar" } }],
      seed_extra: null,
    });
    expect(dropped.sort()).toEqual(
      [
        "frequency_penalty",
        "logit_bias",
        "logprobs",
        "messages[].name",
        "n",
        "presence_penalty",
        "response_format",
        "seed",
        "temperature (1.6 clamped to 1)",
        'tools[1] (type "custom")',
        "top_logprobs",
      ].sort(),
    );
    expect(body.temperature).toBe(1);
    expect(body.tools).toHaveLength(1);
    for (const key of ["n", "logprobs", "seed", "response_format", "presence_penalty"])
      expect(body).not.toHaveProperty(key);
  });

  it("turns a tool call id Anthropic would refuse into one it accepts, the same on both sides", () => {
    const { body } = openAIToAnthropicRequest({
      model: "m",
      messages: [
        { role: "user", content: "x" },
        {
          role: "assistant",
          tool_calls: [{ id: "call:9/a", type: "function", function: { name: "f", arguments: "" } }],
        },
        { role: "tool", tool_call_id: "call:9/a", content: "ok" },
      ],
    });
    expect(body.messages[1]?.content).toEqual([{ type: "tool_use", id: "call_9_a", name: "f", input: {} }]);
    expect(body.messages[2]?.content).toEqual([{ type: "tool_result", tool_use_id: "call_9_a", content: "ok" }]);
  });

  it("keeps prompt-cache markers on the blocks and tools they mark (a message's own on its last block)", () => {
    const marker = { cache_control: { type: "ephemeral" } };
    const { body, dropped } = openAIToAnthropicRequest({
      model: "claude-test",
      messages: [
        { role: "system", content: "Long rules.", ...marker },
        {
          role: "user",
          content: [
            { type: "text", text: "Context." },
            { type: "text", text: "Question?", ...marker },
          ],
        },
        { role: "assistant", content: "Answer.", ...marker },
        { role: "user", content: "Again." },
      ],
      tools: [{ type: "function", function: { name: "lookup" }, ...marker }],
    });
    expect(dropped).toEqual([]);
    expect(body.system).toEqual([{ type: "text", text: "Long rules.", ...marker }]);
    expect(body.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "Context." },
          { type: "text", text: "Question?", ...marker },
        ],
      },
      { role: "assistant", content: [{ type: "text", text: "Answer.", ...marker }] },
      { role: "user", content: [{ type: "text", text: "Again." }] },
    ]);
    expect(body.tools).toEqual([{ name: "lookup", input_schema: { type: "object", properties: {} }, ...marker }]);
    expect(AnthropicMessagesRequest.safeParse(body).success).toBe(true);
  });

  it("rejects input it cannot translate, naming the field", () => {
    const user = (content: unknown) => ({ model: "m", messages: [{ role: "user", content }] });
    rejects(
      {
        model: "m",
        messages: [
          { role: "user", content: "x" },
          {
            role: "assistant",
            tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "{broken" } }],
          },
        ],
      },
      "messages[1].tool_calls[0].function.arguments",
    );
    rejects(
      user([{ type: "input_audio", input_audio: { data: "AAAA", format: "wav" } }]),
      "messages[0].content[0].type",
    );
    rejects(
      user([{ type: "image_url", image_url: { url: "ftp://example.com/a.png" } }]),
      "messages[0].content[0].image_url.url",
    );
    rejects(
      user([{ type: "image_url", image_url: { url: "data:image/png,rawbytes" } }]),
      "messages[0].content[0].image_url.url",
    );
    rejects(user([{ type: "file", file: { file_id: "file-abc" } }]), "messages[0].content[0].file");
    rejects({ model: "m", messages: [{ role: "system", content: "only a system prompt" }] }, "messages");
    rejects({ model: "m", messages: [{ role: "function", name: "f", content: "x" }] }, "messages[0].role");
    rejects({ model: "m", messages: "hello" }, "messages");
    rejects({ messages: [{ role: "user", content: "x" }] }, "model");
  });
});
