// Main's lease on the plan's files for an Engineer's task (issue #14): taken
// in the same transaction that starts the attempt, after checking no other
// issue's task (or a person) holds one of them — so two issues whose plans
// touch one file never run their Engineers at once, whatever the agents do,
// even when two dispatches prepared their worktrees side by side (SQLite runs
// one transaction at a time). The lease ends with the attempt (store/leases.ts).
import { agentName } from '../../shared/agent-name'
import { liveLeases, planFiles, putLease, type LeaseRow } from '../store/leases'
import { getTask, startAttempt, type TaskRow } from '../store/tasks'
import { baseRole, type EngineContext } from './engine-context'
import { LEASE_ROLES, leaseWait, type HeldLease } from './lease-wait'

export const heldLease = (l: LeaseRow): HeldLease => ({ repoId: l.repoId, issue: l.issueNumber, pattern: l.pattern, holder: l.holder })

/** Why the task's Engineer must wait for a lease now, or null (not an Engineer, no plan files, or nothing overlaps). */
export function planLeaseWait(ctx: EngineContext, task: Pick<TaskRow, 'repo_id' | 'issue' | 'role'>): string | null {
  if (!LEASE_ROLES.has(baseRole(task.role))) return null
  const files = planFiles(ctx.db, task.repo_id, task.issue)
  if (!files.length) return null
  return leaseWait({ repoId: task.repo_id, number: task.issue }, files, liveLeases(ctx.db, ctx.now().toISOString(), task.repo_id).map(heldLease))
}

/** Starts the attempt, with the plan's lease for an Engineer; `wait` (and no attempt) when another holds one of its files. */
export function startAttemptLeased(ctx: EngineContext, task: TaskRow, agent: string): { attempt: number } | { wait: string } {
  const { db } = ctx
  return db.transaction((): { attempt: number } | { wait: string } => {
    const wait = planLeaseWait(ctx, task)
    if (wait) return { wait }
    const attempt = startAttempt(db, task.id, agent)
    if (LEASE_ROLES.has(baseRole(task.role))) {
      const repo = ctx.repo(task.repo_id)
      const at = ctx.now().toISOString()
      const holder = agentName(agent, `${repo.owner}/${repo.name}`)
      for (const pattern of planFiles(db, task.repo_id, task.issue)) {
        putLease(db, { repoId: task.repo_id, pattern, taskId: task.id, attempt, holder, issue: task.issue, source: 'plan', reason: `the plan of #${task.issue}`, at, expiresAt: null })
      }
    }
    return { attempt }
  })()
}

/**
 * The leases Engineer tasks being dispatched now will take (their worktree is
 * still being prepared, so their lease is not in SQLite yet): the scheduler
 * counts them as held, or it would start a second Engineer on the same files
 * that could only wait, queued, for the first one's lease.
 */
export function pendingLeases(ctx: EngineContext, repoId: number): HeldLease[] {
  const out: HeldLease[] = []
  for (const id of ctx.preparing) {
    const task = getTask(ctx.db, id)
    if (!task || task.repo_id !== repoId || !task.agent || !LEASE_ROLES.has(baseRole(task.role))) continue
    const repo = ctx.repo(repoId)
    const holder = agentName(task.agent, `${repo.owner}/${repo.name}`)
    for (const pattern of planFiles(ctx.db, repoId, task.issue)) out.push({ repoId, issue: task.issue, pattern, holder })
  }
  return out
}
