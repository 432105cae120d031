// `route: all` (DESIGN.md §4): a stage owned by a capability fans out — one
// child task per capable online instance — and the children's answers are
// joined into the one answer the stage gives.
//
// The join contract (registerJoin; a stage picks one with `join: <kind>` in
// .baton/pipeline.yml, default `default`):
// - A join is `(input: JoinInput) => AgentAnswer | Promise<AgentAnswer>`. It
//   runs once every child of the round has ended: each child is `answered`
//   (its DONE, REQUEST or ERROR answer, as the protocol parser read it) or
//   `missing` (its agent died, overran or went offline, and no other capable
//   online instance was free to take its place; `reason` says why).
// - What it returns goes through the normal apply path as the parent task's
//   answer (apply.ts): one comment with one marker, the move checked by the
//   rules (a fan-out's parent may move the issue out of its own stage), notes,
//   hand-offs. An ERROR spends the stage's failure budget and, after the
//   backoff, a new round of children starts. Each child's usage is already
//   recorded on the issue (per child task); the joined answer carries none.
// - It may be run again for the same round (a crash after it returned and
//   before the answer was applied, or a join that threw): anything it does
//   outside its return value (a PR review posted on GitHub, say) must be safe
//   to repeat — find your own marker before writing. A join that throws is
//   tried again on later ticks; after JOIN_TRIES throws the round's answer is
//   an ERROR naming the failure.
// - `input.github` is the engine's GitHub port (idempotent writes), `pull` the
//   issue's pull request when Baton knows one, `stage` the stage's definition
//   (its `onCritical`, `next`, …).
//
// Children are tasks in SQLite (migration 12: parent_task, fanout_index,
// fanout_of, parent_attempt, fanout_answer), so a restart finishes a round: the
// supervisor replays their answers, resume.ts leaves the parent running, and
// the tick's sweep joins a round whose children have all ended.
import { formatResponse } from '../../shared/protocol/response'
import type { StageDef } from '../../shared/pipeline'
import { audit } from '../store/audit'
import { createChild, currentRound, endChild, roundAgents, roundChildren, runningParents } from '../store/fanout'
import { pullForIssue } from '../store/issue-pull'
import { createTask, getTask, startAttempt, type TaskRow } from '../store/tasks'
import { handleResult } from './apply'
import { capableNow, startingFor, workspaceModeOf } from './capabilities'
import { stageByLabel, type Pipeline } from './definition'
import { startDispatch } from './dispatch'
import type { AgentAnswer } from './effects'
import { baseRole, issueKey, type EngineContext } from './engine-context'
import type { AgentPresence, AgentResult, AgentUsage, GitHubPort, RepoRef } from './ports'

export interface FanoutChild {
  /** Its place in the round, 1..of (a replacement keeps the place of the child it replaced). */
  index: number
  of: number
  task: string
  agent: string | null
  role: string
  outcome: 'answered' | 'missing'
  /** `answered`: what it answered. */
  answer: AgentAnswer | null
  /** `missing`: why (the supervisor's words: crashed, stopped beating, past its time limit, offline). */
  reason: string | null
  usage: AgentUsage | null
}

export interface JoinInput {
  repo: RepoRef
  issue: { number: number; title: string; labels: readonly string[] }
  pipeline: Pipeline
  stage: StageDef
  /** `round` counts this parent's fan-outs (1, 2, … however often the stage was retried): a review posted per round is keyed by it. */
  parent: { task: string; attempt: number; round: number }
  children: readonly FanoutChild[]
  pull: { number: number; title: string } | null
  github: GitHubPort
}

export type JoinFn = (input: JoinInput) => AgentAnswer | Promise<AgentAnswer>

const joins = new Map<string, JoinFn>()

/** Registers (or replaces) the join a stage names with `join: <kind>`. */
export function registerJoin(kind: string, fn: JoinFn): void {
  if (!/^[a-z][a-z0-9-]{0,30}$/.test(kind)) throw new Error(`a join is named in lowercase letters, digits and dashes, got "${kind}"`)
  joins.set(kind, fn)
}

export function joinOf(kind: string): JoinFn | undefined {
  return joins.get(kind)
}

export function registeredJoins(): string[] {
  return [...joins.keys()].sort()
}

/** Throws of one round's join before its answer is an ERROR. */
export const JOIN_TRIES = 3

const who = (c: FanoutChild) => c.agent ?? c.role

