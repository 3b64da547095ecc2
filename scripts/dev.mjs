#!/usr/bin/env node
// `npm run dev`: the gateway on your machine, ready to answer with the built-in mock provider.
//
//   1. creates .dev.vars with fresh random secrets when it is missing (the LW_* secrets of contract
//      §8, LW_GATEWAY_ADMIN_TOKEN and ENVIRONMENT=development); adds any of them it lacks otherwise;
//   2. applies the local D1 migrations and seeds (idempotently) a `development` project, the `mock`
//      provider binding (it serves any model name), an `openai` binding when OPENAI_API_KEY is set,
//      and one development key whose chain ends with the mock, its secret kept in
//      .faregate-dev.json so every run prints the same working key;
//   3. runs `wrangler dev` in the foreground, forwarding SIGINT/SIGTERM/SIGHUP to it and exiting with
//      its status; once it answers, checks the gateway's configuration (/startupz): when it is valid,
//      runs the cron handler once (so auth bundles an earlier run left in local KV follow what this
//      run seeded) and prints the key and example calls; when it is not, prints its errors instead.
//
// Environment:
//   PORT                port to serve on (default 8787). That port or none: when something already
//                       listens there, the script stops with an error before doing anything.
//   INSPECTOR_PORT      port for the devtools inspector (default: wrangler's, 9229 or the next free
//                       one; 0 lets the OS pick one, as the end-to-end test does).
//   OPENAI_API_KEY      when set, adds the `openai` binding in front of the mock; the key reaches the
//                       Worker through a private temporary env file (removed on exit), never through
//                       a repo file.
//   the gateway's own   every variable named LW_*, GATEWAY_*, AUTH_*, MCP_*, SERVER_*, ENABLE_* or
//   variables           ENVIRONMENT (lib/dev-env.mjs) reaches the Worker the same way, over the value
//                       in .dev.vars for this run: `LW_LOG_MESSAGE_BODY=true npm run dev`.
//   FAREGATE_STATE_DIR  keep .dev.vars, .faregate-dev.json and the local D1/KV/DO state
//                       (<dir>/wrangler-state) in this directory instead of the repository root and
//                       .wrangler/state; the end-to-end test uses it so it never touches yours.
import { spawn } from "node:child_process";
import net from "node:net";
import { constants } from "node:os";
import path from "node:path";
import { workerVarsFrom } from "./lib/dev-env.mjs";
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
    /** The gateway's variables set in this shell, which go to the Worker (lib/dev-env.mjs). */
    passed: workerVarsFrom(process.env),
  };
}

/**
 * The provider bindings and the development key's config for this run. The key's chain ends with the
 * mock, which lists no models and so serves any model name: a quickstart's `gpt-4o-mini` or
 * `claude-sonnet-4-5` answers as written. With OPENAI_API_KEY set, the `openai` binding (no model
 * list either) comes first and answers every name, the mock only when it fails. The aliases (and
 * `mock-echo`, the mock's own name) always go to the mock, so the README's examples never reach a
 * paid provider.
 * @param {boolean} withOpenAI
 */
