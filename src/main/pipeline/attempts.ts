// Parallel attempts at the Engineer stage (issue #15). When an issue reaches
// the Engineer's working stage (the last stage the engineer owns: in-progress)
// with more than one attempt asked for — its `attempts:N` label, else the
// repository's setting — the scheduler's one task becomes N, a group:
//
//   - each attempt is a task of its own on a branch of its own
//     (`baton/<n>-<slug>`, `…-a2`, `…-a3`), so branchAllowed and
//     Workspaces.push accept that attempt's branch and nothing else, and a
//     worktree of its own; the engineer role's instances bound how many run at
//     once (the rest queue);
//   - an attempt that answers is pushed, but opens no PR and moves no label:
//     a Tester task runs the repository's tests on that attempt's branch (at
//     the same stage, so a person's move still cancels it);
//   - the first attempt to pass wins (`pick: first`), or a person picks one
//     that passed (`pick: person`); the winner's branch becomes the PR and the
//     issue moves on as the winner asked; every other attempt's tasks are
//     stopped, their worktrees removed and their branches deleted, locally
//     and on GitHub;
//   - none passed: their branches and worktrees go too, the test reports
//     become one note, and the issue goes back to the Engineer (a loop, under
//     the loop cap).
//
// Usage rows carry the issue, so every attempt's cost counts on the issue and
// in its spend budget. A group lives in SQLite (migration 13) and every step
// of settling it is safe to repeat: a restart mid-way finishes it, and the
// first settle after a start removes the worktrees of its ended tasks.
import { audit } from '../store/audit'
import {
  attemptSettings,
  createGroup,
  getGroup,
  groupRuns,
  latestGroup,
  markCleaned,
  openGroups,
  pickRun,
  runOfTask,
  runState,
  runCost,
  setGroupState,
  setRunAnswer,
  setRunTester,
  setRunVerdict,
  type GroupRow,
  type RunRow
} from '../store/attempts'
import { spendWhole } from '../store/budgets'
import { agentPullOf } from '../store/github-signals'
import { closeTaskRequests } from '../store/inbox'
import { addNoteOnce, latestNote } from '../store/notes'
import { countIssueEvents, setIssueLabels } from '../store/pipeline-issues'
import type { Db } from '../store/open'
import { ACTIVE_STATES, createTask, endAttempt, getTask, setTaskState, type TaskRow } from '../store/tasks'
import type { Trigger } from '../../shared/protocol/trigger'
import { AppError } from '../../shared/errors'
import { attemptBranch, attemptCount, attemptProvider, attemptsLabel, attemptsSummary, type RunState } from './attempt-rules'
import { stageOf, type Pipeline } from './definition'
import { marker, signedComment, type AnswerPlace, type Effect, type Plan } from './effects'
import { baseRole, issueKey, type EngineContext } from './engine-context'
import { toInbox } from './inbox'
import { branchFor } from './instructions'
import type { AgentResult, RepoRef } from './ports'
import { budgetOf } from './retry'

/** The Engineer's working stage, where attempts run: the last stage the engineer owns (in-progress by default). */
export function workStage(pipeline: Pipeline): string | null {
  return pipeline.stages.filter((s) => s.owner === 'engineer').at(-1)?.label ?? null
}

/** The run of a task whose group is still undecided: its tasks take the attempt's branch and these rules. */
function liveRun(ctx: EngineContext, taskId: string): ReturnType<typeof runOfTask> {
  const found = runOfTask(ctx.db, taskId)
  return found && (found.group.state === 'running' || found.group.state === 'choosing') ? found : undefined
}

/**
 * Called by the tick right after it created the Engineer's task for the
 * working stage: when the issue asks for more than one attempt, the task
 * becomes attempt 1 of a group and the others are created (queued). Returns
 * the new tasks; the tick dispatches them to free instances.
 */
