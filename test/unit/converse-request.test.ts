import { describe, expect, it } from "vitest";
import { GatewayError } from "../../src/errors";
import { anthropicToOpenAIRequest } from "../../src/translate";
import { openAIToConverseRequest } from "../../src/providers/bedrock/converse-request";

/** OpenAI chat requests as Bedrock Converse requests. */

const MODEL = "anthropic.claude-3-5-haiku-20241022-v1:0";
const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
const WEATHER_TOOL = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

const translate = (body: Record<string, unknown>) => openAIToConverseRequest({ model: MODEL, ...body });

function refusal(body: Record<string, unknown>): GatewayError {
  try {
    translate(body);
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error("expected the translation to refuse the request");
}

describe("the conversation", () => {
  it("puts system and developer messages in `system` and the turns in `messages`, model outside the body", () => {
    const t = translate({
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "hi" },
        { role: "developer", content: [{ type: "text", text: "Answer in French." }] },
        { role: "assistant", content: "Bonjour." },
        { role: "user", content: [{ type: "text", text: "again" }] },
      ],
      stream: true,
    });
    expect(t.model).toBe(MODEL);
    expect(t.stream).toBe(true);
    expect(t.includeUsage).toBe(false);
    expect(t.body).toEqual({
      system: [{ text: "Be brief." }, { text: "Answer in French." }],
      messages: [
        { role: "user", content: [{ text: "hi" }] },
        { role: "assistant", content: [{ text: "Bonjour." }] },
        { role: "user", content: [{ text: "again" }] },
      ],
    });
    expect(t.dropped).toEqual([]);
  });

  it("the model for the upstream can be given apart from the client's", () => {
    expect(
      openAIToConverseRequest({ model: "alias", messages: [{ role: "user", content: "hi" }] }, { model: MODEL }).model,
    ).toBe(MODEL);
  });

  it("merges consecutive turns of one role and leaves out empty text", () => {
    const t = translate({
      messages: [
        { role: "user", content: "one" },
        { role: "user", content: "" },
        { role: "user", content: "two" },
      ],
    });
    expect(t.body.messages).toEqual([{ role: "user", content: [{ text: "one" }, { text: "two" }] }]);
  });

  it("sends base64 images as bytes with their format, and base64 PDFs as named documents", () => {
    const t = translate({
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What is this?" },
            { type: "image_url", image_url: { url: `data:image/png;base64,${PNG}` } },
            { type: "image_url", image_url: { url: `data:image/jpg;base64,${PNG}`, detail: "high" } },
            { type: "file", file: { file_data: "data:application/pdf;base64,JVBERi0=", filename: "a.pdf" } },
          ],
        },
      ],
    });
    expect(t.body.messages[0]?.content).toEqual([
      { text: "What is this?" },
      { image: { format: "png", source: { bytes: PNG } } },
      { image: { format: "jpeg", source: { bytes: PNG } } },
      { document: { format: "pdf", name: "document-1", source: { bytes: "JVBERi0=" } } },
    ]);
    expect(t.dropped).toEqual(["messages[].content[].image_url.detail"]);
  });

  it("refuses a remote image URL with a 400 that names the field and says to inline it", () => {
    const err = refusal({
      messages: [
        { role: "user", content: "hi" },
        {
          role: "user",
          content: [
            { type: "text", text: "look" },
            { type: "image_url", image_url: { url: "https://example.com/cat.png" } },
          ],
        },
      ],
    });
    expect(err.status).toBe(400);
    expect(err.code).toBe("untranslatable_request");
    expect(err.param).toBe("messages[1].content[1].image_url.url");
    expect(err.message).toMatch(/Bedrock does not fetch URLs: send the image inline as a base64 data: URL/);
  });

  it("refuses an image type Bedrock does not take, naming the types it does", () => {
    const err = refusal({
      messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "data:image/bmp;base64,Qk0=" } }] }],
    });
    expect(err.param).toBe("messages[0].content[0].image_url.url");
    expect(err.message).toMatch(/image\/png, image\/jpeg.*not image\/bmp/);
  });

  it("refuses a file by id and audio, which cannot be inlined", () => {
    expect(
      refusal({ messages: [{ role: "user", content: [{ type: "file", file: { file_id: "file-1" } }] }] }).param,
    ).toBe("messages[0].content[0].file");
    expect(
      refusal({ messages: [{ role: "user", content: [{ type: "input_audio", input_audio: { data: "x" } }] }] }).param,
    ).toBe("messages[0].content[0].type");
  });

  it("refuses a body that is no chat request, naming the field", () => {
    expect(refusal({ messages: [] }).param).toBe("messages");
    expect(refusal({ messages: [{ role: "user", content: 3 }] }).param).toBe("messages[0].content");
  });
});

