// Migration 9 — spend budgets (issue #12, pipeline/spend.ts):
// - budget_grants: a person's Retry on an issue a budget stopped; from `at`
//   on, that budgets count again (what was spent before is paid for);
// - usage_issue: an issue's spend is summed on every scheduling pass.
export default /* sql */ `
CREATE TABLE budget_grants (
  repo_id INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
  issue   INTEGER NOT NULL,
  at      TEXT NOT NULL,
  by      TEXT,
  PRIMARY KEY (repo_id, issue)
) STRICT;
CREATE INDEX usage_issue ON usage(repo_id, issue);
`
