// A local Faregate stack for the dev script, the end-to-end tests and the benchmark: `wrangler dev`
// processes that start on ports the OS hands them and stop cleanly, and seeded control-plane state
// in local D1.
// Plain Node ESM on the pinned Node 22; wrangler comes from node_modules/.bin.
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { stripVTControlCharacters } from "node:util";
import { generateKeySecret, KEY_PATTERN } from "./ids.mjs";
import { DEFAULT_PERSIST_DIR, fromRoot, GATEWAY_CONFIG, ROOT, WRANGLER_BIN } from "./paths.mjs";
import { killTreeNow, stopProcessTree } from "./process-tree.mjs";
import { seedScript } from "./seed-sql.mjs";
import { runWrangler, wranglerEnv, wranglerVarArgs } from "./wrangler.mjs";

/**
 * @typedef {{ name: string, type: string, base_url?: string | null, api_key_secret?: string | null, models?: string[], settings?: Record<string, unknown> }} ProviderSeed
 * @typedef {{ name: string, environment?: "live" | "test", config: Record<string, unknown>, secret?: string }} KeySeed
 * @typedef {{ url: string, port: number, logFile: string | undefined, stop(): Promise<void> }} RunningWorker
 */

/** @type {(ms: number) => Promise<void>} */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * A TCP port on 127.0.0.1 that was free a moment ago. Only for a port that must be named before its
 * server exists: anything may take it before that server binds it, so that server must cope with
 * EADDRINUSE (startWorker does not need one: it lets the OS choose).
 * @returns {Promise<number>}
 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = /** @type {net.AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

/** Keeps the last `max` lines of a process's output for error messages. */
function outputTail(max = 60) {
  /** @type {string[]} */
  const lines = [];
  let partial = "";
  return {
    /** @param {string} chunk */
    push(chunk) {
      const parts = (partial + chunk).split("\n");
      partial = parts.pop() ?? "";
      lines.push(...parts);
      if (lines.length > max) lines.splice(0, lines.length - max);
    },
    text: () => stripVTControlCharacters([...lines, partial].join("\n")).trim(),
  };
}

/**
 * Calls `onLine` with each complete line of one stream's output, colour codes removed.
 * @param {(line: string) => void} onLine
 */
function lineReader(onLine) {
  let partial = "";
  /** @param {string} chunk */
  return (chunk) => {
    const parts = (partial + chunk).split("\n");
    partial = parts.pop() ?? "";
    for (const line of parts) onLine(stripVTControlCharacters(line));
  };
}

/**
 * `wrangler dev` says where it listens once the worker is up: "Ready on http://127.0.0.1:PORT". A
 * reload says "Updated and ready on …", which this does not match.
 */
const READY_LINE = /\bReady on (https?:\/\/\S+)/;
/** What wrangler (Miniflare) prints, and exits on, when an address it must listen on is taken. */
const ADDRESS_IN_USE = /Address already in use(?: \(([^)\s]+)\))?/;

/**
 * Resolves with the first of `settled` to settle, or with `{ why }` after timeoutMs.
 * @template T
 * @param {Promise<T>[]} settled
 * @param {number} timeoutMs
 * @param {string} why
 * @returns {Promise<T | { why: string }>}
 */
