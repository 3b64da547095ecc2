/**
 * CPU time per request, by process, read from /proc (Linux only; elsewhere the probe is unavailable
 * and the benchmark simply leaves this table out). Latency on a small shared machine is noisy; the
 * CPU each process spends per request is a steadier answer to "where does the time go".
 *
 * The runtime is one workerd process holding every Worker (the target under load and the fake
 * provider behind it), started by the runtime host (a Node process running Miniflare, which also
 * reads workerd's log lines); the load generator is this process.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";

const ticksPerSecond = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

export const cpuProbeAvailable = () => existsSync("/proc/self/stat");

/** { ppid, cpuMs } of one process (all its threads), or null if it is gone. */
function readStat(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name: [0] is field 3 (state), ppid is field 4, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(fields[1]), cpuMs: ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond };
  } catch {
    return null;
  }
}

/** The workerd processes the runtime host started. */
function workerdPids(hostPid) {
  const pids = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(entry);
    if (stat?.ppid !== hostPid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes("workerd")) pids.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return pids;
}

/**
 * CPU totals so far of workerd, the runtime host and this process, or null when workerd is not found.
 * @returns {{ pids: string, workerd: number, host: number, client: number } | null}
 */
export function cpuSnapshot(hostPid) {
  const workerd = workerdPids(hostPid);
  if (workerd.length === 0) return null;
  const sum = (pids) => pids.reduce((a, pid) => a + (readStat(pid)?.cpuMs ?? 0), 0);
  return {
    pids: [hostPid, ...workerd].join(","),
    workerd: sum(workerd),
    host: sum([hostPid]),
    client: sum([process.pid]),
  };
}

/** CPU ms spent between two snapshots, or null when a process was replaced in between (a restart). */
export function cpuBetween(before, after) {
  if (!before || !after || before.pids !== after.pids) return null;
  return {
    workerd: after.workerd - before.workerd,
    host: after.host - before.host,
    client: after.client - before.client,
  };
}

/** Sums CPU over rounds and divides by the requests they served: ms per request by process. */
export function cpuPerRequest(rounds) {
  const usable = rounds.filter((r) => r.cpu !== null);
  if (usable.length === 0) return null;
  const requests = usable.reduce((a, r) => a + r.requests, 0);
  const per = {};
  for (const role of ["workerd", "host", "client"]) per[role] = usable.reduce((a, r) => a + r.cpu[role], 0) / requests;
  per.total = per.workerd + per.host + per.client;
  per.rounds = usable.length;
  return per;
}
