// Migration 7 — what people do on GitHub, mirrored so the pipeline can act on
// it (DESIGN.md §4, "GitHub is where people act too"):
// - comments keep their link (an inbox item answered on GitHub links to it),
//   and an answered request keeps the link of the comment that answered it;
// - reviews and review comments of pull requests, read with conditional
//   requests (the sync's ETags live in sync_state as for every other list);
// - the statuses and check runs on the head commits of open agent PRs;
// - the signals the pipeline acted on, once each (a review sends the issue
//   back once, however often the sync reads it again);
// - per repository, which checks hold an issue before `needs-review`:
//   'required' (branch protection's, the default) or 'all'.
export default /* sql */ `
ALTER TABLE comments ADD COLUMN html_url TEXT;
ALTER TABLE requests ADD COLUMN answer_url TEXT;
ALTER TABLE repos ADD COLUMN checks_wait TEXT NOT NULL DEFAULT 'required' CHECK (checks_wait IN ('required', 'all'));
ALTER TABLE repos ADD COLUMN required_checks TEXT NOT NULL DEFAULT '[]';

CREATE TABLE reviews (
  repo_id      INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
  id           INTEGER NOT NULL,
  pull         INTEGER NOT NULL,
  author       TEXT NOT NULL,
  author_association TEXT NOT NULL DEFAULT 'NONE',
  state        TEXT NOT NULL,                 -- APPROVED | CHANGES_REQUESTED | COMMENTED | DISMISSED
  body         TEXT NOT NULL DEFAULT '',
  html_url     TEXT,
  commit_id    TEXT,
  submitted_at TEXT,
  PRIMARY KEY (repo_id, id)
) STRICT;
CREATE INDEX reviews_pull ON reviews(repo_id, pull);

CREATE TABLE review_comments (
  repo_id      INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
  id           INTEGER NOT NULL,
  pull         INTEGER NOT NULL,
  review_id    INTEGER,
  author       TEXT NOT NULL,
  author_association TEXT NOT NULL DEFAULT 'NONE',
  path         TEXT NOT NULL,
  line         INTEGER,
  body         TEXT NOT NULL,
  html_url     TEXT,
  commit_id    TEXT,
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL,
  PRIMARY KEY (repo_id, id)
) STRICT;
CREATE INDEX review_comments_pull ON review_comments(repo_id, pull);

CREATE TABLE checks (
  repo_id     INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
  sha         TEXT NOT NULL,
  kind        TEXT NOT NULL,                  -- status | check-run
  name        TEXT NOT NULL,
  state       TEXT NOT NULL,                  -- success | failure | pending | neutral
  description TEXT,
  url         TEXT,
  PRIMARY KEY (repo_id, sha, kind, name)
) STRICT;

CREATE TABLE signals (
  repo_id    INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
  kind       TEXT NOT NULL,                   -- review | review-comment | check | answer
  key        TEXT NOT NULL,
  issue      INTEGER,
  handled_at TEXT NOT NULL,
  PRIMARY KEY (repo_id, kind, key)
) STRICT;
`
