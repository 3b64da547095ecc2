/**
 * Closed-loop load generator: `concurrency` loops in this process, each sending one request at a time
 * with Node's built-in fetch (undici, keep-alive connections reused across requests) until the
 * deadline. Every response body is read to its last byte and checked; a request that was started
 * before the deadline is always finished and counted.
 */

/**
 * @typedef {{ latencyMs: number, ttfbMs: number }} Sample  time to the last byte, and to the first body byte
 * @typedef {{ samples: Sample[], errors: string[], elapsedMs: number }} LoadResult
 * @typedef {(res: { status: number, contentType: string, text: string }) => string | null} Check  null when the response is good, else why not
 */

/**
 * Sends one request and reads its whole body.
 * @returns {Promise<{ ok: true, sample: Sample } | { ok: false, error: string }>}
 */
export async function timedRequest(url, init, check) {
  const t0 = performance.now();
  let res;
  try {
    res = await fetch(url, init);
  } catch (err) {
    return { ok: false, error: `network error: ${describe(err)}` };
  }
  let firstByteAt = null;
  const chunks = [];
  try {
    if (res.body) {
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        firstByteAt ??= performance.now();
        chunks.push(value);
      }
    }
  } catch (err) {
    return { ok: false, error: `body broke after ${chunks.length} chunks: ${describe(err)}` };
  }
  const end = performance.now();
  const text = Buffer.concat(chunks).toString("utf8");
  const problem = check({ status: res.status, contentType: res.headers.get("content-type") ?? "", text });
  if (problem) return { ok: false, error: problem };
  return { ok: true, sample: { latencyMs: end - t0, ttfbMs: (firstByteAt ?? end) - t0 } };
}

/**
 * Runs `concurrency` loops against `url` for `durationMs`.
 * @param {{ url: string, init: RequestInit, check: Check, concurrency: number, durationMs: number }} opts
 * @returns {Promise<LoadResult>}
 */
export async function runLoad({ url, init, check, concurrency, durationMs }) {
  const samples = [];
  const errors = [];
  const start = performance.now();
  const deadline = start + durationMs;
  let lastEnd = start;
  const loop = async () => {
    while (performance.now() < deadline) {
      const r = await timedRequest(url, init, check);
      if (r.ok) samples.push(r.sample);
      else errors.push(r.error);
      lastEnd = Math.max(lastEnd, performance.now());
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return { samples, errors, elapsedMs: lastEnd - start };
}

function describe(err) {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? ` (${err.cause.message})` : "";
  return `${err.message}${cause}`;
}
