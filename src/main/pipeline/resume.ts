// On start, after the supervisor has read the files: a `running` task whose
// attempt the files do not hand over — its agent's trigger is missing or names
// another task or attempt, and no response answers it — was started in SQLite
// by a main that stopped before writing the trigger. No agent will ever answer
// it, so it goes back to the queue at once, to be dispatched again as the same
// attempt (the number is given back: no agent saw it, so it counts against no
// retry, and waits no backoff). One transaction, decided again under the
// issue's lock: stopping again midway leaves it running, and the next start
// does the same.
import { audit } from '../store/audit'
import { getTask, requeueUnhanded, tasksInState } from '../store/tasks'
import { issueKey, type EngineContext } from './engine-context'

export function resume(ctx: EngineContext): Promise<void> {
  const { db } = ctx
  const pool = ctx.o.pool
  const handedOver = pool.handedOver
  if (!handedOver) return Promise.resolve()
  const work = tasksInState(db, 'running').map((t) =>
    ctx.keyed(issueKey(t.repo_id, t.issue), 'resume', async () => {
      const task = getTask(db, t.id)
      if (!task || task.state !== 'running' || ctx.preparing.has(task.id)) return
      // A fan-out's parent has no agent and no trigger: its children are the handed-over work (fanout.ts).
      if (task.role.startsWith('@')) return
      if (task.agent && handedOver.call(pool, task.agent, task.id, task.attempt)) return
      const reason = `main stopped before handing attempt ${task.attempt} to ${task.agent ?? 'its agent'}`
      requeueUnhanded(db, task.id, task.attempt, reason, ctx.now().toISOString())
      audit(db, { kind: 'task.resume', repoId: task.repo_id, issue: task.issue, taskId: task.id, subject: task.agent, message: `${reason}: dispatching it again` })
    })
  )
  return ctx.track(
    'resume',
    Promise.all(work).then(() => {
      if (work.length > 0) ctx.o.events.changed('tasks', 'agents')
      void ctx.tick()
    })
  ).then(() => removeOrphanWorktrees(ctx))
}

/**
 * A worktree whose task ended (applied or cancelled) or is unknown is an
 * orphan: main was stopped between the answer and the release (apply.ts), or
 * the task's row is gone. Removed at start, never a worktree of a task that
 * is queued, running, waiting, being prepared or failed (a person's Retry
 * runs it again). Asked per worktree, so one a task started meanwhile is kept.
 */
async function removeOrphanWorktrees(ctx: EngineContext): Promise<void> {
  const remove = ctx.o.workspace.removeOrphans
  if (!remove) return
  const keep = (taskId: string) => {
    if (ctx.preparing.has(taskId)) return true
    const task = ctx.db.open ? getTask(ctx.db, taskId) : undefined
    return task ? task.state !== 'applied' && task.state !== 'cancelled' : !ctx.db.open
  }
  const removed = await remove.call(ctx.o.workspace, keep).catch((error: unknown) => {
    ctx.o.log.warn(`pipeline: removing orphaned worktrees failed: ${(error as Error).message}`)
    return [] as string[]
  })
  if (removed.length && ctx.db.open) audit(ctx.db, { kind: 'workspace.orphans', message: `Removed ${removed.length} orphaned worktree${removed.length === 1 ? '' : 's'} left by a stop: ${removed.join(', ')}` })
}