export function expandAttempts(ctx: EngineContext, task: TaskRow): TaskRow[] {
  const { db } = ctx
  if (baseRole(task.role) !== 'engineer') return []
  const pipeline = ctx.o.pipeline(task.repo_id)
  if (task.stage !== workStage(pipeline)) return []
  const issue = ctx.issue(task.repo_id, task.issue)
  if (!issue) return []
  const labels = JSON.parse(issue.labels) as string[]
  const settings = attemptSettings(db, task.repo_id)
  const label = attemptsLabel(labels)
  if (label.problem) audit(db, { kind: 'attempts.label', repoId: task.repo_id, issue: task.issue, taskId: task.id, message: `#${task.issue}: ${label.problem}` })
  const n = attemptCount(labels, settings.attempts)
  if (n <= 1) return []
  // Once an attempt became the PR, later rounds (a review, a failed test) work on its branch alone; so does
  // an issue whose single Engineer opened a PR before the attempts were asked for (one PR per issue).
  if (latestGroup(db, task.repo_id, task.issue)?.state === 'picked' || agentPullOf(db, task.repo_id, task.issue)) return []
  const base = branchFor(task.issue, issue.title)
  const at = ctx.now().toISOString()
  const tasks = [task]
  for (let i = 2; i <= n; i++) tasks.push(createTask(db, { repoId: task.repo_id, issue: task.issue, stage: task.stage, role: task.role, agent: baseRole(task.role) }))
  const runs = tasks.map((t, i) => {
    const pick = attemptProvider(settings.providers, i + 1)
    return { idx: i + 1, branch: attemptBranch(base, i + 1), provider: pick?.provider ?? null, model: pick?.model ?? null, engineerTask: t.id }
  })
  createGroup(db, { repoId: task.repo_id, issue: task.issue, stage: task.stage, pick: settings.pick, at, runs })
  audit(db, {
    kind: 'attempts.start',
    repoId: task.repo_id,
    issue: task.issue,
    taskId: task.id,
    message: `${n} attempts at #${task.issue} (${task.stage}) at once, ${settings.pick === 'person' ? 'a person picks' : 'the first to pass wins'}: ${runs.map((r) => r.branch).join(', ')}`
  })
  return tasks.slice(1)
}

/** The branch a task works on: its attempt's own; after a group picked, the winner's (the PR's); else `baton/<n>-<slug>`. */
export function branchOf(ctx: EngineContext, task: Pick<TaskRow, 'id' | 'repo_id' | 'issue'>, title: string): string {
  const live = liveRun(ctx, task.id)
  if (live) return live.run.branch
  const group = latestGroup(ctx.db, task.repo_id, task.issue)
  if (group?.state === 'picked') {
    const winner = groupRuns(ctx.db, group.id).find((r) => r.idx === group.winner)
    if (winner) return winner.branch
  }
  return branchFor(task.issue, title)
}

/** The trigger of an attempt's task: which attempt it is (`parallel`), and for its Tester what the verdict is about. */
export function withAttempt(ctx: EngineContext, task: TaskRow, trigger: Trigger): Trigger {
  const live = liveRun(ctx, task.id)
  if (!live) return trigger
  const { run, group, as } = live
  const parallel = { index: run.idx, of: group.size, ...(run.provider ? { provider: run.provider } : {}), ...(run.model ? { model: run.model } : {}) }
  const pipeline = ctx.o.pipeline(task.repo_id)
  if (as === 'engineer') {
    const note = `\n\nYou are attempt ${run.idx} of ${group.size}: others work on the same issue at once, each on a branch of its own. The first whose tests pass becomes the pull request.`
    return { ...trigger, parallel, instructions: `${trigger.instructions}${note}` }
  }
  // A pass moves on past the testing stage, as a Tester's does (needs-review); a failure back to the Engineer.
  const testing = run.move_to ?? nextStage(pipeline, group.stage)
  const on = (testing && nextStage(pipeline, testing)) ?? testing ?? 'needs-review'
  const back = backStage(pipeline) ?? group.stage
  return {
    ...trigger,
    parallel,
    instructions: `Your workspace holds branch ${run.branch} as pushed: attempt ${run.idx} of ${group.size} at this issue, tried at once with others. Run the repository's own tests. If they pass: LABEL-UPDATED: ${group.stage} --> ${on}. If they fail: LABEL-UPDATED: ${group.stage} --> ${back}, with the failing output's tail in your comment. (Main decides which attempt becomes the pull request; your move only says pass or fail.)`
  }
}

const attemptLine = (run: RunRow, group: GroupRow): string => `_Attempt ${run.idx} of ${group.size}, on \`${run.branch}\`._`

/** Puts the attempt's line under the comment's first line (`**Engineer** · via Baton`). */
function withAttemptLine(body: string, line: string): string {
  const cut = body.indexOf('\n\n')
  return cut < 0 ? `${line}\n\n${body}` : `${body.slice(0, cut)}\n\n${line}${body.slice(cut)}`
}

