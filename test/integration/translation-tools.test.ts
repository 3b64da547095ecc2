import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createKey, createProvider } from "../helpers/admin";
import { postMessages } from "../helpers/anthropic";
import { parseSse, postChat } from "../helpers/gateway";

/**
 * Tools across the translation, both directions, streaming and not: the tool definitions and results
 * on the way out, tool calls (their streamed argument fragments included) on the way back. The
 * upstream here is scripted per test (https://tools.test), answering with a tool call in its format.
 */

interface Sent {
  path: string;
  body: Record<string, unknown>;
}

let sent: Sent[] = [];

const sse = (frames: { event?: string; data: unknown }[]) =>
  new Response(
    frames
      .map(
        (f) =>
          `${f.event ? `event: ${f.event}\n` : ""}data: ${typeof f.data === "string" ? f.data : JSON.stringify(f.data)}\n\n`,
      )
      .join(""),
    { headers: { "content-type": "text/event-stream" } },
  );

const USAGE_OPENAI = { prompt_tokens: 20, completion_tokens: 9, total_tokens: 29 };
const USAGE_ANTHROPIC = { input_tokens: 20, output_tokens: 9 };

function openAIToolAnswer(stream: boolean): Response {
  if (!stream) {
    return Response.json({
      id: "chatcmpl-tools",
      object: "chat.completion",
      created: 1,
      model: "gpt-test",
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: null,
            tool_calls: [
              { id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
            ],
          },
          finish_reason: "tool_calls",
        },
      ],
      usage: USAGE_OPENAI,
    });
  }
  const base = { id: "chatcmpl-tools", object: "chat.completion.chunk", created: 1, model: "gpt-test" };
  const choice = (delta: unknown, finish: string | null = null) => ({
    ...base,
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  return sse([
    { data: choice({ role: "assistant", content: null }) },
    {
      data: choice({
        tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "get_weather", arguments: "" } }],
      }),
    },
    { data: choice({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }) },
    { data: choice({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }) },
    { data: choice({}, "tool_calls") },
    { data: { ...base, choices: [], usage: USAGE_OPENAI } },
    { data: "[DONE]" },
  ]);
}

function anthropicToolAnswer(stream: boolean): Response {
  const toolUse = { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris" } };
  if (!stream) {
    return Response.json({
      id: "msg_tools",
      type: "message",
      role: "assistant",
      model: "claude-test",
      content: [{ type: "text", text: "Checking." }, toolUse],
      stop_reason: "tool_use",
      stop_sequence: null,
      usage: USAGE_ANTHROPIC,
    });
  }
  const ev = (type: string, rest: object) => ({ event: type, data: { type, ...rest } });
  return sse([
    ev("message_start", {
      message: {
        id: "msg_tools",
        type: "message",
        role: "assistant",
        model: "claude-test",
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 20, output_tokens: 1 },
      },
    }),
    ev("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
    ev("content_block_delta", { index: 0, delta: { type: "text_delta", text: "Checking." } }),
    ev("content_block_stop", { index: 0 }),
    ev("content_block_start", { index: 1, content_block: { ...toolUse, input: {} } }),
    ev("content_block_delta", { index: 1, delta: { type: "input_json_delta", partial_json: '{"city":' } }),
    ev("content_block_delta", { index: 1, delta: { type: "input_json_delta", partial_json: '"Paris"}' } }),
    ev("content_block_stop", { index: 1 }),
    ev("message_delta", { delta: { stop_reason: "tool_use", stop_sequence: null }, usage: { output_tokens: 9 } }),
    ev("message_stop", {}),
  ]);
}

beforeEach(() => {
  sent = [];
  const realFetch = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    if (url.hostname !== "tools.test") return realFetch(request);
    const body = await request.json<Record<string, unknown>>();
    sent.push({ path: url.pathname, body });
    const stream = body.stream === true;
    return url.pathname === "/v1/messages" ? anthropicToolAnswer(stream) : openAIToolAnswer(stream);
  });
});
afterEach(() => vi.restoreAllMocks());

async function keyFor(type: "anthropic" | "openai-compatible"): Promise<string> {
  const provider = await createProvider({
    type,
    base_url: type === "anthropic" ? "https://tools.test" : "https://tools.test/v1",
  });
  return (await createKey({ config: { providers: [provider.name] } })).secret;
}

const WEATHER_TOOL_OPENAI = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};
const WEATHER_TOOL_ANTHROPIC = {
  name: "get_weather",
  description: "Weather for a city",
  input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};

const events = async (res: Response) => parseSse(await res.text());
const json = (data: string) => JSON.parse(data) as Record<string, unknown>;

