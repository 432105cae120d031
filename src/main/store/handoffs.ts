// Hand-offs to other projects (migration 10, pipeline/handoff.ts): one row
// per hand-off, from the origin issue to a repository (and, once filed, its
// issue). The origin waits while one is pending.
import type { Db } from './open'

export type HandoffState = 'approval' | 'filing' | 'open' | 'closed' | 'refused'

/** States in which the origin waits. */
export const PENDING: readonly HandoffState[] = ['approval', 'filing', 'open']

export interface HandoffRow {
  id: number
  from_repo_id: number
  from_issue: number
  to_repo_id: number | null
  to_owner: string
  to_name: string
  to_issue: number | null
  title: string
  body: string
  labels: string
  state: HandoffState
  state_reason: string | null
  url: string | null
  stage: string | null
  task_id: string | null
  request_id: number | null
  asked_by: string | null
  decided_by: string | null
  created_at: string
  updated_at: string
  resolved_at: string | null
  resumed_at: string | null
}

export function insertHandoff(
  db: Db,
  h: { fromRepoId: number; fromIssue: number; toRepoId: number; toOwner: string; toName: string; title: string; labels: string[]; state: HandoffState; stage: string | null; taskId: string | null; askedBy: string | null; at: string }
): number {
  return Number(
    db
      .prepare(
        `INSERT INTO handoffs (from_repo_id, from_issue, to_repo_id, to_owner, to_name, title, body, labels, state, stage, task_id, asked_by, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?, ?)`
      )
      .run(h.fromRepoId, h.fromIssue, h.toRepoId, h.toOwner, h.toName, h.title, JSON.stringify(h.labels), h.state, h.stage, h.taskId, h.askedBy, h.at, h.at).lastInsertRowid
  )
}

export function getHandoff(db: Db, id: number): HandoffRow | undefined {
  return db.prepare('SELECT * FROM handoffs WHERE id = ?').get(id) as HandoffRow | undefined
}

export function setHandoffBody(db: Db, id: number, body: string): void {
  db.prepare('UPDATE handoffs SET body = ? WHERE id = ?').run(body, id)
}

export function updateHandoff(db: Db, id: number, patch: Partial<Pick<HandoffRow, 'state' | 'state_reason' | 'to_issue' | 'url' | 'request_id' | 'decided_by' | 'resolved_at' | 'resumed_at'>>, at: string): void {
  const keys = Object.keys(patch) as Array<keyof typeof patch>
  if (!keys.length) return
  db.prepare(`UPDATE handoffs SET ${keys.map((k) => `${k} = @${k}`).join(', ')}, updated_at = @at WHERE id = @id`).run({ ...patch, at, id })
}

export function deleteHandoff(db: Db, id: number): void {
  db.prepare('DELETE FROM handoffs WHERE id = ?').run(id)
}

/** Pending hand-offs (the origin waits for each), optionally of one repository's issues. */
export function pendingHandoffs(db: Db, fromRepoId?: number): HandoffRow[] {
  return db
    .prepare(`SELECT * FROM handoffs WHERE state IN ('approval', 'filing', 'open') AND (? IS NULL OR from_repo_id = ?) ORDER BY id`)
    .all(fromRepoId ?? null, fromRepoId ?? null) as HandoffRow[]
}

/** Every hand-off of an origin issue, oldest first. */
export function issueHandoffs(db: Db, repoId: number, issue: number): HandoffRow[] {
  return db.prepare('SELECT * FROM handoffs WHERE from_repo_id = ? AND from_issue = ? ORDER BY id').all(repoId, issue) as HandoffRow[]
}

/** Whether the origin waits for a hand-off now. */
export function waitsForHandoff(db: Db, repoId: number, issue: number): boolean {
  return Boolean(db.prepare(`SELECT 1 FROM handoffs WHERE from_repo_id = ? AND from_issue = ? AND state IN ('approval', 'filing', 'open') LIMIT 1`).get(repoId, issue))
}

/** Outcomes the origin has not been told about yet (its comment not posted). */
export function unannounced(db: Db): HandoffRow[] {
  return db.prepare(`SELECT * FROM handoffs WHERE state IN ('closed', 'refused') AND resumed_at IS NULL ORDER BY id`).all() as HandoffRow[]
}

export function handoffByRequest(db: Db, requestId: number): HandoffRow | undefined {
  return db.prepare('SELECT * FROM handoffs WHERE request_id = ?').get(requestId) as HandoffRow | undefined
}

/** Whether hand-offs from this repository into another owner's wait for the person (repos.handoff_approval). */
export function handoffApproval(db: Db, repoId: number): boolean {
  return ((db.prepare('SELECT handoff_approval FROM repos WHERE id = ?').get(repoId) as { handoff_approval: number } | undefined)?.handoff_approval ?? 1) === 1
}

export function setHandoffApproval(db: Db, repoId: number, required: boolean): boolean {
  return db.prepare('UPDATE repos SET handoff_approval = ? WHERE id = ?').run(required ? 1 : 0, repoId).changes > 0
}
