import { describe, expect, it } from "vitest";
import { GatewayError } from "../../src/errors";
import { anthropicToOpenAIRequest, OpenAIChatRequest } from "../../src/translate";

/** Anthropic Messages request → OpenAI chat-completions request. */

const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

const WEATHER_TOOL = {
  name: "get_weather",
  description: "Current weather in a city",
  input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};

describe("anthropicToOpenAIRequest", () => {
  it("translates a multi-turn tool conversation with a cached system prompt and images", () => {
    const { body, dropped } = anthropicToOpenAIRequest(
      {
        model: "claude-sonnet-4-5",
        max_tokens: 1024,
        system: [
          { type: "text", text: "You are terse." },
          { type: "text", text: "Long reference text.", cache_control: { type: "ephemeral" } },
        ],
        messages: [
          {
            role: "user",
            content: [
              { type: "image", source: { type: "base64", media_type: "image/jpeg", data: PNG } },
              { type: "image", source: { type: "url", url: "https://example.com/lyon.jpg" } },
              { type: "text", text: "Weather in these two cities?" },
            ],
          },
          {
            role: "assistant",
            content: [
              { type: "thinking", thinking: "Two calls.", signature: "sig" },
              { type: "text", text: "Let me check." },
              { type: "tool_use", id: "toolu_01A", name: "get_weather", input: { city: "Paris" } },
              { type: "tool_use", id: "toolu_01B", name: "get_weather", input: { city: "Lyon" } },
            ],
          },
          {
            role: "user",
            content: [
              { type: "tool_result", tool_use_id: "toolu_01A", content: "18°C, sunny" },
              {
                type: "tool_result",
                tool_use_id: "toolu_01B",
                content: [
                  { type: "text", text: "12°C, rain" },
                  { type: "image", source: { type: "base64", media_type: "image/png", data: PNG } },
                ],
                is_error: false,
              },
              { type: "text", text: "And tomorrow?", cache_control: { type: "ephemeral" } },
            ],
          },
        ],
        tools: [WEATHER_TOOL, { type: "web_search_20250305", name: "web_search", max_uses: 3 }],
        tool_choice: { type: "tool", name: "get_weather", disable_parallel_tool_use: true },
        temperature: 0.3,
        top_p: 0.8,
        top_k: 40,
        stop_sequences: ["END"],
        stream: true,
        metadata: { user_id: "user-42" },
        thinking: { type: "enabled", budget_tokens: 2048 },
      },
      { model: "gpt-4o" },
    );
    expect(dropped).toEqual([
      "cache_control",
      "thinking blocks",
      'tools[1] (type "web_search_20250305")',
      "top_k",
      "thinking",
    ]);
    expect(OpenAIChatRequest.safeParse(body).success).toBe(true);
    expect(JSON.stringify(body)).not.toContain("cache_control");
    expect(body).toEqual({
      model: "gpt-4o",
      messages: [
        { role: "system", content: "You are terse.\nLong reference text." },
        {
          role: "user",
          content: [
            { type: "image_url", image_url: { url: `data:image/jpeg;base64,${PNG}` } },
            { type: "image_url", image_url: { url: "https://example.com/lyon.jpg" } },
            { type: "text", text: "Weather in these two cities?" },
          ],
        },
        {
          role: "assistant",
          content: "Let me check.",
          tool_calls: [
            { id: "toolu_01A", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
            { id: "toolu_01B", type: "function", function: { name: "get_weather", arguments: '{"city":"Lyon"}' } },
          ],
        },
        { role: "tool", tool_call_id: "toolu_01A", content: "18°C, sunny" },
        { role: "tool", tool_call_id: "toolu_01B", content: "12°C, rain" },
        {
          role: "user",
          content: [
            { type: "image_url", image_url: { url: `data:image/png;base64,${PNG}` } },
            { type: "text", text: "And tomorrow?" },
          ],
        },
      ],
      max_tokens: 1024,
      temperature: 0.3,
      top_p: 0.8,
      stop: ["END"],
      stream: true,
      stream_options: { include_usage: true },
      tools: [
        {
          type: "function",
          function: {
            name: "get_weather",
            description: "Current weather in a city",
            parameters: WEATHER_TOOL.input_schema,
          },
        },
      ],
      tool_choice: { type: "function", function: { name: "get_weather" } },
      parallel_tool_calls: false,
      user: "user-42",
    });
  });

  it("maps each tool_choice, and honours the options", () => {
    const base = { model: "m", max_tokens: 10, messages: [{ role: "user", content: "x" }], tools: [WEATHER_TOOL] };
    const choice = (tool_choice: unknown) => anthropicToOpenAIRequest({ ...base, tool_choice }).body.tool_choice;
    expect(choice({ type: "auto" })).toBe("auto");
    expect(choice({ type: "any" })).toBe("required");
    expect(choice({ type: "none" })).toBe("none");
    const { body } = anthropicToOpenAIRequest(
      { ...base, stream: true },
      { maxTokensField: "max_completion_tokens", includeUsage: false },
    );
    expect(body.max_completion_tokens).toBe(10);
    expect(body).not.toHaveProperty("max_tokens");
    expect(body).not.toHaveProperty("stream_options");
    expect(body.messages).toEqual([{ role: "user", content: "x" }]);
  });

  it("keeps four stop sequences and reports the rest; an assistant turn of only tool calls has null content", () => {
    const { body, dropped } = anthropicToOpenAIRequest({
      model: "m",
      max_tokens: 10,
      stop_sequences: ["a", "b", "c", "d", "e"],
      messages: [
        { role: "user", content: "x" },
        { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "f", input: {} }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: "boom", is_error: true }] },
      ],
    });
    expect(body.stop).toEqual(["a", "b", "c", "d"]);
    expect(dropped).toEqual(["messages[].content[].is_error", "stop_sequences (kept the first 4 of 5)"]);
    expect(body.messages.slice(1)).toEqual([
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "t1", type: "function", function: { name: "f", arguments: "{}" } }],
      },
      { role: "tool", tool_call_id: "t1", content: "boom" },
    ]);
  });

  it("rejects input it cannot translate, naming the field", () => {
    const user = (content: unknown) => ({ model: "m", max_tokens: 5, messages: [{ role: "user", content }] });
    const cases: [unknown, string][] = [
      [user([{ type: "image", source: { type: "file", file_id: "file_011" } }]), "messages[0].content[0].source.type"],
      [
        user([{ type: "document", source: { type: "url", url: "https://example.com/a.pdf" } }]),
        "messages[0].content[0].source",
      ],
      [user([{ type: "text" }]), "messages[0].content[0].text"],
      [
        user([{ type: "tool_result", tool_use_id: "t", content: [{ type: "image" }] }]),
        "messages[0].content[0].content[0].source",
      ],
      [user([{ type: "tool_use", id: "t", name: "f", input: {} }]), "messages[0].content[0].type"],
      [
        {
          model: "m",
          messages: [{ role: "user", content: "x" }],
          tools: [WEATHER_TOOL],
          tool_choice: { type: "tool" },
        },
        "tool_choice.name",
      ],
      [{ model: "m", messages: [] }, "messages"],
    ];
    for (const [body, field] of cases) {
      let error: unknown;
      try {
        anthropicToOpenAIRequest(body);
      } catch (err) {
        error = err;
      }
      expect(error, field).toBeInstanceOf(GatewayError);
      expect((error as GatewayError).type).toBe("invalid_request_error");
      expect((error as GatewayError).param, field).toBe(field);
    }
  });

  it("a system turn inside messages becomes a system message where it stands", () => {
    const marked = { cache_control: { type: "ephemeral" } };
    const body = {
      model: "m",
      max_tokens: 5,
      system: "Top.",
      messages: [
        { role: "user", content: "One" },
        {
          role: "system",
          content: [
            { type: "text", text: "Mid A." },
            { type: "text", text: "Mid B.", ...marked },
          ],
        },
        { role: "assistant", content: "Two" },
        { role: "system", content: "" },
        { role: "user", content: "Three" },
      ],
    };
    const plain = anthropicToOpenAIRequest(body);
    expect(plain.body.messages).toEqual([
      { role: "system", content: "Top." },
      { role: "user", content: "One" },
      { role: "system", content: "Mid A.\nMid B." },
      { role: "assistant", content: "Two" },
      { role: "user", content: "Three" },
    ]);
    expect(plain.dropped).toEqual(["cache_control"]);
    expect(OpenAIChatRequest.safeParse(plain.body).success).toBe(true);
    // A family that reads markers (Bedrock's) keeps the system turn's as parts.
    const kept = anthropicToOpenAIRequest(body, { keepCacheMarkers: true });
    expect(kept.body.messages[2]).toEqual({
      role: "system",
      content: [
        { type: "text", text: "Mid A." },
        { type: "text", text: "Mid B.", ...marked },
      ],
    });
    expect(kept.dropped).toEqual([]);
  });

  it("drops what OpenAI has no counterpart for, each with a note, and never refuses for it", () => {
    const { body, dropped } = anthropicToOpenAIRequest({
      model: "m",
      max_tokens: 5,
      messages: [
        {
          role: "user",
          content: [
            { type: "search_result", source: "https://example.com", title: "t", content: [] },
            {
              type: "tool_result",
              tool_use_id: "toolu_1",
              content: [
                { type: "text", text: "ok" },
                { type: "document", source: { type: "text", media_type: "text/plain", data: "d" } },
              ],
            },
            { type: "text", text: "Go on" },
          ],
        },
        {
          role: "assistant",
          content: [
            { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: {} },
            { type: "text", text: "Done" },
          ],
        },
        { role: "system", content: [{ type: "image", source: { type: "url", url: "https://example.com/a.png" } }] },
      ],
      metadata: { user_id: "u".repeat(65) },
      thinking: { type: "adaptive" },
      context_management: { edits: [] },
      output_config: { effort: "high" },
    });
    expect(body.messages).toEqual([
      { role: "tool", tool_call_id: "toolu_1", content: "ok" },
      { role: "user", content: "Go on" },
      { role: "assistant", content: "Done" },
    ]);
    expect(body.user).toBeUndefined();
    expect(dropped).toEqual([
      'content blocks of type "search_result"',
      'content blocks of type "document"',
      'content blocks of type "server_tool_use"',
      'system blocks of type "image"',
      "metadata.user_id (longer than 64 characters)",
      "thinking",
      "context_management",
      "output_config",
    ]);
  });

  it("translates a base64 PDF document into an OpenAI file part", () => {
    const { body } = anthropicToOpenAIRequest({
      model: "m",
      max_tokens: 5,
      messages: [
        {
          role: "user",
          content: [{ type: "document", source: { type: "base64", media_type: "application/pdf", data: "JVBERi0=" } }],
        },
      ],
    });
    expect(body.messages[0]).toEqual({
      role: "user",
      content: [
        { type: "file", file: { file_data: "data:application/pdf;base64,JVBERi0=", filename: "document.pdf" } },
      ],
    });
  });
});
