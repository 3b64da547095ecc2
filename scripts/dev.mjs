#!/usr/bin/env node
// `npm run dev`: the gateway on your machine, ready to answer with the built-in mock provider.
//
//   1. creates .dev.vars with fresh random secrets when it is missing (the LW_* secrets of contract
//      §8, LW_GATEWAY_ADMIN_TOKEN and ENVIRONMENT=development); adds any of them it lacks otherwise;
//   2. applies the local D1 migrations and seeds (idempotently) a `development` project, the `mock`
//      provider binding, an `openai` binding when OPENAI_API_KEY is set, and one development key
//      whose secret is kept in .faregate-dev.json, so every run prints the same working key;
//   3. runs `wrangler dev` in the foreground, forwarding SIGINT/SIGTERM/SIGHUP to it and exiting with
//      its status; once it answers, runs the cron handler once (so auth bundles an earlier run left
//      in local KV follow what this run seeded), then prints the key and example calls.
//
// Environment:
//   PORT                port to serve on (default 8787). That port or none: when something already
//                       listens there, the script stops with an error before doing anything.
//   INSPECTOR_PORT      port for the devtools inspector (default: wrangler's, 9229 or the next free
//                       one; 0 lets the OS pick one, as the end-to-end test does).
//   OPENAI_API_KEY      when set, adds the `openai` binding; the key reaches the Worker through a
//                       private temporary env file (removed on exit), never through a repo file.
//   FAREGATE_STATE_DIR  keep .dev.vars, .faregate-dev.json and the local D1/KV/DO state
//                       (<dir>/wrangler-state) in this directory instead of the repository root and
//                       .wrangler/state; the end-to-end test uses it so it never touches yours.
import { spawn } from "node:child_process";
import net from "node:net";
import { constants } from "node:os";
import path from "node:path";
import { ensureDevVars, loadOrCreateDevKey } from "./lib/dev-state.mjs";
import { seedLocalGateway } from "./lib/local-stack.mjs";
import { DEFAULT_PERSIST_DIR, GATEWAY_CONFIG, ROOT, WRANGLER_BIN } from "./lib/paths.mjs";
import { wranglerEnv, wranglerVarArgs } from "./lib/wrangler.mjs";

const DEV_PROJECT = "development";
const DEV_KEY_NAME = "development";
const MOCK_MODEL = "mock-echo";

/** @typedef {ReturnType<typeof settings>} Settings */

function settings() {
  const port = Number(process.env.PORT || 8787);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`PORT must be a TCP port number, got "${process.env.PORT}"`);
  const inspectorPort = process.env.INSPECTOR_PORT ? Number(process.env.INSPECTOR_PORT) : null;
  if (inspectorPort !== null && !(Number.isInteger(inspectorPort) && inspectorPort >= 0 && inspectorPort <= 65535))
    throw new Error(`INSPECTOR_PORT must be a TCP port number or 0, got "${process.env.INSPECTOR_PORT}"`);
  const stateDir = process.env.FAREGATE_STATE_DIR ? path.resolve(process.env.FAREGATE_STATE_DIR) : null;
  return {
    port,
    inspectorPort,
    devVarsFile: path.join(stateDir ?? ROOT, ".dev.vars"),
    devKeyFile: path.join(stateDir ?? ROOT, ".faregate-dev.json"),
    persistDir: stateDir ? path.join(stateDir, "wrangler-state") : DEFAULT_PERSIST_DIR,
    openaiKey: process.env.OPENAI_API_KEY || null,
  };
}

/**
 * The provider bindings and the development key's config for this run. The aliases always name the
 * mock, so the README's examples never reach a paid provider; with OPENAI_API_KEY set, every other
 * model name (gpt-4o-mini, …) goes to the `openai` binding, which declares no model list.
 * @param {boolean} withOpenAI
 */
function devSeed(withOpenAI) {
  /** @type {import("./lib/local-stack.mjs").ProviderSeed[]} */
  const providers = [{ name: "mock", type: "mock", models: [MOCK_MODEL] }];
  const chain = ["mock"];
  if (withOpenAI) {
    providers.push({ name: "openai", type: "openai", api_key_secret: "OPENAI_API_KEY", models: [] });
    chain.push("openai");
  }
  return {
    providers,
    config: { providers: chain, model_aliases: { fast: `mock/${MOCK_MODEL}`, smart: `mock/${MOCK_MODEL}` } },
  };
}

