#!/usr/bin/env node
// The `faregate` command: manages a Faregate gateway through its admin API. See docs/cli.md.
import { run } from "../cli/main.mjs";

// `faregate ... | head` closes stdout early; that is not an error worth a stack trace.
process.stdout.on("error", (/** @type {NodeJS.ErrnoException} */ err) => {
  if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw err;
});

process.exitCode = await run(process.argv.slice(2), {
  env: process.env,
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  fetch: globalThis.fetch,
});
