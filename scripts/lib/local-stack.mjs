// A local Faregate stack for the dev script, the end-to-end tests and the benchmark: free ports,
// `wrangler dev` processes that start and stop cleanly, and seeded control-plane state in local D1.
// Plain Node ESM on the pinned Node 22; wrangler comes from node_modules/.bin.
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
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

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A free TCP port on 127.0.0.1. @returns {Promise<number>} */
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
  const lines = [];
  let partial = "";
  return {
    push(chunk) {
      const parts = (partial + chunk).split("\n");
      partial = parts.pop() ?? "";
      lines.push(...parts);
      if (lines.length > max) lines.splice(0, lines.length - max);
    },
    text: () => [...lines, partial].join("\n").trim(),
  };
}

/** Resolves once `url` answers HTTP at all (any status); rejects if `exited` settles first or time runs out. */
async function waitForHttp(url, exited, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let gone = null;
  exited.then((why) => (gone = why));
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
 * Starts `wrangler dev` for the given wrangler config on 127.0.0.1:port, with local state in
 * persistDir (when given) and extra vars, and resolves once the worker answers HTTP. `stop()` kills
 * the whole process tree and resolves when it is gone. Output goes to logFile (when given); on
 * start-up failure the promise rejects with the tail of that output.
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
  const listenPort = port ?? (await freePort());
  const inspectorPort = await freePort();
  const varArgs = await wranglerVarArgs(vars);
  const args = [
    "dev",
    "--config",
    fromRoot(config),
    "--ip",
    "127.0.0.1",
    "--port",
    String(listenPort),
    "--inspector-port",
    String(inspectorPort),
    "--show-interactive-dev-session=false",
    ...(persistDir ? ["--persist-to", fromRoot(persistDir)] : []),
    ...varArgs.args,
  ];
  if (logFile) await mkdir(path.dirname(fromRoot(logFile)), { recursive: true });
  const log = logFile ? createWriteStream(fromRoot(logFile), { flags: "a" }) : null;
  const tail = outputTail();
  const child = spawn(WRANGLER_BIN, args, {
    cwd: ROOT,
    env: wranglerEnv({ FORCE_COLOR: "0" }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const pid = child.pid;
  const killOnExit = () => pid !== undefined && killTreeNow(pid);
  process.on("exit", killOnExit);
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding("utf8");
    stream.on("data", (chunk) => {
      tail.push(chunk);
      log?.write(chunk);
    });
  }
  const exited = new Promise((resolve) => {
    child.on("error", (err) => resolve(`could not run wrangler: ${err.message}`));
    child.on("exit", (code, signal) => resolve(`wrangler dev exited (${signal ?? `code ${code}`})`));
  });

  let stopping = null;
  const stop = () => {
    stopping ??= (async () => {
      try {
        if (pid !== undefined) await stopProcessTree(pid);
        process.off("exit", killOnExit);
      } finally {
        await varArgs.remove();
        if (log) await new Promise((r) => log.end(r));
      }
    })();
    return stopping;
  };

  const url = `http://127.0.0.1:${listenPort}`;
  try {
    await waitForHttp(url, exited, startTimeoutMs);
  } catch (err) {
    await stop().catch(() => undefined);
    const where = logFile ? ` (full log: ${fromRoot(logFile)})` : "";
    throw new Error(
      `${fromRoot(config)} did not start on ${url}: ${err instanceof Error ? err.message : err}${where}\n${tail.text()}`,
    );
  }
  return { url, port: listenPort, logFile: logFile ? fromRoot(logFile) : undefined, stop };
}

/** The result rows of the last statement in `wrangler d1 execute --json` output. */
function lastResultRows(stdout) {
  const start = stdout.search(/^\[/m);
  if (start < 0) throw new Error(`wrangler d1 execute printed no JSON:\n${stdout.slice(-2000)}`);
  const parsed = JSON.parse(stdout.slice(start));
  const last = Array.isArray(parsed) ? parsed[parsed.length - 1] : null;
  if (!last || !Array.isArray(last.results))
    throw new Error(`unexpected wrangler d1 execute output:\n${stdout.slice(-2000)}`);
  return last.results;
}

/** Rejects provider and key seeds the schema would refuse with a less helpful message. */
function checkSeeds(providers, keys) {
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
      throw new Error(`seedLocalGateway: key ${k.name}: config must be a JSON object (contract §5)`);
    }
  }
}

/** The key seeds with a secret and environment each (a missing secret is generated). */
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
