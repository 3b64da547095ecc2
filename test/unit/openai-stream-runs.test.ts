import { describe, expect, it } from "vitest";
import { tapOpenAIStream, type StreamOutcome } from "../../src/sse/openai-stream";

/**
 * The SSE tap handles the complete events of one upstream chunk as a run: one piece to the client
 * per chunk when nothing is dropped, and an exact fallback (counters undone, events re-parsed one by
 * one) when the run holds the usage-only chunk the client must not see.
 */

const enc = new TextEncoder();
const dec = new TextDecoder();

const content = (text: string) =>
  `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", choices: [{ index: 0, delta: { content: text } }] })}`;
const USAGE_ONLY = `data: ${JSON.stringify({
  id: "c1",
  object: "chat.completion.chunk",
  choices: [],
  usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 },
})}`;
const DONE = "data: [DONE]";
const events = (lines: string[], eol = "\n") => lines.map((l) => `${l}${eol}${eol}`).join("");

/** Runs `chunks` through the tap; resolves with the pieces the client read and the outcome. */
async function run(chunks: string[], hideUsageChunk: boolean): Promise<{ pieces: string[]; outcome: StreamOutcome }> {
  let i = 0;
  const upstream = new ReadableStream<Uint8Array>({
    pull(c) {
      if (i < chunks.length) c.enqueue(enc.encode(chunks[i++]));
      else c.close();
    },
  });
  let outcome: StreamOutcome | null = null;
  const out = tapOpenAIStream(upstream, {
    hideUsageChunk,
    abortUpstream: () => undefined,
    onDone: (o) => (outcome = o),
  });
  const pieces: string[] = [];
  const reader = out.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    pieces.push(dec.decode(value));
  }
  if (!outcome) throw new Error("onDone was not called");
  return { pieces, outcome };
}

describe("the events of one upstream chunk", () => {
  it("reach the client as one piece when none is dropped", async () => {
    const body = events([content("a"), content("b"), USAGE_ONLY, DONE]);
    const { pieces, outcome } = await run([body], false);
    expect(pieces).toEqual([body]);
    expect(outcome).toMatchObject({ chunks: 3, completed: true, failure: null });
    expect(outcome.usage).toMatchObject({ inputTokens: 5, outputTokens: 3 });
  });

  it("leave out only the usage-only chunk, counted once, the events around it as runs", async () => {
    const { pieces, outcome } = await run([events([content("a"), content("b"), USAGE_ONLY, content("c"), DONE])], true);
    expect(pieces).toEqual([events([content("a"), content("b")]), events([content("c"), DONE])]);
    expect(outcome).toMatchObject({ chunks: 4, completed: true, failure: null });
    expect(outcome.usage).toMatchObject({ inputTokens: 5, outputTokens: 3 });
  });

  it("go out as a run while a trailing half event waits for the next chunk", async () => {
    const body = events([content("a"), content("b"), content("c"), DONE]);
    const cut = body.indexOf("data:", body.indexOf("data:", body.indexOf("data:") + 1) + 1) + 9;
    const { pieces, outcome } = await run([body.slice(0, cut), body.slice(cut)], false);
    expect(pieces).toEqual([events([content("a"), content("b")]), body.slice(body.indexOf(content("c")))]);
    expect(outcome).toMatchObject({ chunks: 3, completed: true, failure: null });
  });

  it.each([
    ["\\r", "\r"],
    ["\\r\\n", "\r\n"],
  ])("are parsed alike as a run and one by one with %s line endings", async (_, eol) => {
    const body = events([content("a"), USAGE_ONLY, DONE], eol);
    const shown = await run([body], false);
    const hidden = await run([body], true);
    expect(shown.pieces).toEqual([body]);
    expect(hidden.pieces.join("")).toBe(events([content("a"), DONE], eol));
    for (const { outcome } of [shown, hidden]) {
      expect(outcome).toMatchObject({ chunks: 2, completed: true, failure: null });
      expect(outcome.usage).toMatchObject({ inputTokens: 5 });
    }
  });
});
