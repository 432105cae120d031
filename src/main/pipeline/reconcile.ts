// GitHub is the truth: after a sync, tasks whose issue a person moved out of
// their stage, or closed, are cancelled — each under its issue's lock, so
// never in the middle of applying that issue's answer, and decided again once
// the lock is held.
import { audit } from '../store/audit'
import { closeTaskRequests } from '../store/inbox'
import { activeTasks, activeTasksForIssue, setTaskState, type TaskRow } from '../store/tasks'
import { stageOf } from './definition'
import { baseRole, CODE_ROLES, issueKey, type EngineContext } from './engine-context'

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

export function reconcile(ctx: EngineContext): Promise<void> {
  const stale = new Map(activeTasks(ctx.db).filter((t) => staleBecause(ctx, t)).map((t) => [issueKey(t.repo_id, t.issue), t]))
  const work = [...stale].map(([key, t]) => ctx.keyed(key, 'reconcile', () => cancelStale(ctx, t.repo_id, t.issue)))
  return ctx.track(
    'reconcile',
    Promise.all(work).then(() => {
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
    if (CODE_ROLES[baseRole(task.role)]) await ctx.o.workspace.release(repo, task.id).catch(() => undefined)
    if (issue?.state === 'closed') await ctx.o.workspace.removeIssue(repo, task.issue).catch(() => undefined)
    audit(db, { kind: 'task.cancelled', repoId: task.repo_id, issue: task.issue, taskId: task.id, message: `Cancelled ${task.role}'s task: ${why}` })
  }
}