function devSeed(withOpenAI) {
  /** @type {import("./lib/local-stack.mjs").ProviderSeed[]} */
  const providers = [{ name: "mock", type: "mock", models: [] }];
  const chain = ["mock"];
  if (withOpenAI) {
    providers.push({ name: "openai", type: "openai", api_key_secret: "OPENAI_API_KEY", models: [] });
    chain.unshift("openai");
  }
  const toMock = `mock/${MOCK_MODEL}`;
  return {
    providers,
    config: { providers: chain, model_aliases: { fast: toMock, smart: toMock, [MOCK_MODEL]: toMock } },
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
 * @typedef {{ port: number, secret: string, s: Settings, devVars: { vars: Record<string, string>, created: boolean, added: string[] }, withOpenAI: boolean }} BannerInput
 */

/**
 * Where a variable the Worker sees was set: the shell (passed through), .dev.vars, or wrangler.toml.
 * @param {string} name
 * @param {BannerInput} b
 */
function origin(name, { s, devVars }) {
  if (Object.hasOwn(s.passed, name)) return "set in your environment";
  if (Object.hasOwn(devVars.vars, name)) return `set in ${rel(s.devVarsFile)}`;
  return "wrangler.toml [vars] or its default";
}

/**
 * What every banner starts with: where the state is, the providers, the variables passed, the key.
 * @param {BannerInput} b
 */
function bannerHead(b) {
  const { secret, s, devVars, withOpenAI } = b;
  const passed = Object.keys(s.passed);
  return [
    "",
    "Faregate local development",
    `  secrets    ${rel(s.devVarsFile)}${devVars.created ? " (created with fresh random secrets)" : devVars.added.length ? ` (added ${devVars.added.join(", ")})` : ""}`,
    `  state      ${rel(s.persistDir)} (D1 migrated; project "${DEV_PROJECT}" seeded)`,
    withOpenAI
      ? "  providers  openai (OPENAI_API_KEY from your environment), then mock: any model name goes to openai first,"
      : "  providers  mock: answers any model name (gpt-4o-mini, gpt-5-mini, claude-sonnet-4-5, …), streaming and not,",
    withOpenAI
      ? `             and the mock answers when openai fails; aliases fast and smart, and ${MOCK_MODEL}, always go to the mock`
      : `             with tool calls and usage; aliases fast and smart. Set OPENAI_API_KEY to put an openai binding in front`,
    `  variables  ${passed.length ? `${passed.join(", ")} (from your environment)` : "none from your environment (LW_*, GATEWAY_*, AUTH_*, MCP_*, SERVER_*, ENABLE_*, ENVIRONMENT pass through)"}`,
    `  key        ${secret}`,
    `             (kept in ${rel(s.devKeyFile)}: the same key works on every run)`,
    "",
  ];
}

/**
 * The banner of a gateway that is up with a valid configuration: the key and calls to try.
 * @param {BannerInput} b
 */
function printBanner(b) {
  const { port, secret } = b;
  const base = `http://localhost:${port}`;
  const lines = [
    ...bannerHead(b),
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
    `  Anthropic clients take the same key with baseURL "${base}" (no /v1).`,
    `  Models for this key: curl ${base}/v1/models -H "Authorization: Bearer ${secret}"`,
    "",
  ];
  console.log(lines.join("\n"));
}

/**
 * The banner of a gateway whose configuration is invalid: its errors, each with where the variable
 * was set, and how to fix them, instead of calls that would all fail.
 * @param {BannerInput} b
 * @param {string[]} errors as /startupz lists them, `NAME: what is wrong`
 */
function printInvalidBanner(b, errors) {
  const lines = [
    ...bannerHead(b),
    `The gateway's configuration is invalid (${errors.length} error${errors.length === 1 ? "" : "s"}):`,
    ...errors.map((e) => {
      const name = /^([A-Z][A-Z0-9_]*):/.exec(e)?.[1];
      return `  - ${e}${name ? ` (${origin(name, b)})` : ""}`;
    }),
    "",
    "Until it is fixed, every /v1 request and every admin request answers 503 invalid_configuration.",
    `Fix each variable where it is set (your environment, or ${rel(b.s.devVarsFile)}), then run npm run dev again.`,
    `The gateway's own list: curl http://localhost:${b.port}/startupz`,
    "",
  ];
  console.log(lines.join("\n"));
}

/**
 * @typedef {{ state: "ready", refreshed: boolean } | { state: "invalid", errors: string[] } | { state: "gone" }} GatewayState
 */

/**
 * Waits for the gateway `wrangler dev` serves, then says what it found. A gateway whose /startupz
 * lists configuration errors is `invalid`. A valid one counts as up only once it takes this run's
 * admin token (so a server that took the port first, which makes wrangler exit, is never mistaken
 * for ours); then the gateway's cron handler runs once, because local KV may still hold auth bundles
 * an earlier run cached from the previous seed and the refresh republishes every key whose D1 rows
 * this run's seed changed. `ready` with `refreshed: false` when that did not happen within two
 * minutes; `gone` when wrangler exited.
 * @param {number} port
 * @param {import("node:child_process").ChildProcess} child
 * @param {string} adminToken
 * @returns {Promise<GatewayState>}
 */
async function waitForGateway(port, child, adminToken) {
  const deadline = Date.now() + 120_000;
  const base = `http://localhost:${port}`;
  const get = (/** @type {string} */ p, /** @type {Record<string, string>} */ headers = {}) =>
    fetch(`${base}${p}`, { headers, signal: AbortSignal.timeout(10_000) });
  /** @param {Response} res */
  const readJson = async (res) => /** @type {unknown} */ (await res.json().catch(() => null));
  const ours = () =>
    get("/admin/v1/projects?limit=1", { authorization: `Bearer ${adminToken}` }).then(async (res) => {
      // Only `data` is read, and any JSON value may be asked for it (`?.` covers null).
      const body = /** @type {{ data?: unknown } | null | undefined} */ (
        res.ok ? await readJson(res) : await res.body?.cancel()
      );
      return Array.isArray(body?.data) && res.headers.has("x-langwatch-request-id");
    });
  const alive = () => child.exitCode === null && child.signalCode === null;
  let up = false;
  while (Date.now() < deadline && alive()) {
    try {
      if (!up) {
        const startup = await get("/startupz");
        const body = /** @type {{ errors?: unknown } | null} */ (await readJson(startup));
        // Only the gateway stamps its request id on every answer, /startupz included.
        if (startup.headers.has("x-langwatch-request-id") && startup.status === 503 && Array.isArray(body?.errors)) {
          return { state: "invalid", errors: body.errors.map(String) };
        }
        up = startup.ok && (await ours());
      }
      if (up) {
        const res = await get("/cdn-cgi/local/scheduled?cron=*+*+*+*+*");
        await res.body?.cancel();
        if (res.ok) return { state: "ready", refreshed: true };
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return alive() ? { state: "ready", refreshed: false } : { state: "gone" };
}

/**
 * Runs `wrangler dev` in the foreground until it exits; resolves with the exit code to use.
 * `onUp` runs once the gateway answered (`waitForGateway` says how), before any request is expected.
 * The gateway's variables passed from this shell and OPENAI_API_KEY go in a private temporary env
 * file after .dev.vars (a later file wins), values an env file cannot carry as `--var`; never in a
 * file of the repository.
 * @param {Settings} s
 * @param {string} adminToken
 * @param {(state: GatewayState) => void} onUp
 * @returns {Promise<number>}
 */
async function serve(s, adminToken, onUp) {
  /** @type {Record<string, string>} */
  const toWorker = { ...s.passed, ...(s.openaiKey ? { OPENAI_API_KEY: s.openaiKey } : {}) };
  const varArgs = Object.keys(toWorker).length > 0 ? await wranglerVarArgs(toWorker) : null;
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
    ...(varArgs?.args ?? []),
  ];
  const child = spawn(WRANGLER_BIN, args, { cwd: ROOT, stdio: "inherit", env: wranglerEnv() });
  /** @param {NodeJS.Signals} signal */
  const forward = (signal) => child.kill(signal);
  /** @type {NodeJS.Signals[]} */
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"];
  for (const signal of signals) process.on(signal, forward);
  void waitForGateway(s.port, child, adminToken).then((state) => {
    if (state.state === "gone" || child.exitCode !== null || child.signalCode !== null) return;
    if (state.state === "ready" && !state.refreshed)
      console.warn(
        "faregate: could not run the bundle refresh; keys changed by this seed may serve their old config for up to 5 minutes.",
      );
    onUp(state);
  });
  const code = await new Promise((resolve) => {
    child.on("error", (err) => {
      console.error(`faregate: could not run wrangler: ${err.message}`);
      resolve(1);
    });
    child.on("exit", (exitCode, signal) => resolve(exitCode ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)));
  });
  for (const signal of signals) process.off(signal, forward);
  await varArgs?.remove();
  return code;
}

async function main() {
  const s = settings();
  await checkPortFree(s.port);
  const devVars = await ensureDevVars(s.devVarsFile);
  // What the Worker will see of the variables the script itself needs: the shell's win over .dev.vars.
  const effective = { ...devVars.vars, ...s.passed };
  const environment = effective.ENVIRONMENT ?? "production (wrangler.toml)";
  if (environment !== "development") {
    const where = Object.hasOwn(s.passed, "ENVIRONMENT") ? "your environment" : rel(s.devVarsFile);
    console.warn(
      `faregate: ${where} sets ENVIRONMENT=${environment}; the mock provider only answers with ENVIRONMENT=development.`,
    );
  }
  const key = await loadOrCreateDevKey(s.devKeyFile, DEV_KEY_NAME);
  const withOpenAI = s.openaiKey !== null;
  const seed = devSeed(withOpenAI);
  // A pepper the gateway would refuse (its banner says so) cannot hash the key: seed with the file's.
  const pepper =
    (effective.LW_VIRTUAL_KEY_PEPPER ?? "").length >= 16
      ? effective.LW_VIRTUAL_KEY_PEPPER
      : devVars.vars.LW_VIRTUAL_KEY_PEPPER;
  console.log("faregate: applying local D1 migrations and seeding development data…");
  const seeded = await seedLocalGateway({
    persistDir: s.persistDir,
    pepper,
    project: DEV_PROJECT,
    providers: seed.providers,
    keys: [{ name: key.name, config: seed.config, secret: key.secret }],
  });
  process.exitCode = await serve(s, effective.LW_GATEWAY_ADMIN_TOKEN, (state) => {
    const banner = { port: s.port, secret: seeded.keys[0].secret, s, devVars, withOpenAI };
    if (state.state === "invalid") printInvalidBanner(banner, state.errors);
    else printBanner(banner);
  });
}

main().catch((err) => {
  console.error(`faregate: ${err instanceof Error ? err.message : err}`);
  process.exitCode = 1;
});
