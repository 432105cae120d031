// Migration 13 — parallel attempts at the Engineer stage (issue #15,
// pipeline/attempts.ts):
// - attempt_settings: per repository, how many attempts (1 to 5), who picks
//   the one that becomes the PR ('first': the first to pass its tests;
//   'person': a person, from the attempts side by side) and the providers the
//   attempts take in turn (JSON list of "provider[:model]"; empty: the role's own);
// - parallel_groups: one per time an issue's Engineer stage ran N attempts:
//   running → picked (a winner, cleaned once the others' tasks are stopped and
//   their branches and worktrees removed) | failed (none passed) | choosing
//   (every attempt ended, a person picks);
// - parallel_runs: one per attempt: its branch, provider and model, its
//   Engineer task and the Tester task on its branch, the answer it gave (for
//   the PR) and the move it asked for, whether its branch was pushed, and the
//   Tester's verdict.
// Every statement may run again (IF NOT EXISTS): the array order in index.ts
// is the schema version, and 010–012 are being written alongside this one.
export default /* sql */ `
CREATE TABLE IF NOT EXISTS attempt_settings (
  repo_id   INTEGER PRIMARY KEY REFERENCES repos(id) ON DELETE CASCADE,
  attempts  INTEGER NOT NULL DEFAULT 1 CHECK (attempts BETWEEN 1 AND 5),
  pick      TEXT NOT NULL DEFAULT 'first' CHECK (pick IN ('first', 'person')),
  providers TEXT NOT NULL DEFAULT '[]'
) STRICT;

CREATE TABLE IF NOT EXISTS parallel_groups (
  id         TEXT PRIMARY KEY,
  repo_id    INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
  issue      INTEGER NOT NULL,
  stage      TEXT NOT NULL,
  size       INTEGER NOT NULL,
  pick       TEXT NOT NULL,
  state      TEXT NOT NULL,
  winner     INTEGER,
  cleaned    INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  decided_at TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS parallel_groups_issue ON parallel_groups(repo_id, issue);
CREATE INDEX IF NOT EXISTS parallel_groups_open ON parallel_groups(cleaned);

CREATE TABLE IF NOT EXISTS parallel_runs (
  group_id      TEXT NOT NULL REFERENCES parallel_groups(id) ON DELETE CASCADE,
  idx           INTEGER NOT NULL,
  branch        TEXT NOT NULL,
  provider      TEXT,
  model         TEXT,
  engineer_task TEXT NOT NULL UNIQUE,
  tester_task   TEXT UNIQUE,
  pushed        INTEGER NOT NULL DEFAULT 0,
  move_to       TEXT,
  summary       TEXT,
  body          TEXT,
  verdict       TEXT,
  test_result   TEXT,
  tested_at     TEXT,
  PRIMARY KEY (group_id, idx)
) STRICT;
`
