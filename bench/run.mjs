#!/usr/bin/env node
/**
 * `npm run bench`: the gateway's overhead over a bare passthrough Worker, both in front of the fake
 * provider, for chat completions (JSON and streaming) at concurrency 1 and 32. All Workers run in ONE
 * local runtime (one Miniflare, one workerd), each on its own socket. Method: bench/README.md.
 *
 * Options: --warmup-ms N (per cell and target, default 1500), --round-ms N (default 2000),
 * --rounds N (default 4), --concurrency 1,32, --modes json,stream,
 * --targets bare,bare-js-stream,gateway,gateway-limits,gateway-translated (bare first;
 * bare-js-stream the passthrough copying bodies through a JS stream, a reference; gateway-limits the
 * gateway with a rate-limited key; gateway-translated the gateway translating to an `anthropic`
 * binding and back), --gateway-config PATH (the gateway's wrangler config, default wrangler.toml:
 * point it at an exported tree to benchmark other code), --note TEXT (a line for the .md),
 * --keep (keep bench/.tmp/run-*), --no-write (print only).
 */
import { randomBytes } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { freePort, seedLocalGateway } from "../scripts/lib/local-stack.mjs";
import { bundleWorker } from "./lib/bundle.mjs";
import { answerFromJson, answerFromStream, responseCheck } from "./lib/checks.mjs";
import { cpuBetween, cpuPerRequest, cpuProbeAvailable, cpuSnapshot } from "./lib/cpu.mjs";
import { runLoad, timedRequest } from "./lib/load.mjs";
import { machineFacts, REFERENCE_TARGETS, renderTables, verdict, writeResults } from "./lib/report.mjs";
import { startRuntime } from "./lib/runtime.mjs";
import { compare, summarize } from "./lib/stats.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** What each target is; `bare` is the floor every other target is compared with. */
const TARGET_DESCRIPTIONS = {
  bare: "the passthrough Worker: forwards the request to the fake provider, returns its response untouched",
  "bare-js-stream":
    "the same passthrough, copying the response body through a JavaScript stream (one read and one enqueue per chunk, nothing else): the runtime's floor for any Worker that looks at the bytes it streams",
  gateway: "the gateway, with a key whose chain is one `openai-compatible` binding to the fake provider",
  "gateway-limits":
    "the gateway, with a key that also has rate limits (rpm, rpd, tpm) far too high to refuse: the Durable Object round trip on top of `gateway`",
  "gateway-translated":
    "the gateway, with a key whose chain is one `anthropic` binding to the fake provider: the same OpenAI request translated to Anthropic Messages and the answer (stream included) back, against `gateway`'s same-format passthrough",
};
/**
 * Targets whose usage total is their own: the fake provider reports Anthropic usage (cache reads and
 * writes apart from input), so the translated answer's total_tokens differs from the OpenAI answer's.
 * Each takes it from one checked reference request before measuring (bench/README.md).
 */
const OWN_USAGE = new Set(["gateway-translated"]);
/** Each target compared with the one it adds a single thing to, besides bare: translation against passthrough. */
const AGAINST = { "gateway-translated": "gateway" };
/** The Worker variable the `anthropic` binding's key is read from (the binding's api_key_secret). */
const ANTHROPIC_KEY_VAR = "BENCH_ANTHROPIC_API_KEY";
/** Limits a benchmark never reaches, so the limiter is consulted on every request but never refuses. */
const UNREACHABLE_LIMITS = { rpm: 100_000_000, rpd: 1_000_000_000, tpm: 1_000_000_000_000 };

