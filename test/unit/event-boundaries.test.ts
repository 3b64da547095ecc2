import { describe, expect, it } from "vitest";
import { EventBoundaries } from "../../src/sse/event-boundaries";

/** Whole SSE events out of a byte stream cut anywhere, for every line ending SSE allows. */

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Feeds `chunks` in order; returns every event emitted (as text) and the bytes still pending. */
function run(chunks: string[]): { events: string[]; partial: number } {
  const b = new EventBoundaries();
  const events: string[] = [];
  for (const c of chunks) for (const e of b.push(enc.encode(c))) events.push(dec.decode(e));
  return { events, partial: b.partialBytes };
}

/** Three events (a multi-line data event, a named event with a comment, [DONE]) with one line ending. */
function stream(eol: string): string[] {
  return [
    `data: {"a":1}${eol}data: {"b":"é"}${eol}${eol}`,
    `: keep-alive${eol}event: ping${eol}data: x${eol}${eol}`,
    `data: [DONE]${eol}${eol}`,
  ];
}

describe.each([
  ["\\n", "\n"],
  ["\\r\\n", "\r\n"],
  ["\\r", "\r"],
])("line endings %s", (_, eol) => {
  const events = stream(eol);
  const whole = events.join("");

  it("finds each event in one chunk", () => {
    expect(run([whole])).toEqual({ events, partial: 0 });
  });

  it("finds each event when fed byte by byte", () => {
    expect(run([...whole])).toEqual({ events, partial: 0 });
  });

  it("finds the same events wherever the stream is cut in two, or in three", () => {
    for (let i = 0; i <= whole.length; i++) {
      const cutAt = [whole.slice(0, i), whole.slice(i)];
      const got = run(cutAt);
      expect(got.events.join(""), `cut at ${i}`).toBe(whole);
      expect(got.partial, `cut at ${i}`).toBe(0);
      expect(got.events, `cut at ${i}`).toEqual(events);
    }
    for (let i = 0; i < whole.length; i += 3) {
      for (let j = i; j <= whole.length; j += 5) {
        expect(run([whole.slice(0, i), whole.slice(i, j), whole.slice(j)]).events.join(""), `cut at ${i}, ${j}`).toBe(
          whole,
        );
      }
    }
  });
});

describe("a CRLF split across chunks", () => {
  it("does not end an event at a CR whose LF arrives in the next chunk", () => {
    const got = run(["data: a\r", "\ndata: b\r", "\n\r\n"]);
    expect(got).toEqual({ events: ["data: a\r\ndata: b\r\n\r\n"], partial: 0 });
  });

  it("waits for the LF of an event's final CRLF when it arrives in the next chunk", () => {
    const b = new EventBoundaries();
    expect(b.push(enc.encode("data: a\r\n\r"))).toHaveLength(0);
    expect(b.partialBytes).toBe(0);
    const events = b.push(enc.encode("\ndata: b\r\n\r\n"));
    expect(events.map((e) => dec.decode(e))).toEqual(["data: a\r\n\r\n", "data: b\r\n\r\n"]);
  });

  it("hands out an event held for its LF when the stream ends there", () => {
    const b = new EventBoundaries();
    expect(b.push(enc.encode("data: a\r\n\r\ndata: [DONE]\r\n\r")).map((e) => dec.decode(e))).toEqual([
      "data: a\r\n\r\n",
    ]);
    expect(b.flush().map((e) => dec.decode(e))).toEqual(["data: [DONE]\r\n\r"]);
    expect(b.flush()).toHaveLength(0);
    expect(b.partialBytes).toBe(0);
  });

  it("does not hold back events of a CR-only stream (no LF will come)", () => {
    const b = new EventBoundaries();
    expect(b.push(enc.encode("data: a\r\r")).map((e) => dec.decode(e))).toEqual(["data: a\r\r"]);
    expect(b.flush()).toHaveLength(0);
  });

  it("flushes nothing when the stream ends inside an event", () => {
    const b = new EventBoundaries();
    b.push(enc.encode("data: a\r\n"));
    expect(b.flush()).toHaveLength(0);
    expect(b.partialBytes).toBe("data: a\r\n".length);
  });
});

describe("partial tails", () => {
  it("holds back an event that has not ended", () => {
    expect(run(['data: {"a":1}\n\ndata: {"b"'])).toEqual({
      events: ['data: {"a":1}\n\n'],
      partial: 'data: {"b"'.length,
    });
  });

  it("holds back an event whose last line ended but no blank line followed", () => {
    expect(run(["data: x\n"])).toEqual({ events: [], partial: "data: x\n".length });
  });

  it("releases the held event once its blank line arrives", () => {
    const b = new EventBoundaries();
    expect(b.push(enc.encode("data: x\n"))).toHaveLength(0);
    expect(b.push(enc.encode("data: y"))).toHaveLength(0);
    const events = b.push(enc.encode("\n\n"));
    expect(events.map((e) => dec.decode(e))).toEqual(["data: x\ndata: y\n\n"]);
    expect(b.partialBytes).toBe(0);
  });

  it("emits nothing for an empty chunk", () => {
    expect(run(["", "data: x\n\n", ""])).toEqual({ events: ["data: x\n\n"], partial: 0 });
  });

  it("keeps a multi-byte character cut between chunks intact", () => {
    const bytes = enc.encode('data: {"t":"日本"}\n\n');
    const b = new EventBoundaries();
    const out = [...b.push(bytes.slice(0, 14)), ...b.push(bytes.slice(14))];
    expect(out.map((e) => dec.decode(e))).toEqual(['data: {"t":"日本"}\n\n']);
  });
});
