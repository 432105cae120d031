// Migration 10 — hand-offs across projects and dependencies across
// repositories (issue #14, DESIGN.md §11; pipeline/handoff.ts):
// - handoffs: an issue handed to another repository (`handoff_to_project`).
//   The origin waits while its hand-off is `approval` (a cross-owner hand-off
//   the person has not approved yet), `filing` (approved, the issue being
//   filed) or `open` (filed, the target not closed yet); `closed` and
//   `refused` are outcomes, and `resumed_at` says the origin was told so.
//   The target is kept by name too (`to_owner`/`to_name`), so a disconnected
//   repository's hand-off still reads.
// - repos.handoff_approval: a hand-off from this repository into one of
//   another owner waits for the person's approval (1, the default) or not.
// - remote_issues: issues of repositories that are not connected, read
//   read-only for "blocked by owner/other#12", with their ETag and when they
//   were last asked (at most once a minute each).
export default /* sql */ `
CREATE TABLE handoffs (
  id            INTEGER PRIMARY KEY,
  from_repo_id  INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
  from_issue    INTEGER NOT NULL,
  to_repo_id    INTEGER REFERENCES repos(id) ON DELETE SET NULL,
  to_owner      TEXT NOT NULL,
  to_name       TEXT NOT NULL,
  to_issue      INTEGER,
  title         TEXT NOT NULL,
  body          TEXT NOT NULL,
  labels        TEXT NOT NULL DEFAULT '[]',
  state         TEXT NOT NULL CHECK (state IN ('approval', 'filing', 'open', 'closed', 'refused')),
  state_reason  TEXT,
  url           TEXT,
  stage         TEXT,
  task_id       TEXT,
  request_id    INTEGER,
  asked_by      TEXT,
  decided_by    TEXT,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  resolved_at   TEXT,
  resumed_at    TEXT
) STRICT;
CREATE INDEX handoffs_from ON handoffs(from_repo_id, from_issue);
CREATE INDEX handoffs_to ON handoffs(to_repo_id, to_issue);
CREATE INDEX handoffs_state ON handoffs(state);

ALTER TABLE repos ADD COLUMN handoff_approval INTEGER NOT NULL DEFAULT 1;

CREATE TABLE remote_issues (
  owner        TEXT NOT NULL,
  name         TEXT NOT NULL,
  number       INTEGER NOT NULL,
  state        TEXT,
  state_reason TEXT,
  title        TEXT,
  etag         TEXT,
  error        TEXT,
  checked_at   TEXT NOT NULL,
  PRIMARY KEY (owner, name, number)
) STRICT;
`
