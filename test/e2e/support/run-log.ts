import { afterAll, afterEach } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/**
 * A temporary directory for one test file's local state and process logs. It is deleted after the
 * file's tests when they all passed, and kept (its path printed) when one failed, for diagnosis.
 */
export function tempRunDir(prefix: string): { path: () => string; create: () => Promise<string> } {
  let dir: string | null = null;
  let failed = false;
  afterEach((ctx) => {
    if (ctx.task.result?.state === "fail") failed = true;
  });
  afterAll(async () => {
    if (!dir) return;
    if (failed) console.error(`e2e: a test failed; state and logs kept in ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  });
  return {
    path: () => {
      if (!dir) throw new Error("tempRunDir: create() has not run");
      return dir;
    },
    create: async () => (dir = await mkdtemp(path.join(os.tmpdir(), `faregate-${prefix}-`))),
  };
}
