// GitHub's objects written into the SQLite mirror (migration 002). Each
// upsert says whether the row changed, so sync can report what moved. No
// await in here: callers batch these inside one transaction.
import type { Db } from '../store/open'

type Obj = Record<string, unknown>

const CLOSES = /\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\s+#(\d+)\b/i

export function labelNames(labels: unknown): string[] {
  return ((labels as Array<string | { name?: string }> | undefined) ?? []).map((l) => (typeof l === 'string' ? l : (l.name ?? ''))).filter(Boolean)
}

/** The issue a pull request closes ("Closes #12" in its title or body), or null. */
export function closesIssue(title: unknown, body: unknown): number | null {
  const m = CLOSES.exec(`${title ?? ''}\n${body ?? ''}`)
  return m ? Number(m[1]) : null
}

interface IssueRow {
  title: string
  body: string
  state: string
  author_association: string
  labels: string
  is_pull: number
  updated_at: string
  closed_at: string | null
}

export function upsertIssue(db: Db, repoId: number, issue: Obj): boolean {
  const user = issue.user as { login?: string } | null
  const next: IssueRow = {
    title: String(issue.title ?? ''),
    body: String(issue.body ?? ''),
    state: String(issue.state ?? 'open'),
    author_association: String(issue.author_association ?? 'NONE'),
    labels: JSON.stringify(labelNames(issue.labels)),
    is_pull: issue.pull_request ? 1 : 0,
    updated_at: String(issue.updated_at),
    closed_at: (issue.closed_at as string | null | undefined) ?? null
  }
  const before = db
    .prepare('SELECT title, body, state, author_association, labels, is_pull, updated_at, closed_at FROM issues WHERE repo_id = ? AND number = ?')
    .get(repoId, issue.number) as IssueRow | undefined
  if (before) {
    // An answer older than the row (fetched before a change Baton already mirrored) must not undo it.
    if (next.updated_at < before.updated_at) return false
    if ((Object.keys(next) as Array<keyof IssueRow>).every((k) => before[k] === next[k])) return false
  }
  db.prepare(
    `INSERT INTO issues (repo_id, number, title, body, state, author, author_association, labels, is_pull, created_at, updated_at, closed_at)
     VALUES (@repoId, @number, @title, @body, @state, @author, @author_association, @labels, @is_pull, @created_at, @updated_at, @closed_at)
     ON CONFLICT(repo_id, number) DO UPDATE SET title = excluded.title, body = excluded.body, state = excluded.state,
       author_association = excluded.author_association, labels = excluded.labels, is_pull = excluded.is_pull,
       updated_at = excluded.updated_at, closed_at = excluded.closed_at`
  ).run({ repoId, number: issue.number, author: user?.login ?? 'ghost', created_at: String(issue.created_at ?? next.updated_at), ...next })
  return true
}

/** Only the labels, after Baton changed them (the answer carries no updated_at). */
export function setIssueLabels(db: Db, repoId: number, issue: number, labels: string[]): void {
  db.prepare('UPDATE issues SET labels = ? WHERE repo_id = ? AND number = ?').run(JSON.stringify(labels), repoId, issue)
}

export function issueNumberOfComment(comment: Obj): number {
  return Number(/\/issues\/(\d+)$/.exec(String(comment.issue_url ?? ''))?.[1] ?? 0)
}

export function upsertComment(db: Db, repoId: number, issue: number, comment: Obj): boolean {
  const user = comment.user as { login?: string } | null
  const result = db
    .prepare(
      `INSERT INTO comments (repo_id, id, issue, author, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(repo_id, id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at
       WHERE comments.updated_at != excluded.updated_at OR comments.body != excluded.body`
    )
    .run(repoId, comment.id, issue, user?.login ?? 'ghost', String(comment.body ?? ''), String(comment.created_at), String(comment.updated_at ?? comment.created_at))
  return result.changes > 0
}

export function upsertPull(db: Db, repoId: number, pull: Obj): boolean {
  const head = (pull.head ?? {}) as { ref?: string; sha?: string }
  const base = (pull.base ?? {}) as { ref?: string }
  const user = pull.user as { login?: string } | null
  const result = db
    .prepare(
      `INSERT INTO pulls (repo_id, number, issue, title, body, state, merged, head, base, head_sha, author, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(repo_id, number) DO UPDATE SET issue = excluded.issue, title = excluded.title, body = excluded.body, state = excluded.state,
         merged = excluded.merged, head = excluded.head, base = excluded.base, head_sha = excluded.head_sha, updated_at = excluded.updated_at
       WHERE pulls.updated_at != excluded.updated_at OR pulls.state != excluded.state OR pulls.merged != excluded.merged
         OR pulls.head_sha IS NOT excluded.head_sha OR pulls.issue IS NOT excluded.issue`
    )
    .run(
      repoId,
      pull.number,
      closesIssue(pull.title, pull.body),
      String(pull.title ?? ''),
      String(pull.body ?? ''),
      String(pull.state ?? 'open'),
      pull.merged_at || pull.merged ? 1 : 0,
      head.ref ?? '',
      base.ref ?? '',
      head.sha ?? null,
      user?.login ?? 'ghost',
      String(pull.created_at),
      String(pull.updated_at ?? pull.created_at)
    )
  return result.changes > 0
}

/** Replaces the repository's label list; true when it differs. */
export function replaceLabels(db: Db, repoId: number, labels: Obj[]): boolean {
  const before = db.prepare('SELECT name, color, description FROM labels WHERE repo_id = ? ORDER BY name').all(repoId) as Array<{ name: string; color: string; description: string | null }>
  const next = labels
    .map((l) => ({ name: String(l.name), color: String(l.color ?? ''), description: (l.description as string | null | undefined) ?? null }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  if (JSON.stringify(before) === JSON.stringify(next)) return false
  db.prepare('DELETE FROM labels WHERE repo_id = ?').run(repoId)
  const insert = db.prepare('INSERT OR REPLACE INTO labels (repo_id, name, color, description) VALUES (?, ?, ?, ?)')
  for (const l of next) insert.run(repoId, l.name, l.color, l.description)
  return true
}