/**
 * An attempt's Tester answered DONE: its comment (the report) is posted, and
 * nothing else — its move only says pass or fail (read by `attemptAnswered`).
 * Null for every other task (the normal plan applies).
 */
export function testerAttemptPlan(ctx: EngineContext, task: TaskRow, result: AgentResult, place: AnswerPlace): Plan | null {
  const live = liveRun(ctx, task.id)
  if (!live || live.as !== 'tester' || result.answer.status !== 'done') return null
  const body = withAttemptLine(signedComment(task.role, result.answer.text, result.answer.body, task.id, place), attemptLine(live.run, live.group))
  return { effects: [{ kind: 'comment', body, marker: marker(task.id, task.role, place) }], refused: [], outcome: 'applied' }
}

/**
 * An attempt's Engineer answer, as applied: the comment (naming the attempt)
 * and the push of its own branch, but no PR, no note and no stage move —
 * those are the winner's, once it is known.
 */
export function attemptEffects(ctx: EngineContext, task: TaskRow, effects: readonly Effect[]): readonly Effect[] {
  const live = liveRun(ctx, task.id)
  if (!live || live.as !== 'engineer') return effects
  const stages = new Set(ctx.o.pipeline(task.repo_id).stages.map((s) => s.label))
  const out: Effect[] = []
  for (const effect of effects) {
    if (effect.kind === 'pull-request' || effect.kind === 'note') continue
    if (effect.kind === 'comment') out.push({ ...effect, body: withAttemptLine(effect.body, attemptLine(live.run, live.group)) })
    else if (effect.kind === 'labels') {
      const add = effect.add.filter((l) => !stages.has(l))
      const remove = effect.remove.filter((l) => !stages.has(l))
      if (add.length || remove.length) out.push({ kind: 'labels', add, remove })
    } else out.push(effect)
  }
  return out
}

/** pass when the Tester moved forward, fail when back or not at all. */
function verdictOf(pipeline: Pipeline, move: { from: string; to: string } | null): 'pass' | 'fail' {
  if (!move) return 'fail'
  const index = (l: string) => pipeline.stages.findIndex((s) => s.label === l)
  return index(move.to) > index(move.from) && index(move.from) >= 0 ? 'pass' : 'fail'
}

/**
 * An attempt's answer was applied (its task `applied`): the Engineer's is
 * recorded and, when its branch was pushed, the Tester's task on it is
 * created; the Tester's verdict is recorded (with `pick: first` the first
 * pass wins, in the same transaction). The tick settles the group.
 */
export function attemptAnswered(ctx: EngineContext, task: TaskRow, result: AgentResult, effects: readonly Effect[]): void {
  const live = liveRun(ctx, task.id)
  if (!live) return
  const { db } = ctx
  const { run, group, as } = live
  const pipeline = ctx.o.pipeline(task.repo_id)
  if (as === 'engineer') {
    const pushed = effects.some((e) => e.kind === 'push')
    const moveTo = effects.find((e): e is Extract<Effect, { kind: 'labels' }> => e.kind === 'labels')?.add.find((l) => pipeline.stages.some((s) => s.label === l)) ?? null
    setRunAnswer(db, group.id, run.idx, { pushed, moveTo, summary: result.answer.text, body: result.answer.body })
    if (pushed) createTester(ctx, group, { ...run, move_to: moveTo })
    audit(db, {
      kind: 'attempts.answer',
      repoId: task.repo_id,
      issue: task.issue,
      taskId: task.id,
      subject: result.agent,
      message: `Attempt ${run.idx} of ${group.size} at #${task.issue} ${pushed ? `pushed ${run.branch}: testing it` : 'pushed nothing: it counts as failed'}`
    })
    return
  }
  const verdict = verdictOf(pipeline, result.answer.move)
  const won = setRunVerdict(db, group.id, run.idx, { verdict, result: result.answer.text, at: ctx.now().toISOString() })
  audit(db, {
    kind: won ? 'attempts.winner' : 'attempts.tested',
    repoId: task.repo_id,
    issue: task.issue,
    taskId: task.id,
    subject: result.agent,
    message: `Attempt ${run.idx} of ${group.size} at #${task.issue} ${verdict === 'pass' ? 'passed' : 'failed'} its tests${won ? ': it passed first and becomes the pull request' : ''}`
  })
}

