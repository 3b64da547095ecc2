#!/usr/bin/env node
/**
 * `npm run bench`: the gateway's overhead over a bare passthrough Worker, both in front of the fake
 * provider, for chat completions (JSON and streaming) at concurrency 1 and 32. Method: bench/README.md.
 *
 * Options: --warmup-ms N (per cell and target, default 1500), --round-ms N (default 2000),
 * --rounds N (default 4), --concurrency 1,32, --modes json,stream, --keep (keep bench/.tmp/run-*),
 * --no-write (print only).
 */
import { randomBytes } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { freePort, seedLocalGateway, startWorker } from "../scripts/lib/local-stack.mjs";
import { answerFromJson, answerFromStream, responseCheck } from "./lib/checks.mjs";
import { chainCpu, cpuPerRequest, cpuProbeAvailable, cpuSnapshot } from "./lib/cpu.mjs";
import { runLoad, timedRequest } from "./lib/load.mjs";
import { machineFacts, renderTables, verdict, writeResults } from "./lib/report.mjs";
import { snapshotSources } from "./lib/snapshot.mjs";
import { compare, summarize } from "./lib/stats.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

const { values: opts } = parseArgs({
  options: {
    "warmup-ms": { type: "string", default: "1500" },
    "round-ms": { type: "string", default: "2000" },
    rounds: { type: "string", default: "4" },
    concurrency: { type: "string", default: "1,32" },
    modes: { type: "string", default: "json,stream" },
    keep: { type: "boolean", default: false },
    "no-write": { type: "boolean", default: false },
  },
});
const parameters = {
  warmupMs: Number(opts["warmup-ms"]),
  roundMs: Number(opts["round-ms"]),
  rounds: Number(opts.rounds),
  concurrency: opts.concurrency.split(",").map(Number),
  modes: opts.modes.split(","),
};
for (const [name, v, min] of [
  ["--warmup-ms", parameters.warmupMs, 0],
  ["--round-ms", parameters.roundMs, 1],
  ["--rounds", parameters.rounds, 1],
  ...parameters.concurrency.map((c) => ["--concurrency", c, 1]),
]) {
  if (!Number.isInteger(v) || v < min) throw new Error(`bench: ${name} must be a whole number ≥ ${min}, got ${v}`);
}
for (const m of parameters.modes)
  if (m !== "json" && m !== "stream") throw new Error(`bench: unknown mode ${m} (json, stream)`);

const log = (line) => process.stderr.write(`${line}\n`);
const round2 = (v) => Math.round(v * 100) / 100;

/** `n` distinct free ports. */
async function ports(n) {
  const out = new Set();
  while (out.size < n) out.add(await freePort());
  return [...out];
}

const chatBody = (stream) =>
  JSON.stringify({
    model: "gpt-4o-mini",
    messages: [{ role: "user", content: "Say hello." }],
    max_tokens: 16,
    // Usage is asked for on both targets, so the fake provider does the same work for each and the
    // gateway's only difference is itself (it asks for usage anyway to account for the request).
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  });

function requestInit(secret, stream) {
  return {
    method: "POST",
    headers: {
      authorization: `Bearer ${secret}`,
      "content-type": "application/json",
      accept: stream ? "text/event-stream" : "application/json",
    },
    body: chatBody(stream),
  };
}

/** The fake provider's own answer, asked directly: what every benchmarked response must carry. */
async function referenceAnswer(fakeUrl, stream) {
  const res = await fetch(`${fakeUrl}/v1/chat/completions`, requestInit("unused", stream));
  const text = await res.text();
  const { answer, error } = (stream ? answerFromStream : answerFromJson)(text);
  if (res.status !== 200 || error)
    throw new Error(
      `bench: the fake provider's reference answer is unusable (HTTP ${res.status}): ${error ?? text.slice(0, 200)}`,
    );
  return answer;
}

