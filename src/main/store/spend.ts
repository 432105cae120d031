// What was spent, for the spend budgets (pipeline/spend.ts): sums over the
// usage table, a person's Retry as a grant (migration 9), and the one inbox
// item per budget stop.
import type { BudgetLine, BudgetUse, SpendBudgets } from '../../shared/api'
import { baseRole } from '../pipeline/engine-context'
import { amount, dayStart, type Spend } from '../pipeline/spend'
import { audit } from './audit'
import type { Db } from './open'
import { readSettings } from './settings'

// Dollars where a provider priced the usage, else its tokens (pipeline/spend.ts#chargeOf).
const charge = (t = ''): string => `COALESCE(SUM(CASE WHEN ${t}cost_usd > 0 THEN ${t}cost_usd ELSE 0 END), 0) AS usd,
  COALESCE(SUM(CASE WHEN ${t}cost_usd > 0 THEN 0 ELSE ${t}input_tokens + ${t}output_tokens + ${t}cache_read_tokens + ${t}cache_write_tokens END), 0) AS tokens`
const CHARGE = charge()

interface IssueSpendCache {
  /** The last usage row summed. */
  lastId: number
  /** The repository's grants when summed: a new grant sums again from scratch. */
  grants: string
  byIssue: Map<number, Spend>
}
/** Per connection and repository: usage rows are only ever added, so a pass sums only the rows since the last one. */
const issueSpendCaches = new WeakMap<Db, Map<number, IssueSpendCache>>()

/**
 * Each issue's spend in one repository (since its grant, when a person gave
 * one). Summed once, then kept up to date from the rows added since (a
 * grouped sum over 50,000 rows took 140 ms a pass; a pass with nothing new
 * costs two small queries).
 */
export function issueSpends(db: Db, repoId: number): Map<number, Spend> {
  let caches = issueSpendCaches.get(db)
  if (!caches) issueSpendCaches.set(db, (caches = new Map()))
  const grants = JSON.stringify(db.prepare('SELECT COUNT(*) AS n, MAX(at) AS at FROM budget_grants WHERE repo_id = ?').get(repoId))
  const maxId = (db.prepare('SELECT COALESCE(MAX(id), 0) AS id FROM usage').get() as { id: number }).id
  let cache = caches.get(repoId)
  if (!cache || cache.grants !== grants || maxId < cache.lastId) {
    const rows = db
      .prepare(
        `SELECT u.issue AS issue, ${charge('u.')}
         FROM usage u LEFT JOIN budget_grants g ON g.repo_id = u.repo_id AND g.issue = u.issue
         WHERE u.repo_id = ? AND u.issue IS NOT NULL AND u.id <= ? AND (g.at IS NULL OR u.at > g.at)
         GROUP BY u.issue`
      )
      .all(repoId, maxId) as Array<{ issue: number; usd: number; tokens: number }>
    cache = { lastId: maxId, grants, byIssue: new Map(rows.map((r) => [r.issue, { usd: r.usd, tokens: r.tokens }])) }
    caches.set(repoId, cache)
  } else if (maxId > cache.lastId) {
    const rows = db
      .prepare(
        `SELECT u.issue AS issue, ${charge('u.')}
         FROM usage u LEFT JOIN budget_grants g ON g.repo_id = u.repo_id AND g.issue = u.issue
         WHERE u.id > ? AND u.id <= ? AND u.repo_id = ? AND u.issue IS NOT NULL AND (g.at IS NULL OR u.at > g.at)
         GROUP BY u.issue`
      )
      .all(cache.lastId, maxId, repoId) as Array<{ issue: number; usd: number; tokens: number }>
    for (const r of rows) {
      const before = cache.byIssue.get(r.issue) ?? { usd: 0, tokens: 0 }
      cache.byIssue.set(r.issue, { usd: before.usd + r.usd, tokens: before.tokens + r.tokens })
    }
    cache.lastId = maxId
  }
  return cache.byIssue
}

export function issueSpend(db: Db, repoId: number, issue: number): Spend {
  const grant = grantOf(db, repoId, issue)
  return db.prepare(`SELECT ${CHARGE} FROM usage WHERE repo_id = ? AND issue = ? AND at > ?`).get(repoId, issue, grant ?? '') as Spend
}

/** Spent since `since` (ISO), in all, and per agent instance (the caller folds instances into roles). */
export function spendSince(db: Db, since: string): { all: Spend; byAgent: Map<string, Spend> } {
  const rows = db.prepare(`SELECT agent, ${CHARGE} FROM usage WHERE at >= ? GROUP BY agent`).all(since) as Array<{ agent: string; usd: number; tokens: number }>
  const all = { usd: 0, tokens: 0 }
  for (const r of rows) {
    all.usd += r.usd
    all.tokens += r.tokens
  }
  return { all, byAgent: new Map(rows.map((r) => [r.agent, { usd: r.usd, tokens: r.tokens }])) }
}

