import { afterEach, describe, expect, it, vi } from "vitest";
import { uniqueName } from "../helpers/admin";
import { fetchWithEnv, GATEWAY, parseSse, readOpenAIError, streamedContent, type SseEvent } from "../helpers/gateway";
import { drainOutbox, ledgerRows } from "../helpers/limits";
import { seedKey, seedProvider } from "../helpers/seed";
import { countTokens } from "../../src/providers/mock/tokens";
import { DEFAULT_EMBEDDING_DIMENSIONS } from "../../src/providers/mock/embeddings";

/**
 * The built-in mock provider (src/providers/mock/) on every public route, through the whole gateway,
 * with ENVIRONMENT=development: any model name, chat completions and Anthropic Messages (translated),
 * the Responses API and embeddings, streaming and not, tool calls, stop reasons and usage, all exact
 * because the mock is deterministic; and nothing at all outside development.
 */

afterEach(() => vi.restoreAllMocks());

const DEV = { ENVIRONMENT: "development" };
const REPLY = (said: string) => `Hello from the Faregate mock provider. You said: ${said}`;

/** A key whose chain is one fresh mock binding that lists no models (so it serves any name). */
async function mockKey(config: Record<string, unknown> = {}): Promise<{ secret: string; id: string; binding: string }> {
  const binding = uniqueName("mock");
  await seedProvider({ name: binding, type: "mock" });
  const key = await seedKey({ config: { providers: [binding], ...config } });
  return { secret: key.secret, id: key.id, binding };
}

interface Reply {
  status: number;
  headers: Headers;
  text: string;
}