async function resetFakeProvider(fakeUrl) {
  // The fake provider records every request in memory; clearing it keeps its cost flat across cells.
  let res;
  try {
    res = await fetch(`${fakeUrl}/__reset`);
    await res.arrayBuffer();
  } catch (err) {
    throw new Error(`bench: the fake provider stopped answering (${err instanceof Error ? err.message : err})`);
  }
  if (res.status !== 204) throw new Error(`bench: the fake provider's /__reset answered HTTP ${res.status}`);
}

async function measureCell({ mode, concurrency, targets, ports, secret, expected, fakeUrl }) {
  const stream = mode === "stream";
  const init = requestInit(secret, stream);
  const check = responseCheck({ stream, expected });
  const load = (name, durationMs) =>
    runLoad({ url: `${targets[name]}/v1/chat/completions`, init, check, concurrency, durationMs });
  const snapshot = () => (cpuProbeAvailable() ? cpuSnapshot(ports) : null);

  const warmupErrors = [];
  for (const name of ["bare", "gateway"]) warmupErrors.push(...(await load(name, parameters.warmupMs)).errors);
  const rounds = { bare: [], gateway: [] };
  for (let i = 0; i < parameters.rounds; i++) {
    const order = i % 2 === 0 ? ["bare", "gateway"] : ["gateway", "bare"];
    for (const name of order) {
      await resetFakeProvider(fakeUrl);
      const before = snapshot();
      const result = await load(name, parameters.roundMs);
      rounds[name].push({ ...result, cpu: chainCpu(before, snapshot(), name) });
    }
  }
  const side = (name) => ({
    ...summarize(rounds[name]),
    cpuMsPerRequest: cpuPerRequest(
      rounds[name].map((r) => ({ cpu: r.cpu, requests: r.samples.length + r.errors.length })),
    ),
  });
  const bare = side("bare");
  const gateway = side("gateway");
  return {
    mode,
    concurrency,
    warmupErrors: warmupErrors.length,
    warmupErrorSamples: [...new Set(warmupErrors)].slice(0, 5),
    bare,
    gateway,
    comparison: compare(bare, gateway),
  };
}

