/**
 * Versioned storage schema of a Durable Object's SQLite database. `migrations[i]` holds the
 * statements that bring the schema from version i to version i + 1; the constructor runs the ones
 * the stored version lacks, in one transaction, before the object serves any call.
 */

export type SchemaMigrations = readonly (readonly string[])[];

const META_TABLE = "CREATE TABLE IF NOT EXISTS schema_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)";

/** The schema version recorded in storage (0 for a new object). */
export function storedSchemaVersion(sql: SqlStorage): number {
  sql.exec(META_TABLE);
  const row = sql.exec<{ value: number }>("SELECT value FROM schema_meta WHERE key = 'version'").toArray()[0];
  return row?.value ?? 0;
}

/** Applies the missing migrations and returns the resulting version (`migrations.length`). */
export function migrateSchema(storage: DurableObjectStorage, migrations: SchemaMigrations): number {
  storage.transactionSync(() => {
    const current = storedSchemaVersion(storage.sql);
    for (let version = current; version < migrations.length; version++) {
      for (const statement of migrations[version] ?? []) storage.sql.exec(statement);
    }
    if (current < migrations.length) {
      storage.sql.exec("INSERT OR REPLACE INTO schema_meta (key, value) VALUES ('version', ?)", migrations.length);
    }
  });
  return migrations.length;
}

/** What a readiness probe learns from an object: it answers, and its storage is at `schemaVersion`. */
export function pingSchema(sql: SqlStorage): { ok: true; schemaVersion: number } {
  return { ok: true, schemaVersion: storedSchemaVersion(sql) };
}
