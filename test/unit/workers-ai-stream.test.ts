import { describe, expect, it } from "vitest";
import { WorkersAIStreamError, WorkersAIToOpenAIStream } from "../../src/providers/workers-ai/stream";
import { parseSse } from "../helpers/sse";

/** src/providers/workers-ai/stream.ts: a Workers AI stream, event by event, as OpenAI chunks. */

const MODEL = "@cf/meta/llama-3.1-8b-instruct";
const USAGE = { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 };

interface Chunk {
  id: string;
  object: string;
  model: string;
  choices: { index: number; delta: Record<string, unknown>; finish_reason: string | null }[];
  usage?: Record<string, unknown> | null;
}

function run(events: unknown[], opts: { includeUsage?: boolean; maxTokens?: number | null } = {}) {
  const stream = new WorkersAIToOpenAIStream({
    model: MODEL,
    includeUsage: opts.includeUsage ?? false,
    maxTokens: opts.maxTokens ?? null,
  });
  let text = "";
  for (const e of events) text += stream.push(typeof e === "string" ? e : JSON.stringify(e));
  text += stream.end();
  const sse = parseSse(text);
  const chunks = sse.filter((e) => e.data !== "[DONE]").map((e) => JSON.parse(e.data) as Chunk);
  return {
    stream,
    sse,
    chunks,
    deltas: chunks.map((c) => c.choices[0]?.delta),
    finishes: chunks.map((c) => c.choices[0]?.finish_reason ?? null),
  };
}

const content = (deltas: (Record<string, unknown> | undefined)[]) =>
  deltas.map((d) => (typeof d?.content === "string" ? d.content : "")).join("");
const toolDeltas = (deltas: (Record<string, unknown> | undefined)[]) =>
  deltas.flatMap((d) => (d?.tool_calls as Record<string, unknown>[] | undefined) ?? []);

describe("native events", () => {
  it("response fragments become content deltas after a role chunk; [DONE] closes with finish and usage", () => {
    const { stream, sse, chunks, deltas, finishes } = run(
      [{ response: "Hel", p: "x" }, { response: "lo" }, { response: "", usage: USAGE }, "[DONE]"],
      { includeUsage: true },
    );
    expect(deltas[0]).toEqual({ role: "assistant", content: "" });
    expect(content(deltas)).toBe("Hello");
    expect(finishes.filter(Boolean)).toEqual(["stop"]);
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: { ...USAGE, prompt_tokens_details: { cached_tokens: 0 } },
    });
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    expect(
      chunks.every((c) => c.object === "chat.completion.chunk" && c.model === MODEL && c.id === chunks[0]?.id),
    ).toBe(true);
    expect(sse.at(-1)?.data).toBe("[DONE]");
    expect(stream.finished).toBe(true);
  });

  it("without include_usage: no usage chunk and no usage field", () => {
    const { chunks } = run([{ response: "x" }, { response: "", usage: USAGE }, "[DONE]"]);
    expect(chunks.every((c) => !("usage" in c))).toBe(true);
  });

  it("output that reached max_tokens finishes with length", () => {
    expect(run([{ response: "x", usage: USAGE }, "[DONE]"], { maxTokens: 3 }).finishes.filter(Boolean)).toEqual([
      "length",
    ]);
  });

  it("tool call fragments by index: opened once, arguments appended, the null closing fragment skipped", () => {
    const { deltas, finishes } = run([
      { response: "", tool_calls: [{ id: "t1", type: "function", index: 0, function: { name: "get_weather" } }] },
      { response: "", tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] },
      { response: "", tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] },
      { response: "", tool_calls: [{ id: null, type: null, function: { name: null } }] },
      { response: "", tool_calls: [{ index: 3, function: { arguments: "{}" } }] },
      "[DONE]",
    ]);
    expect(toolDeltas(deltas)).toEqual([
      { index: 0, id: "t1", type: "function", function: { name: "get_weather", arguments: "" } },
      { index: 0, function: { arguments: '{"city":' } },
      { index: 0, function: { arguments: '"Paris"}' } },
    ]);
    expect(finishes.filter(Boolean)).toEqual(["tool_calls"]);
  });

  it("whole calls without an index each open a call of their own, arguments included", () => {
    const { deltas } = run([
      {
        response: "",
        tool_calls: [
          { name: "a", arguments: { x: 1 } },
          { name: "b", arguments: "{}" },
        ],
      },
      "[DONE]",
    ]);
    expect(toolDeltas(deltas)).toEqual([
      {
        index: 0,
        id: expect.stringMatching(/^call_/) as string,
        type: "function",
        function: { name: "a", arguments: '{"x":1}' },
      },
      {
        index: 1,
        id: expect.stringMatching(/^call_/) as string,
        type: "function",
        function: { name: "b", arguments: "{}" },
      },
    ]);
  });
});

