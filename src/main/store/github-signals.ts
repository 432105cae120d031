// What people did on GitHub that the pipeline acts on, read from the mirror
// (comments, reviews, review comments, checks; migration 7), and the record
// of what it acted on (`signals`: each review, review comment group or check
// result once).
import type { Db } from './open'

/** review, check: acted on once; answer: a comment that answered an inbox item (it answers no other); hold: a move to the person's stage waiting for checks (check-wait.ts), key `issue|from|to`. */
export type SignalKind = 'review' | 'check' | 'hold' | 'answer'

export interface OpenRequestRow {
  id: number
  kind: 'request' | 'failure'
  repo_id: number
  issue: number
  task_id: string | null
  created_at: string
}

export interface IssueCommentRow {
  id: number
  author: string
  author_association: string
  body: string
  html_url: string | null
  created_at: string
}

export interface AgentPullRow {
  number: number
  issue: number
  head_sha: string
}

export interface ReviewRow {
  id: number
  pull: number
  author: string
  author_association: string
  state: string
  body: string
  html_url: string | null
  submitted_at: string | null
}

export interface ReviewCommentRow {
  id: number
  review_id: number | null
  author: string
  author_association: string
  path: string
  line: number | null
  body: string
  html_url: string | null
}

export interface CheckRow {
  kind: 'status' | 'check-run'
  name: string
  state: 'success' | 'failure' | 'pending' | 'neutral'
  description: string | null
  url: string | null
}

/** Open inbox items that belong to an issue; not a hand-off's approval, approved or refused in Baton, never by a comment (pipeline/handoff.ts). */
export function openIssueRequests(db: Db, repoId: number): OpenRequestRow[] {
  return db
    .prepare(`SELECT id, kind, repo_id, issue, task_id, created_at FROM requests WHERE answered_at IS NULL AND repo_id = ? AND issue IS NOT NULL AND kind != 'handoff' ORDER BY id`)
    .all(repoId) as OpenRequestRow[]
}

/** The issue's comments made at or after `since` (GitHub's clock, a second's grain), oldest first. */
export function commentsSince(db: Db, repoId: number, issue: number, since: string): IssueCommentRow[] {
  return db
    .prepare('SELECT id, author, author_association, body, html_url, created_at FROM comments WHERE repo_id = ? AND issue = ? AND created_at >= ? ORDER BY created_at, id')
    .all(repoId, issue, since) as IssueCommentRow[]
}

/** An inbox item answered by a comment on GitHub: its text and its link. */
export function answerRequestFromGitHub(db: Db, id: number, answer: string, url: string | null, at: string): boolean {
  return db.prepare('UPDATE requests SET answer = ?, answer_url = ?, answered_at = ? WHERE id = ? AND answered_at IS NULL').run(answer, url, at, id).changes > 0
}

/** Open PRs on a `baton/` branch that close an issue. */
export function openAgentPulls(db: Db, repoId: number): AgentPullRow[] {
  return db
    .prepare("SELECT number, issue, head_sha FROM pulls WHERE repo_id = ? AND state = 'open' AND head LIKE 'baton/%' AND issue IS NOT NULL AND head_sha IS NOT NULL ORDER BY number")
    .all(repoId) as AgentPullRow[]
}

/** The agent PR of an issue (open), or undefined. */
export function agentPullOf(db: Db, repoId: number, issue: number): AgentPullRow | undefined {
  return db
    .prepare("SELECT number, issue, head_sha FROM pulls WHERE repo_id = ? AND issue = ? AND state = 'open' AND head LIKE 'baton/%' AND head_sha IS NOT NULL ORDER BY number DESC LIMIT 1")
    .get(repoId, issue) as AgentPullRow | undefined
}

export function pullReviews(db: Db, repoId: number, pull: number): ReviewRow[] {
  return db
    .prepare('SELECT id, pull, author, author_association, state, body, html_url, submitted_at FROM reviews WHERE repo_id = ? AND pull = ? ORDER BY id')
    .all(repoId, pull) as ReviewRow[]
}

export function reviewComments(db: Db, repoId: number, reviewId: number): ReviewCommentRow[] {
  return db
    .prepare('SELECT id, review_id, author, author_association, path, line, body, html_url FROM review_comments WHERE repo_id = ? AND review_id = ? ORDER BY id')
    .all(repoId, reviewId) as ReviewCommentRow[]
}

export function headChecks(db: Db, repoId: number, sha: string): CheckRow[] {
  return db.prepare('SELECT kind, name, state, description, url FROM checks WHERE repo_id = ? AND sha = ? ORDER BY name, kind').all(repoId, sha) as CheckRow[]
}

/** The checks branch protection requires on the default branch (mirrored with the branch). */
export function requiredChecks(db: Db, repoId: number): string[] {
  const row = db.prepare('SELECT required_checks FROM repos WHERE id = ?').get(repoId) as { required_checks: string } | undefined
  try {
    const list = JSON.parse(row?.required_checks ?? '[]') as unknown
    return Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : []
  } catch {
    return []
  }
}

export function setRequiredChecks(db: Db, repoId: number, contexts: readonly string[]): boolean {
  return db.prepare('UPDATE repos SET required_checks = ? WHERE id = ? AND required_checks != ?').run(JSON.stringify(contexts), repoId, JSON.stringify(contexts)).changes > 0
}

/** Which checks hold an issue before the person's review: branch protection's ('required', the default) or every one ('all'). */
export function checksWait(db: Db, repoId: number): 'required' | 'all' {
  const row = db.prepare('SELECT checks_wait FROM repos WHERE id = ?').get(repoId) as { checks_wait: 'required' | 'all' } | undefined
  return row?.checks_wait ?? 'required'
}

export function setChecksWait(db: Db, repoId: number, wait: 'required' | 'all'): boolean {
  return db.prepare('UPDATE repos SET checks_wait = ? WHERE id = ? AND checks_wait != ?').run(wait, repoId, wait).changes > 0
}

export function signalHandled(db: Db, repoId: number, kind: SignalKind, key: string): boolean {
  return db.prepare('SELECT 1 FROM signals WHERE repo_id = ? AND kind = ? AND key = ?').get(repoId, kind, key) !== undefined
}

/** Records the signal as acted on; false when it already was (so two passes never act twice). */
export function markSignal(db: Db, repoId: number, kind: SignalKind, key: string, issue: number | null, at: string): boolean {
  return db.prepare('INSERT OR IGNORE INTO signals (repo_id, kind, key, issue, handled_at) VALUES (?, ?, ?, ?, ?)').run(repoId, kind, key, issue, at).changes > 0
}

/** Moves held for checks, oldest first. */
export function holds(db: Db, repoId: number): Array<{ key: string; issue: number }> {
  return db.prepare("SELECT key, issue FROM signals WHERE repo_id = ? AND kind = 'hold' ORDER BY handled_at, key").all(repoId) as Array<{ key: string; issue: number }>
}

export function deleteHold(db: Db, repoId: number, key: string): void {
  db.prepare("DELETE FROM signals WHERE repo_id = ? AND kind = 'hold' AND key = ?").run(repoId, key)
}
