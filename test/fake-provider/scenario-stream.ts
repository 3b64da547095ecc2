/**
 * A fake answer's streamed body, piece by piece (SSE events, event-stream messages), failing as the
 * scenario (the `/s/<scenario>` path prefix) asks; counts are pieces:
 *
 *   split               the bytes in 7-byte chunks that cut pieces and lines
 *   slow-N              N ms before each piece
 *   drop-after-N        N pieces, then the connection breaks
 *   truncate-after-N    N pieces, then a clean close
 *   hang-after-N        N pieces, then silence until the caller aborts
 *
 * A format with its own ways to break (Bedrock's event stream: a message cut in half, a bad
 * checksum, an exception) passes `brokenEnd`: after `after` pieces, `piece` goes out and the stream
 * closes.
 */

export interface ScenarioStreamOptions {
  scenario: string;
  /** The request's signal: `hang-after-N` waits for it. */
  signal: AbortSignal;
  /** Called when the reader cancels the body (the gateway gave up on the answer). */
  onCancel: () => void;
  brokenEnd?: { after: number; piece: Uint8Array } | null;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves once `signal` aborts (at once when it already has). */
export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function scenarioStream(pieces: Uint8Array[], opts: ScenarioStreamOptions): ReadableStream<Uint8Array> {
  const { scenario, signal, onCancel, brokenEnd = null } = opts;
  const after = (name: string) => {
    const m = new RegExp(`^${name}-after-(\\d+)$`).exec(scenario);
    return m ? Number(m[1]) : null;
  };
  const drop = after("drop");
  const truncate = after("truncate");
  const hang = after("hang");
  const slow = /^slow-(\d+)$/.exec(scenario);
  const limit = drop ?? truncate ?? hang ?? brokenEnd?.after ?? Infinity;
  let bytes = concat(...pieces);
  let i = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (scenario === "split") {
        if (bytes.length === 0) return controller.close();
        controller.enqueue(bytes.slice(0, 7));
        bytes = bytes.slice(7);
        return;
      }
      if (i >= limit) {
        if (drop !== null) return controller.error(new Error("fake provider dropped the connection"));
        if (hang !== null) await untilAborted(signal);
        else if (brokenEnd) controller.enqueue(brokenEnd.piece);
        return controller.close();
      }
      if (i >= pieces.length) return controller.close();
      if (slow) await sleep(Number(slow[1]));
      controller.enqueue(pieces[i++]);
    },
    cancel() {
      onCancel();
    },
  });
}
