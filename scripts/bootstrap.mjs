#!/usr/bin/env node
// Runs on whatever Node the machine has (it may be 20): installs the project's dependencies when
// they are missing or stale, then re-runs the real command on the pinned Node 22 from node_modules.
// Usage: node scripts/bootstrap.mjs <script.mjs | vitest> [args...]
import { spawn, spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const marker = path.join(root, "node_modules", ".package-lock.json");
const lock = path.join(root, "package-lock.json");
const node22 = path.join(root, "node_modules", "node", "bin", "node");

const stale = !existsSync(marker) || !existsSync(node22) || statSync(lock).mtimeMs > statSync(marker).mtimeMs;
if (stale) {
  console.error("faregate: installing dependencies (npm ci)…");
  const r = spawnSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: root, stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const [target, ...args] = process.argv.slice(2);
if (!target) {
  console.error("usage: node scripts/bootstrap.mjs <script.mjs|vitest> [args...]");
  process.exit(2);
}
const entry =
  target === "vitest" ? path.join(root, "node_modules", "vitest", "vitest.mjs") : path.resolve(root, target);
const binDir = path.join(root, "node_modules", ".bin");
// Asynchronous, so a SIGINT/SIGTERM/SIGHUP sent to this wrapper alone (npm forwards them; so do
// process managers) reaches the real command instead of orphaning it.
const child = spawn(node22, [entry, ...args], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ""}` },
});
/** @type {NodeJS.Signals[]} */
const forwardedSignals = ["SIGINT", "SIGTERM", "SIGHUP"];
let forwarded = false;
for (const signal of forwardedSignals) {
  process.on(signal, () => {
    forwarded = true;
    child.kill(signal);
  });
}
// npm runs scripts through `sh -c`, and sh dies of the SIGTERM npm forwards without passing it on:
// when our parent goes away, stop the command rather than leave it running as an orphan.
const parent = process.ppid;
setInterval(() => process.ppid !== parent && child.kill("SIGTERM"), 1_000).unref();
child.on("error", (err) => {
  console.error(`faregate: could not start ${node22}: ${err.message}`);
  process.exit(1);
});
child.on("exit", (code, signal) => {
  // A signal nobody here forwarded killed it: say so, or the exit status is all anyone sees.
  if (signal && !forwarded) console.error(`faregate: ${target} was stopped by ${signal}`);
  process.exit(code ?? (signal ? 1 : 0));
});
