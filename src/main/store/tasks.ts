// Task state changes: one function each, one transaction each (the shape of
// graphile-worker's sql/ files). States: queued → running → applied | failed |
// cancelled, and waiting (a REQUEST for a person) → queued when answered.
import { randomBytes } from 'node:crypto'
import type { Db } from './open'

export type TaskState = 'queued' | 'running' | 'waiting' | 'applied' | 'failed' | 'cancelled'
export const ACTIVE_STATES: readonly TaskState[] = ['queued', 'running', 'waiting']

export interface TaskRow {
  id: string
  repo_id: number
  issue: number
  stage: string
  role: string
  agent: string | null
  state: TaskState
  attempt: number
  not_before: string | null
  heartbeat_at: string | null
  session_id: string | null
  result: string | null
  /** Answers applied so far (migration 6): the next answer's place in the task, for its comment marker and usage key. */
  answers: number
  /** A fan-out's child (migration 12, pipeline/fanout.ts): its parent, its place 1..of, the parent's attempt it belongs to, its answer as the join reads it. */
  parent_task?: string | null
  fanout_index?: number | null
  fanout_of?: number | null
  parent_attempt?: number | null
  fanout_answer?: string | null
  created_at: string
  updated_at: string
}

const now = () => new Date().toISOString()

export function newTaskId(): string {
  return `t_${randomBytes(6).toString('hex')}`
}

export function createTask(db: Db, task: { id?: string; repoId: number; issue: number; stage: string; role: string; agent: string }): TaskRow {
  const id = task.id ?? newTaskId()
  const at = now()
  db.prepare(
    `INSERT INTO tasks (id, repo_id, issue, stage, role, agent, state, attempt, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?)`
  ).run(id, task.repoId, task.issue, task.stage, task.role, task.agent, at, at)
  return getTask(db, id) as TaskRow
}

export function getTask(db: Db, id: string): TaskRow | undefined {
  return db.prepare('SELECT * FROM tasks WHERE id = ?').get(id) as TaskRow | undefined
}

/** Starts the next attempt: the trigger for it is written right after. */
export function startAttempt(db: Db, id: string, agent: string): number {
  return db.transaction(() => {
    const task = getTask(db, id)
    if (!task) throw new Error(`no task ${id}`)
    const attempt = task.attempt + 1
    const at = now()
    db.prepare("UPDATE tasks SET state = 'running', agent = ?, attempt = ?, heartbeat_at = ?, not_before = NULL, updated_at = ? WHERE id = ?").run(
      agent,
      attempt,
      at,
      at,
      id
    )
    db.prepare('INSERT OR REPLACE INTO attempts (task_id, attempt, agent, started_at) VALUES (?, ?, ?, ?)').run(id, attempt, agent, at)
    return attempt
  })()
}

export function endAttempt(db: Db, id: string, attempt: number, outcome: string, response: string | null, log?: string): void {
  db.prepare('UPDATE attempts SET ended_at = ?, outcome = ?, response = ?, log = COALESCE(?, log) WHERE task_id = ? AND attempt = ?').run(
    now(),
    outcome,
    response,
    log ?? null,
    id,
    attempt
  )
}

export function setTaskState(db: Db, id: string, state: TaskState, fields: { result?: string | null; notBefore?: string | null; sessionId?: string | null } = {}): void {
  db.prepare(
    `UPDATE tasks SET state = ?, result = COALESCE(?, result), not_before = ?, session_id = COALESCE(?, session_id), updated_at = ? WHERE id = ?`
  ).run(state, fields.result ?? null, fields.notBefore ?? null, fields.sessionId ?? null, now(), id)
}

export function heartbeat(db: Db, id: string): void {
  db.prepare("UPDATE tasks SET heartbeat_at = ? WHERE id = ? AND state = 'running'").run(now(), id)
}

export function activeTasks(db: Db): TaskRow[] {
  return db.prepare("SELECT * FROM tasks WHERE state IN ('queued', 'running', 'waiting') ORDER BY created_at").all() as TaskRow[]
}

export function tasksForIssue(db: Db, repoId: number, issue: number): TaskRow[] {
  return db.prepare('SELECT * FROM tasks WHERE repo_id = ? AND issue = ? ORDER BY created_at').all(repoId, issue) as TaskRow[]
}