/** The Tester's task on an attempt's branch, at the group's stage (the owner of the stage the Engineer asked for runs it). */
function createTester(ctx: EngineContext, group: GroupRow, run: RunRow): void {
  const pipeline = ctx.o.pipeline(group.repo_id)
  const testStage = pipeline.stages.find((s) => s.label === (run.move_to ?? nextStage(pipeline, group.stage)))
  const role = testStage?.owner
  if (!role) {
    // Nothing tests it in this pipeline (the next stage is a person's): the push is the pass.
    setRunVerdict(ctx.db, group.id, run.idx, { verdict: 'pass', result: 'no Tester stage follows: pushed is passed', at: ctx.now().toISOString() })
    return
  }
  const tester = createTask(ctx.db, { repoId: group.repo_id, issue: group.issue, stage: group.stage, role, agent: role })
  setRunTester(ctx.db, group.id, run.idx, tester.id)
}

function nextStage(pipeline: Pipeline, stage: string): string | null {
  const def = pipeline.stages.find((s) => s.label === stage)
  const index = pipeline.stages.findIndex((s) => s.label === stage)
  return def?.next.find((n) => pipeline.stages.findIndex((s) => s.label === n) > index) ?? null
}

/** Where a failed round goes back to: the Engineer's first stage (ready-for-dev, where a failed test sends an issue). */
function backStage(pipeline: Pipeline): string | null {
  return pipeline.stages.find((s) => s.owner === 'engineer')?.label ?? null
}

const ENDED: readonly RunState[] = ['passed', 'failed', 'stopped']

/** Groups being settled now, and groups whose ended tasks' worktrees were removed since this start. */
const settling = new WeakMap<EngineContext, Set<string>>()
const swept = new WeakMap<EngineContext, Set<string>>()
const setOf = (map: WeakMap<EngineContext, Set<string>>, ctx: EngineContext): Set<string> => {
  let set = map.get(ctx)
  if (!set) map.set(ctx, (set = new Set()))
  return set
}

/** Each tick: every group with work left is settled under its issue's lock (off the tick). */
export function settleAttempts(ctx: EngineContext): void {
  const busy = setOf(settling, ctx)
  for (const group of openGroups(ctx.db)) {
    if (busy.has(group.id) || !needsWork(ctx, group)) continue
    busy.add(group.id)
    ctx
      .keyed(issueKey(group.repo_id, group.issue), 'attempts', () => settleGroup(ctx, group.id))
      .finally(() => busy.delete(group.id))
      .catch(() => undefined)
  }
}

/**
 * Issues with a group not settled yet: the scheduler starts nothing else for
 * them (the group's own tasks go through the tick's queue), so the moment the
 * last attempt ends and before the group is settled no new round begins, and
 * a group waiting for a person's pick waits.
 */
export function attemptHolds(ctx: EngineContext, repoId: number): Map<string, string> {
  const held = new Map<string, string>()
  for (const group of openGroups(ctx.db)) {
    if (group.repo_id !== repoId) continue
    const summary = attemptsSummary(groupRuns(ctx.db, group.id).map((r) => runState(ctx.db, r)))
    held.set(issueKey(repoId, group.issue), group.state === 'choosing' ? `${summary} — waits for a person to pick the one that becomes the pull request` : summary)
  }
  return held
}

function needsWork(ctx: EngineContext, group: GroupRow): boolean {
  if (group.state === 'picked' || group.state === 'failed') return true
  if (!setOf(swept, ctx).has(group.id)) return true
  if (group.state !== 'running') return false
  const runs = groupRuns(ctx.db, group.id)
  return runs.some((r) => r.pushed && !r.tester_task && r.verdict === null) || runs.every((r) => ENDED.includes(runState(ctx.db, r)))
}

