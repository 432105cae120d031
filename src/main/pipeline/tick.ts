// One scheduling run: queued tasks whose backoff passed are dispatched again,
// new issues take the entry label (adopt), and the scheduler's plan creates
// and dispatches tasks. It only reads SQLite, creates tasks and starts
// dispatches; it never waits for git or GitHub.
import { audit } from '../store/audit'
import { repoBudgets } from '../store/budgets'
import { issueRow, mergedIssues, openIssues, openIssuesSince, repoIds, repoRow, setIssueLabels } from '../store/pipeline-issues'
import { createTask, dueTasks, taskIndex } from '../store/tasks'
import { liveLeases, repoPlanFiles, sweepLeases } from '../store/leases'
import { sweepMemory } from '../store/memory'
import { agentName } from '../../shared/agent-name'
import type { Pipeline } from './definition'
import { budgetHolds } from './budget-gate'
import { checkHolds } from './check-wait'
import { stageOf } from './definition'
import { attemptHolds, expandAttempts, settleAttempts } from './attempts'
import { startDispatch } from './dispatch'
import { baseRole, issueKey, type EngineContext } from './engine-context'
import { budgetOf, spentMessage } from './retry'
import { heldLease, pendingLeases, planLeaseWait } from './plan-lease'
import { schedule, type ScheduleIssue } from './scheduler'
import { filedByAgent } from './agent-filed'
import { capabilityWait } from './capabilities'
import { startRound, sweepRounds } from './fanout'
import { handoffHolds } from './handoff'
import { elsewhereState } from './cross-deps'

export function runTick(ctx: EngineContext): void {
  const { db } = ctx
  // Fan-outs first (fanout.ts): a queued child whose agent went offline is replaced or reported, a finished round joined.
  sweepRounds(ctx)
  // Groups of parallel attempts with work left: a winner to open the PR for, losers to stop and remove (attempts.ts).
  settleAttempts(ctx)
  const idle = ctx.idleAgents()
  const presence = ctx.o.pool.presence?.() ?? []
  const roundWaits: Array<[string, string]> = []
  const nowIso = ctx.now().toISOString()
  // Leases whose task's attempt ended or whose TTL passed no longer count, and expired memory is never read: both go (issue #14).
  sweepLeases(db, nowIso)
  sweepMemory(db, nowIso)
  const leaseWaits = new Map<string, string>()
  // Origins waiting for a hand-off to another project (handoff.ts): nothing starts for them, a retry included.
  const handedOff = handoffHolds(db)
  // Re-dispatch queued tasks first: retries whose backoff passed, answered requests.
  for (const task of dueTasks(db, nowIso)) {
    if (ctx.preparing.has(task.id)) continue
    if (task.role.startsWith('@')) {
      // A fan-out's parent whose round failed: a new round, to the capable instances online now.
      const capability = task.role.slice(1)
      if (!startRound(ctx, { repoId: task.repo_id, issue: task.issue, stage: task.stage, capability, parent: task }, presence, idle)) {
        roundWaits.push([issueKey(task.repo_id, task.issue), capabilityWait(capability, false)])
      }
      continue
    }
    if (handedOff.has(issueKey(task.repo_id, task.issue))) continue
    // An Engineer whose plan's files another issue's task holds a lease on stays queued (plan-lease.ts).
    const leased = planLeaseWait(ctx, task)
    if (leased) {
      leaseWaits.set(issueKey(task.repo_id, task.issue), leased)
      continue
    }
    const free = idle.get(baseRole(task.role)) ?? []
    // A fan-out's child goes to its own instance only (another one may already hold a place in the same round).
    const agent = task.agent && free.includes(task.agent) ? task.agent : task.parent_task ? undefined : free[0]
    if (!agent) continue
    free.splice(free.indexOf(agent), 1)
    startDispatch(ctx, task, agent)
  }

  const settings = ctx.o.settings()
  ctx.o.waits.clear()
  for (const [key, reason] of roundWaits) ctx.o.waits.set(key, reason)
  for (const [key, why] of leaseWaits) ctx.o.waits.set(key, why)
  for (const repoId of repoIds(db)) {
    const pipeline = ctx.o.pipeline(repoId)
    adopt(ctx, repoId, pipeline)
    // New issues are still taking their entry label: schedule the repository once they all have
    // it (the last one ticks again), so priority and age decide the order, not GitHub's replies.
    if ([...ctx.adopting].some((key) => key.startsWith(`${repoId}#`))) continue
    const issues: ScheduleIssue[] = openIssues(db, repoId).map((row) => {
      const labels = JSON.parse(row.labels) as string[]
      // The trust policy is the person's (Settings → Trust): who counts as trusted, and the approval label.
      const collaborator = (settings.trust.associations as readonly string[]).includes(row.author_association)
      // An agent's issue is written with the app's token (a trusted author on GitHub) but is the agent's words (agent-filed.ts).
      const filedBy = filedByAgent(row.body)
      return {
        repoId,
        number: row.number,
        labels,
        body: row.body,
        createdAt: row.created_at,
        trusted: (collaborator && !filedBy) || labels.includes(settings.trust.approvalLabel),
        outsideAuthor: !collaborator,
        filedBy
      }
    })
    const finished = mergedIssues(db, repoId).map((number) => ({ repoId, number }))
    // Spent failure budgets, moves to the person's review waiting for the PR's checks (check-wait.ts), spend budgets (budget-gate.ts).
    const held = new Map([...heldStages(ctx, repoId, pipeline), ...checkHolds(ctx, repoId), ...[...handedOff].filter(([k]) => k.startsWith(`${repoId}#`)), ...budgetHolds(ctx, repoId, pipeline, issues), ...attemptHolds(ctx, repoId)])
    const index = taskIndex(db)
    const repo = ctx.repo(repoId)
    const plans = new Map([...repoPlanFiles(db, repoId)].map(([n, files]) => [issueKey(repoId, n), files] as const))
    const plan = schedule({
      pipeline,
      issues,
      busy: index.busy,
      sideLaneDone: index.sideLaneDone,
      held,
      isClosed: (r, n) => issueRow(db, r, n)?.state === 'closed',
      repoName: (r) => {
        const row = repoRow(db, r)
        return row ? `${row.owner}/${row.name}` : ''
      },
      elsewhere: (ref) => elsewhereState(ctx, ref),
      idle,
      pausedRoles: ctx.o.pool.pausedRoles?.(),
      presence,
      parallelPrs: settings.parallelPrs,
      approvalLabel: settings.trust.approvalLabel,
      finished,
      leases: [...liveLeases(db, nowIso, repoId).map(heldLease), ...pendingLeases(ctx, repoId)],
      planFiles: plans,
      holderName: (agent) => agentName(agent, `${repo.owner}/${repo.name}`)
    })
    for (const wait of plan.waiting) ctx.o.waits.set(`${wait.repoId}#${wait.issue}`, wait.reason)
    for (const start of plan.start) {
      if (start.fanout) {
        startRound(ctx, { repoId: start.repoId, issue: start.issue, stage: start.stage, capability: start.role.slice(1) }, presence, idle)
        continue
      }
      const task = createTask(db, { repoId: start.repoId, issue: start.issue, stage: start.stage, role: start.role, agent: start.agent })
      audit(db, { kind: 'task.create', repoId, issue: start.issue, taskId: task.id, subject: start.agent, message: `${start.role} takes #${start.issue} (${start.stage})` })
      // Taken: the next repository's plan must not pick the same instance.
      const free = idle.get(baseRole(start.role))
      if (free?.includes(start.agent)) free.splice(free.indexOf(start.agent), 1)
      startDispatch(ctx, task, start.agent)
      // More than one attempt asked for (attempts.ts): the others' tasks, each to a free instance now or queued for one.
      for (const other of expandAttempts(ctx, task)) {
        const agent = free?.shift()
        if (agent) startDispatch(ctx, other, agent)
      }
    }
  }
  ctx.o.events.changed('tasks', 'issues', 'agents')
}

