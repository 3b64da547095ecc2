import { DurableObject } from "cloudflare:workers";

/**
 * One instance per virtual key (named by the key's id): the only place that can count that key's
 * requests, tokens and spend exactly under concurrency. Counting arrives with the limits issue; the
 * storage schema is versioned and migrated in the constructor, before any call is served.
 */

const SCHEMA_VERSION = 1;

export class KeyLimiter extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    void ctx.blockConcurrencyWhile(async () => this.migrate());
  }

  private migrate(): void {
    this.sql.exec("CREATE TABLE IF NOT EXISTS schema_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)");
    const row = this.sql.exec<{ value: number }>("SELECT value FROM schema_meta WHERE key = 'version'").toArray()[0];
    if ((row?.value ?? 0) < SCHEMA_VERSION) {
      this.sql.exec("INSERT OR REPLACE INTO schema_meta (key, value) VALUES ('version', ?)", SCHEMA_VERSION);
    }
  }

  /** Readiness: the object answers and its storage is at the expected schema version. */
  ping(): { ok: true; schemaVersion: number } {
    const row = this.sql.exec<{ value: number }>("SELECT value FROM schema_meta WHERE key = 'version'").one();
    return { ok: true, schemaVersion: row.value };
  }
}
