import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../scripts/lib/paths.mjs";
import { seedScript } from "../../scripts/lib/seed-sql.mjs";

/**
 * The seed's SQL (scripts/lib/seed-sql.mjs, what seedLocalGateway runs with `wrangler d1 execute`)
 * against the gateway's own migrations in an in-memory SQLite, the engine D1 runs: a binding's
 * `settings` are written when the seed gives them, left alone when it does not, and refused when they
 * are no JSON object. Fast: no wrangler, no worker.
 */

const PEPPER = "seed-test-pepper-0123456789";
const BEDROCK_SETTINGS = { region: "eu-west-3", access_key_id: "AKIAFAKEBEDROCK00001" };

function migratedDatabase(): DatabaseSync {
  const db = new DatabaseSync(":memory:");
  const dir = path.join(ROOT, "migrations");
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort()) {
    db.exec(readFileSync(path.join(dir, file), "utf8"));
  }
  return db;
}

interface ProviderRow {
  type: string;
  base_url: string | null;
  api_key_secret: string | null;
  settings: string;
  revision: number;
}

function seed(db: DatabaseSync, providers: Record<string, unknown>[], now = Date.now()): void {
  db.exec(seedScript({ projectName: "seed-test", providers, keys: [], pepper: PEPPER, now }));
}

function provider(db: DatabaseSync, name: string): ProviderRow {
  const row = db
    .prepare("SELECT type, base_url, api_key_secret, settings, revision FROM providers WHERE name = ?")
    .get(name) as ProviderRow | undefined;
  if (!row) throw new Error(`provider ${name} was not seeded`);
  return row;
}

describe("a provider binding's settings in the seed", () => {
  it("are written as the JSON object given, so a Bedrock binding can be seeded", () => {
    const db = migratedDatabase();
    seed(db, [
      {
        name: "bedrock",
        type: "bedrock",
        base_url: "http://127.0.0.1:9999",
        api_key_secret: "FAKE_PROVIDER_KEY",
        settings: BEDROCK_SETTINGS,
      },
      { name: "azure", type: "azure", settings: { api_version: "2024-10-21", deployments: { "gpt-4o": "prod" } } },
    ]);
    const bedrock = provider(db, "bedrock");
    expect(bedrock).toMatchObject({ type: "bedrock", api_key_secret: "FAKE_PROVIDER_KEY", revision: 1 });
    expect(JSON.parse(bedrock.settings)).toEqual(BEDROCK_SETTINGS);
    expect(JSON.parse(provider(db, "azure").settings)).toEqual({
      api_version: "2024-10-21",
      deployments: { "gpt-4o": "prod" },
    });
  });

  it("a binding seeded without settings gets {}, as the column's default", () => {
    const db = migratedDatabase();
    seed(db, [{ name: "mock", type: "mock", models: ["mock-echo"] }]);
    expect(provider(db, "mock").settings).toBe("{}");
  });

  it("a re-seed with the same settings changes nothing; new settings replace the old and bump the revision", () => {
    const db = migratedDatabase();
    const bedrock = { name: "bedrock", type: "bedrock", settings: BEDROCK_SETTINGS };
    seed(db, [bedrock], 1_000);
    seed(db, [bedrock], 2_000);
    expect(provider(db, "bedrock").revision).toBe(1);
    seed(db, [{ ...bedrock, settings: { region: "us-east-1" } }], 3_000);
    const row = provider(db, "bedrock");
    expect(row.revision).toBe(2);
    expect(JSON.parse(row.settings)).toEqual({ region: "us-east-1" });
  });

  it("a re-seed without settings keeps the settings the binding has (set through the admin API, say)", () => {
    const db = migratedDatabase();
    seed(db, [{ name: "bedrock", type: "bedrock", settings: BEDROCK_SETTINGS }], 1_000);
    seed(db, [{ name: "bedrock", type: "bedrock" }], 2_000);
    const row = provider(db, "bedrock");
    expect(row.revision).toBe(1);
    expect(JSON.parse(row.settings)).toEqual(BEDROCK_SETTINGS);
  });

  it("quotes are escaped, never SQL", () => {
    const db = migratedDatabase();
    const settings = { region: "eu-west-3", note: "it's'); DROP TABLE providers; --" };
    seed(db, [{ name: "quoted", type: "bedrock", settings }]);
    expect(JSON.parse(provider(db, "quoted").settings)).toEqual(settings);
  });

  it.each([
    ["an array", ["eu-west-3"], "settings must be a JSON object, got an array"],
    ["null", null, "settings must be a JSON object, got null"],
    ["a string", '{"region":"eu-west-3"}', 'settings must be a JSON object, got {"region":"eu-west-3"}'],
    ["an undefined value", { region: undefined }, "settings.region is not a JSON value"],
    ["NaN", { retries: Number.NaN }, "settings.retries is not a JSON value"],
    ["a Date", { since: new Date(0) }, "settings.since is not a JSON value"],
    ["a bigint deep inside", { a: [{ b: 1n }] }, "settings.a[0].b is not a JSON value"],
  ])("refuses %s, naming the binding and the field", (_what, settings, message) => {
    expect(() =>
      seedScript({
        projectName: "seed-test",
        providers: [{ name: "bad", type: "bedrock", settings }],
        keys: [],
        pepper: PEPPER,
      }),
    ).toThrow(`provider bad: ${message}`);
  });
});
