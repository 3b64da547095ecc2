-- Faregate control plane: projects, provider bindings and virtual keys.
-- Timestamps are milliseconds since the Unix epoch (UTC). JSON columns hold validated JSON text.

CREATE TABLE projects (
  id          TEXT PRIMARY KEY,                 -- prj_<ULID>
  name        TEXT NOT NULL UNIQUE,
  revision    INTEGER NOT NULL DEFAULT 1,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);

CREATE TABLE providers (
  id                  TEXT PRIMARY KEY,         -- prv_<ULID>
  name                TEXT NOT NULL UNIQUE,     -- what VK configs name in "providers"
  type                TEXT NOT NULL,            -- contract §5 binding type
  base_url            TEXT,                     -- API root as the provider's SDK takes it
  api_key_secret      TEXT,                     -- name of a Worker secret holding the key
  api_key_ciphertext  TEXT,                     -- or the key itself, encrypted (never plaintext)
  models              TEXT NOT NULL DEFAULT '[]',
  prices              TEXT NOT NULL DEFAULT '{}',
  settings            TEXT NOT NULL DEFAULT '{}',
  revision            INTEGER NOT NULL DEFAULT 1,
  created_at          INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL
);

CREATE TABLE virtual_keys (
  id              TEXT PRIMARY KEY,             -- vk_<ULID>
  project_id      TEXT NOT NULL REFERENCES projects(id),
  name            TEXT NOT NULL,
  environment     TEXT NOT NULL CHECK (environment IN ('live', 'test')),
  principal_id    TEXT,
  display_prefix  TEXT NOT NULL,                -- first 16 characters of the secret
  secret_hash     TEXT NOT NULL UNIQUE,         -- hex(HMAC-SHA256(pepper, secret))
  status          TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
  expires_at      INTEGER,
  revoked_at      INTEGER,
  config          TEXT NOT NULL DEFAULT '{}',
  revision        INTEGER NOT NULL DEFAULT 1,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);

CREATE INDEX virtual_keys_project ON virtual_keys(project_id);
