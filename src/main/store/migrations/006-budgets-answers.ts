// Migration 6 — failures stop, answers are counted, closed is not done
// (DESIGN.md §4, §7):
// - stage_budgets: one failure budget per issue stage, across every task for
//   that stage (errors, lost attempts, answers whose every move was refused
//   spend it); a person resets it (answer, Retry, a label move);
// - tasks.answers: answers applied so far for the task, so each answer's
//   comment marker names its place (a task that asked, was answered and then
//   finished posts both comments);
// - usage.attempt/answer with a unique key: an answer's usage is recorded
//   once, however often applying it is retried or replayed (older rows keep
//   NULLs, which a unique index never compares equal);
// - issues.state_reason (GitHub's completed | not_planned | reopened) and
//   issues.closed_stage: the stage label an issue had when it was closed, so a
//   reopened issue goes back there.
export default /* sql */ `
CREATE TABLE stage_budgets (
  repo_id    INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
  issue      INTEGER NOT NULL,
  stage      TEXT NOT NULL,
  spent      INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (repo_id, issue, stage)
) STRICT;

ALTER TABLE tasks ADD COLUMN answers INTEGER NOT NULL DEFAULT 0;

ALTER TABLE usage ADD COLUMN attempt INTEGER;
ALTER TABLE usage ADD COLUMN answer INTEGER;
CREATE UNIQUE INDEX usage_answer ON usage(task_id, attempt, answer);

ALTER TABLE issues ADD COLUMN state_reason TEXT;
ALTER TABLE issues ADD COLUMN closed_stage TEXT;
`