/** POSTs to the gateway with the key (an Anthropic client's headers on /v1/messages), reads the answer, waits for settlement. */
async function post(path: string, secret: string, body: unknown, env: Record<string, unknown> = DEV): Promise<Reply> {
  const headers: Record<string, string> =
    path === "/v1/messages"
      ? { "x-api-key": secret, "anthropic-version": "2023-06-01" }
      : { authorization: `Bearer ${secret}` };
  const request = new Request(`${GATEWAY}${path}`, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const { response, settled } = await fetchWithEnv(request, env);
  const text = await response.text();
  await settled();
  return { status: response.status, headers: response.headers, text };
}

const json = <T>(reply: Reply): T => {
  expect(reply.status, reply.text).toBe(200);
  return JSON.parse(reply.text) as T;
};

const dataOf = <T>(events: SseEvent[]): T[] =>
  events.filter((e) => e.data !== "[DONE]").map((e) => JSON.parse(e.data) as T);

interface ChatCompletion {
  id: string;
  object: string;
  model: string;
  choices: {
    index: number;
    message: {
      role: string;
      content: string | null;
      tool_calls?: { id: string; type: string; function: { name: string; arguments: string } }[];
    };
    finish_reason: string;
  }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

interface ChatChunk {
  object: string;
  model: string;
  choices: {
    delta: {
      role?: string;
      content?: string | null;
      tool_calls?: { index: number; id?: string; function: { name?: string; arguments?: string } }[];
    };
    finish_reason: string | null;
  }[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

const hello = [{ role: "user", content: "Hello" }];
/** "Hello" is one token; the reply to it is eleven (tokens.ts: words, and each punctuation mark). */
const HELLO_USAGE = { prompt_tokens: 1, completion_tokens: 11, total_tokens: 12 };

const WEATHER_TOOL = {
  type: "function",
  function: {
    name: "get_weather",
    description: "The weather in a city",
    parameters: {
      type: "object",
      properties: {
        city: { type: "string" },
        unit: { type: "string", enum: ["celsius", "fahrenheit"] },
        days: { type: "integer", minimum: 1, maximum: 7 },
      },
      required: ["city"],
    },
  },
};
const TIME_TOOL = {
  type: "function",
  function: { name: "get_time", parameters: { type: "object", properties: { zone: { type: "string" } } } },
};
const WEATHER_ARGS = { city: "mock", unit: "celsius", days: 1 };

describe("chat completions", () => {
  it.each(["gpt-4o-mini", "gpt-5-mini", "claude-sonnet-4-5", "mock-echo", "anything/at all"])(
    "answers the model name %s with the mock's reply, its stop reason and exact usage",
    async (model) => {
      const key = await mockKey();
      const reply = await post("/v1/chat/completions", key.secret, { model, messages: hello });
      const body = json<ChatCompletion>(reply);
      expect(body).toMatchObject({ object: "chat.completion", model });
      expect(body.id).toMatch(/^chatcmpl-/);
      expect(body.choices).toEqual([
        {
          index: 0,
          message: { role: "assistant", content: REPLY("Hello"), refusal: null },
          logprobs: null,
          finish_reason: "stop",
        },
      ]);
      expect(body.usage).toMatchObject(HELLO_USAGE);
      expect(reply.headers.get("x-langwatch-provider")).toBe(key.binding);
      expect(reply.headers.get("x-langwatch-model")).toBe(model);
    },
  );

  it("gives the same answer to the same request", async () => {
    const key = await mockKey();
    const body = { model: "gpt-4o-mini", messages: [{ role: "user", content: "same again" }] };
    const strip = (r: Reply) => ({ ...json<ChatCompletion & { created?: number }>(r), created: 0 });
    expect(strip(await post("/v1/chat/completions", key.secret, body))).toEqual(
      strip(await post("/v1/chat/completions", key.secret, body)),
    );
  });

  it("counts the prompt's tokens in every message and tool definition", async () => {
    const key = await mockKey();
    const messages = [
      { role: "system", content: "Be brief." },
      { role: "user", content: [{ type: "text", text: "What's up?" }] },
    ];
    const body = json<ChatCompletion>(
      await post("/v1/chat/completions", key.secret, { model: "m", messages, tools: [TIME_TOOL] }),
    );
    const expected = countTokens("Be brief.") + countTokens("What's up?") + countTokens(JSON.stringify(TIME_TOOL));
    expect(body.usage.prompt_tokens).toBe(expected);
    expect(body.choices[0]?.message.content).toBe(REPLY("What's up?"));
  });

  it("cuts the reply at max_tokens with finish_reason length, and only then", async () => {
    const key = await mockKey();
    const ask = (limits: Record<string, number>) =>
      post("/v1/chat/completions", key.secret, { model: "gpt-4o-mini", messages: hello, ...limits }).then((r) =>
        json<ChatCompletion>(r),
      );
    const cut = await ask({ max_tokens: 3 });
    expect(cut.choices[0]).toMatchObject({ message: { content: "Hello from the" }, finish_reason: "length" });
    expect(cut.usage).toMatchObject({ prompt_tokens: 1, completion_tokens: 3, total_tokens: 4 });
    const newer = await ask({ max_completion_tokens: 5 });
    expect(newer.choices[0]).toMatchObject({
      message: { content: "Hello from the Faregate mock" },
      finish_reason: "length",
    });
    // Exactly enough, and plenty: the whole reply and a normal stop.
    for (const max_tokens of [11, 100]) {
      const whole = await ask({ max_tokens });
      expect(whole.choices[0]).toMatchObject({ message: { content: REPLY("Hello") }, finish_reason: "stop" });
      expect(whole.usage).toMatchObject(HELLO_USAGE);
    }
  });

  it("stops at a stop sequence with a normal stop", async () => {
    const key = await mockKey();
    const body = json<ChatCompletion>(
      await post("/v1/chat/completions", key.secret, { model: "m", messages: hello, stop: ["provider"] }),
    );
    expect(body.choices[0]).toMatchObject({
      message: { content: "Hello from the Faregate mock " },
      finish_reason: "stop",
    });
    expect(body.usage.completion_tokens).toBe(5);
  });

  it("answers JSON when asked for it", async () => {
    const key = await mockKey();
    const object = json<ChatCompletion>(
      await post("/v1/chat/completions", key.secret, {
        model: "m",
        messages: hello,
        response_format: { type: "json_object" },
      }),
    );
    expect(JSON.parse(object.choices[0]?.message.content ?? "")).toEqual({ reply: REPLY("Hello") });
    const schema = json<ChatCompletion>(
      await post("/v1/chat/completions", key.secret, {
        model: "m",
        messages: hello,
        response_format: { type: "json_schema", json_schema: { name: "w", schema: WEATHER_TOOL.function.parameters } },
      }),
    );
    expect(JSON.parse(schema.choices[0]?.message.content ?? "")).toEqual(WEATHER_ARGS);
  });

  it("streams one chunk per token between the role and the finish reason, then [DONE]", async () => {
    const key = await mockKey();
    const reply = await post("/v1/chat/completions", key.secret, {
      model: "gpt-5-mini",
      messages: hello,
      stream: true,
    });
    expect(reply.status).toBe(200);
    expect(reply.headers.get("content-type")).toContain("text/event-stream");
    const events = parseSse(reply.text);
    expect(events.at(-1)?.data).toBe("[DONE]");
    const chunks = dataOf<ChatChunk>(events);
    expect(chunks.length).toBe(1 + 11 + 1); // no usage chunk: the client did not ask for one
    expect(chunks[0]?.choices[0]?.delta).toMatchObject({ role: "assistant", content: "" });
    expect(chunks.every((c) => c.object === "chat.completion.chunk" && c.model === "gpt-5-mini")).toBe(true);
    expect(chunks.slice(0, -1).every((c) => c.choices[0]?.finish_reason === null)).toBe(true);
    expect(chunks.at(-1)?.choices[0]).toMatchObject({ delta: {}, finish_reason: "stop" });
    expect(streamedContent(events)).toBe(REPLY("Hello"));
  });

  it("streams the usage chunk when asked, and the ledger records the same usage", async () => {
    const key = await mockKey();
    const reply = await post("/v1/chat/completions", key.secret, {
      model: "gpt-4o-mini",
      messages: hello,
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 4,
    });
    const chunks = dataOf<ChatChunk>(parseSse(reply.text));
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe("length");
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 1, completion_tokens: 4, total_tokens: 5 },
    });
    expect(streamedContent(parseSse(reply.text))).toBe("Hello from the Faregate");
    await drainOutbox(key.id);
    expect(await ledgerRows(key.id)).toEqual([
      expect.objectContaining({ provider: key.binding, model: "gpt-4o-mini", input_tokens: 1, output_tokens: 4 }),
    ]);
  });

  it("rejects what OpenAI would, with a 400 that names the field", async () => {
    const key = await mockKey();
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ n: 2 }, "n", /one choice/],
      [{ tool_choice: "required" }, "tool_choice", /offers no function/],
      [
        { tools: [WEATHER_TOOL], tool_choice: { type: "function", function: { name: "nope" } } },
        "tool_choice",
        /"nope".*get_weather/,
      ],
      [{ tools: [{ type: "function", function: { description: "no name" } }] }, "tools[0].function.name", /required/],
      [{ stop: ["a", "b", "c", "d", "e"] }, "stop", /at most 4/],
      [{ tool_choice: "always" }, "tool_choice", /"none", "auto", "required"/],
      [{ response_format: { type: "yaml" } }, "response_format", /json_schema/],
      [{ max_tokens: 0 }, "max_tokens", /./],
    ];
    for (const [extra, param, message] of cases) {
      const reply = await post("/v1/chat/completions", key.secret, { model: "m", messages: hello, ...extra });
      expect(reply.status, JSON.stringify(extra)).toBe(400);
      const error = await readOpenAIError(new Response(reply.text, { headers: reply.headers }));
      expect(error).toMatchObject({ type: "invalid_request_error", param });
      expect(error.message).toMatch(message);
    }
  });
});