/**
 * Refuses a port something already listens on, where `wrangler dev` will listen (localhost, IPv4 or
 * IPv6), with a message that says what to do. wrangler would refuse it too, but only after the seed
 * and the build, and in words (`--port`) that do not fit `npm run dev`. Anything that takes the port
 * after this check still makes wrangler exit with "Address already in use".
 * @param {number} port
 */
async function checkPortFree(port) {
  for (const host of ["127.0.0.1", "::1"]) {
    /** @type {string | null} */
    const code = await new Promise((resolve) => {
      const probe = net.createServer();
      probe.once("error", (/** @type {NodeJS.ErrnoException} */ err) => resolve(err.code ?? "error"));
      probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(null)));
    });
    if (code === "EADDRINUSE") {
      const asked = process.env.PORT ? "" : " (the default)";
      throw new Error(
        `port ${port}${asked} is already in use on localhost: another server (an earlier \`npm run dev\`?) listens there. Stop it, or serve on another port: PORT=${port === 65535 ? 8788 : port + 1} npm run dev`,
      );
    }
    if (code === "EACCES") throw new Error(`port ${port} needs privileges this user lacks; choose one above 1023`);
    // Anything else (EADDRNOTAVAIL, EAFNOSUPPORT: no IPv6 here) leaves the port to wrangler.
  }
}

/** @param {string} p */
const rel = (p) => (path.relative(ROOT, p).startsWith("..") ? p : path.relative(ROOT, p) || ".");

/**
 * @param {{ port: number, secret: string, s: Settings, devVars: { created: boolean, added: string[] }, withOpenAI: boolean }} banner
 */
function printBanner({ port, secret, s, devVars, withOpenAI }) {
  const base = `http://localhost:${port}`;
  const lines = [
    "",
    "Faregate local development",
    `  secrets    ${rel(s.devVarsFile)}${devVars.created ? " (created with fresh random secrets)" : devVars.added.length ? ` (added ${devVars.added.join(", ")})` : ""}`,
    `  state      ${rel(s.persistDir)} (D1 migrated; project "${DEV_PROJECT}" seeded)`,
    `  providers  mock (model ${MOCK_MODEL}, aliases fast and smart)`,
    withOpenAI
      ? "             openai (OPENAI_API_KEY from your environment): any other model name, e.g. gpt-4o-mini"
      : "             set OPENAI_API_KEY to add an openai binding as well",
    `  key        ${secret}`,
    `             (kept in ${rel(s.devKeyFile)}: the same key works on every run)`,
    "",
    "Try it:",
    `  curl ${base}/v1/chat/completions \\`,
    `    -H "Authorization: Bearer ${secret}" \\`,
    `    -H "Content-Type: application/json" \\`,
    `    -d '{"model":"${MOCK_MODEL}","messages":[{"role":"user","content":"Hello"}]}'`,
    "",
    "  // Node, with the official openai client (npm i openai):",
    `  import OpenAI from "openai";`,
    `  const client = new OpenAI({ baseURL: "${base}/v1", apiKey: "${secret}" });`,
    `  console.log((await client.chat.completions.create({ model: "${MOCK_MODEL}", messages: [{ role: "user", content: "Hello" }] })).choices[0].message.content);`,
    "",
    `  Models for this key: curl ${base}/v1/models -H "Authorization: Bearer ${secret}"`,
    "",
  ];
  console.log(lines.join("\n"));
}

/**
 * Runs the gateway's cron handler once, as soon as `wrangler dev` answers: local KV may still hold
 * auth bundles an earlier run cached from the previous seed, and the refresh republishes every key
 * whose D1 rows this run's seed changed. Only a gateway that takes this run's admin token counts as
 * up, so a server that took the port first (wrangler then exits) is never mistaken for ours.
 * Resolves false when the server exits or never answers.
 * @param {number} port
 * @param {import("node:child_process").ChildProcess} child
 * @param {string} adminToken
 */