async function settleGroup(ctx: EngineContext, id: string): Promise<void> {
  const { db } = ctx
  const group = getGroup(db, id)
  if (!group || group.cleaned) return
  const repo = ctx.repo(group.repo_id)
  const at = ctx.now().toISOString()
  // After a start: a worktree an ended task left (Baton stopped before releasing it) goes now.
  if (!setOf(swept, ctx).has(id)) {
    for (const run of groupRuns(db, id)) {
      for (const taskId of [run.engineer_task, run.tester_task]) {
        const task = taskId ? getTask(db, taskId) : undefined
        if (task && !ACTIVE_STATES.includes(task.state)) await ctx.o.workspace.release(repo, task.id).catch(() => undefined)
      }
    }
    setOf(swept, ctx).add(id)
  }
  if (group.state === 'running') {
    const runs = groupRuns(db, id)
    // Pushed, but stopped before its Tester's task was made.
    for (const run of runs) if (run.pushed && !run.tester_task && run.verdict === null) createTester(ctx, group, run)
    const states = groupRuns(db, id).map((r) => runState(ctx.db, r))
    if (!states.every((s) => ENDED.includes(s))) return
    if (states.includes('passed') && group.pick === 'person') {
      setGroupState(db, id, 'choosing', at)
      audit(db, { kind: 'attempts.choose', repoId: group.repo_id, issue: group.issue, message: `${attemptsSummary(states)} at #${group.issue}: a person picks the one that becomes the pull request` })
      ctx.o.events.emit({ type: 'notify', kind: 'review', title: `Pick an attempt for #${group.issue}`, body: attemptsSummary(states), repoId: group.repo_id, issue: group.issue })
      ctx.o.events.changed('tasks', 'issues')
      return
    }
    const passed = groupRuns(db, id).filter((r) => r.verdict === 'pass')
    // With pick: first the first pass already won (setRunVerdict); this is for a pass recorded without a winner.
    if (passed.length > 0 && group.pick === 'first') pickRun(db, id, passed.sort((a, b) => (a.tested_at ?? '').localeCompare(b.tested_at ?? ''))[0]!.idx, at)
    else setGroupState(db, id, 'failed', at)
  }
  const now = getGroup(db, id) as GroupRow
  if (now.state === 'picked') await finishPicked(ctx, now, repo)
  else if (now.state === 'failed') await finishFailed(ctx, now, repo)
}

/** Stops an attempt: its active tasks cancelled (a running agent through the pool), its worktrees removed, its branch deleted here and on GitHub. */
async function stopRun(ctx: EngineContext, repo: RepoRef, run: RunRow, why: string): Promise<void> {
  const { db } = ctx
  for (const taskId of [run.engineer_task, run.tester_task]) {
    if (!taskId) continue
    const task = getTask(db, taskId)
    if (task && ACTIVE_STATES.includes(task.state)) {
      if (task.state === 'running' && task.agent) ctx.o.pool.cancel(task.agent, task.id)
      db.transaction(() => {
        if (task.state === 'running') endAttempt(db, task.id, task.attempt, 'cancelled', null, why)
        setTaskState(db, task.id, 'cancelled', { result: why })
        closeTaskRequests(db, task.id, '(cancelled)', ctx.now().toISOString())
      })()
      audit(db, { kind: 'task.cancelled', repoId: task.repo_id, issue: task.issue, taskId: task.id, message: `Cancelled ${task.role}'s task: ${why}` })
    }
    await ctx.o.workspace.release(repo, taskId).catch(() => undefined)
  }
  await ctx.o.workspace.deleteBranch?.(repo, run.branch)
}

function table(db: Db, runs: readonly RunRow[], states: readonly RunState[]): string {
  const rows = runs.map(
    (r, i) => `| ${r.idx} | \`${r.branch}\` | ${r.provider ? `${r.provider}${r.model ? `:${r.model}` : ''}` : 'the role\'s own'} | ${states[i]}${r.test_result ? `: ${r.test_result.replace(/\|/g, '\\|').replace(/\s+/g, ' ').slice(0, 120)}` : ''} | $${runCost(db, r).toFixed(2)} |`
  )
  return ['| attempt | branch | provider | result | cost |', '|---|---|---|---|---|', ...rows].join('\n')
}

/** Whether the issue is still open at the group's stage (a person may have moved or closed it meanwhile). */
function atStage(ctx: EngineContext, group: GroupRow): boolean {
  const issue = ctx.issue(group.repo_id, group.issue)
  return !!issue && issue.state === 'open' && stageOf(ctx.o.pipeline(group.repo_id), JSON.parse(issue.labels) as string[])?.label === group.stage
}