/** `repoId#number:role` for side-lane work already done, and the issue keys of active tasks. */
export function taskIndex(db: Db): { busy: Set<string>; sideLaneDone: Set<string> } {
  const busy = new Set<string>()
  const sideLaneDone = new Set<string>()
  for (const row of db.prepare("SELECT repo_id, issue, role, state FROM tasks WHERE state IN ('queued','running','waiting') OR role IN ('community','marketing')").all() as Array<{
    repo_id: number
    issue: number
    role: string
    state: TaskState
  }>) {
    if (ACTIVE_STATES.includes(row.state)) busy.add(`${row.repo_id}#${row.issue}`)
    if ((row.role === 'community' || row.role === 'marketing') && row.state !== 'cancelled') sideLaneDone.add(`${row.repo_id}#${row.issue}:${row.role}`)
  }
  return { busy, sideLaneDone }
}

export function countTasks(db: Db, repoId: number, issue: number, where: { stage?: string; role?: string; states?: TaskState[] }): number {
  const clauses = ['repo_id = ?', 'issue = ?']
  const args: unknown[] = [repoId, issue]
  if (where.stage) {
    clauses.push('stage = ?')
    args.push(where.stage)
  }
  if (where.role) {
    clauses.push('role = ?')
    args.push(where.role)
  }
  if (where.states) {
    clauses.push(`state IN (${where.states.map(() => '?').join(',')})`)
    args.push(...where.states)
  }
  return (db.prepare(`SELECT COUNT(*) AS n FROM tasks WHERE ${clauses.join(' AND ')}`).get(...args) as { n: number }).n
}

/** Queued tasks whose backoff has passed (or that have none), oldest change first. */
export function dueTasks(db: Db, nowIso: string): TaskRow[] {
  return db.prepare("SELECT * FROM tasks WHERE state = 'queued' AND (not_before IS NULL OR not_before <= ?) ORDER BY updated_at").all(nowIso) as TaskRow[]
}

export function tasksInState(db: Db, state: TaskState): TaskRow[] {
  return db.prepare('SELECT * FROM tasks WHERE state = ?').all(state) as TaskRow[]
}

export function activeTasksForIssue(db: Db, repoId: number, issue: number): TaskRow[] {
  return db.prepare("SELECT * FROM tasks WHERE repo_id = ? AND issue = ? AND state IN ('queued', 'running', 'waiting')").all(repoId, issue) as TaskRow[]
}

export function setSessionId(db: Db, id: string, sessionId: string): void {
  db.prepare('UPDATE tasks SET session_id = ? WHERE id = ?').run(sessionId, id)
}

/**
 * A running attempt no agent was ever handed (main stopped before writing its
 * trigger): ended as lost and the task queued again as the same attempt — the
 * number given back, no backoff — in one transaction. Nothing when the task
 * has moved on meanwhile.
 */
export function requeueUnhanded(db: Db, id: string, attempt: number, reason: string, at: string): void {
  db.transaction(() => {
    endAttempt(db, id, attempt, 'lost', null, reason)
    db.prepare("UPDATE tasks SET state = 'queued', attempt = attempt - 1, not_before = NULL, updated_at = ? WHERE id = ? AND state = 'running' AND attempt = ?").run(at, id, attempt)
  })()
}

/** A person answered: a waiting task resumes (same session), a failed one starts its attempts again. */
export function requeueAnswered(db: Db, id: string, at: string): void {
  db.prepare("UPDATE tasks SET state = 'queued', not_before = NULL, attempt = CASE WHEN state = 'failed' THEN 0 ELSE attempt END, updated_at = ? WHERE id = ?").run(at, id)
}

/**
 * An answer was applied: the task's new state and the answer counted, in one
 * transaction — so a replay of the same answer (crash, retry) still sees the
 * old count and names the same marker and usage key.
 */
export function finishAnswer(db: Db, id: string, state: TaskState, fields: { result: string; sessionId?: string | null }): void {
  db.transaction(() => {
    db.prepare('UPDATE tasks SET answers = answers + 1 WHERE id = ?').run(id)
    if (fields.sessionId) setSessionId(db, id, fields.sessionId)
    setTaskState(db, id, state, { result: fields.result })
  })()
}

/** The newest task of the issue for `stage` (a fan-out's parent, never one of its children: they answer for it). */
export function latestTaskForStage(db: Db, repoId: number, issue: number, stage: string): TaskRow | undefined {
  return db.prepare('SELECT * FROM tasks WHERE repo_id = ? AND issue = ? AND stage = ? AND parent_task IS NULL ORDER BY created_at DESC, rowid DESC LIMIT 1').get(repoId, issue, stage) as TaskRow | undefined
}

/** Counts an answer that ended in a failure (ERROR, every move refused): its successor gets the next place. */
export function countAnswer(db: Db, id: string): void {
  db.prepare('UPDATE tasks SET answers = answers + 1 WHERE id = ?').run(id)
}