describe("OpenAI-shaped events", () => {
  const chunk = (delta: object, finish_reason: string | null = null, extra: object = {}) => ({
    id: "id-1",
    object: "chat.completion.chunk",
    choices: [{ index: 0, delta, finish_reason }],
    ...extra,
  });

  it("content and reasoning deltas, their finish reason, and usage from whichever event carried it", () => {
    const { deltas, finishes, chunks } = run(
      [
        chunk({ role: "assistant", reasoning_content: "Think." }),
        chunk({ content: "Hi" }),
        chunk({ reasoning: "More." }),
        chunk({}, "length", { usage: USAGE }),
        "[DONE]",
      ],
      { includeUsage: true },
    );
    expect(deltas.filter((d) => d?.reasoning_content)).toEqual([
      { reasoning_content: "Think." },
      { reasoning_content: "More." },
    ]);
    expect(content(deltas)).toBe("Hi");
    expect(finishes.filter(Boolean)).toEqual(["length"]);
    expect(chunks.at(-1)?.usage).toMatchObject(USAGE);
  });

  it("an empty errors list or a null error is no error", () => {
    const { deltas } = run([chunk({ content: "Hi" }, null, { errors: [], error: null }), "[DONE]"]);
    expect(content(deltas)).toBe("Hi");
  });

  it("a finish reason and a closed source, without [DONE], still complete", () => {
    const { sse, stream } = run([chunk({ content: "Hi" }), chunk({}, "stop")]);
    expect(sse.at(-1)?.data).toBe("[DONE]");
    expect(stream.finished).toBe(true);
  });
});

describe("endings and failures", () => {
  it("a source that closes with neither [DONE] nor a finish reason is left unfinished", () => {
    const { sse, stream } = run([{ response: "Hi" }]);
    expect(sse.some((e) => e.data === "[DONE]")).toBe(false);
    expect(stream.finished).toBe(false);
  });

  it("[DONE] alone still gives a role chunk, a finish chunk and [DONE]", () => {
    const { deltas, finishes, sse } = run(["[DONE]"]);
    expect(deltas).toEqual([{ role: "assistant", content: "" }, {}]);
    expect(finishes).toEqual([null, "stop"]);
    expect(sse.at(-1)?.data).toBe("[DONE]");
  });

  it("nothing is written after the end", () => {
    const stream = new WorkersAIToOpenAIStream({ model: MODEL, includeUsage: false, maxTokens: null });
    stream.push("[DONE]");
    expect(stream.push(JSON.stringify({ response: "late" }))).toBe("");
    expect(stream.push("[DONE]")).toBe("");
    expect(stream.end()).toBe("");
  });

  it.each([
    ["an error event", { error: "3040: Capacity temporarily exceeded" }, /an error report: 3040: Capacity/],
    ["an errors list", { errors: [{ message: "bad" }] }, /an error report: \[\{"message":"bad"\}\]/],
    ["an error object", { error: { message: "overloaded" } }, /an error report: overloaded/],
    ["data that is not JSON", "oops", /not JSON \(oops\)/],
    ["an event of neither shape", { hello: "there" }, /neither output shape/],
    ["an unreadable event", { response: "x", usage: { prompt_tokens: "many" } }, /unreadable event/],
  ])("%s throws WorkersAIStreamError", (_, event, message) => {
    const stream = new WorkersAIToOpenAIStream({ model: MODEL, includeUsage: false, maxTokens: null });
    const push = () => stream.push(typeof event === "string" ? event : JSON.stringify(event));
    expect(push).toThrow(WorkersAIStreamError);
    expect(push).toThrow(message);
  });
});
