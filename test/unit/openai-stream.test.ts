import { describe, expect, it } from "vitest";
import { parseSse } from "../helpers/sse";
import { tapOpenAIStream, type StreamOutcome, type TapOptions } from "../../src/sse/openai-stream";

/** The SSE tap: forwards whole events byte for byte, captures usage, and never ends a broken stream in silence. */

const enc = new TextEncoder();
const dec = new TextDecoder();

const chunk = (content: string, extra: object = {}) =>
  JSON.stringify({
    id: "c1",
    object: "chat.completion.chunk",
    choices: [{ index: 0, delta: { content }, finish_reason: null }],
    ...extra,
  });
const USAGE = {
  prompt_tokens: 11,
  completion_tokens: 7,
  total_tokens: 18,
  prompt_tokens_details: { cached_tokens: 3 },
};
const USAGE_CHUNK = JSON.stringify({ id: "c1", object: "chat.completion.chunk", choices: [], usage: USAGE });
const CAPTURED = { inputTokens: 11, outputTokens: 7, cacheReadTokens: 3, cacheWriteTokens: 0 };

const sse = (data: string[], eol = "\n") => data.map((d) => `data: ${d}${eol}${eol}`).join("");
const FULL = [chunk("Hello", { usage: null }), chunk(" world", { usage: null }), USAGE_CHUNK, "[DONE]"];

interface Upstream {
  stream: ReadableStream<Uint8Array>;
  cancelled: () => unknown;
}

/** An upstream body that yields `pieces` then closes, or errors with `failWith` after them. */
function upstream(pieces: (string | Uint8Array)[], failWith?: Error): Upstream {
  let i = 0;
  let cancelReason: unknown = null;
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      if (i < pieces.length) {
        const p = pieces[i++] as string | Uint8Array;
        c.enqueue(typeof p === "string" ? enc.encode(p) : p);
      } else if (failWith) c.error(failWith);
      else c.close();
    },
    cancel(reason) {
      cancelReason = reason ?? "cancelled";
    },
  });
  return { stream, cancelled: () => cancelReason };
}

function tap(up: Upstream, opts: Partial<Omit<TapOptions, "onDone">> = {}) {
  const aborts: string[] = [];
  let outcome: StreamOutcome | null = null;
  const out = tapOpenAIStream(up.stream, {
    hideUsageChunk: opts.hideUsageChunk ?? false,
    abortUpstream: opts.abortUpstream ?? ((r) => aborts.push(r)),
    onDone: (o) => (outcome = o),
  });
  return { out, aborts, outcome: () => outcome };
}

/** Reads the tapped stream to its end, returning each piece the client received. */
async function readAll(stream: ReadableStream<Uint8Array>): Promise<string[]> {
  const pieces: string[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return pieces;
    pieces.push(dec.decode(value));
  }
}

/** Cuts a string into pieces of `size` characters. */
const cut = (s: string, size: number) =>
  Array.from({ length: Math.ceil(s.length / size) }, (_, i) => s.slice(i * size, (i + 1) * size));

const FAILURE_FRAME = /^event: error\ndata: (\{.*\})\n\n$/;

function terminalFrame(text: string): { type: string; code: string; message: string } {
  const frames = text.split("\n\n").filter((f) => f.startsWith("event: error"));
  expect(frames).toHaveLength(1);
  expect(text.endsWith(`${frames[0]}\n\n`)).toBe(true);
  const m = FAILURE_FRAME.exec(`${frames[0]}\n\n`);
  expect(m).not.toBeNull();
  return (JSON.parse(m?.[1] as string) as { error: { type: string; code: string; message: string } }).error;
}

describe("a healthy stream", () => {
  it("forwards every byte and captures usage when the client asked for it", async () => {
    const t = tap(upstream([sse(FULL)]));
    expect((await readAll(t.out)).join("")).toBe(sse(FULL));
    expect(t.outcome()).toEqual({ chunks: 3, usage: CAPTURED, completed: true, cancelled: false, failure: null });
  });

  it("drops only the usage-only chunk when the gateway asked for usage on the client's behalf", async () => {
    const t = tap(upstream([sse(FULL)]), { hideUsageChunk: true });
    expect((await readAll(t.out)).join("")).toBe(sse([FULL[0] as string, FULL[1] as string, "[DONE]"]));
    expect(t.outcome()).toMatchObject({ usage: CAPTURED, completed: true, failure: null });
  });

  it("keeps a content chunk that also carries usage, even when hiding the usage chunk", async () => {
    const both = chunk("!", { usage: USAGE });
    const t = tap(upstream([sse([both, "[DONE]"])]), { hideUsageChunk: true });
    expect((await readAll(t.out)).join("")).toBe(sse([both, "[DONE]"]));
    expect(t.outcome()?.usage).toEqual(CAPTURED);
  });

  it("reports no usage when the provider sent none", async () => {
    const t = tap(upstream([sse([chunk("a"), "[DONE]"])]));
    await readAll(t.out);
    expect(t.outcome()).toMatchObject({ chunks: 1, usage: null, completed: true });
  });

  it("forwards a data line that is not JSON as it is", async () => {
    const odd = 'not json but has "usage": {';
    const t = tap(upstream([sse([odd, "[DONE]"])]), { hideUsageChunk: true });
    expect((await readAll(t.out)).join("")).toBe(sse([odd, "[DONE]"]));
  });

  it("hands the client whole events only, however the provider cut them", async () => {
    const body = sse(FULL);
    const t = tap(upstream(cut(body, 7)));
    const pieces = await readAll(t.out);
    expect(pieces.join("")).toBe(body);
    for (const p of pieces) expect(p.endsWith("\n\n"), JSON.stringify(p)).toBe(true);
    expect(t.outcome()?.completed).toBe(true);
  });

  it("passes comments and named events through", async () => {
    const body = `: ping\n\nevent: note\ndata: {"x":1}\n\n${sse(["[DONE]"])}`;
    const t = tap(upstream([body]));
    expect((await readAll(t.out)).join("")).toBe(body);
  });
});