describe("an OpenAI client with tools, served by an Anthropic binding", () => {
  const CHAT = {
    model: "claude-test",
    tools: [WEATHER_TOOL_OPENAI],
    tool_choice: "auto",
    messages: [
      { role: "user", content: "Weather in Oslo?" },
      {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: "call_0", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } },
        ],
      },
      { role: "tool", tool_call_id: "call_0", content: "Sunny" },
      { role: "user", content: "And Paris?" },
    ],
  };

  it("tools, the earlier call and its result go out in Anthropic's shape", async () => {
    const res = await postChat(await keyFor("anthropic"), CHAT);
    expect(res.status).toBe(200);
    expect(sent[0]?.path).toBe("/v1/messages");
    expect(sent[0]?.body).toMatchObject({
      tools: [WEATHER_TOOL_ANTHROPIC],
      tool_choice: { type: "auto" },
      messages: [
        { role: "user", content: [{ type: "text", text: "Weather in Oslo?" }] },
        {
          role: "assistant",
          content: [{ type: "tool_use", id: "call_0", name: "get_weather", input: { city: "Oslo" } }],
        },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "call_0", content: "Sunny" },
            { type: "text", text: "And Paris?" },
          ],
        },
      ],
    });
  });

  it("not streamed: the tool_use block comes back as a tool call", async () => {
    const res = await postChat(await keyFor("anthropic"), CHAT);
    const body = await res.json<{ choices: { message: Record<string, unknown>; finish_reason: string }[] }>();
    expect(body.choices[0]?.finish_reason).toBe("tool_calls");
    expect(body.choices[0]?.message).toMatchObject({
      content: "Checking.",
      tool_calls: [
        { id: "toolu_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
      ],
    });
  });

  it("streamed: input_json_delta fragments arrive as argument deltas of one tool call", async () => {
    const res = await postChat(await keyFor("anthropic"), { ...CHAT, stream: true });
    const chunks = (await events(res)).filter((e) => e.data !== "[DONE]").map((e) => json(e.data));
    const deltas = chunks.map(
      (c) => (c.choices as { delta: Record<string, unknown>; finish_reason: string | null }[])[0],
    );
    const calls = deltas.flatMap((d) => (d?.delta.tool_calls as Record<string, unknown>[] | undefined) ?? []);
    expect(calls).toEqual([
      { index: 0, id: "toolu_1", type: "function", function: { name: "get_weather", arguments: "" } },
      { index: 0, function: { arguments: '{"city":' } },
      { index: 0, function: { arguments: '"Paris"}' } },
    ]);
    expect(deltas.map((d) => d?.finish_reason).filter(Boolean)).toEqual(["tool_calls"]);
  });
});

describe("an Anthropic client with tools, served by an OpenAI binding", () => {
  const MESSAGES = {
    model: "gpt-test",
    max_tokens: 100,
    tools: [WEATHER_TOOL_ANTHROPIC],
    tool_choice: { type: "any" },
    messages: [
      { role: "user", content: "Weather in Oslo?" },
      {
        role: "assistant",
        content: [{ type: "tool_use", id: "toolu_0", name: "get_weather", input: { city: "Oslo" } }],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "toolu_0", content: "Sunny" },
          { type: "text", text: "And Paris?" },
        ],
      },
    ],
  };

  it("tools, the earlier call and its result go out in OpenAI's shape", async () => {
    const res = await postMessages(await keyFor("openai-compatible"), MESSAGES);
    expect(res.status).toBe(200);
    expect(sent[0]?.path).toBe("/v1/chat/completions");
    expect(sent[0]?.body).toMatchObject({
      tools: [WEATHER_TOOL_OPENAI],
      tool_choice: "required",
      messages: [
        { role: "user", content: "Weather in Oslo?" },
        {
          role: "assistant",
          tool_calls: [
            { id: "toolu_0", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } },
          ],
        },
        { role: "tool", tool_call_id: "toolu_0", content: "Sunny" },
        { role: "user", content: "And Paris?" },
      ],
    });
  });

  it("not streamed: the tool call comes back as a tool_use block", async () => {
    const res = await postMessages(await keyFor("openai-compatible"), MESSAGES);
    const body = await res.json<{
      content: Record<string, unknown>[];
      stop_reason: string;
      usage: Record<string, number>;
    }>();
    expect(body.stop_reason).toBe("tool_use");
    expect(body.content).toHaveLength(1);
    expect(body.content[0]).toMatchObject({ type: "tool_use", name: "get_weather", input: { city: "Paris" } });
    expect(String(body.content[0]?.id)).toContain("call_1");
    expect(body.usage).toMatchObject({ input_tokens: 20, output_tokens: 9 });
  });

  it("streamed: argument fragments arrive as input_json_delta of one tool_use block", async () => {
    const res = await postMessages(await keyFor("openai-compatible"), { ...MESSAGES, stream: true });
    const evs = (await events(res)).map((e) => ({ event: e.event, data: json(e.data) }));
    expect(evs.map((e) => e.event)).toEqual([
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect(evs[1]?.data).toMatchObject({
      index: 0,
      content_block: { type: "tool_use", name: "get_weather", input: {} },
    });
    expect(evs.slice(2, 4).map((e) => e.data.delta)).toEqual([
      { type: "input_json_delta", partial_json: '{"city":' },
      { type: "input_json_delta", partial_json: '"Paris"}' },
    ]);
    expect(evs[5]?.data).toMatchObject({
      delta: { stop_reason: "tool_use" },
      usage: { output_tokens: 9, input_tokens: 20 },
    });
  });
});
