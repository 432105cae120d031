// Spend budgets in the engine (issue #12; the arithmetic is spend.ts): the
// scheduler holds an issue with nothing left to spend (tick.ts), a task about
// to start over a budget does not start (dispatch.ts), and a running agent
// whose live usage takes a budget past its limit is stopped (the supervisor's
// cancel) with its partial usage recorded once. Either way the issue waits for
// a person — one inbox item, the card's wait reason, Usage — until a budget is
// raised (the next pass lets it go on) or a person presses Retry (a grant: its
// budgets count again from the press).
import type { Usage } from '../agents/providers/types'
import { audit } from '../store/audit'
import { endAttempt, getTask, setTaskState, type TaskRow } from '../store/tasks'
import { answerRecorded, budgetItems, budgetItemSeen, grant, grantOf, issueSpend, issueSpends, openBudgetItem, recordPartialUsage, repoGrants, resolveBudgetItems, resolveScopeItems, spendSince, type BudgetItem } from '../store/spend'
import type { Pipeline } from './definition'
import { stageOf } from './definition'
import { baseRole, CODE_ROLES, issueKey, type EngineContext } from './engine-context'
import { addSpend, breachKey, breachMessage, breachOf, BUDGET_TODO, chargeOf, dayStart, isOver, NO_SPEND, type BudgetBreach, type Spend, type SpendInScopes } from './spend'

export interface LiveUsageReport {
  agent: string
  task: string
  attempt: number
  usage: Usage
  provider: string
  model: string | null
}

interface Live {
  repoId: number
  issue: number
  role: string
  attempt: number
  /** The answer this run's usage will be recorded as (then it is in SQLite, not live). */
  answer: number
  report: LiveUsageReport
}

/** Per engine: running attempts' usage not yet in SQLite, by task. */
const lives = new WeakMap<EngineContext, Map<string, Live>>()
const liveOf = (ctx: EngineContext): Map<string, Live> => {
  let m = lives.get(ctx)
  if (!m) lives.set(ctx, (m = new Map()))
  return m
}

const anyBudget = (ctx: EngineContext): boolean => {
  const b = ctx.o.settings().budgets
  return b.issueUsd > 0 || b.dayUsd > 0 || b.issueTokens > 0 || b.dayTokens > 0 || Object.values(b.roles).some((r) => r.usd > 0 || r.tokens > 0)
}

/** Live usage still to count: the attempt still runs and its answer is not recorded (stale entries go). */
function liveSpends(ctx: EngineContext): Live[] {
  const live = liveOf(ctx)
  const out: Live[] = []
  for (const [taskId, l] of live) {
    const task = getTask(ctx.db, taskId)
    if (!task || task.state !== 'running' || task.attempt !== l.attempt || answerRecorded(ctx.db, taskId, l.attempt, l.answer)) live.delete(taskId)
    else out.push(l)
  }
  return out
}

const roleSpend = (byAgent: Map<string, Spend>, role: string): Spend => {
  let s = NO_SPEND
  for (const [agent, spend] of byAgent) if (baseRole(agent) === role) s = addSpend(s, spend)
  return s
}

/** What one issue's task charging `role` has spent in each scope, live usage included. */
export function spentFor(ctx: EngineContext, repoId: number, issue: number, role: string): SpendInScopes {
  const { db } = ctx
  const granted = grantOf(db, repoId, issue)
  const day = dayStart(ctx.now())
  const since = granted && granted > day ? granted : day
  const today = spendSince(db, since)
  let spent: SpendInScopes = { issue: issueSpend(db, repoId, issue), day: today.all, role: roleSpend(today.byAgent, baseRole(role)) }
  for (const l of liveSpends(ctx)) spent = withLive(spent, l, repoId, issue, role)
  return spent
}

function withLive(spent: SpendInScopes, l: Live, repoId: number, issue: number, role: string): SpendInScopes {
  const c = chargeOf(l.report.usage)
  return {
    issue: l.repoId === repoId && l.issue === issue ? addSpend(spent.issue, c) : spent.issue,
    day: addSpend(spent.day, c),
    role: baseRole(l.role) === baseRole(role) ? addSpend(spent.role, c) : spent.role
  }
}

