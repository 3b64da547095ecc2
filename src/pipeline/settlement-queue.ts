/**
 * Group commit for settlements: what requests settle with one Durable Object within a short window
 * goes to it in one RPC (`settleBatch`) instead of one call per request. A busy key (hundreds of
 * requests a second) then costs its object one call and one transaction per window, not per request.
 *
 * - The queue lives in the isolate and holds plain data only; the flush gets its stub then, in the
 *   context of the request whose timer fired.
 * - Every request waits (in `waitUntil`) for the flush that carries its item, so the isolate stays
 *   alive until its settlement is delivered. A failed flush is retried once; if it fails again, each
 *   item is delivered on its own, so one item the object refuses cannot take the others down with
 *   it. A request whose item still fails sees the error and logs it (the objects' sweeps release
 *   reservations nobody settled).
 * - The window only delays when a settlement lands, never what it says: reservations are held a
 *   little longer, which can only refuse sooner, never admit more.
 */

/** How long the first item of a batch waits for others. */
export const SETTLE_WINDOW_MS = 50;
/** A batch this large flushes at once (well under the objects' MAX_SETTLE_BATCH). */
export const SETTLE_BATCH_MAX = 100;
const RETRY_DELAY_MS = 250;

/** Per item of a batch: delivered, or why it could not be. */
type Outcome = { delivered: true } | { delivered: false; error: Error };
type Outcomes = Outcome[];

const DELIVERED: Outcome = { delivered: true };
const failed = (err: unknown): Outcome => ({
  delivered: false,
  error: err instanceof Error ? err : new Error(String(err)),
});

interface Batch<T> {
  items: T[];
  timer: ReturnType<typeof setTimeout> | null;
  deliver: (items: T[]) => Promise<void>;
  /**
   * Settled once with every item's outcome. Created by the request that opened the batch, in whose
   * context the timer fires: the runtime only lets a request settle promises of its own, so the
   * others wait on this one (waiting on another request's promise is allowed) instead of being
   * settled from here.
   */
  outcomes: Promise<Outcomes>;
  settle: (outcomes: Outcomes) => void;
}

export class SettlementQueue<T> {
  private readonly open = new Map<string, Batch<T>>();

  constructor(
    private readonly windowMs = SETTLE_WINDOW_MS,
    private readonly maxItems = SETTLE_BATCH_MAX,
  ) {}

  /**
   * Queues `item` for the object named `target`; resolves once it was delivered, rejects if it could
   * not be. `deliver` sends a batch (the first caller's is used for the batch; all callers of one
   * target pass the same).
   */
  enqueue(target: string, item: T, deliver: (items: T[]) => Promise<void>): Promise<void> {
    let batch = this.open.get(target);
    if (batch === undefined) {
      let settle!: (outcomes: Outcomes) => void;
      const outcomes = new Promise<Outcomes>((resolve) => (settle = resolve));
      const opened: Batch<T> = { items: [], timer: null, deliver, outcomes, settle };
      opened.timer = setTimeout(() => this.flush(target, opened), this.windowMs);
      this.open.set(target, opened);
      batch = opened;
    }
    const index = batch.items.push(item) - 1;
    const mine = batch.outcomes.then((all) => {
      const outcome = all[index];
      if (outcome !== undefined && !outcome.delivered) throw outcome.error;
    });
    if (batch.items.length >= this.maxItems) this.flush(target, batch);
    return mine;
  }

  /** Items waiting, all targets together (tests and diagnostics). */
  get pending(): number {
    let n = 0;
    for (const b of this.open.values()) n += b.items.length;
    return n;
  }

  private flush(target: string, batch: Batch<T>): void {
    if (this.open.get(target) !== batch) return; // already flushed (size reached before the timer)
    this.open.delete(target);
    if (batch.timer !== null) clearTimeout(batch.timer);
    void deliverAll(batch.items, batch.deliver).then(batch.settle);
  }
}

/** Every item's outcome: the batch in one call (retried once), else item by item. */
async function deliverAll<T>(items: T[], deliver: (items: T[]) => Promise<void>): Promise<Outcomes> {
  try {
    await withOneRetry(() => deliver(items));
    return items.map(() => DELIVERED);
  } catch (err) {
    if (items.length === 1) return [failed(err)];
  }
  // The batch failed twice: one by one, so only the items that really fail are lost to the sweep.
  return Promise.all(
    items.map((item) =>
      deliver([item]).then(
        () => DELIVERED,
        (err: unknown) => failed(err),
      ),
    ),
  );
}

async function withOneRetry(run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch {
    await new Promise((r) => setTimeout(r, RETRY_DELAY_MS));
    await run();
  }
}
