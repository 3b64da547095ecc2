/**
 * Turns benchmark results into the printed tables, bench/results/<date>.md and bench/results/<date>.json.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { versionFromWrangler } from "./toolchain.mjs";

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
    workerd: versionFromWrangler("workerd") ?? packageVersion(root, "workerd"),
    workerdBinary: run(path.join(root, "node_modules", ".bin", "workerd"), ["--version"], root),
    miniflare: versionFromWrangler("miniflare"),
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

/** Reference targets: measured for comparison, held to no target (the gateway's targets are its own). */
export const REFERENCE_TARGETS = new Set(["bare-js-stream"]);

/** Whether a comparison meets the issue's targets. */
export function verdict(cmp) {
  const throughput = cmp.throughputRatio >= TARGETS.minThroughputRatio;
  const latency = cmp.addedP50Ms < TARGETS.maxAddedP50Ms;
  return { throughput, latency, met: throughput && latency };
}

/** Every (cell, target) pair, targets in the order the run measured them. */
const perTargetRows = (results) =>
  results.cells.flatMap((c) => Object.entries(c.targets).map(([name, side]) => ({ cell: c, name, side })));

/** Every (cell, target, comparison) of one kind: `comparisons` (against bare) or `against` (against its base). */
const comparisonRows = (results, kind) =>
  results.cells.flatMap((c) => Object.entries(c[kind] ?? {}).map(([name, cmp]) => ({ cell: c, name, cmp })));

/** A comparison's throughput ratio and added latencies, as table cells (TTFB for streams only). */
const comparisonCells = (cell, cmp) => [
  cmp.throughputRatio.toFixed(3),
  signedMs(cmp.addedP50Ms),
  signedMs(cmp.addedP99Ms),
  cell.mode === "stream" ? signedMs(cmp.addedTtfbP50Ms) : "",
];

/**
 * Each target against the target it adds one thing to (`gateway-translated` against `gateway`: what
 * translating both ways costs over the same-format passthrough), or null when no such pair ran.
 */
function againstTable(results) {
  const rows = comparisonRows(results, "against").map(({ cell: c, name, cmp }) => {
    const side = c.targets[name];
    const base = c.targets[cmp.base];
    const cpu = side.cpuMsPerRequest && base.cpuMsPerRequest;
    return [
      c.mode,
      c.concurrency,
      name,
      cmp.base,
      base.rps.toFixed(0),
      side.rps.toFixed(0),
      ...comparisonCells(c, cmp),
      cpu ? signedMs(side.cpuMsPerRequest.workerd - base.cpuMsPerRequest.workerd) : "–",
    ];
  });
  if (rows.length === 0) return null;
  return table(
    [
      "mode",
      "conc",
      "target",
      "against",
      "against req/s",
      "target req/s",
      "throughput ratio",
      "added p50 ms",
      "added p99 ms",
      "added TTFB p50",
      "added workerd CPU ms",
    ],
    rows,
  );
}