async function refreshBundlesOnceUp(port, child, adminToken) {
  const deadline = Date.now() + 120_000;
  const ours = () =>
    fetch(`http://localhost:${port}/admin/v1/projects?limit=1`, {
      headers: { authorization: `Bearer ${adminToken}` },
      signal: AbortSignal.timeout(10_000),
    }).then(async (res) => {
      // Only `data` is read, and any JSON value may be asked for it (`?.` covers null).
      const body = /** @type {{ data?: unknown } | null | undefined} */ (
        res.ok ? await res.json().catch(() => null) : await res.body?.cancel()
      );
      return Array.isArray(body?.data) && res.headers.has("x-langwatch-request-id");
    });
  let up = false;
  while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
    try {
      up ||= await ours();
      if (up) {
        const res = await fetch(`http://localhost:${port}/cdn-cgi/local/scheduled?cron=*+*+*+*+*`, {
          signal: AbortSignal.timeout(10_000),
        });
        await res.body?.cancel();
        if (res.ok) return true;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

/**
 * Runs `wrangler dev` in the foreground until it exits; resolves with the exit code to use.
 * `onReady` runs once the seeded state is live (bundles refreshed), before any request is expected.
 * @param {Settings} s
 * @param {string} adminToken
 * @param {() => void} onReady
 * @returns {Promise<number>}
 */
async function serve(s, adminToken, onReady) {
  const secretArgs = s.openaiKey ? await wranglerVarArgs({ OPENAI_API_KEY: s.openaiKey }) : null;
  const args = [
    "dev",
    "--config",
    GATEWAY_CONFIG,
    "--port",
    String(s.port),
    ...(s.inspectorPort === null ? [] : ["--inspector-port", String(s.inspectorPort)]),
    "--persist-to",
    s.persistDir,
    "--env-file",
    s.devVarsFile,
    ...(secretArgs?.args ?? []),
  ];
  const child = spawn(WRANGLER_BIN, args, { cwd: ROOT, stdio: "inherit", env: wranglerEnv() });
  /** @param {NodeJS.Signals} signal */
  const forward = (signal) => child.kill(signal);
  /** @type {NodeJS.Signals[]} */
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"];
  for (const signal of signals) process.on(signal, forward);
  void refreshBundlesOnceUp(s.port, child, adminToken).then((refreshed) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (!refreshed)
      console.warn(
        "faregate: could not run the bundle refresh; keys changed by this seed may serve their old config for up to 5 minutes.",
      );
    onReady();
  });
  const code = await new Promise((resolve) => {
    child.on("error", (err) => {
      console.error(`faregate: could not run wrangler: ${err.message}`);
      resolve(1);
    });
    child.on("exit", (exitCode, signal) => resolve(exitCode ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)));
  });
  for (const signal of signals) process.off(signal, forward);
  await secretArgs?.remove();
  return code;
}

async function main() {
  const s = settings();
  await checkPortFree(s.port);
  const devVars = await ensureDevVars(s.devVarsFile);
  if (devVars.vars.ENVIRONMENT !== "development") {
    console.warn(
      `faregate: ${rel(s.devVarsFile)} sets ENVIRONMENT=${devVars.vars.ENVIRONMENT}; the mock provider only answers with ENVIRONMENT=development.`,
    );
  }
  const key = await loadOrCreateDevKey(s.devKeyFile, DEV_KEY_NAME);
  const withOpenAI = s.openaiKey !== null;
  const seed = devSeed(withOpenAI);
  console.log("faregate: applying local D1 migrations and seeding development data…");
  const seeded = await seedLocalGateway({
    persistDir: s.persistDir,
    pepper: devVars.vars.LW_VIRTUAL_KEY_PEPPER,
    project: DEV_PROJECT,
    providers: seed.providers,
    keys: [{ name: key.name, config: seed.config, secret: key.secret }],
  });
  process.exitCode = await serve(s, devVars.vars.LW_GATEWAY_ADMIN_TOKEN, () =>
    printBanner({ port: s.port, secret: seeded.keys[0].secret, s, devVars, withOpenAI }),
  );
}

main().catch((err) => {
  console.error(`faregate: ${err instanceof Error ? err.message : err}`);
  process.exitCode = 1;
});
