import { PassThrough, Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { Interrupted, UsageError } from "../../cli/errors.mjs";
import { MAX_KEY_BYTES, readProviderKey } from "../../cli/secret-input.mjs";

/** `--api-key-stdin`: the provider key from a pipe, or typed at a terminal without echo. */

function collector() {
  let text = "";
  return { write: (t: string) => (text += t), text: () => text };
}

/** A stand-in terminal: a stream that says it is a TTY and records raw-mode switches. */
function fakeTerminal() {
  const stream = new PassThrough() as PassThrough & { isTTY: boolean; setRawMode: (raw: boolean) => void };
  const rawModes: boolean[] = [];
  stream.isTTY = true;
  stream.setRawMode = (raw: boolean) => void rawModes.push(raw);
  return { stream, rawModes };
}

describe("piped", () => {
  it("reads the key to the end of input, without the surrounding whitespace", async () => {
    const stderr = collector();
    expect(await readProviderKey(Readable.from([Buffer.from("sk-abc"), Buffer.from("def\n")]), stderr)).toBe(
      "sk-abcdef",
    );
    expect(stderr.text()).toBe("");
  });

  it("refuses empty and oversized input", async () => {
    await expect(readProviderKey(Readable.from([Buffer.from(" \n")]), collector())).rejects.toThrow(UsageError);
    const big = Buffer.alloc(MAX_KEY_BYTES + 1, "a");
    await expect(readProviderKey(Readable.from([big]), collector())).rejects.toThrow(/over 16384 bytes/);
  });
});

describe("on a terminal", () => {
  it("prompts on stderr, reads one line in raw mode (no echo), and handles backspace", async () => {
    const { stream, rawModes } = fakeTerminal();
    const stderr = collector();
    const key = readProviderKey(stream, stderr);
    stream.write("sk-abx\u007fc");
    stream.write("\r");
    expect(await key).toBe("sk-abc");
    expect(rawModes).toEqual([true, false]);
    expect(stderr.text()).toBe("Provider API key (input hidden): \n");
  });

  it("stops at Ctrl-C, leaving raw mode", async () => {
    const { stream, rawModes } = fakeTerminal();
    const key = readProviderKey(stream, collector());
    stream.write("sk-\u0003");
    await expect(key).rejects.toThrow(Interrupted);
    expect(rawModes).toEqual([true, false]);
  });
});
