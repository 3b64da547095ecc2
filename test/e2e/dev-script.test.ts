import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
/** How many ports a run may try: a port free a moment ago can be taken before wrangler binds it. */
const PORT_ATTEMPTS = 3;

interface DevRun {
  child: ChildProcess;
  output: () => string;
  /** Settles once the script exited and its output was read (at most 5 s after the exit). */
  exited: Promise<number | null>;
  stop: () => Promise<void>;
}

const run = tempRunDir("e2e-dev");
const running = new Set<DevRun>();

beforeAll(async () => {
  await run.create();
});

afterAll(async () => {
  await Promise.allSettled([...running].map((r) => r.stop()));
});

/**
 * `npm run dev` with its state in `stateDir`, on `port`; the inspector on a port the OS picks, so
 * that no run can collide with another over wrangler's default (9229 and up).
 */
function startDev(stateDir: string, port: number): DevRun {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    FAREGATE_STATE_DIR: stateDir,
    PORT: String(port),
    INSPECTOR_PORT: "0",
  };
  delete env.OPENAI_API_KEY;
  const child = spawn(process.execPath, [path.join(ROOT, "scripts", "bootstrap.mjs"), "scripts/dev.mjs"], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (b: Buffer) => (output += b.toString()));
  child.stderr?.on("data", (b: Buffer) => (output += b.toString()));
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => {
      child.once("close", () => resolve(code));
      setTimeout(() => resolve(code), 5_000).unref();
    });
  });
  const dev: DevRun = {
    child,
    output: () => output,
    exited,
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
    if (dev.child.exitCode !== null) {
      const code = await dev.exited;
      throw new Error(`npm run dev exited with ${code}:\n${dev.output().slice(-4000)}`);
    }
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

/** What a run prints when its port was taken: its own check, or wrangler's if the port went after that. */
const portTaken = (port: number) =>
  new RegExp(`faregate: port ${port} .*already in use|Address already in use \\([^)]*:${port}\\)`);

/**
 * `npm run dev` on a port that was free a moment ago, up and with its key. PORT is that port or
 * nothing (by design), so something may take it before wrangler binds it: only a run that failed
 * saying so is started again, on another port, at most PORT_ATTEMPTS times in all.
 */
async function startDevOnFreePort(stateDir: string): Promise<{ dev: DevRun; port: number; key: string }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const dev = startDev(stateDir, port);
    try {
      return { dev, port, key: await waitForKey(dev, port) };
    } catch (err) {
      await dev.stop();
      if (attempt >= PORT_ATTEMPTS || !portTaken(port).test(dev.output())) throw err;
    }
  }
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
      const stateDir = path.join(run.path(), "state");
      const ownBefore = await ownDevFiles();

      const { dev: first, port: port1, key } = await startDevOnFreePort(stateDir);
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

      const { dev: second, port: port2, key: key2 } = await startDevOnFreePort(stateDir);
      expect(key2).toBe(key);
      expect(await readFile(path.join(stateDir, ".dev.vars"), "utf8")).toBe(devVars);
      expect(await askMock(port2, key)).toContain("Hello from the Faregate mock provider");
      await second.stop();
      expect(await ownDevFiles()).toBe(ownBefore);
    },
    2 * PORT_ATTEMPTS * START_TIMEOUT_MS + 30_000,
  );

  it("refuses a PORT something already listens on, saying so, before it writes or starts anything", async () => {
    const stateDir = path.join(run.path(), "taken-port");
    const holder = net.createServer();
    await new Promise<void>((resolve, reject) => {
      holder.once("error", reject);
      holder.listen(0, "127.0.0.1", resolve);
    });
    try {
      const port = (holder.address() as net.AddressInfo).port;
      const dev = startDev(stateDir, port);
      expect(await dev.exited).toBe(1);
      expect(dev.output()).toContain(`faregate: port ${port} is already in use on localhost`);
      expect(dev.output()).toContain(`PORT=${port + 1} npm run dev`);
      expect(dev.output()).not.toContain("seeding");
      expect(existsSync(stateDir)).toBe(false);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });
});
