/**
 * CPU time per request, by process, read from /proc (Linux only; elsewhere the probe is unavailable
 * and the benchmark simply leaves this table out). Latency on a small shared machine is noisy; the
 * CPU each process spends per request is a steadier answer to "where does the time go".
 *
 * `wrangler dev` runs each Worker as: the wrangler Node process, a workerd holding wrangler's dev
 * proxy (listening on the public port), and a workerd holding the Worker itself. A request to a
 * target crosses that target's dev proxy and Worker, then the fake provider's dev proxy and Worker.
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

/** pid → { ppid, cpuMs, cmd } for every readable process. */
function processTable() {
  const table = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ");
      // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
      table.set(Number(entry), {
        ppid: Number(fields[1]),
        cpuMs: ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond,
        cmd,
      });
    } catch {
      // the process exited while we looked
    }
  }
  return table;
}

/** The processes behind one `wrangler dev` listening on `port`, grouped by role, or null if not found. */
function locate(table, port) {
  const entry = `--socket-addr=entry=127.0.0.1:${port} `;
  const proxyPid = [...table].find(([, p]) => p.cmd.includes(entry))?.[0];
  if (proxyPid === undefined) return null;
  const wranglerPid = table.get(proxyPid).ppid;
  const worker = [];
  const wrangler = [wranglerPid];
  for (const [pid, p] of table) {
    if (p.ppid !== wranglerPid || pid === proxyPid) continue;
    (p.cmd.includes("workerd") ? worker : wrangler).push(pid);
  }
  const launcher = table.get(wranglerPid)?.ppid;
  if (launcher !== undefined && table.get(launcher)?.cmd.includes("wrangler")) wrangler.push(launcher);
  return { devProxy: [proxyPid], worker, wrangler };
}

/**
 * Reads CPU totals of the given workers (name → port) and of this process.
 * @returns {Record<string, { pids: string, worker: number, devProxy: number, wrangler: number }> | null}
 */
export function cpuSnapshot(ports) {
  const table = processTable();
  const out = {};
  const sum = (pids) => pids.reduce((a, pid) => a + (table.get(pid)?.cpuMs ?? 0), 0);
  for (const [name, port] of Object.entries(ports)) {
    const roles = locate(table, port);
    if (!roles) return null;
    out[name] = {
      pids: [...roles.devProxy, ...roles.worker, ...roles.wrangler].join(","),
      worker: sum(roles.worker),
      devProxy: sum(roles.devProxy),
      wrangler: sum(roles.wrangler),
    };
  }
  out.client = {
    pids: String(process.pid),
    worker: 0,
    devProxy: 0,
    wrangler: 0,
    self: table.get(process.pid)?.cpuMs ?? 0,
  };
  return out;
}

/**
 * CPU ms spent between two snapshots on one target's chain, or null when a process was replaced in
 * between (wrangler reloaded a Worker), which would make the difference meaningless.
 */
export function chainCpu(before, after, target) {
  if (!before || !after) return null;
  for (const name of [target, "fake"]) if (before[name].pids !== after[name].pids) return null;
  const d = (name, role) => after[name][role] - before[name][role];
  return {
    worker: d(target, "worker"),
    devProxy: d(target, "devProxy"),
    wrangler: d(target, "wrangler"),
    fakeProvider: d("fake", "worker") + d("fake", "devProxy") + d("fake", "wrangler"),
    client: after.client.self - before.client.self,
  };
}

/** Sums chain CPU over rounds and divides by the requests they served: ms per request by role. */
export function cpuPerRequest(rounds) {
  const usable = rounds.filter((r) => r.cpu !== null);
  if (usable.length === 0) return null;
  const requests = usable.reduce((a, r) => a + r.requests, 0);
  const per = {};
  for (const role of ["worker", "devProxy", "wrangler", "fakeProvider", "client"])
    per[role] = usable.reduce((a, r) => a + r.cpu[role], 0) / requests;
  per.total = per.worker + per.devProxy + per.wrangler + per.fakeProvider + per.client;
  per.rounds = usable.length;
  return per;
}
