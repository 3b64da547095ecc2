// `faregate`: parse the command line, send one admin API request, print the answer; every failure
// becomes a message on stderr and an exit code (0 ok, 1 API or network failure, 2 usage, 130 Ctrl-C).
import { callAdminApi } from "./admin-client.mjs";
import { parseCommandLine } from "./command-line.mjs";
import { RESOURCES } from "./commands.mjs";
import { ApiError, EXIT, Interrupted, NetworkError, UsageError } from "./errors.mjs";
import { renderResult } from "./output.mjs";
import { readProviderKey } from "./secret-input.mjs";

/**
 * @typedef {{ write(text: string): unknown }} Output
 * @typedef {{ env: Record<string, string | undefined>, stdin: NodeJS.ReadableStream & { isTTY?: boolean }, stdout: Output, stderr: Output, fetch: typeof fetch }} CliIo
 */

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * Every occurrence of a known secret replaced, so no error message can carry one to the terminal.
 * @param {string} text
 * @param {string[]} secrets
 * @returns {string}
 */
export function redact(text, secrets) {
  return secrets.filter((s) => s.length >= 4).reduce((out, secret) => out.split(secret).join("[redacted]"), text);
}

/**
 * The lines printed for a failure, and the exit code.
 * @param {unknown} err
 * @returns {{ text: string, code: number }}
 */
export function describeFailure(err) {
  if (err instanceof UsageError) {
    return { text: `faregate: ${err.message}\n${err.usage ? `\n${err.usage}\n` : ""}`, code: EXIT.usage };
  }
  if (err instanceof ApiError) {
    const kind = [err.type, err.code].filter(Boolean).join("/");
    const details = [`HTTP ${err.status}`, kind, err.param ? `param ${err.param}` : ""].filter(Boolean).join(", ");
    return { text: `faregate: ${err.message}\n  (${details})\n`, code: EXIT.failed };
  }
  if (err instanceof NetworkError) return { text: `faregate: ${err.message}\n`, code: EXIT.failed };
  if (err instanceof Interrupted) return { text: "", code: EXIT.interrupted };
  const message = err instanceof Error ? err.message : String(err);
  return { text: `faregate: unexpected failure: ${message}\n`, code: EXIT.failed };
}

/**
 * @param {string} baseUrl
 * @param {Output} stderr
 */
function warnOnPlainHttp(baseUrl, stderr) {
  const url = new URL(baseUrl);
  if (url.protocol === "http:" && !LOOPBACK_HOSTS.has(url.hostname)) {
    stderr.write(`faregate: warning: the admin token goes to ${url.host} over plain HTTP; use https://\n`);
  }
}

/**
 * Runs one `faregate` command line.
 * @param {string[]} argv the arguments after the program name
 * @param {CliIo} io
 * @returns {Promise<number>} the exit code
 */
export async function run(argv, io) {
  /** @type {string[]} */
  const secrets = [];
  try {
    const invocation = parseCommandLine(argv, io.env);
    if (invocation.kind === "help") {
      io.stdout.write(`${invocation.text}\n`);
      return EXIT.ok;
    }
    const { command, args, values, format, baseUrl, adminToken } = invocation;
    secrets.push(adminToken);
    const request = await command.request({
      args,
      values,
      readProviderKey: async () => {
        const key = await readProviderKey(io.stdin, io.stderr);
        secrets.push(key);
        return key;
      },
    });
    warnOnPlainHttp(baseUrl, io.stderr);
    const result = await callAdminApi({ baseUrl, adminToken, fetch: io.fetch }, request);
    const rendered = renderResult(
      { resource: RESOURCES[invocation.resourceName], output: command.output, format, target: Object.values(args)[0] },
      result,
    );
    io.stdout.write(rendered.stdout);
    if (rendered.stderr) io.stderr.write(rendered.stderr);
    return EXIT.ok;
  } catch (err) {
    const failure = describeFailure(err);
    if (failure.text) io.stderr.write(redact(failure.text, secrets));
    return failure.code;
  }
}
