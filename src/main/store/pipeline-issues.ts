// What the pipeline reads and writes about repositories, issues, comments and
// PRs in the mirror: one function per query, so the engine's modules hold no SQL.
import type { Db } from './open'

export interface RepoRow {
  id: number
  owner: string
  name: string
  default_branch: string
  connected_at: string
}

export interface IssueRow {
  repo_id: number
  number: number
  title: string
  body: string
  state: string
  author: string
  author_association: string
  labels: string
  created_at: string
}

export interface CommentRow {
  author: string
  author_association: string
  body: string
}

export function repoRow(db: Db, repoId: number): RepoRow | undefined {
  return db.prepare('SELECT id, owner, name, default_branch, connected_at FROM repos WHERE id = ?').get(repoId) as RepoRow | undefined
}

export function repoIds(db: Db): number[] {
  return (db.prepare('SELECT id FROM repos').all() as Array<{ id: number }>).map((r) => r.id)
}

export function issueRow(db: Db, repoId: number, number: number): IssueRow | undefined {
  return db.prepare('SELECT * FROM issues WHERE repo_id = ? AND number = ?').get(repoId, number) as IssueRow | undefined
}

/** The issue's labels as GitHub answered them after a write (mirrored at once). */
export function setIssueLabels(db: Db, repoId: number, number: number, labels: readonly string[]): void {
  db.prepare('UPDATE issues SET labels = ? WHERE repo_id = ? AND number = ?').run(JSON.stringify(labels), repoId, number)
}

export function openIssues(db: Db, repoId: number): IssueRow[] {
  return db.prepare("SELECT * FROM issues WHERE repo_id = ? AND is_pull = 0 AND state = 'open'").all(repoId) as IssueRow[]
}

/**
 * Open issues created at or after `since` (the repository's connection): candidates for the entry label.
 * Not one the pipeline ended (its PR closed unmerged: `closed_stage`), whose missing stage label is no invitation.
 */
export function openIssuesSince(db: Db, repoId: number, since: string): Array<{ number: number; labels: string; created_at: string }> {
  return db
    .prepare("SELECT number, labels, created_at FROM issues WHERE repo_id = ? AND is_pull = 0 AND state = 'open' AND created_at >= ? AND closed_stage IS NULL")
    .all(repoId, since) as Array<{ number: number; labels: string; created_at: string }>
}

/** Closed issues a merged PR closed: finished work (Marketing's side lane). */
export function mergedIssues(db: Db, repoId: number): number[] {
  return (
    db
      .prepare(
        `SELECT i.number FROM issues i WHERE i.repo_id = ? AND i.state = 'closed' AND i.is_pull = 0
         AND EXISTS (SELECT 1 FROM pulls p WHERE p.repo_id = i.repo_id AND p.issue = i.number AND p.merged = 1)`
      )
      .all(repoId) as Array<{ number: number }>
  ).map((r) => r.number)
}

export function issueComments(db: Db, repoId: number, issue: number): CommentRow[] {
  return db
    .prepare('SELECT author, author_association, body FROM comments WHERE repo_id = ? AND issue = ? ORDER BY created_at, id')
    .all(repoId, issue) as CommentRow[]
}

/** The issue a PR closes, when known (null: it closes none; undefined: no such PR). */
export function pullIssue(db: Db, repoId: number, pr: number): number | null | undefined {
  const row = db.prepare('SELECT issue FROM pulls WHERE repo_id = ? AND number = ?').get(repoId, pr) as { issue: number | null } | undefined
  return row ? row.issue : undefined
}

export function countIssueEvents(db: Db, repoId: number, issue: number, kind: string): number {
  return (db.prepare('SELECT COUNT(*) AS n FROM events WHERE repo_id = ? AND issue = ? AND kind = ?').get(repoId, issue, kind) as { n: number }).n
}
