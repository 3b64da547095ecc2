// Running the project's own wrangler (node_modules/.bin) with a predictable environment: the pinned
// Node first on PATH, no telemetry, and no process environment leaking into the Worker's bindings.
import { execFile } from "node:child_process";
import path from "node:path";
import { isEnvFileSafe, writePrivateEnvFile } from "./env-file.mjs";
import { BIN_DIR, ROOT, WRANGLER_BIN } from "./paths.mjs";

/**
 * The environment for a wrangler child process.
 * @param {Record<string, string>} [extra] variables to add or override
 * @returns {NodeJS.ProcessEnv}
 */
export function wranglerEnv(extra = {}) {
  return {
    ...process.env,
    PATH: `${BIN_DIR}${path.delimiter}${process.env.PATH ?? ""}`,
    WRANGLER_SEND_METRICS: "false",
    CLOUDFLARE_INCLUDE_PROCESS_ENV: "false",
    ...extra,
  };
}

/**
 * Runs `wrangler <args>` to completion from the repository root and resolves with its output;
 * rejects with an error that carries the command and the tail of its output.
 * @param {string[]} args
 * @param {{ timeoutMs?: number }} [options]
 * @returns {Promise<{ stdout: string, stderr: string }>}
 */
export function runWrangler(args, { timeoutMs = 120_000 } = {}) {
  return new Promise((resolve, reject) => {
    execFile(
      WRANGLER_BIN,
      args,
      { cwd: ROOT, env: wranglerEnv(), timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (!err) return resolve({ stdout, stderr });
        const tail = `${stdout}\n${stderr}`.trim().split("\n").slice(-40).join("\n");
        reject(new Error(`wrangler ${args.join(" ")} failed (${err.code ?? err.signal ?? err.message}):\n${tail}`));
      },
    );
  });
}

/**
 * `wrangler dev` arguments that hand `vars` to the Worker: a private temporary env file
 * (`--env-file`, removed by `remove()`), plus `--var` for any value an env file cannot carry
 * verbatim. Secrets thus stay off the command line whenever possible.
 * @param {Record<string, string>} vars
 * @returns {Promise<{ args: string[], remove(): Promise<void> }>}
 */
export async function wranglerVarArgs(vars) {
  const inFile = Object.fromEntries(Object.entries(vars).filter(([, v]) => isEnvFileSafe(v)));
  const onCommandLine = Object.entries(vars).filter(([, v]) => !isEnvFileSafe(v));
  const envFile = await writePrivateEnvFile(inFile);
  return {
    args: ["--env-file", envFile.file, ...onCommandLine.flatMap(([name, value]) => ["--var", `${name}:${value}`])],
    remove: envFile.remove,
  };
}
