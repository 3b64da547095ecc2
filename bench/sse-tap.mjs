#!/usr/bin/env node
/**
 * Micro-benchmark of the SSE tap (src/sse/openai-stream.ts) alone, in Node: how long it takes to pass
 * one chat-completions stream through, by how many events the provider packs into each network chunk
 * and whether the usage-only chunk is hidden. Node's streams are not workerd's, so compare versions of
 * the tap with it, not absolute numbers; `npm run bench` measures the gateway as a whole.
 *
 *   node bench/sse-tap.mjs [--events 40] [--per-chunk 1,4,16] [--ms 1500] [path/to/openai-stream.ts …]
 *
 * With several module paths (e.g. a copy of an older version), each is measured in turn, interleaved.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { importFromWrangler } from "./lib/toolchain.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    events: { type: "string", default: "40" },
    "per-chunk": { type: "string", default: "1,4,16" },
    ms: { type: "string", default: "1500" },
  },
});
const contentEvents = Number(opts.events);
const perChunkList = opts["per-chunk"].split(",").map(Number);
const measureMs = Number(opts.ms);
for (const v of [contentEvents, measureMs, ...perChunkList])
  if (!Number.isInteger(v) || v < 1) throw new Error(`sse-tap: expected whole numbers ≥ 1, got ${v}`);
const modules = positionals.length > 0 ? positionals : [path.join(root, "src/sse/openai-stream.ts")];

/** Bundles one version of the tap (with its imports) and imports it. */
async function loadTap(file) {
  const esbuild = await importFromWrangler("esbuild");
  const out = await esbuild.build({
    entryPoints: [path.resolve(file)],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    write: false,
    logLevel: "error",
  });
  const code = out.outputFiles[0].text;
  const mod = await import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`);
  if (typeof mod.tapOpenAIStream !== "function") throw new Error(`sse-tap: ${file} exports no tapOpenAIStream`);
  return mod.tapOpenAIStream;
}

/** The provider's stream as network chunks of `perChunk` events each, like the fake provider's. */
function streamChunks(perChunk) {
  const enc = new TextEncoder();
  const frame = (data) => `data: ${JSON.stringify(data)}\n\n`;
  const events = [];
  for (let i = 0; i < contentEvents; i++) {
    events.push(
      frame({
        id: "chatcmpl-bench",
        object: "chat.completion.chunk",
        created: 0,
        model: "gpt-4o-mini",
        choices: [{ index: 0, delta: { content: ` word${i}` }, finish_reason: null }],
        usage: null,
      }),
    );
  }
  events.push(
    frame({
      id: "chatcmpl-bench",
      object: "chat.completion.chunk",
      created: 0,
      model: "gpt-4o-mini",
      choices: [],
      usage: { prompt_tokens: 9, completion_tokens: contentEvents, total_tokens: 9 + contentEvents },
    }),
    "data: [DONE]\n\n",
  );
  const chunks = [];
  for (let i = 0; i < events.length; i += perChunk) chunks.push(enc.encode(events.slice(i, i + perChunk).join("")));
  return chunks;
}

/** Passes one stream through the tap and reads it to the end; returns the bytes the client got. */
async function once(tap, chunks, hideUsageChunk) {
  let i = 0;
  const upstream = new ReadableStream({
    pull(c) {
      if (i < chunks.length) c.enqueue(chunks[i++]);
      else c.close();
    },
  });
  let outcome = null;
  const out = tap(upstream, { hideUsageChunk, abortUpstream: () => undefined, onDone: (o) => (outcome = o) });
  const reader = out.getReader();
  let bytes = 0;
  let pieces = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.length;
    pieces++;
  }
  if (!outcome?.completed || outcome.chunks !== contentEvents + 1 || !outcome.usage)
    throw new Error(`sse-tap: the tap reported ${JSON.stringify(outcome)}`);
  return { bytes, pieces };
}

/** Streams per second for `ms`, after a short warm-up. */
async function rate(tap, chunks, hideUsageChunk, ms) {
  for (let i = 0; i < 200; i++) await once(tap, chunks, hideUsageChunk);
  let n = 0;
  const start = performance.now();
  let last;
  while (performance.now() - start < ms) {
    last = await once(tap, chunks, hideUsageChunk);
    n++;
  }
  return { usPerStream: ((performance.now() - start) * 1000) / n, ...last };
}

const taps = [];
for (const file of modules) taps.push({ name: path.relative(root, path.resolve(file)), tap: await loadTap(file) });
const rows = [];
for (const perChunk of perChunkList) {
  const chunks = streamChunks(perChunk);
  for (const hide of [false, true]) {
    // Two passes over the versions, interleaved, keeping each one's best: the machine may be busy.
    const best = new Map();
    for (let pass = 0; pass < 2; pass++) {
      for (const { name, tap } of taps) {
        const r = await rate(tap, chunks, hide, measureMs / 2);
        if (!best.has(name) || r.usPerStream < best.get(name).usPerStream) best.set(name, r);
      }
    }
    for (const [name, r] of best) {
      rows.push([
        name,
        perChunk,
        hide ? "yes" : "no",
        r.pieces,
        r.usPerStream.toFixed(1),
        (r.usPerStream / (contentEvents + 2)).toFixed(2),
      ]);
    }
  }
}
const header = ["module", "events/chunk", "hide usage", "client pieces", "µs/stream", "µs/event"];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(" | ")} |`;
console.log(`${contentEvents} content events + usage chunk + [DONE] per stream; Node ${process.version}\n`);
console.log([line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n"));