describe("tool calls", () => {
  const ask = (secret: string, content: string, extra: Record<string, unknown> = {}) =>
    post("/v1/chat/completions", secret, {
      model: "gpt-4o-mini",
      messages: [{ role: "user", content }],
      tools: [WEATHER_TOOL, TIME_TOOL],
      ...extra,
    }).then((r) => json<ChatCompletion>(r));

  const calls = (c: ChatCompletion) =>
    (c.choices[0]?.message.tool_calls ?? []).map((t) => [t.function.name, JSON.parse(t.function.arguments) as unknown]);

  it("calls the tool a prompt names, with arguments that fit its schema", async () => {
    const key = await mockKey();
    const body = await ask(key.secret, "What's the weather in Paris? Ask get_weather.");
    expect(body.choices[0]?.finish_reason).toBe("tool_calls");
    expect(body.choices[0]?.message.content).toBeNull();
    expect(body.choices[0]?.message.tool_calls?.[0]).toMatchObject({
      type: "function",
      id: expect.stringMatching(/^call_/) as string,
    });
    expect(calls(body)).toEqual([["get_weather", WEATHER_ARGS]]);
    const name = "get_weather";
    const args = JSON.stringify(WEATHER_ARGS);
    expect(body.usage.completion_tokens).toBe(countTokens(name) + countTokens(args));
  });

  it("calls the first tool when the prompt says use or call, and every tool it names", async () => {
    const key = await mockKey();
    expect(calls(await ask(key.secret, "Use a tool, please"))).toEqual([["get_weather", WEATHER_ARGS]]);
    expect(calls(await ask(key.secret, "call something"))).toEqual([["get_weather", WEATHER_ARGS]]);
    expect(calls(await ask(key.secret, "get time and get weather"))).toEqual([
      ["get_weather", WEATHER_ARGS],
      ["get_time", { zone: "mock" }],
    ]);
    const single = await ask(key.secret, "get time and get weather", { parallel_tool_calls: false });
    expect(calls(single)).toEqual([["get_weather", WEATHER_ARGS]]);
  });

  it("answers in words when nothing asks for a tool, or tool_choice is none", async () => {
    const key = await mockKey();
    const plain = await ask(key.secret, "Tell me a story");
    expect(plain.choices[0]).toMatchObject({ message: { content: REPLY("Tell me a story") }, finish_reason: "stop" });
    const none = await ask(key.secret, "use get_weather", { tool_choice: "none" });
    expect(none.choices[0]).toMatchObject({ finish_reason: "stop" });
    expect(none.choices[0]?.message.tool_calls).toBeUndefined();
  });

  it("follows a forced tool_choice, required or named", async () => {
    const key = await mockKey();
    expect(calls(await ask(key.secret, "Tell me a story", { tool_choice: "required" }))).toEqual([
      ["get_weather", WEATHER_ARGS],
    ]);
    const named = await ask(key.secret, "Tell me a story", {
      tool_choice: { type: "function", function: { name: "get_time" } },
    });
    expect(calls(named)).toEqual([["get_time", { zone: "mock" }]]);
  });

  it("answers a tool's result in words, naming the tool", async () => {
    const key = await mockKey();
    const reply = await post("/v1/chat/completions", key.secret, {
      model: "gpt-4o-mini",
      tools: [WEATHER_TOOL],
      messages: [
        { role: "user", content: "use get_weather" },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: "{}" } }],
        },
        { role: "tool", tool_call_id: "call_1", content: '{"temp":21}' },
      ],
    });
    const body = json<ChatCompletion>(reply);
    expect(body.choices[0]).toMatchObject({
      message: { content: 'Hello from the Faregate mock provider. The tool get_weather returned: {"temp":21}' },
      finish_reason: "stop",
    });
  });

  it("makes no call that does not fit max_tokens: the words, cut, with length", async () => {
    const key = await mockKey();
    const body = await ask(key.secret, "use get_weather", { max_tokens: 2 });
    expect(body.choices[0]).toMatchObject({ message: { content: "Hello from" }, finish_reason: "length" });
    expect(body.choices[0]?.message.tool_calls).toBeUndefined();
  });

  it("streams a tool call: its id and name first, then the arguments in pieces, then tool_calls", async () => {
    const key = await mockKey();
    const reply = await post("/v1/chat/completions", key.secret, {
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "use get_weather" }],
      tools: [WEATHER_TOOL],
      stream: true,
    });
    const chunks = dataOf<ChatChunk>(parseSse(reply.text));
    const deltas = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(deltas[0]).toMatchObject({
      index: 0,
      id: expect.stringMatching(/^call_/) as string,
      function: { name: "get_weather", arguments: "" },
    });
    expect(deltas.length).toBeGreaterThan(2);
    expect(JSON.parse(deltas.map((d) => d.function.arguments ?? "").join(""))).toEqual(WEATHER_ARGS);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe("tool_calls");
  });
});

