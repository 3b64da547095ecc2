import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import OpenAI from "openai";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/lib/local-stack.mjs";
import { ROOT } from "../../scripts/lib/paths.mjs";
import { stopProcessTree } from "../../scripts/lib/process-tree.mjs";
import { tempRunDir } from "./support/run-log";

/**
 * `npm run dev` as the README tells people to run it (scripts/bootstrap.mjs scripts/dev.mjs, the
 * package.json command), pointed at a temporary state directory and port so it never touches the
 * developer's own .dev.vars, .faregate-dev.json or .wrangler/state.
 */

const KEY = /lw_vk_(?:live|test)_[0-9A-HJKMNP-TV-Z]{26}/;
const START_TIMEOUT_MS = 150_000;

interface DevRun {
  child: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

const run = tempRunDir("e2e-dev");
const running = new Set<DevRun>();

afterAll(async () => {
  await Promise.allSettled([...running].map((r) => r.stop()));
});

function startDev(stateDir: string, port: number): DevRun {
  const env: NodeJS.ProcessEnv = { ...process.env, FAREGATE_STATE_DIR: stateDir, PORT: String(port) };
  delete env.OPENAI_API_KEY;
  const child = spawn(process.execPath, [path.join(ROOT, "scripts", "bootstrap.mjs"), "scripts/dev.mjs"], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (b: Buffer) => (output += b.toString()));
  child.stderr?.on("data", (b: Buffer) => (output += b.toString()));
  const dev: DevRun = {
    child,
    output: () => output,
    stop: async () => {
      running.delete(dev);
      if (child.exitCode === null && child.signalCode === null && child.pid) await stopProcessTree(child.pid);
    },
  };
  running.add(dev);
  return dev;
}

/** Waits until the dev script printed its key and the gateway answers /healthz on `port`. */
async function waitForKey(dev: DevRun, port: number): Promise<string> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (dev.child.exitCode !== null)
      throw new Error(`npm run dev exited with ${dev.child.exitCode}:\n${dev.output().slice(-4000)}`);
    const key = KEY.exec(dev.output())?.[0];
    if (key) {
      const ok = await fetch(`http://localhost:${port}/healthz`, { signal: AbortSignal.timeout(2_000) }).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return key;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `npm run dev did not come up on port ${port} in ${START_TIMEOUT_MS / 1000} s:\n${dev.output().slice(-4000)}`,
  );
}

/** What the developer's own dev files look like, to prove the test left them alone. */
async function ownDevFiles(): Promise<string> {
  const files = [".dev.vars", ".faregate-dev.json", path.join(".wrangler", "state")];
  const seen = await Promise.all(
    files.map((f) =>
      stat(path.join(ROOT, f)).then(
        (s) => `${f}@${s.mtimeMs}`,
        () => `${f}:absent`,
      ),
    ),
  );
  return seen.join(" ");
}

async function askMock(port: number, apiKey: string): Promise<string | null | undefined> {
  const client = new OpenAI({ baseURL: `http://localhost:${port}/v1`, apiKey, maxRetries: 0 });
  const completion = await client.chat.completions.create({
    model: "mock-echo",
    messages: [{ role: "user", content: "ping" }],
  });
  return completion.choices[0]?.message.content;
}

describe("npm run dev", () => {
  it(
    "seeds a working key, prints it, serves it, and reuses it on the next run",
    async () => {
      const stateDir = await run.create();
      const ownBefore = await ownDevFiles();

      const port1 = await freePort();
      const first = startDev(stateDir, port1);
      const key = await waitForKey(first, port1);
      expect(first.output()).toContain(`baseURL: "http://localhost:${port1}/v1"`);
      expect(first.output()).toContain(`curl http://localhost:${port1}/v1/chat/completions`);
      expect(await askMock(port1, key)).toContain("Hello from the Faregate mock provider. You said: ping");
      const models = await new OpenAI({
        baseURL: `http://localhost:${port1}/v1`,
        apiKey: key,
        maxRetries: 0,
      }).models.list();
      expect(models.data.map((m) => m.id).sort()).toEqual(["fast", "mock-echo", "smart"]);
      await first.stop();

      const devVars = await readFile(path.join(stateDir, ".dev.vars"), "utf8");
      for (const name of [
        "LW_VIRTUAL_KEY_PEPPER",
        "LW_GATEWAY_INTERNAL_SECRET",
        "LW_GATEWAY_JWT_SECRET",
        "LW_GATEWAY_ADMIN_TOKEN",
      ]) {
        expect(devVars).toMatch(new RegExp(`^${name}='[0-9a-f]{48,}'$`, "m"));
      }
      expect(devVars).toMatch(/^ENVIRONMENT='development'$/m);
      expect(JSON.parse(await readFile(path.join(stateDir, ".faregate-dev.json"), "utf8"))).toMatchObject({
        key: { secret: key },
      });
      expect(existsSync(path.join(stateDir, "wrangler-state"))).toBe(true);

      const port2 = await freePort();
      const second = startDev(stateDir, port2);
      expect(await waitForKey(second, port2)).toBe(key);
      expect(await readFile(path.join(stateDir, ".dev.vars"), "utf8")).toBe(devVars);
      expect(await askMock(port2, key)).toContain("Hello from the Faregate mock provider");
      await second.stop();
      expect(await ownDevFiles()).toBe(ownBefore);
    },
    2 * START_TIMEOUT_MS + 30_000,
  );
});
