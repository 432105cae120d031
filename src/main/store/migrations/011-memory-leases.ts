// Migration 11 — scoped memory and file leases (issue #14, DESIGN.md §11):
// - memory: what agents and people remember, one text per (scope, key):
//   `issue:owner/repo#n`, `repo:owner/repo`, `agent:<name>`, `private:<name>`
//   (store/memory.ts; who may read and write is memory/scope.ts). Issue and
//   repository scopes keep their repository's id, so a disconnect removes
//   them; an entry with `expires_at` in the past is never read and is swept.
// - leases: advisory leases on paths or globs of one repository, held by a
//   task's attempt (main's on the plan's files for the Engineer, or the
//   agent's own `lease_files`) or by a person (task_id NULL). A task's lease
//   counts only while that attempt runs or waits (store/leases.ts joins tasks),
//   so no state change can leave one behind; ended ones are swept.
// - plan_files: the files the Architect's plan names (its "## Affected
//   files"), read when the plan note is added: what an issue's Engineer will
//   touch, for the scheduler's lease check.
export default /* sql */ `
CREATE TABLE memory (
  id         INTEGER PRIMARY KEY,
  scope      TEXT NOT NULL,
  key        TEXT NOT NULL,
  text       TEXT NOT NULL,
  author     TEXT NOT NULL,
  repo_id    INTEGER REFERENCES repos(id) ON DELETE CASCADE,
  issue      INTEGER,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  expires_at TEXT,
  UNIQUE (scope, key)
) STRICT;
CREATE INDEX memory_issue ON memory(repo_id, issue);
CREATE INDEX memory_expires ON memory(expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE leases (
  id         INTEGER PRIMARY KEY,
  repo_id    INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
  pattern    TEXT NOT NULL,
  task_id    TEXT REFERENCES tasks(id) ON DELETE CASCADE,
  attempt    INTEGER,
  holder     TEXT NOT NULL,
  issue      INTEGER,
  source     TEXT NOT NULL,
  reason     TEXT,
  created_at TEXT NOT NULL,
  expires_at TEXT
) STRICT;
CREATE INDEX leases_repo ON leases(repo_id);
CREATE INDEX leases_task ON leases(task_id);

CREATE TABLE plan_files (
  repo_id INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
  issue   INTEGER NOT NULL,
  path    TEXT NOT NULL,
  PRIMARY KEY (repo_id, issue, path)
) STRICT;
`