interface AnthropicMessage {
  type: string;
  model: string;
  content: ({ type: "text"; text: string } | { type: "tool_use"; id: string; name: string; input: unknown })[];
  stop_reason: string;
  usage: { input_tokens: number; output_tokens: number };
}

describe("Anthropic Messages (translated to the mock's chat completions)", () => {
  const message = (secret: string, body: Record<string, unknown>) =>
    post("/v1/messages", secret, { model: "claude-sonnet-4-5", max_tokens: 1024, messages: hello, ...body });

  it("answers claude-sonnet-4-5 with end_turn and exact usage", async () => {
    const key = await mockKey();
    const body = json<AnthropicMessage>(await message(key.secret, {}));
    expect(body).toMatchObject({
      type: "message",
      model: "claude-sonnet-4-5",
      content: [{ type: "text", text: REPLY("Hello") }],
      stop_reason: "end_turn",
      usage: { input_tokens: 1, output_tokens: 11 },
    });
  });

  it("says max_tokens only when max_tokens cut the reply", async () => {
    const key = await mockKey();
    const cut = json<AnthropicMessage>(await message(key.secret, { max_tokens: 2 }));
    expect(cut).toMatchObject({ content: [{ type: "text", text: "Hello from" }], stop_reason: "max_tokens" });
    const whole = json<AnthropicMessage>(await message(key.secret, { max_tokens: 11 }));
    expect(whole.stop_reason).toBe("end_turn");
  });

  it("uses a tool: a tool_use block with its input, stop_reason tool_use", async () => {
    const key = await mockKey();
    const tools = [{ name: "get_weather", input_schema: WEATHER_TOOL.function.parameters }];
    const auto = json<AnthropicMessage>(
      await message(key.secret, { tools, messages: [{ role: "user", content: "Use get_weather for Paris" }] }),
    );
    expect(auto.stop_reason).toBe("tool_use");
    expect(auto.content).toEqual([
      { type: "tool_use", id: expect.any(String) as string, name: "get_weather", input: WEATHER_ARGS },
    ]);
    const forced = json<AnthropicMessage>(await message(key.secret, { tools, tool_choice: { type: "any" } }));
    expect(forced.stop_reason).toBe("tool_use");
  });

  it("streams Anthropic's events, text and usage included", async () => {
    const key = await mockKey();
    const reply = await message(key.secret, { stream: true });
    expect(reply.status).toBe(200);
    const events = parseSse(reply.text);
    expect(events[0]?.event).toBe("message_start");
    expect(events.at(-1)?.event).toBe("message_stop");
    const text = events
      .filter((e) => e.event === "content_block_delta")
      .map((e) => (JSON.parse(e.data) as { delta: { text?: string } }).delta.text ?? "")
      .join("");
    expect(text).toBe(REPLY("Hello"));
    const delta = events.find((e) => e.event === "message_delta");
    expect(JSON.parse(delta?.data ?? "{}")).toMatchObject({
      delta: { stop_reason: "end_turn" },
      usage: { output_tokens: 11 },
    });
  });
});