async function main() {
  const startedAt = new Date();
  const loadAtStart = os.loadavg();
  const runDir = path.join(root, "bench", ".tmp", `run-${startedAt.getTime()}`);
  await mkdir(runDir, { recursive: true });
  const workers = [];
  let failed = true;
  const stopAll = () => Promise.allSettled(workers.map((w) => w.stop()));
  const onSignal = async (signal) => {
    log(`bench: ${signal}, stopping workers…`);
    await stopAll();
    process.exit(130);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  try {
    const configs = await snapshotSources(root, path.join(runDir, "sources"));
    const [fakePort, barePort, gatewayPort] = await ports(3);
    const fakeUrl = `http://127.0.0.1:${fakePort}`;
    const secrets = {
      LW_VIRTUAL_KEY_PEPPER: randomBytes(32).toString("hex"),
      LW_GATEWAY_INTERNAL_SECRET: randomBytes(32).toString("hex"),
      LW_GATEWAY_JWT_SECRET: randomBytes(32).toString("hex"),
    };
    const persistDir = path.join(runDir, "gateway-state");
    log(`bench: seeding the gateway's local state in ${path.relative(root, persistDir)}`);
    const seeded = await seedLocalGateway({
      persistDir,
      pepper: secrets.LW_VIRTUAL_KEY_PEPPER,
      project: "bench",
      providers: [{ name: "fake", type: "openai-compatible", base_url: `${fakeUrl}/v1` }],
      keys: [{ name: "bench", environment: "test", config: { providers: ["fake"] } }],
    });
    const secret = seeded.keys[0]?.secret;
    if (!secret) throw new Error("bench: seedLocalGateway returned no key");

    log("bench: starting the fake provider, the bare passthrough and the gateway (wrangler dev)…");
    const started = await Promise.allSettled([
      startWorker({ config: configs.fakeProvider, port: fakePort, logFile: path.join(runDir, "fake-provider.log") }),
      startWorker({
        config: configs.passthrough,
        port: barePort,
        vars: { UPSTREAM: fakeUrl },
        logFile: path.join(runDir, "bare.log"),
      }),
      startWorker({
        config: configs.gateway,
        port: gatewayPort,
        persistDir,
        vars: secrets,
        logFile: path.join(runDir, "gateway.log"),
      }),
    ]);
    for (const s of started) if (s.status === "fulfilled") workers.push(s.value);
    const startFailure = started.find((s) => s.status === "rejected");
    if (startFailure) throw startFailure.reason;
    const [, bare, gateway] = started.map((s) => s.value);
    const targets = { bare: bare.url.replace(/\/$/, ""), gateway: gateway.url.replace(/\/$/, "") };

    const expected = { json: await referenceAnswer(fakeUrl, false), stream: await referenceAnswer(fakeUrl, true) };
    for (const mode of parameters.modes) {
      for (const [name, url] of Object.entries(targets)) {
        const r = await timedRequest(
          `${url}/v1/chat/completions`,
          requestInit(secret, mode === "stream"),
          responseCheck({ stream: mode === "stream", expected: expected[mode] }),
        );
        if (!r.ok) throw new Error(`bench: the ${name} target fails a single ${mode} request: ${r.error}`);
      }
    }

    const cells = [];
    for (const mode of parameters.modes) {
      for (const concurrency of parameters.concurrency) {
        log(`bench: ${mode} × ${concurrency}…`);
        const cell = await measureCell({
          mode,
          concurrency,
          targets,
          ports: { bare: barePort, gateway: gatewayPort, fake: fakePort },
          secret,
          expected: expected[mode],
          fakeUrl,
        });
        const c = cell.comparison;
        const perRound = (side) => side.roundRps.map((r) => r.toFixed(0)).join("/");
        log(`  req/s by round: bare ${perRound(cell.bare)}, gateway ${perRound(cell.gateway)}`);
        log(
          `  bare ${cell.bare.rps.toFixed(0)} req/s p50 ${cell.bare.latencyMs.p50.toFixed(2)} ms · gateway ${cell.gateway.rps.toFixed(0)} req/s p50 ${cell.gateway.latencyMs.p50.toFixed(2)} ms · ratio ${c.throughputRatio.toFixed(3)}, added p50 ${c.addedP50Ms.toFixed(2)} ms`,
        );
        cells.push(cell);
      }
    }

    const errors = cells.reduce((n, c) => n + c.warmupErrors + c.bare.errors + c.gateway.errors, 0);
    const results = {
      date: startedAt.toISOString().slice(0, 10),
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      machine: {
        ...machineFacts(root),
        loadAverage1m: { atStart: round2(loadAtStart[0]), atEnd: round2(os.loadavg()[0]) },
      },
      parameters,
      requestBody: { json: JSON.parse(chatBody(false)), stream: JSON.parse(chatBody(true)) },
      errors,
      targetsMet: cells.every((c) => verdict(c.comparison).met),
      cells,
    };
    const tables = renderTables(results);
    console.log(
      `\n${tables.perTarget}\n\n${tables.ratios}\n${tables.cpu ? `\nCPU ms per request (from /proc):\n\n${tables.cpu}\n` : ""}`,
    );
    if (!opts["no-write"]) {
      const written = await writeResults(path.join(root, "bench", "results"), results);
      log(`bench: wrote ${path.relative(root, written.json)} and ${path.relative(root, written.md)}`);
    }
    console.log(
      results.targetsMet ? "Targets met in every cell." : "Targets NOT met in every cell (see the MISSED rows above).",
    );
    if (errors > 0) {
      for (const c of cells) {
        for (const e of [...c.warmupErrorSamples, ...c.bare.errorSamples, ...c.gateway.errorSamples])
          log(`  ${c.mode} × ${c.concurrency}: ${e}`);
      }
      console.error(
        `bench: ${errors} requests failed; these numbers are not valid. Logs: ${path.relative(root, runDir)}`,
      );
      return 1;
    }
    failed = false;
    return 0;
  } finally {
    await stopAll();
    if (failed || opts.keep) log(`bench: logs and state kept in ${path.relative(root, runDir)}`);
    else await rm(runDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
