import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { afterAll, expect } from "vitest";
import { ROOT } from "../../../scripts/lib/paths.mjs";
import type { Stack } from "./stack";

/**
 * The `faregate` CLI as an operator runs it: a child process of bin/faregate.mjs with FAREGATE_URL
 * and FAREGATE_ADMIN_TOKEN pointing at the stack's gateway. Registers an afterAll that kills any
 * command still running.
 */

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  stdin?: string;
  /** Variables over the defaults (FAREGATE_URL, FAREGATE_ADMIN_TOKEN, PATH). */
  env?: Record<string, string>;
}

export interface Cli {
  /** Runs `faregate <args>` to its end (killed after 30 s). */
  faregate(args: string[], options?: CliOptions): Promise<CliResult>;
  /** `faregate … --format json`, expecting success (nothing on stderr but a secret's notice), parsed. */
  faregateJson<T>(args: string[], options?: CliOptions): Promise<T>;
}

const BIN = path.join(ROOT, "bin", "faregate.mjs");
const CLI_TIMEOUT_MS = 30_000;

export function useCli(stack: Stack): Cli {
  const children = new Set<ChildProcess>();
  afterAll(() => {
    for (const child of children) child.kill("SIGKILL");
  });

  const faregate = (args: string[], options: CliOptions = {}): Promise<CliResult> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? "",
          FAREGATE_URL: stack.gatewayUrl(),
          FAREGATE_ADMIN_TOKEN: stack.adminToken(),
          ...options.env,
        },
        stdio: ["pipe", "pipe", "pipe"],
      });
      children.add(child);
      let stdout = "";
      let stderr = "";
      child.stdout?.on("data", (b: Buffer) => (stdout += b.toString()));
      child.stderr?.on("data", (b: Buffer) => (stderr += b.toString()));
      const timer = setTimeout(() => child.kill("SIGKILL"), CLI_TIMEOUT_MS);
      child.on("error", reject);
      child.on("close", (code) => {
        clearTimeout(timer);
        children.delete(child);
        resolve({ code, stdout, stderr });
      });
      child.stdin?.end(options.stdin ?? "");
    });

  const faregateJson = async <T>(args: string[], options: CliOptions = {}): Promise<T> => {
    const result = await faregate([...args, "--format", "json"], options);
    expect(result.stderr.replace(/^Store this secret now.*\n/m, "")).toBe("");
    expect(result.code).toBe(0);
    return JSON.parse(result.stdout) as T;
  };

  return { faregate, faregateJson };
}
