// running → applied | waiting (or back to the queue on ERROR): an agent's
// answer is checked (effects.ts) and its effects applied on GitHub and in
// SQLite, under the issue's lock. GitHub refusing or unreachable mid-way
// leaves the task running and the same answer is applied again later.
import { audit } from '../store/audit'
import { resolveFailures } from '../store/inbox'
import { countNotes, latestNote } from '../store/notes'
import { countIssueEvents } from '../store/pipeline-issues'
import { countAnswer, endAttempt, finishAnswer, getTask, setTaskState } from '../store/tasks'
import { recordUsage } from '../store/usage'
import { applyEffect } from './apply-effect'
import { holdForChecks } from './check-wait'
import { stageOf } from './definition'
import type { Pipeline } from './definition'
import { agentName } from '../../shared/agent-name'
import { planEffects, roleTitle, type AnswerPlace, type Effect } from './effects'
import { workspaceModeOf } from './capabilities'
import { baseRole, type EngineContext } from './engine-context'
import { childAnswered } from './fanout'
import { ownsStage } from './definition'
import { toInbox } from './inbox'
import { waitsForHandoff } from '../store/handoffs'
import { attemptAnswered, attemptEffects, branchOf, testerAttemptPlan } from './attempts'
import type { AgentResult } from './ports'
import { retryOrFail } from './retry'
import { publishVerdict } from './verdict'

export function handleResult(ctx: EngineContext, result: AgentResult, tries = 0): Promise<void> {
  // Baton stopped while a retry waited: the response file stays, and the next start replays it.
  if (!ctx.db.open) return Promise.resolve()
  // Until its answer is applied, the agent's response file is the only
  // record of it (a crash replays it on start): the agent gets no new
  // trigger meanwhile, since its next response would overwrite that file.
  if (tries === 0) ctx.answering.set(result.agent, (ctx.answering.get(result.agent) ?? 0) + 1)
  const settled = () => {
    const left = (ctx.answering.get(result.agent) ?? 1) - 1
    if (left > 0) ctx.answering.set(result.agent, left)
    else ctx.answering.delete(result.agent)
    void ctx.tick()
  }
  return ctx.keyed(ctx.taskKey(result.task), 'result', () => apply(ctx, result)).then(settled, (error: unknown) => {
    // GitHub refused or could not be reached mid-way: every effect is safe to
    // repeat, so the same answer is applied again a little later.
    if (!ctx.db.open) return
    if (tries >= 8) {
      const task = getTask(ctx.db, result.task)
      if (task) toInbox(ctx, task, 'failure', `Baton could not apply ${result.agent}'s answer on GitHub: ${(error as Error).message}`)
      settled()
      return
    }
    const delay = (ctx.o.backoffMs ?? ((n: number) => Math.min(1000 * 2 ** n, 60_000)))(tries + 1)
    setTimeout(() => void handleResult(ctx, result, tries + 1), delay).unref()
  })
}

