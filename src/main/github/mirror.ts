// Sync: GitHub mirrored into SQLite with conditional requests (DESIGN.md §3).
// Each list is fetched with If-None-Match on its first page; a 304 (which
// Octokit raises as an error with status 304) is a cache hit that costs no
// rate limit, so an idle repository is free to poll. Cursors (`since`) keep
// the changed part small. Writes to SQLite happen after every await, in one
// transaction per pass.
//
// A poll in flight while Baton changes an issue itself (a label move) answers
// with the issue as it was: `LocalWrites` remembers when Baton wrote, and a
// pass that started before that leaves the issue alone and asks again next
// time (cursor at or before it, no ETag). GitHub's timestamps have a second's
// grain, so they alone cannot tell such an answer from a newer one.
import type { Db } from '../store/open'
import { listAll, saveSyncState as saveState, syncState as state } from './conditional'
import { fetchMergeability, storeMergeability } from './mergeability'
import type { GitHub } from './octokit'
import { fetchPrActivity, storePrActivity } from './pr-activity'

export interface SyncResult {
  /** Issue numbers (and PR numbers) whose row changed. */
  changed: number[]
  requests: number
  notModified: number
}

type Row = Record<string, unknown>

/** Issues and PRs Baton wrote itself, and when: a pass that started before that must not overwrite them. */
export class LocalWrites {
  private readonly at = new Map<string, number>()
  constructor(private readonly now: () => number = Date.now) {}
  touch(repoId: number, number: number): void {
    this.at.set(`${repoId}#${number}`, this.now())
  }
  /** Whether Baton wrote this issue or PR at or after `t`. */
  since(repoId: number, number: number, t: number): boolean {
    return (this.at.get(`${repoId}#${number}`) ?? -Infinity) >= t
  }
}

const CLOSES = /\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\s+#(\d+)/i

export function upsertIssue(db: Db, repoId: number, issue: Row): boolean {
  const labels = JSON.stringify(((issue.labels as Array<string | { name?: string }>) ?? []).map((l) => (typeof l === 'string' ? l : (l.name ?? ''))))
  const user = issue.user as { login?: string } | null
  const values = {
    title: String(issue.title ?? ''),
    body: String(issue.body ?? ''),
    state: String(issue.state),
    author: user?.login ?? 'ghost',
    assoc: String(issue.author_association ?? 'NONE'),
    labels,
    isPull: issue.pull_request ? 1 : 0,
    created: String(issue.created_at),
    updated: String(issue.updated_at),
    closed: (issue.closed_at as string | null) ?? null,
    // completed | not_planned | reopened: closed as not planned is `closed` in Baton, never done.
    reason: typeof issue.state_reason === 'string' ? issue.state_reason : null
  }
  const before = db.prepare('SELECT title, body, state, labels, updated_at FROM issues WHERE repo_id = ? AND number = ?').get(repoId, issue.number) as
    | { title: string; body: string; state: string; labels: string; updated_at: string }
    | undefined
  if (before && before.updated_at === values.updated && before.labels === values.labels && before.state === values.state && before.title === values.title && before.body === values.body) return false
  // An answer older than what Baton wrote itself meanwhile (a poll in flight during a label change) is stale.
  if (before && values.updated < before.updated_at) return false
  db.prepare(
    `INSERT INTO issues (repo_id, number, title, body, state, author, author_association, labels, is_pull, created_at, updated_at, closed_at, state_reason)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(repo_id, number) DO UPDATE SET title = excluded.title, body = excluded.body, state = excluded.state,
       author_association = excluded.author_association, labels = excluded.labels, is_pull = excluded.is_pull,
       updated_at = excluded.updated_at, closed_at = excluded.closed_at, state_reason = excluded.state_reason`
  ).run(repoId, issue.number, values.title, values.body, values.state, values.author, values.assoc, values.labels, values.isPull, values.created, values.updated, values.closed, values.reason)
  return true
}

