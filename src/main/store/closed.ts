// Closed is not done (DESIGN.md §4): what the pipeline reads and writes to end
// an issue in `closed` — closed on GitHub as not planned, or its agent PR
// closed without a merge — and to bring it back to its stage when reopened.
// `issues.closed_stage` (migration 6) remembers the stage label it had.
import type { Db } from './open'

export interface ClosingIssue {
  number: number
  state: string
  state_reason: string | null
  labels: string
  closed_stage: string | null
}

/**
 * Issues (not PRs) the pipeline may have to end or bring back, and only
 * those (this runs after every sync, beside thousands of closed issues): an
 * open one it ended, and one not ended yet that is closed as not planned or
 * has an unmerged closed PR — never one with a merged PR (done), nor a closed
 * one with no label at all.
 */
export function closingIssues(db: Db, repoId: number): ClosingIssue[] {
  // The PRs are folded per issue once (pulls has no index on issue): a correlated
  // subquery per issue took 17 s over 10,000 issues and 8,000 PRs.
  return db
    .prepare(
      `WITH pr AS (
         SELECT issue, MAX(merged) AS merged, MAX(state = 'closed' AND merged = 0) AS unmerged
         FROM pulls WHERE repo_id = ? AND issue IS NOT NULL GROUP BY issue)
       SELECT i.number, i.state, i.state_reason, i.labels, i.closed_stage FROM issues i LEFT JOIN pr ON pr.issue = i.number
       WHERE i.repo_id = ? AND i.is_pull = 0 AND COALESCE(pr.merged, 0) = 0
         AND ((i.state = 'open' AND i.closed_stage IS NOT NULL)
           OR (i.closed_stage IS NULL AND (i.state = 'open' OR i.labels != '[]') AND (i.state_reason = 'not_planned' OR COALESCE(pr.unmerged, 0) = 1)))`
    )
    .all(repoId, repoId) as ClosingIssue[]
}

/** The issue's agent PRs (those that close it), newest first. */
export function issuePulls(db: Db, repoId: number, issue: number): Array<{ number: number; state: string; merged: number }> {
  return db.prepare('SELECT number, state, merged FROM pulls WHERE repo_id = ? AND issue = ? ORDER BY number DESC').all(repoId, issue) as Array<{ number: number; state: string; merged: number }>
}

export function setClosedStage(db: Db, repoId: number, issue: number, stage: string | null): void {
  db.prepare('UPDATE issues SET closed_stage = ? WHERE repo_id = ? AND number = ?').run(stage, repoId, issue)
}

/** PRs whose closing without a merge already closed the issue once (audited `issue.closed` with `data.pr`): never acted on twice. */
export function prsThatClosed(db: Db, repoId: number, issue: number): Set<number> {
  const rows = db
    .prepare("SELECT json_extract(data, '$.pr') AS pr FROM events WHERE repo_id = ? AND issue = ? AND kind = 'issue.closed' AND json_extract(data, '$.pr') IS NOT NULL")
    .all(repoId, issue) as Array<{ pr: number }>
  return new Set(rows.map((r) => r.pr))
}

/** What the latest `issue.closed` of the issue was for: its own close (null) or a PR's number. */
export function lastClosedFor(db: Db, repoId: number, issue: number): number | null | undefined {
  const row = db.prepare("SELECT json_extract(data, '$.pr') AS pr FROM events WHERE repo_id = ? AND issue = ? AND kind = 'issue.closed' ORDER BY id DESC LIMIT 1").get(repoId, issue) as
    | { pr: number | null }
    | undefined
  return row ? row.pr : undefined
}