async function firstOf(settled, timeoutMs, why) {
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const timedOut = new Promise((resolve) => (timer = setTimeout(() => resolve({ why }), timeoutMs)));
  try {
    return await Promise.race([...settled, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Resolves once `url` answers HTTP at all (any status); rejects if `exited` settles first or time runs out.
 * @param {string} url
 * @param {Promise<string>} exited
 * @param {number} timeoutMs
 */
async function waitForHttp(url, exited, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  /** @type {string | null} */
  let gone = null;
  void exited.then((why) => (gone = why));
  while (Date.now() < deadline) {
    if (gone) throw new Error(gone);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.body?.cancel();
      return;
    } catch {
      await sleep(200);
    }
  }
  throw new Error(`no HTTP answer from ${url} within ${Math.round(timeoutMs / 1000)} s`);
}

/**
 * Starts `wrangler dev` for the given wrangler config on 127.0.0.1, with local state in persistDir
 * (when given) and extra vars, and resolves once the worker answers HTTP. `stop()` kills the whole
 * process tree and resolves when it is gone. Output goes to logFile (when given); on start-up
 * failure the promise rejects with the tail of that output.
 *
 * Without `port`, the OS picks the port (wrangler is given port 0 and says which one it got): no
 * other process can take it between choosing and binding, so a start never fails on a port
 * collision. With `port`, that port or nothing: when it is taken the promise rejects with an error
 * whose `code` is "EADDRINUSE" and that names the address. The inspector always gets a port the OS
 * picks (nothing here uses it).
 *
 * `config` is a path relative to the repository root (or absolute). `vars` are written to a private
 * temporary env file passed with `--env-file` (values an env file cannot carry verbatim go with
 * `--var`); the worker sees only its config's [vars] and these, never a `.dev.vars`/`.env` lying
 * next to the config.
 *
 * @param {{ config: string, port?: number, persistDir?: string, vars?: Record<string, string>, logFile?: string, startTimeoutMs?: number }} options
 * @returns {Promise<RunningWorker>}
 */
export async function startWorker({ config, port, persistDir, vars = {}, logFile, startTimeoutMs = 120_000 }) {
  const deadline = Date.now() + startTimeoutMs;
  const varArgs = await wranglerVarArgs(vars);
  const args = [
    "dev",
    "--config",
    fromRoot(config),
    "--ip",
    "127.0.0.1",
    "--port",
    String(port ?? 0),
    "--inspector-port",
    "0",
    "--show-interactive-dev-session=false",
    ...(persistDir ? ["--persist-to", fromRoot(persistDir)] : []),
    ...varArgs.args,
  ];
  if (logFile) await mkdir(path.dirname(fromRoot(logFile)), { recursive: true });
  const log = logFile ? createWriteStream(fromRoot(logFile), { flags: "a" }) : null;
  const tail = outputTail();
  /** @type {(address: URL) => void} */
  let announce = () => undefined;
  /** @type {Promise<URL>} */
  const announced = new Promise((resolve) => (announce = resolve));
  // The "Ready on" line is info: a WRANGLER_LOG that hides info (warn, error, none) would hide it.
  const level = process.env.WRANGLER_LOG?.toLowerCase() ?? "log";
  const child = spawn(WRANGLER_BIN, args, {
    cwd: ROOT,
    env: wranglerEnv({ FORCE_COLOR: "0", WRANGLER_LOG: ["info", "log", "debug"].includes(level) ? level : "log" }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const pid = child.pid;
  // A child that has exited is never signalled: its pid may already belong to another process (this
  // machine's pid_max is 32768 and a test run starts thousands), whose tree would be killed instead.
  const running = () => pid !== undefined && child.exitCode === null && child.signalCode === null;
  const killOnExit = () => running() && pid !== undefined && killTreeNow(pid);
  process.on("exit", killOnExit);
  // Read as the lines arrive, not from the bounded tail: a crash dump after it (esbuild's goroutines,
  // when wrangler exits mid-build) can push the line out of the tail.
  /** @type {RegExpExecArray | null} */
  let inUse = null;
  for (const stream of [child.stdout, child.stderr]) {
    const lines = lineReader((line) => {
      const ready = READY_LINE.exec(line);
      if (ready) announce(new URL(ready[1]));
      inUse ??= ADDRESS_IN_USE.exec(line);
    });
    stream.setEncoding("utf8");
    stream.on("data", (chunk) => {
      tail.push(chunk);
      lines(chunk);
      log?.write(chunk);
    });
  }
  // Settles once its output is read too ("close"), so an error message has wrangler's last words;
  // at most a second after the exit, in case a grandchild still holds the pipes.
  /** @type {Promise<string>} */
  const exited = new Promise((resolve) => {
    child.on("error", (err) => resolve(`could not run wrangler: ${err.message}`));
    child.on("exit", (code, signal) => {
      const why = `wrangler dev exited (${signal ?? `code ${code}`})`;
      child.on("close", () => resolve(why));
      setTimeout(() => resolve(why), 1_000).unref();
    });
  });

  /** @type {Promise<void> | null} */
  let stopping = null;
  const stop = () => {
    stopping ??= (async () => {
      try {
        if (running() && pid !== undefined) await stopProcessTree(pid);
        process.off("exit", killOnExit);
      } finally {
        await varArgs.remove();
        if (log) await new Promise((r) => log.end(r));
      }
    })();
    return stopping;
  };

  const asked = `127.0.0.1:${port ?? 0}`;
  let url = port === undefined ? "127.0.0.1 (a port the OS picks)" : `http://${asked}`;
  try {
    const address = await firstOf(
      /** @type {Promise<URL | { why: string }>[]} */ ([announced, exited.then((why) => ({ why }))]),
      deadline - Date.now(),
      `wrangler dev did not say where it listens ("Ready on …") within ${Math.round(startTimeoutMs / 1000)} s`,
    );
    if (!(address instanceof URL)) throw new Error(address.why);
    url = `http://127.0.0.1:${address.port}`;
    if (port !== undefined && Number(address.port) !== port)
      throw new Error(`wrangler dev listens on ${address.host}, not on the port asked for`);
    await waitForHttp(url, exited, deadline - Date.now());
  } catch (err) {
    await stop().catch(() => undefined);
    const where = logFile ? ` (full log: ${fromRoot(logFile)})` : "";
    const output = tail.text();
    const reason = inUse
      ? `${inUse[1] ?? asked} is already in use (another process listens there)`
      : err instanceof Error
        ? err.message
        : String(err);
    const error = new Error(`${fromRoot(config)} did not start on ${url}: ${reason}${where}\n${output}`);
    throw inUse ? Object.assign(error, { code: "EADDRINUSE", address: inUse[1] ?? asked }) : error;
  }
  return { url, port: Number(new URL(url).port), logFile: logFile ? fromRoot(logFile) : undefined, stop };
}

/**
 * The result rows of the last statement in `wrangler d1 execute --json` output.
 * @param {string} stdout
 * @returns {{ id: string, name: string }[]} the rows of the seed script's final `SELECT id, name`
 */
function lastResultRows(stdout) {
  const start = stdout.search(/^\[/m);
  if (start < 0) throw new Error(`wrangler d1 execute printed no JSON:\n${stdout.slice(-2000)}`);
  const parsed = JSON.parse(stdout.slice(start));
  const last = Array.isArray(parsed) ? parsed[parsed.length - 1] : null;
  if (!last || !Array.isArray(last.results))
    throw new Error(`unexpected wrangler d1 execute output:\n${stdout.slice(-2000)}`);
  return last.results;
}

/**
 * Rejects provider and key seeds the schema would refuse with a less helpful message.
 * @param {ProviderSeed[]} providers
 * @param {KeySeed[]} keys
 */
function checkSeeds(providers, keys) {
  /** @param {unknown} v */
  const nonEmpty = (v) => typeof v === "string" && v !== "";
  for (const p of providers) {
    if (!nonEmpty(p?.name) || !nonEmpty(p?.type))
      throw new Error(`seedLocalGateway: a provider needs a name and a type, got ${JSON.stringify(p)}`);
    if (p.models !== undefined && !(Array.isArray(p.models) && p.models.every(nonEmpty))) {
      throw new Error(`seedLocalGateway: provider ${p.name}: models must be an array of model ids`);
    }
  }
  const names = new Set();
  for (const k of keys) {
    if (!nonEmpty(k?.name)) throw new Error(`seedLocalGateway: a key needs a name, got ${JSON.stringify(k)}`);
    if (names.has(k.name)) throw new Error(`seedLocalGateway: key name ${k.name} is used twice`);
    names.add(k.name);
    if (typeof k.config !== "object" || k.config === null || Array.isArray(k.config)) {
      throw new Error(
        `seedLocalGateway: key ${k.name}: config must be a JSON object (docs/api.md, Virtual key config)`,
      );
    }
  }
}

/**
 * The key seeds with a secret and environment each (a missing secret is generated).
 * @param {KeySeed[]} keys
 */
function completeKeys(keys) {
  return keys.map((k) => {
    if (k.secret !== undefined) {
      const m = KEY_PATTERN.exec(k.secret);
      if (!m) throw new Error(`key ${k.name}: secret does not match lw_vk_(live|test)_<26 Crockford base32>`);
      if (k.environment && k.environment !== m[1])
        throw new Error(`key ${k.name}: environment ${k.environment} but a ${m[1]} secret`);
      return { ...k, environment: m[1], secret: k.secret };
    }
    const environment = k.environment ?? "test";
    return { ...k, environment, secret: generateKeySecret(environment) };
  });
}

/**
 * Prepares local gateway state in persistDir: applies the D1 migrations from migrations/ and
 * upserts a project, the given provider bindings and keys. Idempotent: running it twice is safe, and
 * a key given the same `secret` keeps working (its row is found by project and name, and its hash
 * recomputed with `pepper`, so a new pepper re-keys it). A key without a `secret` gets a fresh one
 * generated in the contract's format, which replaces the key's previous secret.
 * Run it before `startWorker` on the same persistDir (wrangler dev holds the database open).
 * Rows are written to D1 directly, bumping `revision` and `updated_at` only where something changed,
 * so a bundle cache that refreshes from those columns picks the changes up.
 *
 * @param {{ persistDir?: string, pepper: string, project?: string | { name: string }, providers?: ProviderSeed[], keys?: KeySeed[] }} options
 * @returns {Promise<{ keys: { id: string, name: string, secret: string }[] }>}
 */
export async function seedLocalGateway({ persistDir, pepper, project = "development", providers = [], keys = [] }) {
  if (typeof pepper !== "string" || pepper.length < 16) {
    throw new Error("seedLocalGateway: pepper must be at least 16 characters");
  }
  const projectName = typeof project === "string" ? project : project?.name;
  if (typeof projectName !== "string" || projectName === "") throw new Error("seedLocalGateway: project needs a name");
  checkSeeds(providers, keys);
  const persist = ["--persist-to", fromRoot(persistDir ?? DEFAULT_PERSIST_DIR)];
  await runWrangler(["d1", "migrations", "apply", "DB", "--local", "--config", GATEWAY_CONFIG, ...persist]);

  const complete = completeKeys(keys);
  const dir = await mkdtemp(path.join(os.tmpdir(), "faregate-seed-"));
  try {
    const file = path.join(dir, "seed.sql");
    await writeFile(file, seedScript({ projectName, providers, keys: complete, pepper }), { mode: 0o600 });
    const { stdout } = await runWrangler([
      "d1",
      "execute",
      "DB",
      "--local",
      "--config",
      GATEWAY_CONFIG,
      ...persist,
      "--file",
      file,
      "--json",
    ]);
    const ids = new Map(lastResultRows(stdout).map((r) => [r.name, r.id]));
    return {
      keys: complete.map((k) => {
        const id = ids.get(k.name);
        if (!id) throw new Error(`seedLocalGateway: key ${k.name} is not in D1 after seeding`);
        return { id, name: k.name, secret: k.secret };
      }),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
