// The human inbox (`requests`): an agent's REQUEST, or a failure that needs a
// person. An item is open until answered (or resolved by itself).
import type { Db } from './open'

export type InboxKind = 'request' | 'failure'

export interface RequestRow {
  id: number
  kind: InboxKind
  repo_id: number | null
  issue: number | null
  task_id: string | null
  agent: string | null
  question: string
  answer: string | null
  created_at: string
  answered_at: string | null
}

/** Opens an item unless the same task already has the same question open; returns whether it opened one. */
export function openRequest(db: Db, item: { kind: InboxKind; repoId: number; issue: number; taskId: string; agent: string | null; question: string; at: string }): boolean {
  const exists = db.prepare('SELECT 1 FROM requests WHERE task_id = ? AND question = ? AND answered_at IS NULL').get(item.taskId, item.question)
  if (exists) return false
  db.prepare('INSERT INTO requests (kind, repo_id, issue, task_id, agent, question, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
    item.kind,
    item.repoId,
    item.issue,
    item.taskId,
    item.agent,
    item.question,
    item.at
  )
  return true
}

export function getRequest(db: Db, id: number): RequestRow | undefined {
  return db.prepare('SELECT * FROM requests WHERE id = ?').get(id) as RequestRow | undefined
}

export function answerRequest(db: Db, id: number, answer: string, at: string): void {
  db.prepare('UPDATE requests SET answer = ?, answered_at = ? WHERE id = ?').run(answer, at, id)
}

/** Closes the task's open items with `note` as their answer (the task was cancelled, or no longer needs a person). */
export function closeTaskRequests(db: Db, taskId: string, note: string, at: string): number {
  return db.prepare('UPDATE requests SET answered_at = ?, answer = ? WHERE task_id = ? AND answered_at IS NULL').run(at, note, taskId).changes
}

/** The latest answer a person gave the task (the trigger carries it). */
export function lastAnswer(db: Db, taskId: string): string | undefined {
  return (db.prepare('SELECT answer FROM requests WHERE task_id = ? AND answer IS NOT NULL ORDER BY id DESC LIMIT 1').get(taskId) as { answer: string } | undefined)?.answer
}

/**
 * Resolves by itself the issue's open failure items that no longer need a
 * person — those of tasks for `stage` (every stage when null) — with `note` as
 * their answer. Returns how many closed.
 */
export function resolveFailures(db: Db, repoId: number, issue: number, stage: string | null, note: string, at: string): number {
  return db
    .prepare(
      `UPDATE requests SET answered_at = ?, answer = ?
       WHERE kind = 'failure' AND answered_at IS NULL AND repo_id = ? AND issue = ?
         AND (? IS NULL OR task_id IN (SELECT id FROM tasks WHERE repo_id = ? AND issue = ? AND stage = ?))`
    )
    .run(at, note, repoId, issue, stage, repoId, issue, stage).changes
}

/** Open failure items with their task's stage (null when the task is gone or there was none). */
export function openFailures(db: Db): Array<RequestRow & { stage: string | null }> {
  return db
    .prepare("SELECT q.*, t.stage AS stage FROM requests q LEFT JOIN tasks t ON t.id = q.task_id WHERE q.kind = 'failure' AND q.answered_at IS NULL")
    .all() as Array<RequestRow & { stage: string | null }>
}
