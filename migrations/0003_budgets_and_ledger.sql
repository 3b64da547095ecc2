-- Budgets (contract §6) and the usage ledger. Money is integer micro-USD.

CREATE TABLE budgets (
  id            TEXT PRIMARY KEY,               -- bdg_<ULID>
  scope         TEXT NOT NULL CHECK (scope IN ('project', 'virtual_key', 'principal')),
  scope_id      TEXT NOT NULL,
  window        TEXT NOT NULL CHECK (window IN ('hour', 'day', 'week', 'month', 'total')),
  limit_micros  INTEGER NOT NULL CHECK (limit_micros > 0),
  on_breach     TEXT NOT NULL CHECK (on_breach IN ('block', 'warn')),
  revision      INTEGER NOT NULL DEFAULT 1,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  UNIQUE (scope, scope_id, window)
);
CREATE INDEX budgets_updated ON budgets(updated_at);

-- One row per settled request, written by the Durable Objects' outbox alarms (INSERT OR IGNORE on
-- request_id, so a retried alarm never counts twice).
CREATE TABLE usage_ledger (
  request_id          TEXT PRIMARY KEY,         -- grq_<ULID>
  at                  INTEGER NOT NULL,
  vk_id               TEXT NOT NULL,
  project_id          TEXT NOT NULL,
  principal_id        TEXT,
  provider            TEXT,
  model               TEXT,
  input_tokens        INTEGER NOT NULL DEFAULT 0,
  output_tokens       INTEGER NOT NULL DEFAULT 0,
  cache_read_tokens   INTEGER NOT NULL DEFAULT 0,
  cache_write_tokens  INTEGER NOT NULL DEFAULT 0,
  cost_micros         INTEGER,                  -- NULL when no price was known
  outcome             TEXT NOT NULL              -- ok | provider_4xx | provider_error | stream_failed | cancelled
);
CREATE INDEX usage_ledger_vk_at ON usage_ledger(vk_id, at);
CREATE INDEX usage_ledger_project_at ON usage_ledger(project_id, at);