export function upsertComment(db: Db, repoId: number, comment: Row, issue: number): boolean {
  const user = comment.user as { login?: string } | null
  const result = db
    .prepare(
      `INSERT INTO comments (repo_id, id, issue, author, author_association, body, created_at, updated_at, html_url) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(repo_id, id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at, author_association = excluded.author_association,
         html_url = COALESCE(excluded.html_url, comments.html_url)
       WHERE comments.updated_at != excluded.updated_at OR comments.body != excluded.body OR comments.author_association != excluded.author_association
         OR comments.html_url IS NOT excluded.html_url`
    )
    .run(
      repoId,
      comment.id,
      issue,
      user?.login ?? 'ghost',
      String(comment.author_association ?? 'NONE'),
      String(comment.body ?? ''),
      String(comment.created_at),
      String(comment.updated_at),
      typeof comment.html_url === 'string' ? comment.html_url : null
    )
  return result.changes > 0
}

export function upsertPull(db: Db, repoId: number, pull: Row): boolean {
  const head = pull.head as { ref?: string; sha?: string }
  const base = pull.base as { ref?: string }
  const user = pull.user as { login?: string } | null
  const closes = CLOSES.exec(`${pull.title ?? ''}\n${pull.body ?? ''}`)
  const result = db
    .prepare(
      `INSERT INTO pulls (repo_id, number, issue, title, body, state, merged, head, base, head_sha, author, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(repo_id, number) DO UPDATE SET issue = excluded.issue, title = excluded.title, body = excluded.body, state = excluded.state,
         merged = excluded.merged, head_sha = excluded.head_sha, updated_at = excluded.updated_at
       WHERE pulls.updated_at != excluded.updated_at OR pulls.state != excluded.state OR pulls.merged != excluded.merged
         OR pulls.head_sha IS NOT excluded.head_sha`
    )
    .run(
      repoId,
      pull.number,
      closes ? Number(closes[1]) : null,
      String(pull.title ?? ''),
      String(pull.body ?? ''),
      String(pull.state),
      pull.merged_at || pull.merged ? 1 : 0,
      head?.ref ?? '',
      base?.ref ?? '',
      head?.sha ?? null,
      user?.login ?? 'ghost',
      String(pull.created_at),
      String(pull.updated_at)
    )
  return result.changes > 0
}

/**
 * Open pulls on a `baton/` branch, with their head: from this pass's answer
 * when the list changed, else from the mirror.
 */
function openAgentPulls(db: Db, repoId: number, fetched: Row[] | null): Array<{ number: number; headSha: string; issue: number | null }> {
  if (fetched) {
    return fetched
      .filter((p) => p.state === 'open' && String((p.head as { ref?: string })?.ref ?? '').startsWith('baton/'))
      .map((p) => {
        const closes = CLOSES.exec(`${p.title ?? ''}\n${p.body ?? ''}`)
        return { number: Number(p.number), headSha: String((p.head as { sha?: string }).sha ?? ''), issue: closes ? Number(closes[1]) : null }
      })
      .filter((p) => p.headSha)
  }
  return (
    db
      .prepare("SELECT number, head_sha AS headSha, issue FROM pulls WHERE repo_id = ? AND state = 'open' AND head LIKE 'baton/%' AND head_sha IS NOT NULL ORDER BY number")
      .all(repoId) as Array<{ number: number; headSha: string; issue: number | null }>
  )
}