/**
 * The default join: every child answered DONE → the move they agree on (a
 * child that asks none agrees with any), and one comment with each child's
 * answer; anything else → an ERROR naming the children that failed, asked a
 * person, or are missing.
 */
export const defaultJoin: JoinFn = ({ children, stage }) => {
  const done = children.filter((c) => c.outcome === 'answered' && c.answer?.status === 'done')
  const failed = children.filter((c) => !done.includes(c))
  const section = (c: FanoutChild) =>
    c.outcome === 'missing'
      ? `### ${who(c)} (${c.index} of ${c.of}): missing\n\n${c.reason ?? ''}`
      : `### ${who(c)} (${c.index} of ${c.of}): ${c.answer?.status.toUpperCase()}: ${c.answer?.text}\n\n${c.answer?.body.trim() ?? ''}`
  const body = children.map(section).join('\n\n').trim()
  const base = { branch: null, handoffs: [], labels: [], body }
  if (failed.length) {
    const named = failed.map((c) => (c.outcome === 'missing' ? `${who(c)} is missing (${c.reason})` : `${who(c)} answered ${c.answer?.status.toUpperCase()}: ${c.answer?.text}`))
    return { ...base, status: 'error', text: `${failed.length} of ${children.length} agents that can ${stage.capability} did not finish: ${named.join('; ')}`, move: null }
  }
  const moves = new Map<string, { from: string; to: string }>()
  for (const c of done) if (c.answer?.move) moves.set(`${c.answer.move.from} --> ${c.answer.move.to}`, c.answer.move)
  if (moves.size > 1) {
    const asked = done.filter((c) => c.answer?.move).map((c) => `${who(c)}: ${c.answer?.move?.from} --> ${c.answer?.move?.to}`)
    return { ...base, status: 'error', text: `the agents that can ${stage.capability} ask for different moves (${asked.join('; ')})`, move: null }
  }
  return { ...base, status: 'done', text: `${done.length} of ${children.length} agents that can ${stage.capability} answered`, move: [...moves.values()][0] ?? null }
}
registerJoin('default', defaultJoin)

// ── the round ─────────────────────────────────────────────────────────

/** Joins in flight, and how often each round's join threw, per engine. */
const state = new WeakMap<EngineContext, { joining: Set<string>; throws: Map<string, number> }>()
const stateOf = (ctx: EngineContext) => {
  let s = state.get(ctx)
  if (!s) state.set(ctx, (s = { joining: new Set(), throws: new Map() }))
  return s
}

const isActive = (t: TaskRow) => t.state === 'queued' || t.state === 'running' || t.state === 'waiting'

/**
 * Starts a round: the parent (created now, or a queued one whose earlier round
 * failed) takes its next attempt, and one child per capable online instance is
 * created for it; the free ones are dispatched now, a busy one's child waits
 * for it (tick.ts dispatches a child only to its own agent). Returns false when
 * no capable instance is online (the parent stays queued).
 */
export function startRound(
  ctx: EngineContext,
  start: { repoId: number; issue: number; stage: string; capability: string; parent?: TaskRow },
  presence: readonly AgentPresence[],
  idle: Map<string, string[]>
): boolean {
  const { db } = ctx
  const { online, free } = capableNow(start.capability, presence, idle)
  if (!online.length || startingFor(start.capability, presence).length) return false
  const pseudo = `@${start.capability}`
  const parent = start.parent ?? createTask(db, { repoId: start.repoId, issue: start.issue, stage: start.stage, role: pseudo, agent: pseudo })
  // The attempt and its children in one transaction: a parent never runs without a round to join.
  const { round, children } = db.transaction(() => {
    startAttempt(db, parent.id, pseudo)
    const current = getTask(db, parent.id) as TaskRow
    const next = (currentRound(db, parent.id) ?? 0) + 1
    return { round: next, children: online.map((p, i) => ({ presence: p, task: createChild(db, current, next, { agent: p.agent, role: p.role, index: i + 1, of: online.length }) })) }
  })()
  audit(db, {
    kind: 'fanout.start',
    repoId: start.repoId,
    issue: start.issue,
    taskId: parent.id,
    subject: pseudo,
    message: `#${start.issue} (${start.stage}) fans out to ${online.length} agents that can ${start.capability}: ${online.map((p) => p.agent).join(', ')} (round ${round})`
  })
  for (const { presence: p, task } of children) {
    if (!free.includes(p)) continue
    const list = idle.get(p.role)
    if (list?.includes(p.agent)) list.splice(list.indexOf(p.agent), 1)
    startDispatch(ctx, task, p.agent)
  }
  return true
}

