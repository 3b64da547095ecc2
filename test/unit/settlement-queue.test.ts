import { describe, expect, it } from "vitest";
import { SettlementQueue } from "../../src/pipeline/settlement-queue";

/** The group commit behind settlement: one delivery per target per window, retried once. */

function recorder() {
  const deliveries: { target: string; items: number[] }[] = [];
  const deliver = (target: string) => (items: number[]) => {
    deliveries.push({ target, items: [...items] });
    return Promise.resolve();
  };
  return { deliveries, deliver };
}

describe("SettlementQueue", () => {
  it("delivers what arrives within the window for one target in one call, and each caller waits for it", async () => {
    const q = new SettlementQueue<number>(20, 100);
    const { deliveries, deliver } = recorder();
    const waits = [1, 2, 3].map((n) => q.enqueue("a", n, deliver("a")));
    expect(deliveries).toEqual([]); // nothing before the window ends
    expect(q.pending).toBe(3);
    await Promise.all(waits);
    expect(deliveries).toEqual([{ target: "a", items: [1, 2, 3] }]);
    expect(q.pending).toBe(0);
  });

  it("keeps targets apart", async () => {
    const q = new SettlementQueue<number>(10, 100);
    const { deliveries, deliver } = recorder();
    await Promise.all([
      q.enqueue("a", 1, deliver("a")),
      q.enqueue("b", 2, deliver("b")),
      q.enqueue("a", 3, deliver("a")),
    ]);
    expect(deliveries.sort((x, y) => x.target.localeCompare(y.target))).toEqual([
      { target: "a", items: [1, 3] },
      { target: "b", items: [2] },
    ]);
  });

  it("flushes at once when a batch is full, and starts a new one after", async () => {
    const q = new SettlementQueue<number>(60_000, 3);
    const { deliveries, deliver } = recorder();
    const full = [1, 2, 3].map((n) => q.enqueue("a", n, deliver("a")));
    await Promise.all(full); // did not wait a minute for the timer
    expect(deliveries).toEqual([{ target: "a", items: [1, 2, 3] }]);
    const next = q.enqueue("a", 4, deliver("a"));
    expect(q.pending).toBe(1);
    void next;
  });

  it("retries a failed delivery once with the same items", async () => {
    const q = new SettlementQueue<number>(5, 100);
    const attempts: number[][] = [];
    const flaky = (items: number[]) => {
      attempts.push([...items]);
      return attempts.length === 1 ? Promise.reject(new Error("overloaded")) : Promise.resolve();
    };
    await Promise.all([q.enqueue("a", 1, flaky), q.enqueue("a", 2, flaky)]);
    expect(attempts).toEqual([
      [1, 2],
      [1, 2],
    ]);
  });

  it("rejects every caller of a batch that fails twice, one by one too", async () => {
    const q = new SettlementQueue<number>(5, 100);
    const calls: number[][] = [];
    const broken = (items: number[]) => {
      calls.push([...items]);
      return Promise.reject(new Error("gone"));
    };
    const results = await Promise.allSettled([q.enqueue("a", 1, broken), q.enqueue("a", 2, broken)]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(results[0]?.status === "rejected" && String(results[0].reason)).toContain("gone");
    expect(calls).toEqual([[1, 2], [1, 2], [1], [2]]);
  });

  it("after a batch fails twice, delivers the others one by one: one bad item fails alone", async () => {
    const q = new SettlementQueue<number>(5, 100);
    const delivered: number[] = [];
    const refusesSeven = (items: number[]) => {
      if (items.includes(7)) return Promise.reject(new TypeError("invalid item 7"));
      delivered.push(...items);
      return Promise.resolve();
    };
    const results = await Promise.allSettled([6, 7, 8].map((n) => q.enqueue("a", n, refusesSeven)));
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(delivered.sort()).toEqual([6, 8]);
  });
});
