import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { charge, freshBudgetCounter, freshKeyLimiter, NO_LIMITS, setClock } from "../helpers/do-counters";

/** The counters' SQLite schema is versioned and migrated in the constructor, before any call. */

afterEach(() => {
  vi.useRealTimers();
});

const TABLES =
  "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name";

describe("counter schemas", () => {
  it("upgrades a KeyLimiter left at version 1 (readiness probe only) to version 2", async () => {
    setClock(Date.UTC(2031, 0, 5));
    const stub = freshKeyLimiter();
    // Put the object back in the state the previous release left it in: only schema_meta, version 1.
    await runInDurableObject(stub, (_instance, state) => {
      const tables = state.storage.sql.exec<{ name: string }>(TABLES).toArray();
      for (const { name } of tables) if (name !== "schema_meta") state.storage.sql.exec(`DROP TABLE ${name}`);
      state.storage.sql.exec("UPDATE schema_meta SET value = 1 WHERE key = 'version'");
    });
    await evictDurableObject(stub);

    expect(await stub.ping()).toEqual({ ok: true, schemaVersion: 2 });
    const tables = await runInDurableObject(stub, (_instance, state) =>
      state.storage.sql
        .exec<{ name: string }>(TABLES)
        .toArray()
        .map((t) => t.name),
    );
    expect(tables).toEqual([
      "budget_definitions",
      "budget_periods",
      "outbox",
      "outbox_status",
      "rate_buckets",
      "rate_limits",
      "reservation_lines",
      "reservations",
      "schema_meta",
    ]);
    const result = await stub.admit({
      requestId: "after-upgrade",
      limits: { ...NO_LIMITS, rpm: 1 },
      tokens: 1,
      budgets: [],
    });
    expect(result.ok).toBe(true);
  });

  it("creates a BudgetCounter at version 1 with its budget tables", async () => {
    setClock(Date.UTC(2031, 0, 5));
    const stub = freshBudgetCounter();
    expect((await stub.admit({ requestId: "first", budgets: [charge()] })).ok).toBe(true);
    const meta = await runInDurableObject(stub, (_instance, state) => ({
      version: state.storage.sql.exec<{ value: number }>("SELECT value FROM schema_meta WHERE key = 'version'").one()
        .value,
      tables: state.storage.sql
        .exec<{ name: string }>(TABLES)
        .toArray()
        .map((t) => t.name),
    }));
    expect(meta).toEqual({
      version: 1,
      tables: ["budget_definitions", "budget_periods", "reservation_lines", "reservations", "schema_meta"],
    });
  });
});