const { values: opts } = parseArgs({
  options: {
    "warmup-ms": { type: "string", default: "1500" },
    "round-ms": { type: "string", default: "2000" },
    rounds: { type: "string", default: "4" },
    concurrency: { type: "string", default: "1,32" },
    modes: { type: "string", default: "json,stream" },
    targets: { type: "string", default: "bare,bare-js-stream,gateway,gateway-limits,gateway-translated" },
    "gateway-config": { type: "string", default: "wrangler.toml" },
    note: { type: "string" },
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
  targets: opts.targets.split(","),
  gatewayConfig: path.relative(root, path.resolve(root, opts["gateway-config"])),
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
for (const t of parameters.targets)
  if (!(t in TARGET_DESCRIPTIONS))
    throw new Error(`bench: unknown target ${t} (${Object.keys(TARGET_DESCRIPTIONS).join(", ")})`);
if (parameters.targets[0] !== "bare" || new Set(parameters.targets).size !== parameters.targets.length)
  throw new Error("bench: --targets must start with bare and name each target once");

const log = (line) => process.stderr.write(`${line}\n`);
const round2 = (v) => Math.round(v * 100) / 100;

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

/**
 * A target's own answer for a mode, from one request to it: checked like every measured response
 * (status, content type, complete stream, the fake provider's content), except that its usage total
 * may be any positive whole number; that total is then what every later response of it must carry.
 */
async function targetReference(name, target, stream, content) {
  const res = await fetch(`${target.url}/v1/chat/completions`, requestInit(target.secret, stream));
  const text = await res.text();
  const problem = responseCheck({ stream, expected: { content, totalTokens: null } })({
    status: res.status,
    contentType: res.headers.get("content-type") ?? "",
    text,
  });
  if (problem)
    throw new Error(`bench: the ${name} target's reference ${stream ? "stream" : "json"} request fails: ${problem}`);
  return /** @type {{ answer: import("./lib/checks.mjs").Answer }} */ (
    (stream ? answerFromStream : answerFromJson)(text)
  ).answer;
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

/** Requests per target, the CPU its rounds cost and the log lines workerd wrote during them. */
async function measureCell({ mode, concurrency, targets, runtime, expected, fakeUrl }) {
  const stream = mode === "stream";
  const names = Object.keys(targets);
  const checks = Object.fromEntries(names.map((n) => [n, responseCheck({ stream, expected: expected[n] })]));
  const load = (name, durationMs) =>
    runLoad({
      url: `${targets[name].url}/v1/chat/completions`,
      init: requestInit(targets[name].secret, stream),
      check: checks[name],
      concurrency,
      durationMs,
    });
  const snapshot = () => (cpuProbeAvailable() ? cpuSnapshot(runtime.hostPid) : null);

  const warmupErrors = [];
  for (const name of names) warmupErrors.push(...(await load(name, parameters.warmupMs)).errors);
  const rounds = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < parameters.rounds; i++) {
    // In order, then reversed (ABBA for two targets), so drift in the machine's load hits all alike.
    const order = i % 2 === 0 ? names : [...names].reverse();
    for (const name of order) {
      await resetFakeProvider(fakeUrl);
      const logsBefore = (await runtime.logCounts()).total;
      const before = snapshot();
      const result = await load(name, parameters.roundMs);
      const after = snapshot();
      const logLines = (await runtime.logCounts()).total - logsBefore;
      rounds[name].push({ ...result, cpu: cpuBetween(before, after), logLines });
    }
  }
  const side = (name) => {
    const served = (r) => r.samples.length + r.errors.length;
    const requests = rounds[name].reduce((a, r) => a + served(r), 0);
    return {
      ...summarize(rounds[name]),
      cpuMsPerRequest: cpuPerRequest(rounds[name].map((r) => ({ cpu: r.cpu, requests: served(r) }))),
      logLinesPerRequest: rounds[name].reduce((a, r) => a + r.logLines, 0) / requests,
    };
  };
  const sides = Object.fromEntries(names.map((n) => [n, side(n)]));
  return {
    mode,
    concurrency,
    warmupErrors: warmupErrors.length,
    warmupErrorSamples: [...new Set(warmupErrors)].slice(0, 5),
    targets: sides,
    comparisons: Object.fromEntries(names.filter((n) => n !== "bare").map((n) => [n, compare(sides.bare, sides[n])])),
    // Each target against the one it adds a single thing to (translation against passthrough), when both ran.
    against: Object.fromEntries(
      names
        .filter((n) => AGAINST[n] && sides[AGAINST[n]])
        .map((n) => [n, { base: AGAINST[n], ...compare(sides[AGAINST[n]], sides[n]) }]),
    ),
  };
}

/**
 * The gateway's local state: migrations, one project, the fake provider's bindings (OpenAI-compatible
 * at its /v1; Anthropic at its root, as Anthropic's API root is given, with its key in a Worker
 * variable), a key per gateway target.
 */
async function seedGateway({ persistDir, pepper, fakeUrl }) {
  const keyFor = {
    gateway: { name: "bench", environment: "test", config: { providers: ["fake"] } },
    "gateway-limits": {
      name: "bench-limits",
      environment: "test",
      config: { providers: ["fake"], rate_limits: UNREACHABLE_LIMITS },
    },
    "gateway-translated": { name: "bench-translated", environment: "test", config: { providers: ["fake-anthropic"] } },
  };
  const wanted = parameters.targets.filter((t) => t in keyFor);
  const seeded = await seedLocalGateway({
    persistDir,
    pepper,
    project: "bench",
    providers: [
      { name: "fake", type: "openai-compatible", base_url: `${fakeUrl}/v1` },
      { name: "fake-anthropic", type: "anthropic", base_url: fakeUrl, api_key_secret: ANTHROPIC_KEY_VAR },
    ],
    keys: wanted.map((t) => keyFor[t]),
  });
  return Object.fromEntries(
    wanted.map((t) => {
      const secret = seeded.keys.find((k) => k.name === keyFor[t].name)?.secret;
      if (!secret) throw new Error(`bench: seedLocalGateway returned no key for ${t}`);
      return [t, secret];
    }),
  );
}

async function main() {
  const startedAt = new Date();
  const loadAtStart = os.loadavg();
  const runDir = path.join(root, "bench", ".tmp", `run-${startedAt.getTime()}`);
  await mkdir(runDir, { recursive: true });
  let runtime = null;
  let failed = true;
  const onSignal = async (signal) => {
    log(`bench: ${signal}, stopping the runtime…`);
    await runtime?.stop();
    process.exit(130);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  try {
    // The fake provider's port is fixed before seeding: the gateway's provider binding points at it.
    const fakePort = await freePort();
    const fakeUrl = `http://127.0.0.1:${fakePort}`;
    const secrets = {
      LW_VIRTUAL_KEY_PEPPER: randomBytes(32).toString("hex"),
      LW_GATEWAY_INTERNAL_SECRET: randomBytes(32).toString("hex"),
      LW_GATEWAY_JWT_SECRET: randomBytes(32).toString("hex"),
      // The `anthropic` binding's key: the fake provider only asks that one is sent.
      [ANTHROPIC_KEY_VAR]: `sk-ant-bench-${randomBytes(8).toString("hex")}`,
    };
    const persistDir = path.join(runDir, "gateway-state");
    log(`bench: seeding the gateway's local state in ${path.relative(root, persistDir)}`);
    const keys = await seedGateway({ persistDir, pepper: secrets.LW_VIRTUAL_KEY_PEPPER, fakeUrl });

    log("bench: bundling the fake provider, the bare passthrough and the gateway (wrangler deploy --dry-run)…");
    const configs = {
      "fake-provider": path.join(root, "test/fake-provider/wrangler.toml"),
      bare: path.join(root, "bench/passthrough/wrangler.toml"),
      gateway: path.resolve(root, parameters.gatewayConfig),
    };
    const bundles = {};
    for (const [name, config] of Object.entries(configs))
      bundles[name] = await bundleWorker({ config, outDir: path.join(runDir, "bundles", name) });

    log("bench: starting the three Workers in one local runtime (Miniflare, one workerd)…");
    runtime = await startRuntime({
      logFile: path.join(runDir, "runtime.log"),
      spec: {
        persistDir,
        workers: [
          { name: "fake-provider", config: configs["fake-provider"], bundle: bundles["fake-provider"], port: fakePort },
          { name: "bare", config: configs.bare, bundle: bundles.bare, vars: { UPSTREAM: fakeUrl } },
          ...(parameters.targets.includes("bare-js-stream")
            ? [
                {
                  name: "bare-js-stream",
                  config: configs.bare,
                  bundle: bundles.bare,
                  vars: { UPSTREAM: fakeUrl, COPY_IN_JS: "true" },
                },
              ]
            : []),
          { name: "gateway", config: configs.gateway, bundle: bundles.gateway, vars: secrets },
        ],
      },
    });
    if (runtime.urls["fake-provider"] !== fakeUrl)
      throw new Error(`bench: the fake provider listens on ${runtime.urls["fake-provider"]}, not ${fakeUrl}`);
    const targets = Object.fromEntries(
      parameters.targets.map((t) => [
        t,
        t === "bare" || t === "bare-js-stream"
          ? { url: runtime.urls[t], secret: "unused" }
          : { url: runtime.urls.gateway, secret: keys[t] },
      ]),
    );

    // expected[mode][target]: the fake provider's own answer, or for a translated target the same
    // content with the usage total of its own reference request.
    const expected = {};
    for (const mode of parameters.modes) {
      const stream = mode === "stream";
      const fake = await referenceAnswer(fakeUrl, stream);
      expected[mode] = {};
      for (const [name, t] of Object.entries(targets)) {
        if (OWN_USAGE.has(name)) {
          expected[mode][name] = await targetReference(name, t, stream, fake.content);
          log(
            `bench: ${name} reports usage.total_tokens ${expected[mode][name].totalTokens} for ${mode} (the fake provider's OpenAI answer: ${fake.totalTokens}); its responses must carry that`,
          );
        } else expected[mode][name] = fake;
        const r = await timedRequest(
          `${t.url}/v1/chat/completions`,
          requestInit(t.secret, stream),
          responseCheck({ stream, expected: expected[mode][name] }),
        );
        if (!r.ok) throw new Error(`bench: the ${name} target fails a single ${mode} request: ${r.error}`);
      }
    }

    const cells = [];
    for (const mode of parameters.modes) {
      for (const concurrency of parameters.concurrency) {
        log(`bench: ${mode} × ${concurrency} (load average ${os.loadavg()[0].toFixed(2)})…`);
        const cell = await measureCell({ mode, concurrency, targets, runtime, expected: expected[mode], fakeUrl });
        for (const [name, side] of Object.entries(cell.targets)) {
          const c = cell.comparisons[name];
          const a = cell.against[name];
          log(
            `  ${name.padEnd(18)} ${side.rps.toFixed(0).padStart(5)} req/s (rounds ${side.roundRps.map((r) => r.toFixed(0)).join("/")}), p50 ${side.latencyMs.p50.toFixed(2)} ms${c ? ` · ratio ${c.throughputRatio.toFixed(3)}, added p50 ${c.addedP50Ms.toFixed(2)} ms` : ""}${a ? ` · against ${a.base}: ratio ${a.throughputRatio.toFixed(3)}, added p50 ${a.addedP50Ms.toFixed(2)} ms` : ""}`,
          );
        }
        cells.push(cell);
      }
    }

    const errors = cells.reduce(
      (n, c) => n + c.warmupErrors + Object.values(c.targets).reduce((a, s) => a + s.errors, 0),
      0,
    );
    const results = {
      date: startedAt.toISOString().slice(0, 10),
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      method: "one local runtime: Miniflare with the three Workers, each on its own socket, production bundles",
      ...(opts.note ? { note: opts.note } : {}),
      machine: {
        ...machineFacts(root),
        loadAverage1m: { atStart: round2(loadAtStart[0]), atEnd: round2(os.loadavg()[0]) },
      },
      parameters,
      targetDescriptions: Object.fromEntries(parameters.targets.map((t) => [t, TARGET_DESCRIPTIONS[t]])),
      requestBody: { json: JSON.parse(chatBody(false)), stream: JSON.parse(chatBody(true)) },
      expectedAnswers: expected,
      errors,
      targetsMet: cells.every((c) =>
        Object.entries(c.comparisons).every(([name, cmp]) => REFERENCE_TARGETS.has(name) || verdict(cmp).met),
      ),
      cells,
    };
    const tables = renderTables(results);
    console.log(
      `\n${tables.perTarget}\n\n${tables.ratios}\n${tables.against ? `\nTranslation against passthrough (each target against the gateway target it adds one thing to):\n\n${tables.against}\n` : ""}${tables.cpu ? `\nCPU ms per request (from /proc):\n\n${tables.cpu}\n` : ""}`,
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
        const samples = [...c.warmupErrorSamples, ...Object.values(c.targets).flatMap((s) => s.errorSamples)];
        for (const e of samples) log(`  ${c.mode} × ${c.concurrency}: ${e}`);
      }
      console.error(
        `bench: ${errors} requests failed; these numbers are not valid. Logs: ${path.relative(root, runDir)}`,
      );
      return 1;
    }
    failed = false;
    return 0;
  } finally {
    await runtime?.stop();
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