/** The tables (per target, against bare, against passthrough, CPU) as Markdown, which also reads well in a terminal. */
export function renderTables(results) {
  const perTarget = table(
    ["mode", "conc", "target", "requests", "req/s", "p50 ms", "p99 ms", "TTFB p50", "TTFB p99", "errors"],
    perTargetRows(results).map(({ cell, name, side: s }) => {
      const stream = cell.mode === "stream";
      return [
        cell.mode,
        cell.concurrency,
        name,
        s.requests,
        s.rps.toFixed(0),
        ms(s.latencyMs.p50),
        ms(s.latencyMs.p99),
        stream ? ms(s.ttfbMs.p50) : "",
        stream ? ms(s.ttfbMs.p99) : "",
        s.errors,
      ];
    }),
  );
  const ratios = table(
    [
      "mode",
      "conc",
      "target",
      `throughput ratio (≥ ${TARGETS.minThroughputRatio})`,
      `added p50 ms (< ${TARGETS.maxAddedP50Ms})`,
      "added p99 ms",
      "added TTFB p50",
      "targets",
    ],
    comparisonRows(results, "comparisons").map(({ cell: c, name, cmp }) => {
      const v = verdict(cmp);
      const missed = [!v.throughput && "throughput", !v.latency && "p50"].filter(Boolean).join(", ");
      return [
        c.mode,
        c.concurrency,
        name,
        ...comparisonCells(c, cmp),
        REFERENCE_TARGETS.has(name) ? "(reference, no target)" : v.met ? "met" : `MISSED (${missed})`,
      ];
    }),
  );
  const withCpu = perTargetRows(results).filter(({ side }) => side.cpuMsPerRequest);
  const cpu =
    withCpu.length === 0
      ? null
      : table(
          [
            "mode",
            "conc",
            "target",
            "workerd",
            "workerd − bare",
            "runtime host",
            "load generator",
            "total",
            "log lines/req",
          ],
          withCpu.map(({ cell, name, side }) => {
            const p = side.cpuMsPerRequest;
            const bare = cell.targets.bare?.cpuMsPerRequest;
            return [
              cell.mode,
              cell.concurrency,
              name,
              ms(p.workerd),
              name === "bare" || !bare ? "" : signedMs(p.workerd - bare.workerd),
              ms(p.host),
              ms(p.client),
              ms(p.total),
              Number.isFinite(side.logLinesPerRequest) ? side.logLinesPerRequest.toFixed(2) : "–",
            ];
          }),
        );
  return { perTarget, ratios, against: againstTable(results), cpu };
}

export function renderMarkdown(results) {
  const { perTarget, ratios, against, cpu } = renderTables(results);
  const m = results.machine;
  const p = results.parameters;
  const targetList = Object.entries(results.targetDescriptions)
    .map(([name, text]) => `- **${name}**: ${text}`)
    .join("\n");
  return `# Faregate benchmark, ${results.date}

${results.note ? `${results.note}\n\n` : ""}The gateway against a bare passthrough Worker (\`bench/passthrough/\`), both in front of the fake
provider, all three Workers in ONE local runtime: a single Miniflare instance (one workerd process),
each Worker on its own socket, each built with \`wrangler deploy --dry-run\` (the production bundle).
Method: \`bench/README.md\`.

Targets:

${targetList}

Machine: ${m.cores} cores (${m.cpuModel ?? "unknown CPU"}), ${m.memoryGiB} GiB, ${m.os}; Node ${m.node};
load average (1 min) ${m.loadAverage1m?.atStart ?? "?"} at start, ${m.loadAverage1m?.atEnd ?? "?"} at end;
workerd ${m.workerd}${m.workerdBinary ? ` (\`${m.workerdBinary}\`)` : ""}; Miniflare ${m.miniflare}; wrangler ${m.wrangler}; commit ${m.gitCommit ?? "?"}${m.gitDirty ? " with uncommitted changes" : ""}.

The gateway is bundled from \`${p.gatewayConfig ?? "wrangler.toml"}\`.

Per cell and target: ${p.warmupMs} ms warm-up (discarded), then ${p.rounds} rounds of ${p.roundMs} ms, the targets
alternating (in order, then reversed, repeated). Latency is to the last byte; TTFB is to the first body byte.

## Per target

${perTarget}

## Against bare

${ratios}

Targets: throughput ≥ ${TARGETS.minThroughputRatio} of the bare Worker's, added p50 < ${TARGETS.maxAddedP50Ms} ms.
${
  against
    ? `
## Translation against passthrough

Each target against the gateway target it adds one thing to: \`gateway-translated\` (OpenAI in, an
\`anthropic\` binding, translated both ways) against \`gateway\` (OpenAI in, an \`openai-compatible\`
binding, passed through). The added workerd CPU also holds the fake provider's own difference between
its Anthropic and OpenAI answers (\`bench/README.md\`).

${against}
`
    : ""
}${
    cpu
      ? `
## CPU per request (ms, from /proc)

\`workerd\` is the one runtime process, so it holds both the target and the fake provider behind it;
\`workerd − bare\` is therefore the CPU the target costs over the bare passthrough. \`runtime host\` is
the Node process running Miniflare, which reads workerd's log lines (counted, not printed: the last
column). The load generator is the benchmark's own Node process.

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
