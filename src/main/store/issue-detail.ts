import type { Activity, AuditEvent, IssueDetail, TaskAttempt, TaskInfo } from '../../shared/api'
import { AppError } from '../../shared/errors'
import { batonRole } from '../../shared/marker'
import type { BoardContext } from './board'
import { issueAttempts } from './attempts'
import { board } from './board'
import { issueMemory } from './memory'
import type { Db } from './open'
import { webBase } from './web-url'

export interface IssueDetailContext extends BoardContext {
  /**
   * Baton's own login for a repository (the signed-in login of its
   * connection), or null when signed out: a comment speaks for a role only
   * when that login wrote it.
   */
  batonLogin?: (repoId: number) => string | null
}

export function issueDetail(db: Db, repoId: number, number: number, context: IssueDetailContext): IssueDetail {
  const row = db
    .prepare(
      `SELECT i.*, r.owner, r.name, r.api_url FROM issues i JOIN repos r ON r.id = i.repo_id WHERE i.repo_id = ? AND i.number = ?`
    )
    .get(repoId, number) as
    | { title: string; body: string; state: 'open' | 'closed'; author: string; author_association: string; labels: string; created_at: string; updated_at: string; owner: string; name: string; api_url: string }
    | undefined
  if (!row) throw new AppError('not_found', `Issue #${number} is not known to Baton (not synced yet, or in another repository).`)
  const web = webBase(row.api_url, row.owner, row.name)
  const card = board(db, { repoId, number }, context)[0]

  // Who said it comes from GitHub (the comment's author), not from its text.
  const login = context.batonLogin?.(repoId) ?? null
  const comments = (
    db.prepare('SELECT id, author, body, created_at FROM comments WHERE repo_id = ? AND issue = ? ORDER BY created_at, id').all(repoId, number) as Array<{
      id: number
      author: string
      body: string
      created_at: string
    }>
  ).map((c) => ({ id: c.id, author: c.author, body: c.body, createdAt: c.created_at, role: batonRole(c, login) }))

  const tasks = (
    db.prepare('SELECT * FROM tasks WHERE repo_id = ? AND issue = ? ORDER BY created_at').all(repoId, number) as Array<{
      id: string
      stage: string
      role: string
      agent: string | null
      state: string
      attempt: number
      created_at: string
      updated_at: string
      result: string | null
    }>
  ).map(
    (t): TaskInfo => ({
      id: t.id,
      stage: t.stage,
      role: t.role,
      agent: t.agent,
      state: t.state,
      attempt: t.attempt,
      createdAt: t.created_at,
      updatedAt: t.updated_at,
      result: t.result,
      attempts: (
        db.prepare('SELECT * FROM attempts WHERE task_id = ? ORDER BY attempt').all(t.id) as Array<{
          attempt: number
          agent: string
          started_at: string
          ended_at: string | null
          outcome: string | null
          response: string | null
          log: string | null
        }>
      ).map((a): TaskAttempt => ({ attempt: a.attempt, agent: a.agent, startedAt: a.started_at, endedAt: a.ended_at, outcome: a.outcome, response: a.response, log: a.log }))
    })
  )

  const notes = (
    db.prepare('SELECT role, kind, body, created_at FROM notes WHERE repo_id = ? AND issue = ? ORDER BY id').all(repoId, number) as Array<{
      role: string
      kind: string
      body: string
      created_at: string
    }>
  ).map((n) => ({ role: n.role, kind: n.kind, body: n.body, createdAt: n.created_at }))

  const timeline = db
    .prepare('SELECT id, at, kind, subject, message FROM events WHERE repo_id = ? AND issue = ? ORDER BY id')
    .all(repoId, number) as AuditEvent[]

  const usage = db
    .prepare(
      'SELECT COALESCE(SUM(input_tokens),0) AS inputTokens, COALESCE(SUM(output_tokens),0) AS outputTokens, COALESCE(SUM(cost_usd),0) AS costUsd FROM usage WHERE repo_id = ? AND issue = ?'
    )
    .get(repoId, number) as IssueDetail['usage']

  const pr = db
    .prepare('SELECT number, state, merged, head FROM pulls WHERE repo_id = ? AND issue = ? ORDER BY number DESC LIMIT 1')
    .get(repoId, number) as { number: number; state: string; merged: number; head: string } | undefined

  return {
    repoId,
    repo: `${row.owner}/${row.name}`,
    number,
    title: row.title,
    body: row.body,
    state: row.state,
    author: row.author,
    authorAssociation: row.author_association,
    labels: JSON.parse(row.labels) as string[],
    stage: card?.stage ?? null,
    activity: (card?.activity ?? (row.state === 'closed' ? 'done' : 'idle')) as Activity,
    reason: card?.reason ?? null,
    url: `${web}/issues/${number}`,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    comments,
    tasks,
    notes,
    // The issue scope's remembered entries (issue #14): the Notes panel shows them with scope, author and expiry.
    memory: issueMemory(db, repoId, number, new Date().toISOString()),
    timeline,
    usage,
    pr: pr ? { number: pr.number, state: pr.state, merged: pr.merged === 1, head: pr.head, url: `${web}/pull/${pr.number}` } : null,
    // Its parallel attempts side by side (issue #15): each one's branch, state, test result and cost.
    attempts: issueAttempts(db, repoId, number),
    card: card ?? null
  }
}
