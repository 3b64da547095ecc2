#!/usr/bin/env node
// Runs on whatever Node the machine has (it may be 20): installs the project's dependencies when
// they are missing or stale, then re-runs the real command on the pinned Node 22 from node_modules.
// Usage: node scripts/bootstrap.mjs <script.mjs | vitest> [args...]
import { spawnSync } from "node:child_process";
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
const entry = target === "vitest" ? path.join(root, "node_modules", "vitest", "vitest.mjs") : path.resolve(root, target);
const binDir = path.join(root, "node_modules", ".bin");
const r = spawnSync(node22, [entry, ...args], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ""}` },
});
process.exit(r.status ?? (r.signal ? 1 : 0));