/**
 * What a task stopped by a budget becomes: cancelled (the scheduler starts
 * the stage again once the budget allows), but a side lane's (Community,
 * Marketing) failed — the scheduler runs those before any hold and would
 * otherwise create a task every pass for the gate to stop (store/tasks.ts
 * counts a side lane's task done unless cancelled).
 */
const stoppedState = (role: string): 'cancelled' | 'failed' => (['community', 'marketing'].includes(baseRole(role)) ? 'failed' : 'cancelled')

// The card's wait reason: the budget and its amounts (the badge says it waits for a person; the inbox item says what to do).
const reasonOf = (b: BudgetBreach): string => breachMessage(b)

/**
 * One inbox item per budget and limit: an issue's own budget on the issue
 * (again after a person's Retry), the day's or a role's once for the whole
 * scope (again the next day) — never one per issue it holds. `known`: the
 * pass's items, read once.
 */
function toInbox(ctx: EngineContext, b: BudgetBreach, at: { repoId: number; issue: number; taskId: string | null; agent: string | null }, what: string, known?: Map<number, BudgetItem[]>): void {
  const scoped = b.scope !== 'issue'
  const key = breachKey(b)
  const since = scoped ? dayStart(ctx.now()) : grantOf(ctx.db, at.repoId, at.issue)
  if (!scoped && known && budgetItemSeen(known.get(at.issue) ?? [], key, since)) return
  const why = scoped ? `no ${b.scope === 'role' ? `${b.role} ` : ''}task starts until 00:00 UTC` : what
  const question = `${breachMessage(b)}: ${why}. ${BUDGET_TODO[0]!.toUpperCase()}${BUDGET_TODO.slice(1)}.`
  const where = scoped ? { repoId: null, issue: null, taskId: null, agent: null } : at
  if (!openBudgetItem(ctx.db, { ...where, question, key, since, at: ctx.now().toISOString() })) return
  ctx.o.events.emit({ type: 'notify', kind: 'budget', title: scoped ? 'A budget is spent' : `#${at.issue}: a budget is spent`, body: question, ...(scoped ? {} : { repoId: at.repoId, issue: at.issue }) })
  ctx.o.events.changed('inbox')
}

/** The day's and the roles' budgets that are spent now, whatever the issue (their keys): a scope item of any other is resolved. */
function spentScopes(ctx: EngineContext, today: { all: Spend; byAgent: Map<string, Spend> }, live: Live[]): Set<string> {
  const budgets = { ...ctx.o.settings().budgets, issueUsd: 0, issueTokens: 0 }
  const keys = new Set<string>()
  const roles = new Set(['', ...Object.keys(budgets.roles)])
  for (const role of roles) {
    let spent: SpendInScopes = { issue: NO_SPEND, day: today.all, role: role ? roleSpend(today.byAgent, role) : NO_SPEND }
    for (const l of live) spent = withLive(spent, l, -1, -1, role || '-')
    const b = breachOf(role ? { ...budgets, dayUsd: 0, dayTokens: 0 } : { ...budgets, roles: {} }, spent, { issue: 0, role: role || '-' })
    if (b) keys.add(breachKey(b))
  }
  return keys
}

/**
 * One scheduling pass's holds for a repository: each open issue whose stage
 * owner's next task would start over a budget waits, with the budget named
 * (and its inbox item); an item that no longer holds anything (a person
 * raised a budget, the day turned) is resolved. A few queries per pass, none
 * per issue.
 */
