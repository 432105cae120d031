// An attempt failed (an agent's ERROR, or the supervisor gave up on it: crash,
// hang, timeout): the task is queued again after a backoff, or, with its
// attempts spent, fails and asks a person.
import { audit } from '../store/audit'
import { endAttempt, getTask, setTaskState, type TaskRow } from '../store/tasks'
import type { EngineContext } from './engine-context'
import { toInbox } from './inbox'

/** 10 s doubling, at most 10 min. */
export const defaultBackoffMs = (attempt: number): number => Math.min(10_000 * 2 ** (attempt - 1), 600_000)

export function retryOrFail(ctx: EngineContext, task: TaskRow, reason: string): void {
  const { db } = ctx
  const max = ctx.o.maxAttempts ?? 3
  if (task.attempt < max) {
    const delay = (ctx.o.backoffMs ?? defaultBackoffMs)(task.attempt)
    setTaskState(db, task.id, 'queued', { result: reason, notBefore: new Date(ctx.now().getTime() + delay).toISOString() })
    audit(db, { kind: 'task.retry', repoId: task.repo_id, issue: task.issue, taskId: task.id, message: `Attempt ${task.attempt} failed (${reason}); retrying in ${Math.round(delay / 1000)} s` })
  } else {
    setTaskState(db, task.id, 'failed', { result: reason })
    toInbox(ctx, task, 'failure', `${task.agent ?? task.role} could not finish #${task.issue} after ${task.attempt} attempts: ${reason}`)
    audit(db, { kind: 'task.failed', repoId: task.repo_id, issue: task.issue, taskId: task.id, message: reason })
  }
  ctx.o.events.changed('tasks', 'issues', 'inbox')
}

/** The supervisor gave up on an attempt: retry or ask a person, under the issue's lock. */
export function attemptLost(ctx: EngineContext, taskId: string, attempt: number, reason: string): Promise<void> {
  return ctx.keyed(ctx.taskKey(taskId), 'attempt-lost', async () => {
    const task = getTask(ctx.db, taskId)
    if (!task || task.state !== 'running' || task.attempt !== attempt) return
    endAttempt(ctx.db, taskId, attempt, 'lost', null, reason)
    retryOrFail(ctx, task, reason)
  })
}
