-- Admin API support: the audit trail, rotated-out secrets still inside their grace period, and the
-- cron's refresh watermark.

CREATE TABLE audit_log (
  id           TEXT PRIMARY KEY,                -- aud_<ULID>
  at           INTEGER NOT NULL,
  actor        TEXT NOT NULL,                   -- who: "admin-token" (the bearer's fingerprint)
  action       TEXT NOT NULL,                   -- e.g. virtual_key.rotate
  target_type  TEXT NOT NULL,                   -- project | provider | virtual_key | budget
  target_id    TEXT NOT NULL,
  detail       TEXT NOT NULL DEFAULT '{}'       -- JSON, never secrets
);
CREATE INDEX audit_log_target ON audit_log(target_type, target_id, at);

-- A rotated-out secret keeps working until expires_at (rotate with grace_seconds > 0).
CREATE TABLE virtual_key_old_secrets (
  secret_hash  TEXT PRIMARY KEY,
  vk_id        TEXT NOT NULL REFERENCES virtual_keys(id),
  expires_at   INTEGER NOT NULL
);
CREATE INDEX virtual_key_old_secrets_vk ON virtual_key_old_secrets(vk_id);

CREATE TABLE control_plane_state (
  key    TEXT PRIMARY KEY,
  value  TEXT NOT NULL
);

CREATE INDEX virtual_keys_updated ON virtual_keys(updated_at);
CREATE INDEX providers_updated ON providers(updated_at);