/** When a person last let the issue go on past a budget (null: never). */
export function grantOf(db: Db, repoId: number, issue: number): string | null {
  return (db.prepare('SELECT at FROM budget_grants WHERE repo_id = ? AND issue = ?').get(repoId, issue) as { at: string } | undefined)?.at ?? null
}

export function repoGrants(db: Db, repoId: number): Map<number, string> {
  const rows = db.prepare('SELECT issue, at FROM budget_grants WHERE repo_id = ?').all(repoId) as Array<{ issue: number; at: string }>
  return new Map(rows.map((r) => [r.issue, r.at]))
}

export function grant(db: Db, repoId: number, issue: number, at: string, by: string | null): void {
  db.prepare('INSERT INTO budget_grants (repo_id, issue, at, by) VALUES (?, ?, ?, ?) ON CONFLICT (repo_id, issue) DO UPDATE SET at = excluded.at, by = excluded.by').run(repoId, issue, at, by)
}

/** A stopped run's usage so far, recorded once per stop (its own negative answer number, apart from the answers' places). */
export function recordPartialUsage(
  db: Db,
  u: { at: string; repoId: number; issue: number; taskId: string; attempt: number; agent: string; provider: string; model: string | null; inputTokens: number; outputTokens: number; cacheReadTokens: number; cacheWriteTokens: number; costUsd: number }
): void {
  db.transaction(() => {
    const stops = (db.prepare('SELECT COUNT(*) AS n FROM usage WHERE task_id = ? AND answer < 0').get(u.taskId) as { n: number }).n
    db.prepare(
      `INSERT INTO usage (at, repo_id, issue, task_id, attempt, answer, agent, provider, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
    ).run(u.at, u.repoId, u.issue, u.taskId, u.attempt, -(stops + 1), u.agent, u.provider, u.model, u.inputTokens, u.outputTokens, u.cacheReadTokens, u.cacheWriteTokens, u.costUsd)
  })()
}

/** Whether an answer of the task's attempt is recorded (then its live usage is in SQLite, not to be added again). */
export function answerRecorded(db: Db, taskId: string, attempt: number, answer: number): boolean {
  return db.prepare('SELECT 1 FROM usage WHERE task_id = ? AND attempt = ? AND answer = ?').get(taskId, attempt, answer) !== undefined
}

/** One budget item as the pass reads it (dedupe in memory: no query per issue). */
export interface BudgetItem {
  issue: number | null
  question: string
  answered_at: string | null
  created_at: string
}

/** Whether an item for this budget and limit (`key`, e.g. "of $5.00 spent on #12") was opened since `since` — open, or answered by a person meanwhile. */
export function budgetItemSeen(items: readonly BudgetItem[], key: string, since: string | null): boolean {
  return items.some((i) => i.question.startsWith('budget: ') && i.question.includes(` ${key}:`) && (i.answered_at === null || i.created_at > (since ?? '')))
}

/** A repository's budget items, by issue (issue-scoped ones). */
export function budgetItems(db: Db, repoId: number): Map<number, BudgetItem[]> {
  const rows = db.prepare("SELECT issue, question, answered_at, created_at FROM requests WHERE repo_id = ? AND kind = 'failure' AND question LIKE 'budget: %'").all(repoId) as BudgetItem[]
  const byIssue = new Map<number, BudgetItem[]>()
  for (const r of rows) if (r.issue !== null) byIssue.set(r.issue, [...(byIssue.get(r.issue) ?? []), r])
  return byIssue
}

/** Budget items of a whole scope (the day, a role): no repository, no issue. */
export function scopeItems(db: Db): Array<BudgetItem & { id: number }> {
  return db.prepare("SELECT id, issue, question, answered_at, created_at FROM requests WHERE repo_id IS NULL AND issue IS NULL AND kind = 'failure' AND question LIKE 'budget: %'").all() as Array<BudgetItem & { id: number }>
}

/**
 * Opens a budget item in the inbox — the issue's (`repoId`, `issue`) or a
 * whole scope's (both null) — unless one for the same budget and limit was
 * opened since `since` (budgetItemSeen). Returns whether it opened one.
 */
export function openBudgetItem(db: Db, item: { repoId: number | null; issue: number | null; taskId: string | null; agent: string | null; question: string; key: string; since: string | null; at: string }): boolean {
  const rows = db
    .prepare("SELECT issue, question, answered_at, created_at FROM requests WHERE repo_id IS ? AND issue IS ? AND kind = 'failure' AND question LIKE 'budget: %'")
    .all(item.repoId, item.issue) as BudgetItem[]
  if (budgetItemSeen(rows, item.key, item.since)) return false
  db.prepare("INSERT INTO requests (kind, repo_id, issue, task_id, agent, question, created_at) VALUES ('failure', ?, ?, ?, ?, ?, ?)").run(
    item.repoId,
    item.issue,
    item.taskId,
    item.agent,
    item.question,
    item.at
  )
  return true
}

/** Closes open scope items whose budget no longer holds anything (`over`: the keys still spent); returns how many. */
export function resolveScopeItems(db: Db, over: ReadonlySet<string>, note: string, at: string): number {
  let closed = 0
  for (const item of scopeItems(db)) {
    if (item.answered_at !== null || [...over].some((key) => item.question.includes(` ${key}:`))) continue
    closed += db.prepare('UPDATE requests SET answered_at = ?, answer = ? WHERE id = ? AND answered_at IS NULL').run(at, note, item.id).changes
  }
  return closed
}

/** Closes the issue's open budget items (it may go on now); returns how many. */
export function resolveBudgetItems(db: Db, repoId: number, issue: number, note: string, at: string): number {
  return db
    .prepare("UPDATE requests SET answered_at = ?, answer = ? WHERE repo_id = ? AND issue = ? AND kind = 'failure' AND answered_at IS NULL AND question LIKE 'budget: %'")
    .run(at, note, repoId, issue).changes
}


/** Audits a change of the spend budgets (before → after, in words); returns whether they changed. */
export function auditBudgetChange(db: Db, before: SpendBudgets, after: SpendBudgets): boolean {
  if (JSON.stringify(before) === JSON.stringify(after)) return false
  const words = (b: SpendBudgets): string => {
    const cap = (n: number, unit: 'usd' | 'tokens'): string => (n > 0 ? amount(unit, n) : 'none')
    const roles = Object.entries(b.roles).filter(([, r]) => r.usd > 0 || r.tokens > 0)
    return `per issue ${cap(b.issueUsd, 'usd')} / ${cap(b.issueTokens, 'tokens')}, per day ${cap(b.dayUsd, 'usd')} / ${cap(b.dayTokens, 'tokens')}${roles.length ? `, ${roles.map(([role, r]) => `${role} ${cap(r.usd, 'usd')} / ${cap(r.tokens, 'tokens')} a day`).join(', ')}` : ''}`
  }
  audit(db, { kind: 'budget.update', message: `Budgets: ${words(after)} (was ${words(before)})`, data: { before, after } })
  return true
}

const line = (spent: Spend, limitUsd: number, limitTokens: number): BudgetLine => ({
  spentUsd: spent.usd,
  limitUsd,
  spentTokens: spent.tokens,
  limitTokens,
  // As the scheduler reads it (pipeline/spend.ts#breachOf): at a limit, nothing is left.
  over: (limitUsd > 0 && Math.round(spent.usd * 100) >= Math.round(limitUsd * 100)) || (limitTokens > 0 && spent.tokens >= limitTokens)
})

/** Usage's budget panel: spent beside each budget, from SQLite (a running agent's live usage shows once recorded). */
export function budgetUse(db: Db, now = new Date()): BudgetUse {
  const b = readSettings(db).budgets
  const today = spendSince(db, dayStart(now))
  const roles = Object.entries(b.roles)
    .filter(([, r]) => r.usd > 0 || r.tokens > 0)
    .map(([role, r]) => {
      let s: Spend = { usd: 0, tokens: 0 }
      for (const [agent, spent] of today.byAgent) if (baseRole(agent) === role) s = { usd: s.usd + spent.usd, tokens: s.tokens + spent.tokens }
      return { role, ...line(s, r.usd, r.tokens) }
    })
  const rows = db
    .prepare(
      `SELECT r.owner || '/' || r.name AS repo, u.issue AS issue, ${charge('u.')}
       FROM usage u JOIN repos r ON r.id = u.repo_id LEFT JOIN budget_grants g ON g.repo_id = u.repo_id AND g.issue = u.issue
       WHERE u.issue IS NOT NULL AND (g.at IS NULL OR u.at > g.at)
       GROUP BY u.repo_id, u.issue ORDER BY usd DESC, tokens DESC LIMIT 20`
    )
    .all() as Array<{ repo: string; issue: number; usd: number; tokens: number }>
  return {
    day: line(today.all, b.dayUsd, b.dayTokens),
    roles,
    issues: rows.map((r) => ({ repo: r.repo, issue: r.issue, ...line(r, b.issueUsd, b.issueTokens) }))
  }
}