interface ResponseObject {
  id: string;
  object: string;
  status: string;
  model: string;
  incomplete_details: { reason: string } | null;
  output: (
    | { type: "message"; status: string; content: { type: string; text: string }[] }
    | { type: "function_call"; name: string; arguments: string; call_id: string }
  )[];
  usage: { input_tokens: number; output_tokens: number; total_tokens: number };
}

describe("the Responses API", () => {
  const respond = (secret: string, body: Record<string, unknown>) =>
    post("/v1/responses", secret, { model: "gpt-5-mini", input: "Hello", ...body });

  it("answers with one completed message and exact usage, and the ledger records it", async () => {
    const key = await mockKey();
    const body = json<ResponseObject>(await respond(key.secret, {}));
    expect(body).toMatchObject({
      object: "response",
      status: "completed",
      model: "gpt-5-mini",
      incomplete_details: null,
    });
    expect(body.id).toMatch(/^resp_/);
    expect(body.output).toEqual([
      expect.objectContaining({
        type: "message",
        status: "completed",
        role: "assistant",
        content: [{ type: "output_text", text: REPLY("Hello"), annotations: [], logprobs: [] }],
      }),
    ]);
    expect(body.usage).toMatchObject({ input_tokens: 1, output_tokens: 11, total_tokens: 12 });
    await drainOutbox(key.id);
    expect(await ledgerRows(key.id)).toEqual([
      expect.objectContaining({ provider: key.binding, input_tokens: 1, output_tokens: 11 }),
    ]);
  });

  it("counts instructions and input items, and answers the last user message", async () => {
    const key = await mockKey();
    const input = [
      { role: "user", content: [{ type: "input_text", text: "first" }] },
      { type: "message", role: "user", content: "second one" },
    ];
    const body = json<ResponseObject>(await respond(key.secret, { instructions: "Be kind.", input }));
    expect(body.output[0]).toMatchObject({ content: [{ text: REPLY("second one") }] });
    expect(body.usage.input_tokens).toBe(countTokens("Be kind.") + countTokens("first") + countTokens("second one"));
  });

  it("streams OpenAI's event sequence, ending with response.completed and its usage", async () => {
    const key = await mockKey();
    const reply = await respond(key.secret, { stream: true });
    expect(reply.status).toBe(200);
    const events = parseSse(reply.text);
    expect(events.map((e) => e.event)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      ...Array.from({ length: 11 }, () => "response.output_text.delta"),
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    const data = events.map((e) => JSON.parse(e.data) as { type: string; sequence_number: number; delta?: string });
    expect(data.map((d) => d.sequence_number)).toEqual(data.map((_, i) => i));
    expect(data.every((d, i) => d.type === events[i]?.event)).toBe(true);
    expect(data.map((d) => d.delta ?? "").join("")).toBe(REPLY("Hello"));
    const completed = data.at(-1) as unknown as { response: ResponseObject };
    expect(completed.response).toMatchObject({ status: "completed", usage: { input_tokens: 1, output_tokens: 11 } });
    await drainOutbox(key.id);
    expect(await ledgerRows(key.id)).toEqual([expect.objectContaining({ input_tokens: 1, output_tokens: 11 })]);
  });

  it("is incomplete when max_output_tokens cut the answer, streamed or not", async () => {
    const key = await mockKey();
    const body = json<ResponseObject>(await respond(key.secret, { max_output_tokens: 3 }));
    expect(body).toMatchObject({ status: "incomplete", incomplete_details: { reason: "max_output_tokens" } });
    expect(body.output[0]).toMatchObject({ status: "incomplete", content: [{ text: "Hello from the" }] });
    expect(body.usage.output_tokens).toBe(3);
    const whole = json<ResponseObject>(await respond(key.secret, { max_output_tokens: 11 }));
    expect(whole.status).toBe("completed");
    const streamed = parseSse((await respond(key.secret, { max_output_tokens: 3, stream: true })).text);
    expect(streamed.at(-1)?.event).toBe("response.incomplete");
  });

  it("calls a function, streamed or not, and answers its output in words", async () => {
    const key = await mockKey();
    const tools = [{ type: "function", name: "get_weather", parameters: WEATHER_TOOL.function.parameters }];
    const body = json<ResponseObject>(await respond(key.secret, { tools, input: "use get_weather" }));
    const call = body.output[0];
    expect(call).toMatchObject({
      type: "function_call",
      name: "get_weather",
      call_id: expect.stringMatching(/^call_/) as string,
    });
    expect(JSON.parse(call?.type === "function_call" ? call.arguments : "")).toEqual(WEATHER_ARGS);

    const streamed = parseSse((await respond(key.secret, { tools, input: "use get_weather", stream: true })).text);
    expect(streamed.map((e) => e.event)).toContain("response.function_call_arguments.done");
    const args = streamed
      .filter((e) => e.event === "response.function_call_arguments.delta")
      .map((e) => (JSON.parse(e.data) as { delta: string }).delta)
      .join("");
    expect(JSON.parse(args)).toEqual(WEATHER_ARGS);

    const answered = json<ResponseObject>(
      await respond(key.secret, {
        tools,
        input: [
          { role: "user", content: "use get_weather" },
          { type: "function_call", call_id: "call_9", name: "get_weather", arguments: "{}" },
          { type: "function_call_output", call_id: "call_9", output: "sunny" },
        ],
      }),
    );
    expect(answered.output[0]).toMatchObject({
      type: "message",
      content: [{ text: "Hello from the Faregate mock provider. The tool get_weather returned: sunny" }],
    });
  });

  it("refuses previous_response_id (it keeps no responses) and a malformed tool, naming the field", async () => {
    const key = await mockKey();
    const previous = await respond(key.secret, { previous_response_id: "resp_123" });
    expect(previous.status).toBe(400);
    expect(JSON.parse(previous.text)).toMatchObject({
      error: {
        param: "previous_response_id",
        message: expect.stringContaining("send the whole conversation") as string,
      },
    });
    const tool = await respond(key.secret, { tools: [{ type: "function" }] });
    expect(tool.status).toBe(400);
    expect(JSON.parse(tool.text)).toMatchObject({ error: { param: "tools[0].name" } });
  });
});

interface Embeddings {
  object: string;
  model: string;
  data: { object: string; index: number; embedding: number[] | string }[];
  usage: { prompt_tokens: number; total_tokens: number };
}

const cosine = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * (b[i] ?? 0), 0);

