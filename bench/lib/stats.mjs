/** Summary statistics for one benchmark cell. Percentiles use the nearest-rank method. */

/** The p-th percentile (0 < p ≤ 100) of an ascending array, nearest rank. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

function distribution(values) {
  const sorted = Float64Array.from(values).sort();
  const mean = values.reduce((a, b) => a + b, 0) / (values.length || 1);
  return {
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    mean,
    max: sorted[sorted.length - 1] ?? NaN,
  };
}

/**
 * Folds the load results of a cell's rounds into one summary.
 * @param {import("./load.mjs").LoadResult[]} rounds
 */
export function summarize(rounds) {
  const samples = rounds.flatMap((r) => r.samples);
  const errors = rounds.flatMap((r) => r.errors);
  const elapsedMs = rounds.reduce((a, r) => a + r.elapsedMs, 0);
  return {
    requests: samples.length,
    errors: errors.length,
    errorSamples: [...new Set(errors)].slice(0, 5),
    seconds: elapsedMs / 1000,
    rps: samples.length / (elapsedMs / 1000),
    roundRps: rounds.map((r) => r.samples.length / (r.elapsedMs / 1000)),
    latencyMs: distribution(samples.map((s) => s.latencyMs)),
    ttfbMs: distribution(samples.map((s) => s.ttfbMs)),
  };
}

/** Gateway against bare: throughput ratio and the latency the gateway adds at p50 and p99. */
export function compare(bare, gateway) {
  return {
    throughputRatio: gateway.rps / bare.rps,
    addedP50Ms: gateway.latencyMs.p50 - bare.latencyMs.p50,
    addedP99Ms: gateway.latencyMs.p99 - bare.latencyMs.p99,
    addedTtfbP50Ms: gateway.ttfbMs.p50 - bare.ttfbMs.p50,
  };
}
