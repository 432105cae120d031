// Migration 1 — never edit a migration that has shipped; add a new one.
export default /* sql */ `
CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

-- Append-only audit log of everything Baton and its agents did.
CREATE TABLE events (
  id      INTEGER PRIMARY KEY,
  at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  kind    TEXT NOT NULL,
  repo_id INTEGER,
  issue   INTEGER,
  task_id TEXT,
  subject TEXT,
  message TEXT NOT NULL,
  data    TEXT
) STRICT;
CREATE INDEX events_at ON events(at);

CREATE TABLE repos (
  id             INTEGER PRIMARY KEY,
  key            TEXT NOT NULL UNIQUE,      -- normalized remote: host/owner/name, lower case
  host           TEXT NOT NULL,
  api_url        TEXT NOT NULL,
  owner          TEXT NOT NULL,
  name           TEXT NOT NULL,
  default_branch TEXT NOT NULL,
  private        INTEGER NOT NULL DEFAULT 0,
  connected_at   TEXT NOT NULL,
  last_sync_at   TEXT,
  sync_error     TEXT
) STRICT;
`
