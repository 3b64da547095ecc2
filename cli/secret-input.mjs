// Reads a provider key from stdin (`--api-key-stdin`), so it never appears in argv, shell history or
// `ps`: piped input is read to its end; on a terminal the user is prompted and nothing is echoed.
import { Interrupted, UsageError } from "./errors.mjs";

/**
 * @typedef {NodeJS.ReadableStream & { isTTY?: boolean, setRawMode?: (raw: boolean) => void }} KeyInput
 *   process.stdin, a terminal (tty.ReadStream) or a pipe
 * @typedef {NodeJS.ReadableStream & { setRawMode: (raw: boolean) => void }} TerminalInput
 * @typedef {{ write(text: string): unknown }} Output
 */

/** More than any provider key; a larger input is a mistake (a file piped in by accident). */
export const MAX_KEY_BYTES = 16 * 1024;

const CTRL_C = "\u0003";
const CTRL_D = "\u0004";
const BACKSPACES = new Set(["\u007f", "\b"]);

/**
 * The whole of a piped stdin, capped at MAX_KEY_BYTES.
 * @param {NodeJS.ReadableStream} stdin
 * @returns {Promise<string>}
 */
async function readPiped(stdin) {
  /** @type {Buffer[]} */
  const chunks = [];
  let size = 0;
  for await (const chunk of stdin) {
    const buffer = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    size += buffer.length;
    if (size > MAX_KEY_BYTES)
      throw new UsageError(`--api-key-stdin: stdin is over ${MAX_KEY_BYTES} bytes; pipe in only the key`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Whether stdin is a terminal whose echo can be switched off.
 * @param {KeyInput} stdin
 * @returns {stdin is TerminalInput}
 */
const isTerminal = (stdin) => Boolean(stdin.isTTY) && typeof stdin.setRawMode === "function";

/**
 * One line typed at the terminal with echo off (raw mode), ended by Enter or Ctrl-D; Ctrl-C aborts.
 * @param {TerminalInput} stdin
 * @param {Output} stderr
 * @param {string} prompt
 * @returns {Promise<string>}
 */
function readHidden(stdin, stderr, prompt) {
  stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.setEncoding("utf8");
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = "";
    /** @param {() => void} settle */
    const finish = (settle) => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      stderr.write("\n");
      settle();
    };
    /** @param {string} chunk with the encoding set to utf8, data arrives as strings */
    const onData = (chunk) => {
      for (const ch of chunk) {
        if (ch === CTRL_C) return finish(() => reject(new Interrupted()));
        if (ch === "\r" || ch === "\n" || ch === CTRL_D) return finish(() => resolve(value));
        if (BACKSPACES.has(ch)) value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on("data", onData);
  });
}

/**
 * The provider key from stdin, without surrounding whitespace (a trailing newline from `echo` is
 * common; a key never contains whitespace at its ends). An empty key is a usage error.
 * @param {KeyInput} stdin
 * @param {Output} stderr
 * @returns {Promise<string>}
 */
export async function readProviderKey(stdin, stderr) {
  const raw = isTerminal(stdin)
    ? await readHidden(stdin, stderr, "Provider API key (input hidden): ")
    : await readPiped(stdin);
  const key = raw.trim();
  if (key === "")
    throw new UsageError('--api-key-stdin: no key on stdin (pipe it in, e.g. printf %s "$KEY" | faregate ...)');
  return key;
}