async function apply(ctx: EngineContext, result: AgentResult): Promise<void> {
  const { db } = ctx
  const task = getTask(db, result.task)
  if (!task || task.state !== 'running' || task.attempt !== result.attempt) {
    // A response for a task that is no longer current: recorded, ignored (DESIGN.md §5).
    audit(db, {
      kind: 'response.stale',
      taskId: result.task,
      repoId: task?.repo_id,
      issue: task?.issue,
      subject: result.agent,
      message: `Ignored a stale response from ${result.agent} (task ${result.task}, attempt ${result.attempt})`,
      data: { raw: result.raw.slice(0, 4000) }
    })
    return
  }
  // This answer's place in the task: the same however often applying it is
  // retried or replayed (the count moves only once it is applied).
  const place: AnswerPlace = { attempt: task.attempt, answer: task.answers + 1 }
  if (result.usage) {
    recordUsage(db, {
      at: ctx.now().toISOString(),
      repoId: task.repo_id,
      issue: task.issue,
      taskId: task.id,
      attempt: place.attempt,
      answer: place.answer,
      agent: result.agent,
      provider: result.provider,
      model: result.model,
      ...result.usage
    })
  }
  endAttempt(db, task.id, task.attempt, result.answer.status, result.raw)
  // A fan-out's child: its answer is kept for the join (fanout.ts), which answers for the stage once.
  if (task.parent_task) return childAnswered(ctx, task, result)
  const repo = ctx.repo(task.repo_id)
  const issue = ctx.issue(task.repo_id, task.issue)
  if (!issue) return setTaskState(db, task.id, 'cancelled', { result: 'the issue is gone' })
  const labels = JSON.parse(issue.labels) as string[]
  const pipeline = ctx.o.pipeline(task.repo_id)
  const settings = ctx.o.settings()

  if (result.answer.status === 'error') {
    db.transaction(() => {
      countAnswer(db, task.id)
      retryOrFail(ctx, task, result.answer.text)
    })()
    return
  }

  const testPlan = latestNote(db, task.repo_id, task.issue, 'plan')?.split(/^## Test plan\s*$/m)[1]?.trim() ?? null
  // An attempt's Tester (attempts.ts) only reports: its move is the attempt's verdict, not the issue's.
  const plan = testerAttemptPlan(ctx, task, result, place) ?? planEffects(result.answer, {
    pipeline,
    taskId: task.id,
    role: task.role,
    // Its name on GitHub: the instance that answered, in this project.
    agent: task.agent ? agentName(task.agent, `${repo.owner}/${repo.name}`) : undefined,
    taskStage: task.stage,
    currentStage: stageOf(pipeline, labels)?.label ?? null,
    issue: { number: issue.number, title: issue.title, labels },
    handoffsSoFar: countNotes(db, task.repo_id, task.issue, 'handoff'),
    handoffCap: settings.handoffCap,
    loopsSoFar: countIssueEvents(db, task.repo_id, task.issue, 'stage.loop'),
    loopCap: settings.loopCap,
    roles: ctx.o.pool.roles(),
    capabilities: ctx.o.pool.capabilitiesOf?.(baseRole(task.role)) ?? [],
    testPlan,
    approvalLabel: settings.trust.approvalLabel,
    taskBranch: (await ctx.o.workspace.taskBranch?.(repo, task.id).catch(() => null)) ?? branchOf(ctx, task, issue.title),
    defaultBranch: repo.defaultBranch,
    place
  })
  for (const reason of plan.refused) {
    audit(db, { kind: 'effect.refused', repoId: repo.id, issue: task.issue, taskId: task.id, subject: result.agent, message: reason })
  }
  // An answer whose requested move (or branch) was refused did not do the
  // stage's work: it spends the stage's failure budget like an ERROR, with
  // backoff, instead of running the stage again at once; one inbox item asks a
  // person only when the budget is spent.
  const refusal = plan.effects.find((e): e is Extract<Effect, { kind: 'failure' }> => e.kind === 'failure')?.message ?? (waitsForHandoff(db, task.repo_id, task.issue) ? undefined : stalled(plan.effects, task.stage, task.role, pipeline, issue.number, ctx.o.pool.capabilitiesOf?.(baseRole(task.role)) ?? []))
  try {
    // A Tester's move to the person's review waits while the PR's checks are pending (check-wait.ts).
    // An attempt's Engineer pushes its own branch and opens no PR, moves no stage (attempts.ts).
    for (const effect of holdForChecks(ctx, task, attemptEffects(ctx, task, plan.effects))) if (effect.kind !== 'failure') await applyEffect(ctx, effect, task, repo, result)
    // The Tester's verdict on the PR's head commit (`baton/tester`) and its report on the PR.
    await publishVerdict(ctx, task, repo, plan.effects, result)
  } catch (error) {
    // GitHub refused or was unreachable: the task stays running and the same
    // response is applied again later — every effect is safe to repeat.
    audit(db, { kind: 'effect.error', repoId: repo.id, issue: task.issue, taskId: task.id, message: `Applying ${result.agent}'s answer failed: ${(error as Error).message}` })
    throw error
  }
  if (refusal && plan.outcome === 'applied') {
    db.transaction(() => {
      endAttempt(db, task.id, task.attempt, 'refused', result.raw)
      countAnswer(db, task.id)
      retryOrFail(ctx, task, refusal)
    })()
    if (workspaceModeOf(pipeline, task.stage, task.role)) void ctx.track('release', ctx.o.workspace.release(repo, task.id).catch(() => undefined))
    void ctx.tick()
    return
  }
  // One of several attempts: what it pushed, or its Tester's verdict, in the same transaction (the tick settles the group).
  db.transaction(() => {
    finishAnswer(db, task.id, plan.outcome === 'waiting' ? 'waiting' : 'applied', { result: result.answer.text, sessionId: result.sessionId })
    if (plan.outcome === 'applied') attemptAnswered(ctx, task, result, plan.effects)
  })()
  ctx.o.metrics?.task(plan.outcome === 'waiting' ? 'waiting' : 'applied', task)
  // A failure item of this stage that a later attempt got past needs no person any more.
  if (plan.outcome === 'applied' && resolveFailures(db, task.repo_id, task.issue, task.stage, '(resolved: a later attempt succeeded)', ctx.now().toISOString()) > 0) {
    audit(db, { kind: 'inbox.resolved', repoId: repo.id, issue: task.issue, taskId: task.id, message: `#${task.issue} (${task.stage}) recovered by itself` })
  }
  const timing = ctx.timings.get(task.id)
  if (timing) timing.appliedAt = performance.now()
  // Off the issue's lock: the workspaces run git for a repository in call order, so
  // the issue's next prepare still comes after this release.
  if (plan.outcome !== 'waiting' && workspaceModeOf(pipeline, task.stage, task.role)) void ctx.track('release', ctx.o.workspace.release(repo, task.id).catch(() => undefined))
  audit(db, { kind: `task.${plan.outcome}`, repoId: repo.id, issue: task.issue, taskId: task.id, subject: result.agent, message: `${result.agent}: ${result.answer.text}` })
  ctx.o.events.changed('tasks', 'issues', 'inbox', 'usage', 'events', 'agents')
  void ctx.tick()
}

/**
 * A stage's owner that answered DONE but asked for no move (and no hand-off,
 * no question) leaves the issue where it was: the scheduler would run the
 * stage again at once, for ever. So that answer spends the budget too.
 */
function stalled(effects: readonly Effect[], stage: string, role: string, pipeline: Pipeline, issue: number, capabilities: readonly string[]): string | undefined {
  const owned = pipeline.stages.find((s) => s.label === stage)
  if (!owned || !ownsStage(owned, baseRole(role), capabilities)) return undefined
  const moves = effects.some((e) => e.kind === 'labels' && e.add.some((l) => pipeline.stages.some((s) => s.label === l)))
  if (moves || effects.some((e) => e.kind === 'handoff' || e.kind === 'request')) return undefined
  return `${roleTitle(role)} finished #${issue} but did not move it on from ${stage}`
}
