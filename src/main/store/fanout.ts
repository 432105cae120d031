// A fan-out's children in SQLite (migration 12): one child task per capable
// online instance, under a parent task that has no agent of its own. Each
// function one statement or one transaction (store/tasks.ts's shape).
import type { Db } from './open'
import { createTask, getTask, type TaskRow } from './tasks'

/**
 * A child of `parent`'s round `round`, queued for `agent`, at `index` of `of`.
 * Rounds count up per parent (kept in `parent_attempt`): a person's Retry
 * starts the parent's attempts again from 1, never its rounds.
 */
export function createChild(db: Db, parent: TaskRow, round: number, child: { agent: string; role: string; index: number; of: number }): TaskRow {
  return db.transaction(() => {
    const task = createTask(db, { repoId: parent.repo_id, issue: parent.issue, stage: parent.stage, role: child.role, agent: child.agent })
    db.prepare('UPDATE tasks SET parent_task = ?, fanout_index = ?, fanout_of = ?, parent_attempt = ? WHERE id = ?').run(parent.id, child.index, child.of, round, task.id)
    return getTask(db, task.id) as TaskRow
  })()
}

/** The parent's latest round, or null before its first. */
export function currentRound(db: Db, parentId: string): number | null {
  return (db.prepare('SELECT MAX(parent_attempt) AS round FROM tasks WHERE parent_task = ?').get(parentId) as { round: number | null }).round
}

/** The children of the parent's round, the newest per place (a replacement stands for the child it replaced), by place. */
export function roundChildren(db: Db, parentId: string, attempt: number): TaskRow[] {
  const rows = db.prepare('SELECT * FROM tasks WHERE parent_task = ? AND parent_attempt = ? ORDER BY fanout_index, created_at, rowid').all(parentId, attempt) as TaskRow[]
  const latest = new Map<number, TaskRow>()
  for (const row of rows) latest.set(row.fanout_index ?? 0, row)
  return [...latest.values()]
}

/** Every agent a child of this round was ever given (a replacement goes to someone else). */
export function roundAgents(db: Db, parentId: string, attempt: number): Set<string> {
  const rows = db.prepare('SELECT DISTINCT agent FROM tasks WHERE parent_task = ? AND parent_attempt = ? AND agent IS NOT NULL').all(parentId, attempt) as Array<{ agent: string }>
  return new Set(rows.map((r) => r.agent))
}

/** Fan-out parents still running: their round goes on, or waits to be joined. */
export function runningParents(db: Db): TaskRow[] {
  return db.prepare("SELECT * FROM tasks WHERE state = 'running' AND parent_task IS NULL AND role LIKE '@%'").all() as TaskRow[]
}

/** A child's end as the join reads it (its answer, or why it is missing), with its new state, in one transaction. */
export function endChild(db: Db, id: string, state: 'applied' | 'failed' | 'cancelled', fields: { result: string; answer: string | null }): void {
  db.transaction(() => {
    db.prepare('UPDATE tasks SET state = ?, result = ?, fanout_answer = COALESCE(?, fanout_answer), not_before = NULL, answers = answers + 1, updated_at = ? WHERE id = ?').run(
      state,
      fields.result,
      fields.answer,
      new Date().toISOString(),
      id
    )
  })()
}