describe("embeddings", () => {
  const embed = (secret: string, body: Record<string, unknown>) =>
    post("/v1/embeddings", secret, { model: "text-embedding-3-small", ...body });

  it("answers one unit vector per input, the same for the same input, with exact usage", async () => {
    const key = await mockKey();
    const inputs = ["the cat sat on the mat", "the cat sat", "quarterly revenue report", "the cat sat on the mat"];
    const body = json<Embeddings>(await embed(key.secret, { input: inputs }));
    expect(body).toMatchObject({ object: "list", model: "text-embedding-3-small" });
    const vectors = body.data.map((d) => d.embedding as number[]);
    expect(body.data.map((d) => [d.object, d.index])).toEqual(inputs.map((_, i) => ["embedding", i]));
    for (const v of vectors) {
      expect(v).toHaveLength(DEFAULT_EMBEDDING_DIMENSIONS);
      expect(cosine(v, v)).toBeCloseTo(1, 5);
    }
    const [mat, sat, revenue, again] = vectors as [number[], number[], number[], number[]];
    expect(again).toEqual(mat);
    expect(cosine(mat, sat)).toBeGreaterThan(cosine(mat, revenue) + 0.3);
    const tokens = inputs.reduce((n, i) => n + countTokens(i), 0);
    expect(body.usage).toEqual({ prompt_tokens: tokens, total_tokens: tokens });
    await drainOutbox(key.id);
    expect(await ledgerRows(key.id)).toEqual([expect.objectContaining({ input_tokens: tokens, output_tokens: 0 })]);
  });

  it("takes dimensions, token ids and base64 (what the official clients ask for)", async () => {
    const key = await mockKey();
    const floats = json<Embeddings>(await embed(key.secret, { input: "hello world", dimensions: 8 }));
    const vector = floats.data[0]?.embedding as number[];
    expect(vector).toHaveLength(8);
    const packed = json<Embeddings>(
      await embed(key.secret, { input: "hello world", dimensions: 8, encoding_format: "base64" }),
    );
    const bytes = Uint8Array.from(atob(packed.data[0]?.embedding as string), (c) => c.charCodeAt(0));
    expect(Array.from(new Float32Array(bytes.buffer))).toEqual(vector);
    const ids = json<Embeddings>(await embed(key.secret, { input: [[1, 2, 3], [4]], dimensions: 4 }));
    expect(ids.data).toHaveLength(2);
    expect(ids.usage.prompt_tokens).toBe(4);
  });

  it("refuses dimensions and encodings it cannot give, naming the field", async () => {
    const key = await mockKey();
    for (const [extra, param] of [
      [{ dimensions: 0 }, "dimensions"],
      [{ dimensions: 5000 }, "dimensions"],
      [{ encoding_format: "hex" }, "encoding_format"],
    ] as const) {
      const reply = await embed(key.secret, { input: "x", ...extra });
      expect(reply.status, JSON.stringify(extra)).toBe(400);
      expect(JSON.parse(reply.text)).toMatchObject({ error: { type: "invalid_request_error", param } });
    }
  });
});

