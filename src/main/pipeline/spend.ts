// Spend budgets (issue #12): the arithmetic, pure. Three scopes — one issue
// (all its tasks, ever), the day (every task since 00:00 UTC, the day Usage
// groups by) and one role (its instances, today) — each in dollars and in
// tokens. Dollars count what a provider priced; tokens count only usage a
// provider reported no price for (cost 0), so a priced run is never charged
// twice and an unpriced one is still capped. A limit of 0 is none.
//
// A task may not start when a scope it would charge has nothing left
// (spent ≥ limit); a running agent is stopped once its live usage takes a
// scope past its limit (spent > limit). What spent means for one issue after
// a person's Retry: only what was spent since the press (store/spend.ts).
import type { SpendBudgets } from '../../shared/api'
import { baseRole } from './engine-context'

export interface Spend {
  usd: number
  /** Tokens of usage that carried no price. */
  tokens: number
}

export const NO_SPEND: Spend = { usd: 0, tokens: 0 }

export const addSpend = (a: Spend, b: Spend): Spend => ({ usd: a.usd + b.usd, tokens: a.tokens + b.tokens })

/** One usage record's charge: its dollars, or its tokens when it has no price. */
export function chargeOf(u: { inputTokens: number; outputTokens: number; cacheReadTokens: number; cacheWriteTokens: number; costUsd: number }): Spend {
  if (u.costUsd > 0) return { usd: u.costUsd, tokens: 0 }
  return { usd: 0, tokens: u.inputTokens + u.outputTokens + u.cacheReadTokens + u.cacheWriteTokens }
}

export interface SpendInScopes {
  /** The issue's spend (since the last Retry). */
  issue: Spend
  /** Everything spent today. */
  day: Spend
  /** The role's spend today. */
  role: Spend
}

export interface BudgetBreach {
  scope: 'issue' | 'day' | 'role'
  unit: 'usd' | 'tokens'
  spent: number
  limit: number
  issue: number
  role: string
}

/** 00:00 UTC of `now`'s day: where the day's and the roles' budgets start again. */
export function dayStart(now: Date): string {
  return `${now.toISOString().slice(0, 10)}T00:00:00.000Z`
}

/**
 * The first budget that `spent` is over, or null. `strict`: over means past
 * the limit (a running agent); otherwise at it counts too (nothing left to
 * start with).
 */
export function breachOf(budgets: SpendBudgets, spent: SpendInScopes, at: { issue: number; role: string }, strict = false): BudgetBreach | null {
  const role = baseRole(at.role)
  const perRole = budgets.roles[role]
  const breach = (scope: BudgetBreach['scope'], unit: BudgetBreach['unit'], used: number, limit: number): BudgetBreach => ({ scope, unit, spent: used, limit, issue: at.issue, role })
  // In this order: the issue's own, then the day's, then the role's. (No allocation unless one is over: this runs for every open issue on every pass.)
  if (isOver('usd', spent.issue.usd, budgets.issueUsd, strict)) return breach('issue', 'usd', spent.issue.usd, budgets.issueUsd)
  if (isOver('tokens', spent.issue.tokens, budgets.issueTokens, strict)) return breach('issue', 'tokens', spent.issue.tokens, budgets.issueTokens)
  if (isOver('usd', spent.day.usd, budgets.dayUsd, strict)) return breach('day', 'usd', spent.day.usd, budgets.dayUsd)
  if (isOver('tokens', spent.day.tokens, budgets.dayTokens, strict)) return breach('day', 'tokens', spent.day.tokens, budgets.dayTokens)
  if (perRole && isOver('usd', spent.role.usd, perRole.usd, strict)) return breach('role', 'usd', spent.role.usd, perRole.usd)
  if (perRole && isOver('tokens', spent.role.tokens, perRole.tokens, strict)) return breach('role', 'tokens', spent.role.tokens, perRole.tokens)
  return null
}

/** Whether `used` is over `limit` (0: none); `strict`: past it, else at it counts too. */
export function isOver(unit: BudgetBreach['unit'], used: number, limit: number, strict = false): boolean {
  if (limit <= 0) return false
  // Cents decide for dollars: $5.000001 of $5.00 is not over, as the message would read "$5.00 of $5.00".
  const over = unit === 'usd' ? Math.round(used * 100) - Math.round(limit * 100) : used - limit
  return strict ? over > 0 : over >= 0
}

export function amount(unit: BudgetBreach['unit'], n: number): string {
  return unit === 'usd' ? `$${n.toFixed(2)}` : `${Math.round(n).toLocaleString('en-US')} tokens`
}

/** The words the card, the inbox and Usage show: "budget: $5.20 of $5.00 spent on #12". */
export function breachMessage(b: BudgetBreach): string {
  const where = b.scope === 'issue' ? `on #${b.issue}` : b.scope === 'day' ? 'today (UTC)' : `by ${b.role} today (UTC)`
  const spent = b.unit === 'usd' ? `$${b.spent.toFixed(2)}` : Math.round(b.spent).toLocaleString('en-US')
  return `budget: ${spent} of ${amount(b.unit, b.limit)} spent ${where}`
}

/** What a person can do about it (the inbox item and the card's wait reason end with it). */
export const BUDGET_TODO = 'waits for a person (raise the budget in Settings → Budgets, or Retry)'

/** The part of a breach's message that stays the same while the agent spends on: one inbox item per budget and limit. */
export function breachKey(b: BudgetBreach): string {
  return breachMessage(b).replace(/^budget: \S+ /, '')
}