describe("tools", () => {
  const conversation = [
    { role: "user", content: "Weather in Paris?" },
    {
      role: "assistant",
      content: null,
      tool_calls: [
        { id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
      ],
    },
    { role: "tool", tool_call_id: "call_1", content: '{"temp":21}' },
  ];

  it("sends tool definitions as toolSpecs, tool calls as toolUse and results as toolResult", () => {
    const t = translate({ messages: conversation, tools: [WEATHER_TOOL] });
    expect(t.body.toolConfig).toEqual({
      tools: [
        {
          toolSpec: {
            name: "get_weather",
            description: "Weather for a city",
            inputSchema: { json: WEATHER_TOOL.function.parameters },
          },
        },
      ],
    });
    expect(t.body.messages).toEqual([
      { role: "user", content: [{ text: "Weather in Paris?" }] },
      {
        role: "assistant",
        content: [{ toolUse: { toolUseId: "call_1", name: "get_weather", input: { city: "Paris" } } }],
      },
      { role: "user", content: [{ toolResult: { toolUseId: "call_1", content: [{ text: '{"temp":21}' }] } }] },
    ]);
  });

  it("a tool without parameters gets an empty object schema", () => {
    const t = translate({
      messages: [{ role: "user", content: "hi" }],
      tools: [{ type: "function", function: { name: "now" } }],
    });
    expect(t.body.toolConfig?.tools[0]).toEqual({
      toolSpec: { name: "now", inputSchema: { json: { type: "object", properties: {} } } },
    });
  });

  it.each([
    ["auto", undefined],
    ["required", { any: {} }],
    [{ type: "function", function: { name: "get_weather" } }, { tool: { name: "get_weather" } }],
  ])("tool_choice %j becomes %j", (choice, expected) => {
    const t = translate({ messages: [{ role: "user", content: "hi" }], tools: [WEATHER_TOOL], tool_choice: choice });
    expect(t.body.toolConfig?.toolChoice).toEqual(expected);
    expect(t.dropped).toEqual([]);
  });

  it("tool_choice none leaves the tools out, so none can be called", () => {
    const t = translate({ messages: [{ role: "user", content: "hi" }], tools: [WEATHER_TOOL], tool_choice: "none" });
    expect(t.body.toolConfig).toBeUndefined();
    expect(t.dropped).toEqual([]);
  });

  it("tool_choice none keeps the tools when the conversation has tool calls (Bedrock requires them), with a note", () => {
    const t = translate({ messages: conversation, tools: [WEATHER_TOOL], tool_choice: "none" });
    expect(t.body.toolConfig?.tools.map((tool) => ("toolSpec" in tool ? tool.toolSpec.name : null))).toEqual([
      "get_weather",
    ]);
    expect(t.body.toolConfig?.toolChoice).toBeUndefined();
    expect(t.dropped).toEqual(["tool_choice (none: Bedrock cannot forbid tool calls; the tools were kept)"]);
  });

  it("notes parallel_tool_calls: false, which Bedrock cannot honour, and non-function tools", () => {
    const t = translate({
      messages: [{ role: "user", content: "hi" }],
      tools: [WEATHER_TOOL, { type: "web_search" }],
      parallel_tool_calls: false,
    });
    expect(t.body.toolConfig?.tools).toHaveLength(1);
    expect(t.dropped).toEqual(['tools[1] (type "web_search")', "parallel_tool_calls"]);
  });

  it("a required tool choice without tools is noted", () => {
    const t = translate({ messages: [{ role: "user", content: "hi" }], tool_choice: "required" });
    expect(t.body.toolConfig).toBeUndefined();
    expect(t.dropped).toEqual(["tool_choice"]);
  });

  it("refuses tool-call arguments that are not a JSON object", () => {
    const err = refusal({
      messages: [
        { role: "user", content: "hi" },
        { role: "assistant", tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "[1]" } }] },
      ],
    });
    expect(err.param).toBe("messages[1].tool_calls[0].function.arguments");
  });
});