/** A child's answer (apply.ts, after its usage is recorded): kept for the join; a failed one is handed to another capable instance if one is free. */
export function childAnswered(ctx: EngineContext, child: TaskRow, result: AgentResult): void {
  const answer = JSON.stringify({ outcome: 'answered', answer: result.answer, usage: result.usage })
  if (result.answer.status === 'error' && replace(ctx, child, `answered ERROR: ${result.answer.text}`)) return
  endChild(ctx.db, child.id, 'applied', { result: `${result.answer.status.toUpperCase()}: ${result.answer.text}`, answer })
  audit(ctx.db, { kind: 'fanout.answer', repoId: child.repo_id, issue: child.issue, taskId: child.id, subject: result.agent, message: `${result.agent} answered ${child.fanout_index} of ${child.fanout_of}: ${result.answer.text}` })
  release(ctx, child)
  requestJoin(ctx, child.parent_task as string)
}

/** A child whose agent died, overran or went offline: replaced by another capable online instance that is free, else reported missing in the join. */
export function childLost(ctx: EngineContext, child: TaskRow, reason: string): void {
  if (replace(ctx, child, reason)) return
  endChild(ctx.db, child.id, 'failed', { result: `missing: ${reason}`, answer: JSON.stringify({ outcome: 'missing', reason }) })
  audit(ctx.db, { kind: 'fanout.missing', repoId: child.repo_id, issue: child.issue, taskId: child.id, subject: child.agent, message: `${child.agent ?? child.role} (${child.fanout_index} of ${child.fanout_of}) is missing: ${reason}` })
  release(ctx, child)
  requestJoin(ctx, child.parent_task as string)
}

function replace(ctx: EngineContext, child: TaskRow, reason: string): boolean {
  const { db } = ctx
  const parent = child.parent_task ? getTask(db, child.parent_task) : undefined
  if (!parent || parent.state !== 'running' || !parent.role.startsWith('@')) return false
  const round = child.parent_attempt ?? currentRound(db, parent.id) ?? 1
  const taken = roundAgents(db, parent.id, round)
  const idle = ctx.idleAgents()
  const { free } = capableNow(parent.role.slice(1), ctx.o.pool.presence?.() ?? [], idle)
  const next = free.find((p) => !taken.has(p.agent))
  if (!next) return false
  endChild(db, child.id, 'cancelled', { result: `replaced by ${next.agent}: ${reason}`, answer: null })
  release(ctx, child)
  const fresh = createChild(db, parent, round, { agent: next.agent, role: next.role, index: child.fanout_index ?? 1, of: child.fanout_of ?? 1 })
  audit(db, { kind: 'fanout.replace', repoId: child.repo_id, issue: child.issue, taskId: fresh.id, subject: next.agent, message: `${next.agent} takes ${child.agent ?? child.role}'s place (${child.fanout_index} of ${child.fanout_of}): ${reason}` })
  startDispatch(ctx, fresh, next.agent)
  return true
}

function release(ctx: EngineContext, child: TaskRow): void {
  if (!workspaceModeOf(ctx.o.pipeline(child.repo_id), child.stage, child.role)) return
  void ctx.track('release', ctx.o.workspace.release(ctx.repo(child.repo_id), child.id).catch(() => undefined))
}

/**
 * Each tick: a queued child whose agent went offline is lost (replaced or
 * missing), and a round whose children have all ended is joined (again, after
 * a restart or a join that threw).
 */
export function sweepRounds(ctx: EngineContext): void {
  const online = new Set((ctx.o.pool.presence?.() ?? []).filter((p) => p.online).map((p) => p.agent))
  for (const parent of runningParents(ctx.db)) {
    const round = currentRound(ctx.db, parent.id)
    if (round === null) continue
    for (const child of roundChildren(ctx.db, parent.id, round)) {
      if (child.state === 'queued' && child.agent && !online.has(child.agent) && !ctx.preparing.has(child.id)) childLost(ctx, child, `${child.agent} went offline before it started`)
    }
    if (!roundChildren(ctx.db, parent.id, round).some(isActive)) requestJoin(ctx, parent.id)
  }
}

