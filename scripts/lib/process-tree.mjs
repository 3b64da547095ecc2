// Stopping a process together with everything it started (wrangler runs workerd and esbuild as
// children). The tree is read once with `ps` before any signal is sent, so children that get
// re-parented when their parent dies are still tracked.
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";

/** @typedef {Map<number, { ppid: number, zombie: boolean }>} ProcessTable pid → parent pid and zombie state */

const run = promisify(execFile);
/** @type {(ms: number) => Promise<void>} */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const PS_ARGS = ["-A", "-o", "pid=,ppid=,stat="];

/**
 * pid → { ppid, zombie } for every process on the machine.
 * @returns {Promise<ProcessTable>}
 */
async function processTable() {
  const { stdout } = await run("ps", PS_ARGS);
  return parseTable(stdout);
}

/**
 * @param {string} stdout the output of `ps` with PS_ARGS
 * @returns {ProcessTable}
 */
function parseTable(stdout) {
  /** @type {ProcessTable} */
  const table = new Map();
  for (const line of stdout.split("\n")) {
    const [pid, ppid, stat] = line.trim().split(/\s+/);
    if (pid && ppid) table.set(Number(pid), { ppid: Number(ppid), zombie: (stat ?? "").startsWith("Z") });
  }
  return table;
}

/**
 * `pid` and all its descendants, parents first.
 * @param {number} pid
 * @returns {Promise<number[]>}
 */
export async function processTree(pid) {
  return descendants(await processTable(), pid);
}

/**
 * @param {ProcessTable} table
 * @param {number} pid
 * @returns {number[]} `pid` and all its descendants in `table`, parents first
 */
function descendants(table, pid) {
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    for (const [child, info] of table) if (info.ppid === tree[i] && !tree.includes(child)) tree.push(child);
  }
  return tree;
}

/**
 * @param {number[]} pids
 * @param {NodeJS.Signals} sig
 */
function signal(pids, sig) {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
}

/**
 * The pids of `pids` still running (zombies count as gone: only their parent can reap them).
 * @param {number[]} pids
 * @returns {Promise<number[]>}
 */
async function stillRunning(pids) {
  const table = await processTable();
  return pids.filter((pid) => {
    const info = table.get(pid);
    return info !== undefined && !info.zombie;
  });
}

/**
 * Waits up to `ms` for all of `pids` to exit; returns those still running.
 * @param {number[]} pids
 * @param {number} ms
 * @returns {Promise<number[]>}
 */
async function waitForExit(pids, ms) {
  const deadline = Date.now() + ms;
  let left = await stillRunning(pids);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(100);
    left = await stillRunning(pids);
  }
  return left;
}

/**
 * Stops `pid` and all its descendants: SIGTERM to `pid` alone first, so it can shut its children
 * down and reap them; after `graceMs`, SIGTERM to whatever is left of the tree, then SIGKILL.
 * Resolves when none of them runs any more; rejects if something survives SIGKILL.
 * @param {number} pid
 * @param {{ graceMs?: number }} [options]
 * @returns {Promise<void>}
 */
export async function stopProcessTree(pid, { graceMs = 5_000 } = {}) {
  let pids;
  try {
    pids = await processTree(pid);
  } catch {
    pids = [pid];
  }
  signal([pid], "SIGTERM");
  let left = await waitForExit(pids, graceMs);
  if (left.length === 0) return;
  signal(left, "SIGTERM");
  left = await waitForExit(left, 2_000);
  if (left.length === 0) return;
  signal(left, "SIGKILL");
  left = await waitForExit(left, 5_000);
  if (left.length > 0) throw new Error(`processes ${left.join(", ")} did not exit after SIGKILL`);
}

/**
 * Best-effort synchronous SIGKILL of `pid` and its descendants, for `process.on("exit")` handlers.
 * @param {number} pid
 */
export function killTreeNow(pid) {
  let pids = [pid];
  try {
    pids = descendants(parseTable(execFileSync("ps", PS_ARGS, { encoding: "utf8" })), pid);
  } catch {
    // ps failed: kill what we know
  }
  signal(pids, "SIGKILL");
}
