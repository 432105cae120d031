// GitHub is the truth: after a sync, tasks whose issue a person moved out of
// their stage, or closed, are cancelled — each under its issue's lock, so
// never in the middle of applying that issue's answer, and decided again once
// the lock is held.
import { audit } from '../store/audit'
import { repoBudgets, resetBudget } from '../store/budgets'
import { closeTaskRequests, openFailures, resolveFailures } from '../store/inbox'
import { repoIds } from '../store/pipeline-issues'
import { activeTasks, activeTasksForIssue, setTaskState, type TaskRow } from '../store/tasks'
import { settleClosed } from './closed'
import { stageOf } from './definition'
import { workspaceModeOf } from './capabilities'
import { issueKey, type EngineContext } from './engine-context'

/** Why an active task no longer matches its issue on GitHub, or null. */
export function staleBecause(ctx: EngineContext, task: TaskRow): string | null {
  const issue = ctx.issue(task.repo_id, task.issue)
  const pipeline = ctx.o.pipeline(task.repo_id)
  const sideLane = task.stage === 'handoff' || task.stage === 'community' || task.stage === pipeline.done
  if (!issue) return 'the issue is gone'
  if (issue.state === 'closed' && task.stage !== pipeline.done) return `#${task.issue} was closed`
  if (sideLane) return null
  const stage = stageOf(pipeline, JSON.parse(issue.labels) as string[])?.label ?? null
  return stage !== task.stage ? `a person moved #${task.issue} to ${stage ?? 'no stage'}` : null
}

/** Where the issue is now, as GitHub says: 'closed', its stage label, or null (no stage; gone). */
function whereNow(ctx: EngineContext, repoId: number, number: number): { closed: boolean; stage: string | null } | null {
  const issue = ctx.issue(repoId, number)
  if (!issue) return null
  return { closed: issue.state === 'closed', stage: stageOf(ctx.o.pipeline(repoId), JSON.parse(issue.labels) as string[])?.label ?? null }
}

/**
 * Failure budgets and inbox failures that no longer hold anything: the issue
 * left the stage (a person moved the label: the stage it lands in starts with
 * a whole budget) or closed. The inbox keeps only what needs a person.
 */
function settleFailures(ctx: EngineContext): void {
  const { db } = ctx
  const at = ctx.now().toISOString()
  for (const repoId of repoIds(db)) {
    const stages = new Set(ctx.o.pipeline(repoId).stages.map((s) => s.label))
    for (const budget of repoBudgets(db, repoId)) {
      // Side lanes (hand-offs, Community) are not stages an issue moves through: their budget stays.
      if (!stages.has(budget.stage)) continue
      const now = whereNow(ctx, repoId, budget.issue)
      if (now && !now.closed && now.stage === budget.stage) continue
      resetBudget(db, repoId, budget.issue, budget.stage)
    }
  }
  for (const item of openFailures(db)) {
    if (item.repo_id === null || item.issue === null) continue
    const now = whereNow(ctx, item.repo_id, item.issue)
    const stages = new Set(ctx.o.pipeline(item.repo_id).stages.map((s) => s.label))
    const why = !now
      ? 'the issue is gone'
      : now.closed
        ? `#${item.issue} was closed`
        : item.stage && stages.has(item.stage) && now.stage !== item.stage
          ? `#${item.issue} moved on to ${now.stage ?? 'no stage'}`
          : null
    if (!why) continue
    if (resolveFailures(db, item.repo_id, item.issue, item.stage, `(resolved: ${why})`, at) > 0) {
      audit(db, { kind: 'inbox.resolved', repoId: item.repo_id, issue: item.issue, taskId: item.task_id, message: `A failure of #${item.issue} needs no person any more: ${why}` })
    }
  }
}

export function reconcile(ctx: EngineContext): Promise<void> {
  settleFailures(ctx)
  // Closed (not planned, or its PR closed unmerged) or reopened first: its stage label changes, then its tasks follow.
  const settled = settleClosed(ctx).catch((error: unknown) => ctx.o.log.warn(`pipeline: closing or reopening an issue failed: ${(error as Error).message}`))
  const cancelled = settled.then(() => {
    const stale = new Map(activeTasks(ctx.db).filter((t) => staleBecause(ctx, t)).map((t) => [issueKey(t.repo_id, t.issue), t]))
    return Promise.all([...stale].map(([key, t]) => ctx.keyed(key, 'reconcile', () => cancelStale(ctx, t.repo_id, t.issue))))
  })
  return ctx.track(
    'reconcile',
    cancelled.then(() => {
      ctx.o.events.changed('tasks', 'issues', 'inbox', 'agents')
      void ctx.tick()
    })
  )
}

async function cancelStale(ctx: EngineContext, repoId: number, number: number): Promise<void> {
  const { db } = ctx
  for (const task of activeTasksForIssue(db, repoId, number)) {
    const why = staleBecause(ctx, task)
    if (!why) continue
    const issue = ctx.issue(task.repo_id, task.issue)
    if (task.state === 'running' && task.agent) ctx.o.pool.cancel(task.agent, task.id)
    setTaskState(db, task.id, 'cancelled', { result: why })
    closeTaskRequests(db, task.id, '(cancelled)', ctx.now().toISOString())
    const repo = ctx.repo(task.repo_id)
    if (workspaceModeOf(ctx.o.pipeline(task.repo_id), task.stage, task.role)) await ctx.o.workspace.release(repo, task.id).catch(() => undefined)
    if (issue?.state === 'closed') await ctx.o.workspace.removeIssue(repo, task.issue).catch(() => undefined)
    audit(db, { kind: 'task.cancelled', repoId: task.repo_id, issue: task.issue, taskId: task.id, message: `Cancelled ${task.role}'s task: ${why}` })
  }
}