async function finishPicked(ctx: EngineContext, group: GroupRow, repo: RepoRef): Promise<void> {
  const { db } = ctx
  const runs = groupRuns(db, group.id)
  const winner = runs.find((r) => r.idx === group.winner)
  if (!winner) throw new Error(`attempt group ${group.id} has no attempt ${group.winner}`)
  const why = `attempt ${winner.idx} of ${group.size} became the pull request`
  const before = runs.map((r) => runState(ctx.db, r))
  for (const run of runs) if (run.idx !== winner.idx) await stopRun(ctx, repo, run, `stopped: ${why}`)
  for (const taskId of [winner.engineer_task, winner.tester_task]) if (taskId) await ctx.o.workspace.release(repo, taskId).catch(() => undefined)
  const issue = ctx.issue(group.repo_id, group.issue)
  if (issue && atStage(ctx, group)) {
    const pipeline = ctx.o.pipeline(group.repo_id)
    const testPlan = latestNote(db, group.repo_id, group.issue, 'plan')?.split(/^## Test plan\s*$/m)[1]?.trim()
    const summary = winner.summary ?? `Attempt ${winner.idx}`
    const body = `Closes #${issue.number}\n\n## Summary\n\n${summary}${winner.body?.trim() ? `\n\n${winner.body.trim()}` : ''}${testPlan ? `\n\n## Test plan\n\n${testPlan}` : ''}\n\n---\nOpened by Baton's Engineer: attempt ${winner.idx} of ${group.size}, the first to pass its tests${group.pick === 'person' ? ' that a person picked' : ''}. A person reviews and merges.`
    const pr = await ctx.effect(winner.engineer_task, 'github', () => ctx.o.github.ensurePullRequest(repo, winner.branch, `${issue.title} (#${issue.number})`, body))
    addNoteOnce(db, { repoId: group.repo_id, issue: group.issue, role: 'engineer', kind: 'implementation', body: winner.body?.trim() || summary, at: ctx.now().toISOString() })
    const states = before.map((s, i) => (runs[i]!.idx === winner.idx ? s : s === 'passed' ? s : ENDED.includes(s) ? s : 'stopped'))
    const text = `${attemptsSummary(states)}. Attempt ${winner.idx} (\`${winner.branch}\`) ${group.pick === 'person' ? 'was picked' : 'passed its tests first'} and becomes the pull request #${pr}; the other attempts' branches are deleted.\n\n${table(db, runs, states)}`
    const mark = `<!-- baton:task=${winner.engineer_task} baton:attempts=${group.id} baton:role=engineer -->`
    await ctx.effect(winner.engineer_task, 'github', () => ctx.o.github.comment(repo, group.issue, `**Engineer** · via Baton\n\n${text}\n\n${mark}`, mark))
    const to = winner.move_to ?? nextStage(pipeline, group.stage)
    if (to) {
      const after = await ctx.effect(winner.engineer_task, 'github', () => ctx.o.github.setLabels(repo, group.issue, [to], [group.stage]))
      setIssueLabels(db, group.repo_id, group.issue, after)
      audit(db, { kind: 'stage.move', repoId: group.repo_id, issue: group.issue, taskId: winner.engineer_task, subject: 'engineer', message: `${group.stage} → ${to}`, data: { from: group.stage, to } })
    }
    audit(db, { kind: 'pr.open', repoId: group.repo_id, issue: group.issue, taskId: winner.engineer_task, message: `PR #${pr} for #${group.issue} (attempt ${winner.idx} of ${group.size})` })
  }
  markCleaned(db, group.id)
  audit(db, { kind: 'attempts.picked', repoId: group.repo_id, issue: group.issue, message: `#${group.issue}: ${why}; the others stopped, their branches and worktrees removed` })
  ctx.o.events.changed('tasks', 'issues', 'events', 'agents')
  void ctx.tick()
}

async function finishFailed(ctx: EngineContext, group: GroupRow, repo: RepoRef): Promise<void> {
  const { db } = ctx
  const runs = groupRuns(db, group.id)
  const states = runs.map((r) => runState(ctx.db, r))
  for (const run of runs) await stopRun(ctx, repo, run, 'no attempt passed')
  const issue = ctx.issue(group.repo_id, group.issue)
  // No attempt reached its Tester (each ended in errors that spent the stage's budget, a person's Stop, a spend
  // budget): nothing failed a test, so nothing goes back; the stage's own hold (a spent budget, an inbox item) stays.
  const tested = runs.some((r) => r.verdict !== null)
  if (issue && tested && atStage(ctx, group)) {
    const pipeline = ctx.o.pipeline(group.repo_id)
    const first = getTask(db, runs[0]!.engineer_task) as TaskRow
    const report = runs.map((r, i) => `### Attempt ${r.idx} (${states[i]})\n\n${r.test_result ?? getTask(db, r.engineer_task)?.result ?? 'no answer'}`).join('\n\n')
    addNoteOnce(db, { repoId: group.repo_id, issue: group.issue, role: 'tester', kind: 'test-report', body: `No attempt passed.\n\n${report}`, at: ctx.now().toISOString() })
    const back = backStage(pipeline)
    const loops = countIssueEvents(db, group.repo_id, group.issue, 'stage.loop')
    const settings = ctx.o.settings()
    const goesBack = back !== null && back !== group.stage && loops + 1 <= settings.loopCap
    const text = `${attemptsSummary(states)}: none passed${goesBack ? `, so #${group.issue} goes back to ${back}` : ''}; their branches are deleted.\n\n${table(db, runs, states)}`
    const mark = `<!-- baton:task=${first.id} baton:attempts=${group.id} baton:role=engineer -->`
    await ctx.effect(first.id, 'github', () => ctx.o.github.comment(repo, group.issue, `**Engineer** · via Baton\n\n${text}\n\n${mark}`, mark))
    if (goesBack) {
      const after = await ctx.effect(first.id, 'github', () => ctx.o.github.setLabels(repo, group.issue, [back], [group.stage]))
      setIssueLabels(db, group.repo_id, group.issue, after)
      audit(db, { kind: 'stage.move', repoId: group.repo_id, issue: group.issue, taskId: first.id, message: `${group.stage} → ${back}`, data: { from: group.stage, to: back } })
      audit(db, { kind: 'stage.loop', repoId: group.repo_id, issue: group.issue, taskId: first.id, message: `#${group.issue} back to the Engineer` })
    } else {
      // Past the loop cap (or nowhere to go back to): held for a person, as a Stop holds a stage.
      spendWhole(db, { repoId: group.repo_id, issue: group.issue, stage: group.stage, spent: budgetOf(ctx), error: `${attemptsSummary(states)}: none passed`, at: ctx.now().toISOString() })
      toInbox(ctx, first, 'failure', `No attempt at #${group.issue} passed its tests (${attemptsSummary(states)}): decide what to do, or Retry.`)
    }
  }
  markCleaned(db, group.id)
  audit(db, { kind: 'attempts.failed', repoId: group.repo_id, issue: group.issue, message: `#${group.issue}: ${attemptsSummary(states)}, none passed; their branches and worktrees removed` })
  ctx.o.events.changed('tasks', 'issues', 'events', 'inbox', 'agents')
  void ctx.tick()
}

/** A person picks an attempt that passed (`pick: person`), under the issue's lock; the next settle makes it the PR. */
export function pickAttempt(ctx: EngineContext, repoId: number, issue: number, index: number, who: string | null): Promise<{ group: string; attempt: number }> {
  return ctx.keyed(issueKey(repoId, issue), 'attempts.pick', async () => {
    const group = latestGroup(ctx.db, repoId, issue)
    if (!group || (group.state !== 'running' && group.state !== 'choosing')) throw new AppError('conflict', `#${issue} has no attempts waiting for a pick.`)
    const run = groupRuns(ctx.db, group.id).find((r) => r.idx === index)
    if (!run) throw new AppError('not_found', `#${issue} has no attempt ${index} (it has ${group.size}).`)
    if (run.verdict !== 'pass') throw new AppError('conflict', `Attempt ${index} at #${issue} has not passed its tests: only a passed attempt can become the pull request.`)
    if (!pickRun(ctx.db, group.id, index, ctx.now().toISOString())) throw new AppError('conflict', `#${issue}'s attempts were decided meanwhile.`)
    audit(ctx.db, { kind: 'attempts.pick', repoId, issue, subject: who, message: `${who ?? 'A person'} picked attempt ${index} of ${group.size} at #${issue}` })
    void ctx.tick()
    return { group: group.id, attempt: index }
  })
}

/** One attempt's diff against the default branch, while its branch is there (a person compares them before picking). */
export async function attemptDiff(ctx: EngineContext, repoId: number, issue: number, index: number): Promise<{ stat: string; patch: string; truncated: boolean } | null> {
  const group = latestGroup(ctx.db, repoId, issue)
  const run = group ? groupRuns(ctx.db, group.id).find((r) => r.idx === index) : undefined
  if (!group || !run) throw new AppError('not_found', `#${issue} has no attempt ${index}.`)
  return (await ctx.o.workspace.branchDiff?.(ctx.repo(repoId), run.branch)) ?? null
}