/**
 * Issues whose stage's failure budget is spent (retry.ts), still at that
 * stage: the scheduler starts nothing for them, and says why, until a person
 * acts. A budget of a stage the issue has left holds nothing (reconcile
 * removes it).
 */
function heldStages(ctx: EngineContext, repoId: number, pipeline: Pipeline): Map<string, string> {
  const held = new Map<string, string>()
  const max = budgetOf(ctx)
  for (const budget of repoBudgets(ctx.db, repoId)) {
    if (budget.spent < max) continue
    const issue = ctx.issue(repoId, budget.issue)
    if (!issue || stageOf(pipeline, JSON.parse(issue.labels) as string[])?.label !== budget.stage) continue
    held.set(issueKey(repoId, budget.issue), `${spentMessage(budget.spent, budget.last_error ?? 'no reason given')} — waits for a person (answer it in the inbox, Retry, or move the label)`)
  }
  return held
}

/**
 * Issues opened on GitHub after the repository was connected, with no stage
 * label yet, enter the pipeline at its entry stage. Older issues are left
 * alone: a person brings them in by adding the label.
 */
function adopt(ctx: EngineContext, repoId: number, pipeline: Pipeline): void {
  const { db } = ctx
  const repo = repoRow(db, repoId)
  if (!repo) return
  for (const row of openIssuesSince(db, repoId, repo.connected_at)) {
    const labels = JSON.parse(row.labels) as string[]
    const key = issueKey(repoId, row.number)
    if (stageOf(pipeline, labels) || ctx.adopting.has(key)) continue
    ctx.adopting.add(key)
    // Under the issue's lock, off the tick: a failure is tried again by a later tick.
    ctx
      .keyed(key, 'adopt', async () => {
        const current = ctx.issue(repoId, row.number)
        if (!current || current.state !== 'open' || stageOf(pipeline, JSON.parse(current.labels) as string[])) return
        const after = await ctx.o.github.setLabels(ctx.repo(repoId), row.number, [pipeline.entry], [])
        setIssueLabels(db, repoId, row.number, after)
        audit(db, { kind: 'stage.move', repoId, issue: row.number, message: `— → ${pipeline.entry} (new issue)` })
        void ctx.tick()
      })
      .finally(() => ctx.adopting.delete(key))
      .catch(() => undefined)
  }
}
