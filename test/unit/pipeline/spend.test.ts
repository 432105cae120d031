// The spend budgets' arithmetic (pipeline/spend.ts) and its sums over a real
// SQLite usage table (store/spend.ts): per issue, per day at the UTC day
// boundary, per role (instances fold into their role), tokens when a provider
// reported no price, 0 = none, and a person's Retry as a grant.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { DEFAULT_SETTINGS, Settings, type SpendBudgets } from '../../../src/shared/api'
import { breachKey, breachMessage, breachOf, chargeOf, dayStart, NO_SPEND, type SpendInScopes } from '../../../src/main/pipeline/spend'
import { openDatabase, type Db } from '../../../src/main/store/open'
import { grant, issueSpend, issueSpends, spendSince } from '../../../src/main/store/spend'
import { recordUsage } from '../../../src/main/store/usage'

const NONE: SpendBudgets = { issueUsd: 0, dayUsd: 0, issueTokens: 0, dayTokens: 0, roles: {} }
const spent = (p: Partial<SpendInScopes>): SpendInScopes => ({ issue: NO_SPEND, day: NO_SPEND, role: NO_SPEND, ...p })

describe('budget arithmetic', () => {
  it('per issue: at the limit nothing starts; a running agent is stopped only past it', () => {
    const b = { ...NONE, issueUsd: 5 }
    expect(breachOf(b, spent({ issue: { usd: 4.99, tokens: 0 } }), { issue: 12, role: 'engineer' })).toBeNull()
    const at = breachOf(b, spent({ issue: { usd: 5, tokens: 0 } }), { issue: 12, role: 'engineer' })
    expect(at).toMatchObject({ scope: 'issue', unit: 'usd', limit: 5 })
    expect(breachOf(b, spent({ issue: { usd: 5, tokens: 0 } }), { issue: 12, role: 'engineer' }, true)).toBeNull()
    const past = breachOf(b, spent({ issue: { usd: 5.2, tokens: 0 } }), { issue: 12, role: 'engineer' }, true)!
    expect(breachMessage(past)).toBe('budget: $5.20 of $5.00 spent on #12')
    // Cents decide: what would read "$5.00 of $5.00" is not past it.
    expect(breachOf(b, spent({ issue: { usd: 5.004, tokens: 0 } }), { issue: 12, role: 'engineer' }, true)).toBeNull()
  })

  it('per day and per role, in words; a role budget covers its instances and no other role', () => {
    const b = { ...NONE, dayUsd: 20, roles: { engineer: { usd: 3, tokens: 0 } } }
    const day = breachOf(b, spent({ day: { usd: 21, tokens: 0 } }), { issue: 4, role: 'pm' })!
    expect(breachMessage(day)).toBe('budget: $21.00 of $20.00 spent today (UTC)')
    const role = breachOf(b, spent({ role: { usd: 3.1, tokens: 0 } }), { issue: 4, role: 'engineer-2' })!
    expect(breachMessage(role)).toBe('budget: $3.10 of $3.00 spent by engineer today (UTC)')
    expect(breachOf(b, spent({ role: { usd: 3.1, tokens: 0 } }), { issue: 4, role: 'tester' })).toBeNull()
  })

  it('tokens count only usage that carried no price, and have budgets of their own', () => {
    expect(chargeOf({ inputTokens: 1000, outputTokens: 10, cacheReadTokens: 5, cacheWriteTokens: 5, costUsd: 0.2 })).toEqual({ usd: 0.2, tokens: 0 })
    expect(chargeOf({ inputTokens: 1000, outputTokens: 10, cacheReadTokens: 5, cacheWriteTokens: 5, costUsd: 0 })).toEqual({ usd: 0, tokens: 1020 })
    const b = { ...NONE, issueUsd: 5, issueTokens: 2_000_000 }
    const t = breachOf(b, spent({ issue: { usd: 1, tokens: 2_100_000 } }), { issue: 9, role: 'engineer' })!
    expect(breachMessage(t)).toBe('budget: 2,100,000 of 2,000,000 tokens spent on #9')
    // The inbox's one item per budget and limit: the same however much more is spent.
    expect(breachKey(t)).toBe('of 2,000,000 tokens spent on #9')
    expect(breachKey({ ...t, spent: 9_999_999 })).toBe(breachKey(t))
  })

  it('0 means none, whatever was spent', () => {
    const huge = { usd: 1e6, tokens: 1e12 }
    expect(breachOf(NONE, spent({ issue: huge, day: huge, role: huge }), { issue: 1, role: 'engineer' })).toBeNull()
    expect(breachOf({ ...NONE, roles: { engineer: { usd: 0, tokens: 0 } } }, spent({ role: huge }), { issue: 1, role: 'engineer' })).toBeNull()
  })

  it('the day starts at 00:00 UTC', () => {
    expect(dayStart(new Date('2026-07-01T23:59:59.999Z'))).toBe('2026-07-01T00:00:00.000Z')
    expect(dayStart(new Date('2026-07-02T00:00:00.000Z'))).toBe('2026-07-02T00:00:00.000Z')
  })

  it('the settings: the defaults are shown, bad budgets are refused with the field named', () => {
    expect(DEFAULT_SETTINGS.budgets).toEqual({ issueUsd: 5, dayUsd: 20, issueTokens: 2_000_000, dayTokens: 10_000_000, roles: {} })
    const bad = Settings.partial().strict().safeParse({ budgets: { ...DEFAULT_SETTINGS.budgets, dayUsd: -1 } })
    expect(bad.success).toBe(false)
    expect(bad.error?.issues[0]?.path.join('.')).toBe('budgets.dayUsd')
    expect(bad.error?.issues[0]?.message).toBe('a budget is 0 (none) or more')
    expect(Settings.shape.budgets.safeParse({ ...DEFAULT_SETTINGS.budgets, roles: { Engineer: { usd: 1, tokens: 0 } } }).success).toBe(false)
    expect(Settings.shape.budgets.safeParse({ ...DEFAULT_SETTINGS.budgets, issueTokens: 1.5 }).success).toBe(false)
  })
})

