/**
 * The benchmark's local runtime, run as a child process of bench/run.mjs (see runtime.mjs): ONE
 * Miniflare instance, hence one workerd process, holding every Worker of the benchmark, each on a
 * socket of its own that leads straight to the Worker (no dev proxy, no entry worker, no inspector).
 *
 * It lives in its own process so that the Node side of the runtime (Miniflare, and the parsing of
 * workerd's structured log lines from its stdout) is measured apart from the load generator. Worker
 * logs are counted, not printed; the first few, and every warning or error, go to this process's
 * stderr, which the parent writes to the run's log file.
 *
 * Protocol (IPC messages): parent → { type: "start", spec } · host → { type: "ready", urls } or
 * { type: "failed", error } · parent → { type: "logs" } · host → { type: "logs", counts } ·
 * parent → { type: "stop" }, after which the host disposes of the runtime and exits.
 */
import path from "node:path";
import { importFromWrangler } from "./toolchain.mjs";

/**
 * @typedef {{ name: string, config: string, bundle: string, vars?: Record<string, string>, port?: number, persistent?: boolean }} WorkerSpec
 * @typedef {{ persistDir: string, workers: WorkerSpec[], inspectorPort?: number }} RuntimeSpec  inspectorPort only for profiling; a benchmark run leaves it unset
 */

const SAMPLE_LINES = 20;
const counts = { total: 0, byLevel: /** @type {Record<string, number>} */ ({}) };

function countLog(log) {
  counts.total++;
  counts.byLevel[log.level] = (counts.byLevel[log.level] ?? 0) + 1;
  if (counts.total <= SAMPLE_LINES || log.level === "error" || log.level === "warn")
    process.stderr.write(`[workerd ${log.level}] ${log.message}\n`);
}

/**
 * Miniflare options for one Worker: its bindings as wrangler derives them from its config (D1, KV,
 * Durable Objects, …), its [vars] plus `vars`, and its production bundle as the code.
 */
function workerOptions(wrangler, spec) {
  const config = wrangler.unstable_readConfig({ config: spec.config });
  const { workerOptions: fromConfig } = wrangler.unstable_getMiniflareWorkerOptions(config);
  // Crons are not benchmarked (wrangler dev does not fire them either); the bundle is one module, so
  // no module rules; and the plain bindings are rebuilt from the config's own [vars], so no .dev.vars
  // lying next to a config can leak in.
  const { cronTriggers: _crons, modulesRules: _rules, bindings: _vars, ...rest } = fromConfig;
  return {
    ...rest,
    name: spec.name,
    rootPath: path.dirname(spec.bundle),
    modules: true,
    modulesRoot: path.dirname(spec.bundle),
    scriptPath: spec.bundle,
    bindings: { ...config.vars, ...spec.vars },
    unsafeDirectSockets: [{ host: "127.0.0.1", port: spec.port ?? 0 }],
  };
}

/** @param {RuntimeSpec} spec */
async function start(spec) {
  const wrangler = await importFromWrangler("wrangler");
  const { Miniflare, Log, LogLevel, convertV4MiniflareOptions } = await importFromWrangler("miniflare");
  const options = convertV4MiniflareOptions({
    host: "127.0.0.1",
    port: 0,
    log: new Log(LogLevel.WARN),
    handleStructuredLogs: countLog,
    logRequests: false,
    ...(spec.inspectorPort ? { inspectorPort: spec.inspectorPort } : {}),
    cf: false,
    telemetry: { enabled: false },
    // Same layout as `wrangler dev --persist-to DIR` and `wrangler d1 execute --local --persist-to DIR`.
    resourcePersistencePath: path.join(spec.persistDir, "v3"),
    workers: spec.workers.map((w) => workerOptions(wrangler, w)),
  });
  // No cross-process discovery: other engineers' `wrangler dev` sessions must not see these Workers.
  options.enableDevRegistry = false;
  const mf = new Miniflare(options);
  await mf.ready;
  const urls = {};
  for (const w of spec.workers) urls[w.name] = (await mf.unsafeGetDirectURL(w.name)).href.replace(/\/$/, "");
  return { mf, urls };
}

let running = null;
let stopping = false;

async function stop(code) {
  if (stopping) return;
  stopping = true;
  try {
    await running?.mf.dispose();
  } finally {
    process.exit(code);
  }
}

process.on("message", async (msg) => {
  if (msg?.type === "start") {
    try {
      running = await start(msg.spec);
      process.send?.({ type: "ready", urls: running.urls });
    } catch (err) {
      process.send?.({ type: "failed", error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
      await stop(1);
    }
  } else if (msg?.type === "logs") {
    process.send?.({ type: "logs", counts: structuredClone(counts) });
  } else if (msg?.type === "stop") {
    await stop(0);
  }
});
// The parent went away without saying stop: do not leave workerd behind.
process.on("disconnect", () => void stop(0));
process.on("SIGTERM", () => void stop(0));
process.on("SIGINT", () => void stop(0));