/** One pass over a repository: issues, comments, pulls, labels, and the open agent PRs' reviews and checks. */
export async function syncRepository(db: Db, octokit: GitHub, repo: { id: number; owner: string; name: string }, local?: LocalWrites, now: () => number = Date.now): Promise<SyncResult> {
  const started = now()
  const counter = { requests: 0, notModified: 0 }
  const changed = new Set<number>()
  const base = { owner: repo.owner, repo: repo.name }

  const issuesState = state(db, repo.id, 'issues')
  const issues = await listAll<Row>(
    octokit,
    'GET /repos/{owner}/{repo}/issues',
    { ...base, state: 'all', sort: 'updated', direction: 'asc', ...(issuesState.cursor ? { since: issuesState.cursor } : {}) },
    issuesState.etag,
    counter
  )
  const commentsState = state(db, repo.id, 'comments')
  const comments = await listAll<Row>(
    octokit,
    'GET /repos/{owner}/{repo}/issues/comments',
    { ...base, sort: 'updated', direction: 'asc', ...(commentsState.cursor ? { since: commentsState.cursor } : {}) },
    commentsState.etag,
    counter
  )
  const pullsState = state(db, repo.id, 'pulls')
  const pulls = await listAll<Row>(octokit, 'GET /repos/{owner}/{repo}/pulls', { ...base, state: 'all', sort: 'updated', direction: 'desc' }, pullsState.etag, counter)
  const labelsState = state(db, repo.id, 'labels')
  const labels = await listAll<Row>(octokit, 'GET /repos/{owner}/{repo}/labels', base, labelsState.etag, counter)
  // Reviews, review comments and checks of the open agent PRs (as this pass sees them), conditionally too.
  const agentPulls = openAgentPulls(db, repo.id, pulls.notModified ? null : pulls.data)
  const activity = await fetchPrActivity(db, octokit, repo, agentPulls, counter)
  // Whether each still merges (the list does not say): a conflict sends it back to the Engineer.
  const mergeability = await fetchMergeability(db, octokit, repo, agentPulls, counter)

  // Everything fetched: now one transaction, no await inside.
  db.transaction(() => {
    if (!issues.notModified) {
      let cursor = issuesState.cursor
      let skipped: string | null = null
      for (const issue of issues.data) {
        if (!cursor || String(issue.updated_at) > cursor) cursor = String(issue.updated_at)
        if (local?.since(repo.id, Number(issue.number), started)) {
          // Fetched before Baton's own change: ask again next time (the cursor stays at or before it, no ETag).
          if (skipped === null || String(issue.updated_at) < skipped) skipped = String(issue.updated_at)
          continue
        }
        if (upsertIssue(db, repo.id, issue)) changed.add(issue.number as number)
      }
      if (skipped !== null && cursor !== null && skipped < cursor) cursor = skipped
      saveState(db, repo.id, 'issues', skipped === null ? issues.etag : null, cursor)
    }
    if (!comments.notModified) {
      let cursor = commentsState.cursor
      for (const comment of comments.data) {
        const issue = Number(/\/issues\/(\d+)$/.exec(String(comment.issue_url ?? ''))?.[1] ?? 0)
        if (issue && upsertComment(db, repo.id, comment, issue)) changed.add(issue)
        if (!cursor || String(comment.updated_at) > cursor) cursor = String(comment.updated_at)
      }
      saveState(db, repo.id, 'comments', comments.etag, cursor)
    }
    if (!pulls.notModified) {
      let skipped = false
      for (const pull of pulls.data) {
        if (local?.since(repo.id, Number(pull.number), started)) skipped = true
        else if (upsertPull(db, repo.id, pull)) changed.add(pull.number as number)
      }
      saveState(db, repo.id, 'pulls', skipped ? null : pulls.etag, null)
    }
    if (!labels.notModified) {
      db.prepare('DELETE FROM labels WHERE repo_id = ?').run(repo.id)
      const insert = db.prepare('INSERT OR REPLACE INTO labels (repo_id, name, color, description) VALUES (?, ?, ?, ?)')
      for (const label of labels.data) insert.run(repo.id, String(label.name), String(label.color ?? ''), (label.description as string | null) ?? null)
      saveState(db, repo.id, 'labels', labels.etag, null)
    }
    for (const n of storePrActivity(db, repo.id, activity)) changed.add(n)
    for (const n of storeMergeability(db, repo.id, mergeability)) changed.add(n)
    db.prepare('UPDATE repos SET last_sync_at = ?, sync_error = NULL WHERE id = ?').run(new Date(now()).toISOString(), repo.id)
  })()
  return { changed: [...changed].sort((a, b) => a - b), requests: counter.requests, notModified: counter.notModified }
}