describe('what was spent, from SQLite', () => {
  let db: Db | undefined
  afterEach(() => db?.close())

  function usage(at: string, issue: number, agent: string, costUsd: number, tokens = 100, n = 1) {
    recordUsage(db!, { at, repoId: 1, issue, taskId: `t_${issue}_${agent}_${at}`, attempt: 1, answer: n, agent, provider: 'p', model: null, inputTokens: tokens, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd })
  }

  it('sums per issue, per day from 00:00 UTC and per agent; a grant starts the issue again', () => {
    db = openDatabase(join(mkdtempSync(join(tmpdir(), 'baton-spend-')), 'baton.db'))
    db.prepare("INSERT INTO repos (id, key, host, api_url, owner, name, default_branch, connected_at) VALUES (1, 'github.com/a/b', 'github.com', 'https://api.github.com', 'a', 'b', 'main', '2026-01-01T00:00:00.000Z')").run()
    usage('2026-07-01T23:59:59.000Z', 12, 'engineer', 3)
    usage('2026-07-02T00:00:00.000Z', 12, 'engineer-2', 1.5)
    usage('2026-07-02T08:00:00.000Z', 12, 'tester', 0, 5000)
    usage('2026-07-02T09:00:00.000Z', 13, 'pm', 0.25)
    expect(issueSpend(db, 1, 12)).toEqual({ usd: 4.5, tokens: 5000 })
    expect(issueSpends(db, 1).get(13)).toEqual({ usd: 0.25, tokens: 0 })
    const today = spendSince(db, dayStart(new Date('2026-07-02T12:00:00.000Z')))
    // Yesterday's $3 is not today's.
    expect(today.all).toEqual({ usd: 1.75, tokens: 5000 })
    expect(today.byAgent.get('engineer-2')).toEqual({ usd: 1.5, tokens: 0 })
    grant(db, 1, 12, '2026-07-02T08:30:00.000Z', 'maintainer')
    expect(issueSpend(db, 1, 12)).toEqual(NO_SPEND)
    expect(issueSpends(db, 1).get(12)).toBeUndefined()
    usage('2026-07-02T10:00:00.000Z', 12, 'engineer', 0.5)
    expect(issueSpend(db, 1, 12)).toEqual({ usd: 0.5, tokens: 0 })
    // Kept up to date from the rows added since the last pass (and summed again after a grant).
    expect(issueSpends(db, 1).get(12)).toEqual({ usd: 0.5, tokens: 0 })
    usage('2026-07-02T11:00:00.000Z', 12, 'tester', 0, 700)
    usage('2026-07-02T11:00:00.000Z', 13, 'tester', 0.25)
    expect(issueSpends(db, 1).get(12)).toEqual({ usd: 0.5, tokens: 700 })
    expect(issueSpends(db, 1).get(13)).toEqual({ usd: 0.5, tokens: 0 })
    grant(db, 1, 13, '2026-07-02T12:00:00.000Z', null)
    expect(issueSpends(db, 1).get(13)).toBeUndefined()
    expect(issueSpends(db, 1).get(12)).toEqual({ usd: 0.5, tokens: 700 })
  })
})