describe.each([
  ["\\r\\n", "\r\n"],
  ["\\r", "\r"],
])("a stream with %s line endings", (_, eol) => {
  const body = sse(FULL, eol);
  const hidden = sse([FULL[0] as string, FULL[1] as string, "[DONE]"], eol);

  it("hides the usage chunk and forwards [DONE], wherever the stream is cut", async () => {
    for (let i = 1; i < body.length; i++) {
      const t = tap(upstream([body.slice(0, i), body.slice(i)]), { hideUsageChunk: true });
      const text = (await readAll(t.out)).join("");
      expect(parseSse(text), `cut at ${i}`).toEqual(parseSse(hidden));
      expect(t.outcome(), `cut at ${i}`).toMatchObject({ usage: CAPTURED, completed: true, failure: null });
    }
  });

  it("forwards every byte when nothing is hidden", async () => {
    const t = tap(upstream(cut(body, 5)));
    expect((await readAll(t.out)).join("")).toBe(body);
    expect(t.outcome()?.completed).toBe(true);
  });
});

describe("a stream that fails", () => {
  const partial = sse([chunk("one"), chunk("two"), chunk("three")]);

  it("appends exactly one terminal error frame when the connection breaks", async () => {
    const t = tap(upstream(cut(partial, 9), new Error("connection reset")));
    const text = (await readAll(t.out)).join("");
    expect(text.startsWith(partial)).toBe(true);
    const error = terminalFrame(text.slice(partial.length));
    expect(error).toMatchObject({ type: "provider_error", code: "upstream_mid_stream_failure" });
    expect(error.message).toContain("3 chunks");
    expect(error.message).toContain("connection reset");
    expect(error.message).toMatch(/retry/i);
    expect(t.outcome()).toMatchObject({ chunks: 3, completed: false, cancelled: false });
    expect(t.outcome()?.failure).toContain("connection reset");
  });

  it("appends the frame when the provider ends the stream without [DONE]", async () => {
    const t = tap(upstream([partial]));
    const text = (await readAll(t.out)).join("");
    expect(text.startsWith(partial)).toBe(true);
    const error = terminalFrame(text.slice(partial.length));
    expect(error.code).toBe("upstream_mid_stream_failure");
    expect(error.message).toContain("without finishing");
    expect(t.outcome()?.failure).toContain("without finishing");
  });

  it("drops a half-sent event instead of forwarding it before the frame", async () => {
    const t = tap(upstream([partial, 'data: {"id":"c1","choi']));
    const text = (await readAll(t.out)).join("");
    expect(text.slice(0, partial.length)).toBe(partial);
    expect(text.slice(partial.length)).toMatch(FAILURE_FRAME);
  });

  it("sends the frame even when nothing was streamed yet", async () => {
    const t = tap(upstream([], new Error("refused")));
    const text = (await readAll(t.out)).join("");
    expect(text).toMatch(FAILURE_FRAME);
    expect(terminalFrame(text).message).toContain("0 chunks");
  });

  it("treats nothing after [DONE] as a failure", async () => {
    const done = sse([chunk("a"), "[DONE]"]);
    const t = tap(upstream([done], new Error("socket closed after the end")));
    expect((await readAll(t.out)).join("")).toBe(done);
    expect(t.outcome()).toMatchObject({ completed: true, failure: null });
  });

  it("forwards what follows [DONE] without adding a frame when the stream then closes", async () => {
    const done = `${sse(["[DONE]"])}: trailing comment\n\n`;
    const t = tap(upstream([done]));
    expect((await readAll(t.out)).join("")).toBe(done);
    expect(t.outcome()?.failure).toBeNull();
  });
});

describe("the client going away", () => {
  it("aborts the upstream request and cancels its body", async () => {
    const up = upstream([sse([chunk("one")]), sse([chunk("two")]), sse(["[DONE]"])]);
    const t = tap(up);
    const reader = t.out.getReader();
    const first = await reader.read();
    expect(dec.decode(first.value)).toBe(sse([chunk("one")]));
    await reader.cancel("client gone");
    expect(t.aborts).toEqual(["client disconnected"]);
    expect(up.cancelled()).toBe("client gone");
    expect(t.outcome()).toMatchObject({ cancelled: true, completed: false, failure: "the client disconnected" });
  });

  it("calls onDone once", async () => {
    let calls = 0;
    const out = tapOpenAIStream(upstream([sse(FULL)]).stream, {
      hideUsageChunk: false,
      abortUpstream: () => undefined,
      onDone: () => calls++,
    });
    await readAll(out);
    expect(calls).toBe(1);
  });
});
