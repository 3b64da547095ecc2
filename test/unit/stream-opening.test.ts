import { describe, expect, it } from "vitest";
import { anthropicOpening, readOpening } from "../../src/sse/stream-opening";

/** src/sse/stream-opening.ts: what an Anthropic stream says before its first content, and the replay. */

const encoder = new TextEncoder();
const ev = (type: string, data: object = {}) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
const START = ev("message_start", { message: { id: "msg_1", content: [], usage: { input_tokens: 3 } } });
const BLOCK = ev("content_block_start", { index: 0, content_block: { type: "text", text: "" } });
const OVERLOADED = ev("error", { error: { type: "overloaded_error", message: "Overloaded" } });

/** A body delivering `pieces` as they are, then closing (or failing with `fail`). */
function body(pieces: string[], fail?: Error): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
  let i = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const piece = pieces[i];
      if (piece !== undefined) {
        i++;
        controller.enqueue(encoder.encode(piece));
      } else if (fail) controller.error(fail);
      else controller.close();
    },
  });
  return { stream, pulled: () => i };
}

const text = (stream: ReadableStream<Uint8Array>) => new Response(stream).text();

describe("readOpening with Anthropic's check", () => {
  it("stops at the first content event and replays everything byte for byte", async () => {
    const pieces = [
      START.slice(0, 9),
      START.slice(9),
      ev("ping"),
      BLOCK.slice(0, 20),
      BLOCK.slice(20),
      ev("message_stop"),
    ];
    const upstream = body(pieces);
    const opened = await readOpening(upstream.stream, anthropicOpening);
    expect(opened.kind).toBe("content");
    if (opened.kind === "ended") throw new Error("unreachable");
    expect(await text(opened.body)).toBe(pieces.join(""));
  });

  it.each([
    ["as the first event", [OVERLOADED]],
    ["after message_start and ping", [START, ev("ping"), OVERLOADED]],
  ])("reports an error event %s, with its data and summary", async (_, pieces) => {
    const opened = await readOpening(body(pieces).stream, anthropicOpening);
    expect(opened).toMatchObject({
      kind: "error",
      error: { type: "error", error: { type: "overloaded_error" } },
      summary: "overloaded_error: Overloaded",
    });
  });

  it("an error event after content is content: the stream goes on as it is", async () => {
    const opened = await readOpening(body([START, BLOCK, OVERLOADED]).stream, anthropicOpening);
    expect(opened.kind).toBe("content");
  });

  it("a stream that closes before any content has ended", async () => {
    expect(await readOpening(body([START, ev("ping")]).stream, anthropicOpening)).toEqual({ kind: "ended" });
  });

  it("a stream that breaks before any content rejects", async () => {
    await expect(readOpening(body([START], new Error("reset")).stream, anthropicOpening)).rejects.toThrow("reset");
  });

  it("holds at most 16 opening events, then hands the stream on", async () => {
    const pings = Array.from({ length: 40 }, () => ev("ping"));
    const upstream = body(pings);
    const opened = await readOpening(upstream.stream, anthropicOpening);
    expect(opened.kind).toBe("content");
    expect(upstream.pulled()).toBeLessThan(20); // 16, plus what the runtime may pull ahead
    if (opened.kind === "ended") throw new Error("unreachable");
    expect(await text(opened.body)).toBe(pings.join(""));
  });

  it("a break after the opening reaches whoever reads the replay", async () => {
    const opened = await readOpening(body([START, BLOCK], new Error("reset")).stream, anthropicOpening);
    if (opened.kind === "ended") throw new Error("unreachable");
    await expect(text(opened.body)).rejects.toThrow("reset");
  });
});
