// queued → running: a task's workspace is prepared, its attempt started in
// SQLite, and its trigger handed to the agent — under the issue's lock, off
// the tick. The agent is kept for it meanwhile; no later tick dispatches it again.
import { audit } from '../store/audit'
import { getTask, setTaskState, type TaskRow } from '../store/tasks'
import { overBudgetAtStart } from './budget-gate'
import { workspaceModeOf } from './capabilities'
import { issueKey, type EngineContext } from './engine-context'
import { branchOf } from './attempts'
import { startAttemptLeased } from './plan-lease'
import { retryOrFail } from './retry'
import { buildTrigger } from './trigger'

export function startDispatch(ctx: EngineContext, task: TaskRow, agent: string): void {
  ctx.preparing.add(task.id)
  ctx.reserved.add(agent)
  ctx.timeStart(task.id)
  ctx
    .keyed(issueKey(task.repo_id, task.issue), 'dispatch', () => dispatch(ctx, task.id, agent))
    .finally(() => {
      ctx.preparing.delete(task.id)
      ctx.reserved.delete(agent)
    })
    .catch(() => undefined)
}

async function dispatch(ctx: EngineContext, taskId: string, agent: string): Promise<void> {
  const { db } = ctx
  // Cancelled (a person moved the issue) while it waited for the lock: nothing to do.
  const task = getTask(db, taskId)
  if (!task || task.state !== 'queued') return
  // Nothing left to spend (budget-gate.ts): it does not start, and the issue waits for a person.
  if (overBudgetAtStart(ctx, task)) return
  const repo = ctx.repo(task.repo_id)
  const issue = ctx.issue(task.repo_id, task.issue)
  if (!issue) {
    setTaskState(db, task.id, 'cancelled', { result: 'the issue is gone' })
    return
  }
  // An attempt's own branch, or the winning attempt's once one became the PR (attempts.ts).
  const branch = branchOf(ctx, task, issue.title)
  // A stage owned by a capability says where its tasks work (a fan-out's children each get a worktree of their own).
  const mode = workspaceModeOf(ctx.o.pipeline(task.repo_id), task.stage, task.role)
  let workspace: string | null = null
  if (mode) {
    try {
      workspace = await ctx.effect(task.id, 'git', () => ctx.o.workspace.prepare(repo, { id: task.id, issue: task.issue, branch, mode }))
    } catch (error) {
      // A fetch that failed once may work next time: it spends the budget, with backoff.
      retryOrFail(ctx, task, `workspace: ${(error as Error).message}`)
      return
    }
  }
  if (getTask(db, task.id)?.state !== 'queued') {
    if (mode) await ctx.o.workspace.release(repo, task.id).catch(() => undefined)
    return
  }
  // An Engineer's plan's files leased by another issue's task (plan-lease.ts): it stays queued, and tick.ts offers it again once the lease ends.
  const started = startAttemptLeased(ctx, task, agent)
  if ('wait' in started) {
    if (mode) await ctx.o.workspace.release(repo, task.id).catch(() => undefined)
    ctx.o.waits.set(issueKey(task.repo_id, task.issue), started.wait)
    return
  }
  const attempt = started.attempt
  const trigger = buildTrigger(ctx, { ...task, agent, attempt }, repo, issue, branch, workspace)
  audit(db, { kind: 'task.dispatch', repoId: repo.id, issue: task.issue, taskId: task.id, subject: agent, message: `${agent} starts #${task.issue} (${task.stage}), attempt ${attempt}` })
  ctx.o.metrics?.task('started', task)
  ctx.o.pool.dispatch(trigger)
}