describe("inference parameters", () => {
  it("puts max tokens, temperature, top_p and stop sequences in inferenceConfig", () => {
    const t = translate({
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 50,
      max_completion_tokens: 100,
      temperature: 0.3,
      top_p: 0.9,
      stop: ["END", "STOP"],
    });
    expect(t.body.inferenceConfig).toEqual({
      maxTokens: 100,
      temperature: 0.3,
      topP: 0.9,
      stopSequences: ["END", "STOP"],
    });
  });

  it("a single stop string is one stop sequence; none at all leaves inferenceConfig out", () => {
    expect(translate({ messages: [{ role: "user", content: "hi" }], stop: "END" }).body.inferenceConfig).toEqual({
      stopSequences: ["END"],
    });
    expect(translate({ messages: [{ role: "user", content: "hi" }] }).body.inferenceConfig).toBeUndefined();
  });

  it("clamps a temperature above 1, with a note", () => {
    const t = translate({ messages: [{ role: "user", content: "hi" }], temperature: 1.5 });
    expect(t.body.inferenceConfig).toEqual({ temperature: 1 });
    expect(t.dropped).toEqual(["temperature (1.5 clamped to 1)"]);
  });

  it("drops what Bedrock cannot honour, with a note each, and says nothing of defaults", () => {
    const t = translate({
      messages: [{ role: "user", content: "hi" }],
      n: 1,
      logprobs: false,
      response_format: { type: "text" },
      stream_options: { include_usage: true },
      presence_penalty: 0.5,
      seed: 7,
      user: "u-1",
      response_format_extra: null,
    });
    expect(t.dropped).toEqual(["user", "presence_penalty", "seed"]);
    expect(t.stream).toBe(false);
    expect(t.includeUsage).toBe(true);
    expect(Object.keys(t.body)).toEqual(["messages"]);
  });

  it("drops n > 1 and a JSON response format", () => {
    const t = translate({
      messages: [{ role: "user", content: "hi" }],
      n: 2,
      response_format: { type: "json_object" },
    });
    expect(t.dropped).toEqual(["n", "response_format"]);
  });
});