export function budgetHolds(ctx: EngineContext, repoId: number, pipeline: Pipeline, issues: ReadonlyArray<{ number: number; labels: readonly string[] }>): Map<string, string> {
  const held = new Map<string, string>()
  const { db } = ctx
  const known = budgetItems(db, repoId)
  const at = ctx.now().toISOString()
  const day = dayStart(ctx.now())
  const today = spendSince(db, day)
  const live = liveSpends(ctx)
  if (resolveScopeItems(db, spentScopes(ctx, today, live), '(resolved: the budget allows it now)', at) > 0) ctx.o.events.changed('inbox')
  if (!anyBudget(ctx) && known.size === 0) return held
  const budgets = ctx.o.settings().budgets
  const perIssue = issueSpends(db, repoId)
  const grants = repoGrants(db, repoId)
  // Today's spend per role, once a pass (the loop runs for every open issue).
  const roleToday = new Map<string, Spend>()
  const roleSpendToday = (role: string): Spend => {
    let s = roleToday.get(role)
    if (!s) roleToday.set(role, (s = roleSpend(today.byAgent, role)))
    return s
  }
  const scopeBreaches = new Map<string, BudgetBreach | null>()
  const scopeBreach = (role: string, issue: number): BudgetBreach | null => {
    if (!scopeBreaches.has(role)) scopeBreaches.set(role, breachOf({ ...budgets, issueUsd: 0, issueTokens: 0 }, { issue: NO_SPEND, day: today.all, role: roleSpendToday(role) }, { issue: 0, role }))
    const b = scopeBreaches.get(role) ?? null
    return b && { ...b, issue }
  }
  // A whole scope's item (the day, a role) is asked for once a pass, not once per issue it holds.
  const scopesAsked = new Set<string>()
  const scopeReasons = new Map<string, string>()
  for (const issue of issues) {
    const owner = stageOf(pipeline, issue.labels)?.owner
    if (!owner) continue
    const role = baseRole(owner)
    const granted = grants.get(issue.number)
    // After a Retry today, the day and the role count from the press for this issue.
    const since = granted && granted > day ? spendSince(db, granted) : null
    let breach: BudgetBreach | null
    const own = perIssue.get(issue.number)
    if (!since && !live.length && !(own && (isOver('usd', own.usd, budgets.issueUsd) || isOver('tokens', own.tokens, budgets.issueTokens)))) {
      // The common case: no Retry today, nothing running, the issue's own budget not spent — the day's and the role's decide, once a pass per role.
      breach = scopeBreach(role, issue.number)
    } else {
      let spent: SpendInScopes = since
        ? { issue: own ?? NO_SPEND, day: since.all, role: roleSpend(since.byAgent, role) }
        : { issue: own ?? NO_SPEND, day: today.all, role: roleSpendToday(role) }
      for (const l of live) spent = withLive(spent, l, repoId, issue.number, role)
      breach = breachOf(budgets, spent, { issue: issue.number, role })
    }
    if (breach) {
      // A scope's words are the same for every issue it holds: made once a pass.
      const scope = breach.scope === 'issue' ? null : `${breach.scope}:${breach.role}`
      let reason = scope ? scopeReasons.get(scope) : undefined
      if (reason === undefined) {
        reason = reasonOf(breach)
        if (scope) scopeReasons.set(scope, reason)
      }
      held.set(issueKey(repoId, issue.number), reason)
      if (scope && scopesAsked.has(scope)) continue
      if (scope) scopesAsked.add(scope)
      toInbox(ctx, breach, { repoId, issue: issue.number, taskId: null, agent: null }, `no ${role} task starts for #${issue.number}`, known)
    } else if ((known.get(issue.number) ?? []).some((i) => i.answered_at === null) && resolveBudgetItems(db, repoId, issue.number, '(resolved: the budget allows it now)', at) > 0) {
      audit(db, { kind: 'inbox.resolved', repoId, issue: issue.number, message: `#${issue.number} may spend again: the budget allows it now` })
      ctx.o.events.changed('inbox')
    }
  }
  return held
}

/** Whether a budget holds the issue now (a person's Retry then has something to let go). */
export function budgetHeld(ctx: EngineContext, repoId: number, issue: number): boolean {
  const row = ctx.issue(repoId, issue)
  const role = row ? stageOf(ctx.o.pipeline(repoId), JSON.parse(row.labels) as string[])?.owner : undefined
  return Boolean(role && breachOf(ctx.o.settings().budgets, spentFor(ctx, repoId, issue, role), { issue, role }))
}

