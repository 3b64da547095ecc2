/**
 * Turns benchmark results into the printed table, bench/results/<date>.md and bench/results/<date>.json.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

export const TARGETS = { minThroughputRatio: 0.8, maxAddedP50Ms: 1 };

function packageVersion(root, name) {
  try {
    return JSON.parse(readFileSync(path.join(root, "node_modules", name, "package.json"), "utf8")).version;
  } catch {
    return null;
  }
}

function run(cmd, args, cwd) {
  try {
    return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}

/** What a reader needs to know about where the numbers came from. */
export function machineFacts(root) {
  const cpus = os.cpus();
  const dirty = run("git", ["status", "--porcelain"], root);
  return {
    cores: os.availableParallelism(),
    cpuModel: cpus[0]?.model ?? null,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    workerd: packageVersion(root, "workerd"),
    workerdBinary: run(path.join(root, "node_modules", ".bin", "workerd"), ["--version"], root),
    wrangler: packageVersion(root, "wrangler"),
    gitCommit: run("git", ["rev-parse", "--short", "HEAD"], root),
    gitDirty: dirty === null ? null : dirty.length > 0,
  };
}

const ms = (v) => (Number.isFinite(v) ? v.toFixed(2) : "–");
const signedMs = (v) => (Number.isFinite(v) ? `${v >= 0 ? "+" : ""}${v.toFixed(2)}` : "–");

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(" | ")} |`;
  return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}

/** Whether a comparison meets the issue's targets. */
export function verdict(cmp) {
  const throughput = cmp.throughputRatio >= TARGETS.minThroughputRatio;
  const latency = cmp.addedP50Ms < TARGETS.maxAddedP50Ms;
  return { throughput, latency, met: throughput && latency };
}

/** The two tables (per target, then gateway against bare) as Markdown, which also reads well in a terminal. */
export function renderTables(results) {
  const perTarget = table(
    ["mode", "conc", "target", "requests", "req/s", "p50 ms", "p99 ms", "TTFB p50", "TTFB p99", "errors"],
    results.cells.flatMap((c) =>
      ["bare", "gateway"].map((t) => {
        const s = c[t];
        const stream = c.mode === "stream";
        return [
          c.mode,
          c.concurrency,
          t,
          s.requests,
          s.rps.toFixed(0),
          ms(s.latencyMs.p50),
          ms(s.latencyMs.p99),
          stream ? ms(s.ttfbMs.p50) : "",
          stream ? ms(s.ttfbMs.p99) : "",
          s.errors,
        ];
      }),
    ),
  );
  const ratios = table(
    [
      "mode",
      "conc",
      `throughput ratio (≥ ${TARGETS.minThroughputRatio})`,
      `added p50 ms (< ${TARGETS.maxAddedP50Ms})`,
      "added p99 ms",
      "added TTFB p50",
      "targets",
    ],
    results.cells.map((c) => {
      const v = verdict(c.comparison);
      const missed = [!v.throughput && "throughput", !v.latency && "p50"].filter(Boolean).join(", ");
      return [
        c.mode,
        c.concurrency,
        c.comparison.throughputRatio.toFixed(3),
        signedMs(c.comparison.addedP50Ms),
        signedMs(c.comparison.addedP99Ms),
        c.mode === "stream" ? signedMs(c.comparison.addedTtfbP50Ms) : "",
        v.met ? "met" : `MISSED (${missed})`,
      ];
    }),
  );
  const withCpu = results.cells.filter((c) => c.bare.cpuMsPerRequest && c.gateway.cpuMsPerRequest);
  const cpu =
    withCpu.length === 0
      ? null
      : table(
          [
            "mode",
            "conc",
            "target",
            "worker",
            "dev proxy",
            "wrangler",
            "fake provider",
            "load generator",
            "total",
            "worker: gateway − bare",
          ],
          withCpu.flatMap((c) =>
            ["bare", "gateway"].map((t) => {
              const p = c[t].cpuMsPerRequest;
              const delta = t === "gateway" ? signedMs(p.worker - c.bare.cpuMsPerRequest.worker) : "";
              return [
                c.mode,
                c.concurrency,
                t,
                ms(p.worker),
                ms(p.devProxy),
                ms(p.wrangler),
                ms(p.fakeProvider),
                ms(p.client),
                ms(p.total),
                delta,
              ];
            }),
          ),
        );
  return { perTarget, ratios, cpu };
}

export function renderMarkdown(results) {
  const { perTarget, ratios, cpu } = renderTables(results);
  const m = results.machine;
  const p = results.parameters;
  return `# Faregate benchmark, ${results.date}

Gateway (\`wrangler.toml\`) against a bare passthrough Worker (\`bench/passthrough/\`), both in front of
the fake provider, all three under \`wrangler dev\` on this machine. Method: \`bench/README.md\`.

Machine: ${m.cores} cores (${m.cpuModel ?? "unknown CPU"}), ${m.memoryGiB} GiB, ${m.os}; Node ${m.node};
load average (1 min) ${m.loadAverage1m?.atStart ?? "?"} at start, ${m.loadAverage1m?.atEnd ?? "?"} at end;
workerd ${m.workerd}${m.workerdBinary ? ` (\`${m.workerdBinary}\`)` : ""}; wrangler ${m.wrangler}; commit ${m.gitCommit ?? "?"}${m.gitDirty ? " with uncommitted changes" : ""}.

Per cell and target: ${p.warmupMs} ms warm-up (discarded), then ${p.rounds} rounds of ${p.roundMs} ms, bare and gateway
alternating (ABBA, repeated). Latency is to the last byte; TTFB is to the first body byte.

## Per target

${perTarget}

## Gateway against bare

${ratios}

Targets: throughput ≥ ${TARGETS.minThroughputRatio} of the bare Worker's, added p50 < ${TARGETS.maxAddedP50Ms} ms.
${
  cpu
    ? `
## CPU per request (ms, from /proc)

Per process of the target's chain: the Worker itself, wrangler's dev proxy in front of it, the wrangler
Node process, the fake provider (all three of its processes) and this load generator. Local-dev
machinery (dev proxy, wrangler) does not exist in production.

${cpu}
`
    : ""
}${results.errors > 0 ? `\n**This run had ${results.errors} failed requests; its numbers are not valid.**\n` : ""}`;
}

/** Writes bench/results/<date>.json and .md; returns their paths. */
export async function writeResults(dir, results) {
  await mkdir(dir, { recursive: true });
  const json = path.join(dir, `${results.date}.json`);
  const md = path.join(dir, `${results.date}.md`);
  await writeFile(json, `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(md, renderMarkdown(results));
  return { json, md };
}