describe("the raw passthrough (/proxy/<mock>/…)", () => {
  it("serves the mock's three routes from the body as sent, and a 404 naming them for any other", async () => {
    const key = await mockKey({ proxy: true });
    const chat = json<ChatCompletion>(
      await post(`/proxy/${key.binding}/chat/completions`, key.secret, { model: "m", messages: hello }),
    );
    expect(chat.choices[0]?.message.content).toBe(REPLY("Hello"));
    // The provider's own path, as the runbooks write it (`/proxy/openai/v1/chat/completions`), too.
    const own = json<ChatCompletion>(
      await post(`/proxy/${key.binding}/v1/chat/completions`, key.secret, { model: "m", messages: hello }),
    );
    expect(own.choices[0]?.message.content).toBe(REPLY("Hello"));
    const response = json<ResponseObject>(
      await post(`/proxy/${key.binding}/responses`, key.secret, { model: "m", input: "Hello" }),
    );
    expect(response.usage).toMatchObject({ input_tokens: 1, output_tokens: 11 });
    const vectors = json<Embeddings>(
      await post(`/proxy/${key.binding}/embeddings`, key.secret, { model: "m", input: "Hello", dimensions: 3 }),
    );
    expect(vectors.data[0]?.embedding).toHaveLength(3);
    const other = await post(`/proxy/${key.binding}/models`, key.secret, { model: "m" });
    expect(other.status).toBe(404);
    expect(JSON.parse(other.text)).toMatchObject({
      error: { message: expect.stringContaining("/chat/completions, /responses, /embeddings") as string },
    });
    const wrong = await post(`/proxy/${key.binding}/embeddings`, key.secret, { model: "m" });
    expect(wrong.status).toBe(400);
    expect(JSON.parse(wrong.text)).toMatchObject({ error: { param: "input" } });
  });
});

describe("outside ENVIRONMENT=development", () => {
  it.each(["test", "production"])(
    "ENVIRONMENT=%s: every route is a 502 that says the mock needs development",
    async (environment) => {
      const key = await mockKey();
      const bodies: [string, Record<string, unknown>][] = [
        ["/v1/chat/completions", { model: "gpt-4o-mini", messages: hello }],
        ["/v1/chat/completions", { model: "gpt-4o-mini", messages: hello, stream: true }],
        ["/v1/messages", { model: "claude-sonnet-4-5", max_tokens: 64, messages: hello }],
        ["/v1/responses", { model: "gpt-5-mini", input: "Hello" }],
        ["/v1/embeddings", { model: "text-embedding-3-small", input: "Hello" }],
      ];
      for (const [path, body] of bodies) {
        const reply = await post(path, key.secret, body, { ENVIRONMENT: environment });
        expect(reply.status, path).toBe(502);
        expect(reply.text).toContain("exists only when ENVIRONMENT=development");
        expect(reply.text).not.toContain("Hello from the Faregate mock provider");
      }
    },
  );
});
