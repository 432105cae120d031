// An attempt failed — an agent's ERROR, an answer whose every requested move
// was refused, a workspace that could not be prepared, or the supervisor gave
// up on it (crash, hang, timeout). Each spends one of the issue stage's
// failure budget (DESIGN.md §4: default 3 in all, across every task for that
// stage). While some is left the same task is queued again after a backoff;
// when it is spent the task fails, one inbox item asks a person, and the
// scheduler starts nothing more for that stage (tick.ts holds it) until a
// person answers, presses Retry or moves the label. A paid provider is never
// called in a loop.
import { audit } from '../store/audit'
import { spendBudget } from '../store/budgets'
import { endAttempt, getTask, setTaskState, type TaskRow } from '../store/tasks'
import type { EngineContext } from './engine-context'
import { childLost } from './fanout'
import { toInbox } from './inbox'

/** 10 s doubling, at most 10 min. */
export const defaultBackoffMs = (attempt: number): number => Math.min(10_000 * 2 ** (attempt - 1), 600_000)

export const budgetOf = (ctx: EngineContext): number => ctx.o.maxAttempts ?? 3

/** What the board and the inbox say about a spent budget. */
export const spentMessage = (spent: number, reason: string): string => `failed ${spent} times: ${reason}`

export function retryOrFail(ctx: EngineContext, task: TaskRow, reason: string, question?: string): void {
  const { db } = ctx
  const max = budgetOf(ctx)
  const spent = spendBudget(db, { repoId: task.repo_id, issue: task.issue, stage: task.stage, error: reason, at: ctx.now().toISOString() })
  if (spent < max) {
    const delay = (ctx.o.backoffMs ?? defaultBackoffMs)(spent)
    setTaskState(db, task.id, 'queued', { result: reason, notBefore: new Date(ctx.now().getTime() + delay).toISOString() })
    ctx.o.metrics?.task('retried', task)
    audit(db, {
      kind: 'task.retry',
      repoId: task.repo_id,
      issue: task.issue,
      taskId: task.id,
      message: `Attempt ${spent} of ${max} for #${task.issue} (${task.stage}) failed (${reason}); retrying in ${Math.round(delay / 1000)} s`
    })
  } else {
    setTaskState(db, task.id, 'failed', { result: spentMessage(spent, reason) })
    ctx.o.metrics?.task('failed', task)
    toInbox(ctx, task, 'failure', question ?? `${task.agent ?? task.role} could not finish #${task.issue} (${task.stage}): ${spentMessage(spent, reason)}`)
    audit(db, { kind: 'task.failed', repoId: task.repo_id, issue: task.issue, taskId: task.id, message: `${task.stage}: ${spentMessage(spent, reason)}; waits for a person` })
  }
  ctx.o.events.changed('tasks', 'issues', 'inbox')
}

/** The supervisor gave up on an attempt: it spends the budget, under the issue's lock. */
export function attemptLost(ctx: EngineContext, taskId: string, attempt: number, reason: string): Promise<void> {
  return ctx.keyed(ctx.taskKey(taskId), 'attempt-lost', async () => {
    const task = getTask(ctx.db, taskId)
    if (!task || task.state !== 'running' || task.attempt !== attempt) return
    endAttempt(ctx.db, taskId, attempt, 'lost', null, reason)
    // A fan-out's child spends no budget of its own: another capable instance takes its place, or the join reports it missing.
    if (task.parent_task) return childLost(ctx, task, reason)
    retryOrFail(ctx, task, reason)
  })
}