/** A person's Retry: the issue's budgets count again from now (what was spent before is paid for). */
export function grantBudget(ctx: EngineContext, repoId: number, issue: number, who: string | null): void {
  if (!budgetHeld(ctx, repoId, issue)) return
  const at = ctx.now().toISOString()
  grant(ctx.db, repoId, issue, at, who)
  resolveBudgetItems(ctx.db, repoId, issue, '(retried by a person: the budgets count again from now)', at)
  audit(ctx.db, { kind: 'budget.grant', repoId, issue, subject: who, message: `${who ?? 'A person'} let #${issue} go on past its budget: its budgets count again from now` })
}

/**
 * dispatch.ts, before a task's workspace is prepared: a task that would start
 * over a budget does not start (cancelled, the issue held by the next pass).
 * Returns whether it stopped it.
 */
export function overBudgetAtStart(ctx: EngineContext, task: TaskRow): boolean {
  if (!anyBudget(ctx)) return false
  const breach = breachOf(ctx.o.settings().budgets, spentFor(ctx, task.repo_id, task.issue, task.role), { issue: task.issue, role: task.role })
  if (!breach) return false
  setTaskState(ctx.db, task.id, stoppedState(task.role), { result: breachMessage(breach) })
  audit(ctx.db, { kind: 'budget.hold', repoId: task.repo_id, issue: task.issue, taskId: task.id, message: `${task.role}'s task for #${task.issue} did not start: ${breachMessage(breach)}` })
  toInbox(ctx, breach, { repoId: task.repo_id, issue: task.issue, taskId: task.id, agent: task.agent }, `${task.role}'s task for #${task.issue} did not start`)
  ctx.o.events.changed('tasks', 'issues')
  return true
}

/**
 * The supervisor relayed a running attempt's usage so far. Past a budget the
 * attempt is stopped under the issue's lock (so an answer being applied wins
 * or loses whole): the agent cancelled, the usage so far recorded once, the
 * task cancelled with the budget named, one inbox item.
 */
export function liveUsage(ctx: EngineContext, report: LiveUsageReport): void {
  const task = getTask(ctx.db, report.task)
  if (!task || task.state !== 'running' || task.attempt !== report.attempt) return
  liveOf(ctx).set(task.id, { repoId: task.repo_id, issue: task.issue, role: task.role, attempt: task.attempt, answer: task.answers + 1, report })
  if (!anyBudget(ctx) || !breachOf(ctx.o.settings().budgets, spentFor(ctx, task.repo_id, task.issue, task.role), { issue: task.issue, role: task.role }, true)) return
  void ctx
    .keyed(issueKey(task.repo_id, task.issue), 'budget-stop', async () => {
      const now = getTask(ctx.db, task.id)
      const live = liveOf(ctx).get(task.id)
      if (!now || now.state !== 'running' || now.attempt !== report.attempt || !live) return
      const breach = breachOf(ctx.o.settings().budgets, spentFor(ctx, now.repo_id, now.issue, now.role), { issue: now.issue, role: now.role }, true)
      if (!breach) return
      if (now.agent) ctx.o.pool.cancel(now.agent, now.id)
      const message = breachMessage(breach)
      const at = ctx.now().toISOString()
      ctx.db.transaction(() => {
        recordPartialUsage(ctx.db, { at, repoId: now.repo_id, issue: now.issue, taskId: now.id, attempt: now.attempt, agent: live.report.agent, provider: live.report.provider, model: live.report.model, ...live.report.usage })
        endAttempt(ctx.db, now.id, now.attempt, 'budget', null, message)
        setTaskState(ctx.db, now.id, stoppedState(now.role), { result: message })
      })()
      liveOf(ctx).delete(now.id)
      audit(ctx.db, { kind: 'budget.stop', repoId: now.repo_id, issue: now.issue, taskId: now.id, subject: now.agent, message: `Stopped ${now.agent ?? now.role} on #${now.issue}: ${message}` })
      toInbox(ctx, breach, { repoId: now.repo_id, issue: now.issue, taskId: now.id, agent: now.agent }, `${now.agent ?? now.role} was stopped mid-task`)
      if (CODE_ROLES[baseRole(now.role)]) await ctx.o.workspace.release(ctx.repo(now.repo_id), now.id).catch(() => undefined)
      ctx.o.events.changed('tasks', 'issues', 'usage', 'agents')
      void ctx.tick()
    })
    .catch(() => undefined)
}