/** Joins the parent's round once every child has ended, under the issue's lock; the answer goes through apply.ts as the parent's. */
export function requestJoin(ctx: EngineContext, parentId: string): void {
  const s = stateOf(ctx)
  const first = getTask(ctx.db, parentId)
  const round = currentRound(ctx.db, parentId)
  if (!first || round === null || s.joining.has(`${parentId}:${round}`)) return
  const key = `${parentId}:${round}`
  s.joining.add(key)
  ctx
    .keyed(issueKey(first.repo_id, first.issue), 'join', async () => {
      const parent = getTask(ctx.db, parentId)
      if (!parent || parent.state !== 'running' || parent.attempt !== first.attempt || currentRound(ctx.db, parentId) !== round) return
      const rows = roundChildren(ctx.db, parent.id, round)
      if (!rows.length || rows.some(isActive)) return
      const answer = await runJoin(ctx, parent, rows, round)
      if (!answer) return
      // Applied as the parent's answer: after this job, under the same lock (handleResult queues behind it).
      void handleResult(ctx, joinedResult(parent, answer))
    })
    .finally(() => s.joining.delete(key))
    .catch(() => undefined)
}

async function runJoin(ctx: EngineContext, parent: TaskRow, rows: TaskRow[], round: number): Promise<AgentAnswer | null> {
  const pipeline = ctx.o.pipeline(parent.repo_id)
  const stage = stageByLabel(pipeline, parent.stage)
  const issue = ctx.issue(parent.repo_id, parent.issue)
  const errorAnswer = (text: string): AgentAnswer => ({ status: 'error', text, move: null, branch: null, handoffs: [], labels: [], body: '' })
  if (!stage || !issue) return errorAnswer(`the stage "${parent.stage}" is no longer in the pipeline`)
  const kind = stage.join ?? 'default'
  const join = joinOf(kind)
  if (!join) return errorAnswer(`the stage "${stage.label}" names the join "${kind}", which is not registered (joins: ${registeredJoins().join(', ')})`)
  const children = rows.map(childOf)
  const pull = pullForIssue(ctx.db, parent.repo_id, parent.issue)
  const repo = ctx.repo(parent.repo_id)
  const s = stateOf(ctx)
  const key = `${parent.id}:${round}`
  try {
    const answer = await join({
      repo,
      issue: { number: issue.number, title: issue.title, labels: JSON.parse(issue.labels) as string[] },
      pipeline,
      stage,
      parent: { task: parent.id, attempt: parent.attempt, round },
      children,
      pull: pull ? { number: pull.number, title: pull.title } : null,
      github: ctx.o.github
    })
    s.throws.delete(key)
    audit(ctx.db, { kind: 'fanout.join', repoId: parent.repo_id, issue: parent.issue, taskId: parent.id, subject: parent.role, message: `${kind} join of ${children.length} answers for #${parent.issue} (${parent.stage}): ${answer.status.toUpperCase()}: ${answer.text}` })
    return answer
  } catch (error) {
    const throws = (s.throws.get(key) ?? 0) + 1
    s.throws.set(key, throws)
    ctx.o.log.warn(`pipeline: the ${kind} join for #${parent.issue} failed (${throws} of ${JOIN_TRIES}): ${(error as Error).message}`)
    if (throws < JOIN_TRIES) return null
    s.throws.delete(key)
    return errorAnswer(`the ${kind} join failed ${throws} times: ${(error as Error).message}`)
  }
}

function childOf(row: TaskRow): FanoutChild {
  let kept: { outcome?: string; answer?: AgentAnswer; usage?: AgentUsage | null; reason?: string } = {}
  try {
    kept = JSON.parse(row.fanout_answer ?? '{}') as typeof kept
  } catch {
    kept = { outcome: 'missing', reason: 'its kept answer could not be read' }
  }
  const answered = kept.outcome === 'answered' && kept.answer
  return {
    index: row.fanout_index ?? 1,
    of: row.fanout_of ?? 1,
    task: row.id,
    agent: row.agent,
    role: baseRole(row.role),
    outcome: answered ? 'answered' : 'missing',
    answer: answered ? (kept.answer as AgentAnswer) : null,
    reason: answered ? null : (kept.reason ?? row.result ?? 'ended without an answer'),
    usage: kept.usage ?? null
  }
}

/** The joined answer as the parent's response: the file protocol's text, for the attempt's record. */
function joinedResult(parent: TaskRow, answer: AgentAnswer): AgentResult {
  const raw = formatResponse({
    task: parent.id,
    status: answer.status,
    statusText: answer.text,
    labelUpdate: answer.move,
    extra: [{ key: 'ATTEMPT', value: String(parent.attempt) }],
    body: answer.body
  })
  return { agent: parent.agent ?? parent.role, task: parent.id, attempt: parent.attempt, answer, raw, usage: null, sessionId: null, provider: 'fanout', model: null }
}
