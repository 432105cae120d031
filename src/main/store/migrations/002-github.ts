// Migration 2 — the mirror of GitHub (the source of truth for these rows).
export default /* sql */ `
CREATE TABLE issues (
  repo_id      INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
  number       INTEGER NOT NULL,
  title        TEXT NOT NULL,
  body         TEXT NOT NULL DEFAULT '',
  state        TEXT NOT NULL,               -- open | closed
  author       TEXT NOT NULL,
  author_association TEXT NOT NULL DEFAULT 'NONE',
  labels       TEXT NOT NULL DEFAULT '[]',  -- JSON array of names
  is_pull      INTEGER NOT NULL DEFAULT 0,
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL,
  closed_at    TEXT,
  PRIMARY KEY (repo_id, number)
) STRICT;
CREATE INDEX issues_updated ON issues(repo_id, updated_at);

CREATE TABLE comments (
  repo_id    INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
  id         INTEGER NOT NULL,
  issue      INTEGER NOT NULL,
  author     TEXT NOT NULL,
  body       TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (repo_id, id)
) STRICT;
CREATE INDEX comments_issue ON comments(repo_id, issue);

CREATE TABLE labels (
  repo_id     INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
  name        TEXT NOT NULL,
  color       TEXT NOT NULL,
  description TEXT,
  PRIMARY KEY (repo_id, name)
) STRICT;

CREATE TABLE pulls (
  repo_id    INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
  number     INTEGER NOT NULL,
  issue      INTEGER,                       -- the issue it closes, when known
  title      TEXT NOT NULL,
  body       TEXT NOT NULL DEFAULT '',
  state      TEXT NOT NULL,                 -- open | closed
  merged     INTEGER NOT NULL DEFAULT 0,
  head       TEXT NOT NULL,
  base       TEXT NOT NULL,
  head_sha   TEXT,
  author     TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (repo_id, number)
) STRICT;

-- Conditional-request state: one row per polled URL (ETag) and cursors.
CREATE TABLE sync_state (
  repo_id INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
  key     TEXT NOT NULL,
  etag    TEXT,
  cursor  TEXT,
  PRIMARY KEY (repo_id, key)
) STRICT;

-- Issues typed in Baton that GitHub has not accepted yet: nothing typed is lost.
CREATE TABLE drafts (
  id         INTEGER PRIMARY KEY,
  repo_id    INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
  title      TEXT NOT NULL,
  body       TEXT NOT NULL,
  labels     TEXT NOT NULL DEFAULT '[]',
  error      TEXT,
  created_at TEXT NOT NULL
) STRICT;
`
