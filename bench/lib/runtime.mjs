/**
 * Starts the benchmark's local runtime (runtime-host.mjs: one Miniflare, one workerd, every Worker on
 * its own socket) in a child Node process, and talks to it over IPC.
 */
import { fork } from "node:child_process";
import { createWriteStream } from "node:fs";
import { stopProcessTree } from "../../scripts/lib/process-tree.mjs";

const HOST = new URL("./runtime-host.mjs", import.meta.url);

/**
 * @param {{ spec: import("./runtime-host.mjs").RuntimeSpec, logFile: string, startTimeoutMs?: number }} options
 * @returns {Promise<{ urls: Record<string, string>, hostPid: number, logCounts(): Promise<{ total: number, byLevel: Record<string, number> }>, stop(): Promise<void> }>}
 */
export async function startRuntime({ spec, logFile, startTimeoutMs = 120_000 }) {
  const log = createWriteStream(logFile, { flags: "a" });
  const child = fork(HOST, [], {
    stdio: ["ignore", "pipe", "pipe", "ipc"],
    // wrangler's helpers must not pick up process.env as Worker variables.
    env: { ...process.env, CLOUDFLARE_INCLUDE_PROCESS_ENV: "false", WRANGLER_SEND_METRICS: "false", FORCE_COLOR: "0" },
  });
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve(signal ?? `code ${code}`)));

  let stopping = null;
  const stop = () => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        if (child.connected) child.send({ type: "stop" });
        const gone = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
        if (!gone && child.pid !== undefined) await stopProcessTree(child.pid);
      }
      await new Promise((r) => log.end(r));
    })();
    return stopping;
  };
  const killOnExit = () => child.kill("SIGKILL");
  process.on("exit", killOnExit);
  void exited.then(() => process.off("exit", killOnExit));

  /** The next IPC message of `type`, or a rejection if the host exits or time runs out. */
  const next = (type, timeoutMs) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => done(() => reject(new Error(`runtime host: no ${type} within ${timeoutMs} ms`))),
        timeoutMs,
      );
      const onMessage = (msg) => {
        if (msg?.type === type) done(() => resolve(msg));
        else if (msg?.type === "failed") done(() => reject(new Error(`runtime host failed to start:\n${msg.error}`)));
      };
      const onExit = (code, signal) =>
        done(() => reject(new Error(`runtime host exited (${signal ?? `code ${code}`}); log: ${logFile}`)));
      const done = (settle) => {
        clearTimeout(timer);
        child.off("message", onMessage);
        child.off("exit", onExit);
        settle();
      };
      child.on("message", onMessage);
      child.once("exit", onExit);
    });

  try {
    const ready = next("ready", startTimeoutMs);
    child.send({ type: "start", spec });
    const { urls } = await ready;
    return {
      urls,
      hostPid: /** @type {number} */ (child.pid),
      logCounts: async () => {
        const reply = next("logs", 10_000);
        child.send({ type: "logs" });
        return (await reply).counts;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