describe("prompt caching", () => {
  const EPHEMERAL = { type: "ephemeral" } as const;
  const POINT = { cachePoint: { type: "default" } };

  it("a marker on a part, a message or a tool becomes a cachePoint right after what it marks", () => {
    const t = translate({
      messages: [
        { role: "system", content: [{ type: "text", text: "Long rules.", cache_control: EPHEMERAL }] },
        { role: "developer", content: "More rules.", cache_control: { type: "ephemeral", ttl: "1h" } },
        { role: "system", content: "Unmarked." },
        {
          role: "user",
          content: [
            { type: "image_url", image_url: { url: `data:image/png;base64,${PNG}` }, cache_control: EPHEMERAL },
            { type: "text", text: "A long document." },
            { type: "text", text: "Question?", cache_control: { type: "ephemeral", ttl: "5m" } },
          ],
        },
        {
          role: "assistant",
          content: "Checking.",
          tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: "{}" } }],
          cache_control: EPHEMERAL,
        },
        { role: "tool", tool_call_id: "call_1", content: "21°C", cache_control: EPHEMERAL },
        { role: "user", content: "Thanks.", cache_control: EPHEMERAL },
      ],
      tools: [{ ...WEATHER_TOOL, cache_control: EPHEMERAL }],
    });
    expect(t.body.system).toEqual([
      { text: "Long rules." },
      POINT,
      { text: "More rules." },
      { cachePoint: { type: "default", ttl: "1h" } },
      { text: "Unmarked." },
    ]);
    expect(t.body.toolConfig?.tools).toEqual([
      {
        toolSpec: {
          name: "get_weather",
          description: "Weather for a city",
          inputSchema: { json: WEATHER_TOOL.function.parameters },
        },
      },
      POINT,
    ]);
    expect(t.body.messages).toEqual([
      {
        role: "user",
        content: [
          { image: { format: "png", source: { bytes: PNG } } },
          POINT,
          { text: "A long document." },
          { text: "Question?" },
          { cachePoint: { type: "default", ttl: "5m" } },
        ],
      },
      {
        role: "assistant",
        content: [{ text: "Checking." }, { toolUse: { toolUseId: "call_1", name: "get_weather", input: {} } }, POINT],
      },
      {
        role: "user",
        content: [
          { toolResult: { toolUseId: "call_1", content: [{ text: "21°C" }] } },
          POINT,
          { text: "Thanks." },
          POINT,
        ],
      },
    ]);
    expect(t.dropped).toEqual([]);
  });

  it("a marker on a text part of a tool message marks its result", () => {
    const t = translate({
      messages: [
        { role: "user", content: "Weather?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: "{}" } }],
        },
        { role: "tool", tool_call_id: "call_1", content: [{ type: "text", text: "21°C", cache_control: EPHEMERAL }] },
      ],
      tools: [WEATHER_TOOL],
    });
    expect(t.body.messages.at(-1)?.content).toEqual([
      { toolResult: { toolUseId: "call_1", content: [{ text: "21°C" }] } },
      POINT,
    ]);
  });

  it("a cache_control that is no ephemeral marker is dropped with a note, and nothing is cached", () => {
    const t = translate({
      messages: [{ role: "user", content: [{ type: "text", text: "hi", cache_control: { type: "persistent" } }] }],
    });
    expect(t.body.messages).toEqual([{ role: "user", content: [{ text: "hi" }] }]);
    expect(t.dropped).toEqual(['cache_control (not {"type": "ephemeral"})']);
  });

  it("no marker, no cachePoint", () => {
    const t = translate({
      messages: [
        { role: "system", content: "Rules." },
        { role: "user", content: "hi" },
      ],
    });
    expect(JSON.stringify(t.body)).not.toContain("cachePoint");
  });

  it("an Anthropic request's markers survive its translation to OpenAI when kept for Bedrock", () => {
    const marker = { cache_control: EPHEMERAL };
    const anthropic = {
      model: MODEL,
      max_tokens: 64,
      system: [
        { type: "text", text: "Rules.", ...marker },
        { type: "text", text: "Unmarked." },
      ],
      tools: [{ name: "get_weather", input_schema: WEATHER_TOOL.function.parameters, ...marker }],
      messages: [
        { role: "user", content: [{ type: "text", text: "Weather?", ...marker }] },
        {
          role: "assistant",
          content: [{ type: "tool_use", id: "toolu_1", name: "get_weather", input: {}, ...marker }],
        },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "toolu_1", content: [{ type: "text", text: "21°C", ...marker }] },
            { type: "text", text: "Thanks." },
          ],
        },
      ],
    };
    const openai = anthropicToOpenAIRequest(anthropic, { keepCacheMarkers: true });
    expect(openai.dropped).toEqual([]);
    const t = openAIToConverseRequest(openai.body);
    expect(t.body.system).toEqual([{ text: "Rules." }, POINT, { text: "Unmarked." }]);
    expect(t.body.toolConfig?.tools.at(-1)).toEqual(POINT);
    expect(t.body.messages).toEqual([
      { role: "user", content: [{ text: "Weather?" }, POINT] },
      { role: "assistant", content: [{ toolUse: { toolUseId: "toolu_1", name: "get_weather", input: {} } }, POINT] },
      {
        role: "user",
        content: [{ toolResult: { toolUseId: "toolu_1", content: [{ text: "21°C" }] } }, POINT, { text: "Thanks." }],
      },
    ]);

    // Without keepCacheMarkers (every other OpenAI-shaped family), they are dropped with a note.
    const plain = anthropicToOpenAIRequest(anthropic);
    expect(plain.dropped).toContain("cache_control");
    expect(JSON.stringify(openAIToConverseRequest(plain.body).body)).not.toContain("cachePoint");
  });
});
