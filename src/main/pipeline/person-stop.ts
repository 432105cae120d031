// A person stops an issue's task (the card's Stop, `tasks.stop`, `baton task
// stop owner/repo#n`): a running agent is cancelled (the supervisor's cancel,
// as a reconcile does), a queued one is not dispatched, and the stage is held
// for the person: its failure budget is marked spent with "stopped by …", so
// the scheduler starts nothing for it (tick.ts) and the card shows a failure
// with Retry (person-retry.ts gives the budget back and runs the same task
// again). Nothing running is a conflict, not a silent success.
import { AppError } from '../../shared/errors'
import { audit } from '../store/audit'
import { spendWhole } from '../store/budgets'
import { closeTaskRequests } from '../store/inbox'
import { activeTasksForIssue, endAttempt, setTaskState } from '../store/tasks'
import { workspaceModeOf } from './capabilities'
import { issueKey, type EngineContext } from './engine-context'
import { budgetOf } from './retry'

export interface StopOutcome {
  task: string
  stage: string
}

export function stopTask(ctx: EngineContext, repoId: number, number: number, who: string | null): Promise<StopOutcome> {
  return ctx.keyed(issueKey(repoId, number), 'stop', async () => {
    const { db } = ctx
    if (!ctx.issue(repoId, number)) throw new AppError('not_found', `Issue #${number} is not known to Baton (not synced yet, or in another repository).`)
    // A task waiting for an answer is not running: the person answers it instead.
    // A fan-out is stopped whole: its parent (the stage's task, which Retry runs again) and every child still at work.
    const active = activeTasksForIssue(db, repoId, number)
    const task = active.find((t) => (t.state === 'running' || t.state === 'queued') && !t.parent_task) ?? active.find((t) => t.state === 'running' || t.state === 'queued')
    if (!task) throw new AppError('conflict', `#${number} has no running task: there is nothing to stop.`)
    who ??= ctx.o.github.login()
    const why = `stopped by ${who ?? 'a person'}`
    const at = ctx.now().toISOString()
    if (task.state === 'running' && task.agent && !task.role.startsWith('@')) ctx.o.pool.cancel(task.agent, task.id)
    const children = active.filter((t) => t.parent_task === task.id)
    for (const child of children) if (child.state === 'running' && child.agent) ctx.o.pool.cancel(child.agent, child.id)
    db.transaction(() => {
      for (const child of children) {
        if (child.state === 'running') endAttempt(db, child.id, child.attempt, 'cancelled', null, why)
        setTaskState(db, child.id, 'cancelled', { result: why })
      }
      if (task.state === 'running') endAttempt(db, task.id, task.attempt, 'cancelled', null, why)
      setTaskState(db, task.id, 'failed', { result: `${why} (Retry runs it again)` })
      closeTaskRequests(db, task.id, '(stopped)', at)
      spendWhole(db, { repoId, issue: number, stage: task.stage, spent: budgetOf(ctx), error: why, at })
    })()
    for (const t of [task, ...children]) {
      if (workspaceModeOf(ctx.o.pipeline(repoId), t.stage, t.role)) await ctx.o.workspace.release(ctx.repo(repoId), t.id).catch(() => undefined)
    }
    audit(db, { kind: 'task.stop', repoId, issue: number, taskId: task.id, subject: who, message: `${who ?? 'A person'} stopped ${task.agent ?? task.role}'s task on #${number} (${task.stage})` })
    ctx.o.events.changed('tasks', 'issues', 'agents', 'events')
    return { task: task.id, stage: task.stage }
  })
}
