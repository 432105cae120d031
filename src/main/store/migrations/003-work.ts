// Migration 3 — what GitHub does not hold: tasks, attempts, agents, usage,
// the human inbox and per-issue notes.
export default /* sql */ `
CREATE TABLE tasks (
  id          TEXT PRIMARY KEY,             -- t_…
  repo_id     INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
  issue       INTEGER NOT NULL,
  stage       TEXT NOT NULL,
  role        TEXT NOT NULL,
  agent       TEXT,
  state       TEXT NOT NULL,                -- queued | running | waiting | applied | failed | cancelled
  attempt     INTEGER NOT NULL DEFAULT 0,
  not_before  TEXT,                         -- backoff: do not start before
  heartbeat_at TEXT,
  session_id  TEXT,
  result      TEXT,
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
) STRICT;
CREATE INDEX tasks_active ON tasks(state);
CREATE INDEX tasks_issue ON tasks(repo_id, issue);

CREATE TABLE attempts (
  task_id     TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
  attempt     INTEGER NOT NULL,
  agent       TEXT NOT NULL,
  started_at  TEXT NOT NULL,
  ended_at    TEXT,
  outcome     TEXT,                         -- done | request | error | timeout | crashed | stale
  response    TEXT,                         -- the raw response text
  log         TEXT,
  PRIMARY KEY (task_id, attempt)
) STRICT;

CREATE TABLE usage (
  id            INTEGER PRIMARY KEY,
  at            TEXT NOT NULL,
  repo_id       INTEGER,
  issue         INTEGER,
  task_id       TEXT,
  agent         TEXT NOT NULL,
  provider      TEXT NOT NULL,
  model         TEXT,
  input_tokens  INTEGER NOT NULL DEFAULT 0,
  output_tokens INTEGER NOT NULL DEFAULT 0,
  cache_read_tokens  INTEGER NOT NULL DEFAULT 0,
  cache_write_tokens INTEGER NOT NULL DEFAULT 0,
  cost_usd      REAL NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX usage_at ON usage(at);

CREATE TABLE requests (
  id          INTEGER PRIMARY KEY,
  kind        TEXT NOT NULL,                -- request | failure
  repo_id     INTEGER REFERENCES repos(id) ON DELETE CASCADE,
  issue       INTEGER,
  task_id     TEXT,
  agent       TEXT,
  question    TEXT NOT NULL,
  answer      TEXT,
  created_at  TEXT NOT NULL,
  answered_at TEXT
) STRICT;
CREATE INDEX requests_open ON requests(answered_at);

CREATE TABLE notes (
  id         INTEGER PRIMARY KEY,
  repo_id    INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
  issue      INTEGER NOT NULL,
  role       TEXT NOT NULL,
  kind       TEXT NOT NULL,                 -- plan | test-report | review | triage | handoff
  body       TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT;
CREATE INDEX notes_issue ON notes(repo_id, issue);
`
