// Spend budgets in the engine (pipeline/budget-gate.ts) over a real SQLite
// file: a task that would start over a budget does not start, and the issue
// waits for a person with the budget named (the card's wait reason, one inbox
// item); a running agent whose live usage passes a budget is cancelled and its
// usage so far recorded once; raising the budget or a person's Retry lets it
// go on; the day's budget starts again at 00:00 UTC. The clock is moved, never waited for.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { DEFAULT_SETTINGS, type Settings, type SpendBudgets } from '../../../src/shared/api'
import type { Trigger } from '../../../src/shared/protocol/trigger'
import { EventHub } from '../../../src/main/events'
import { createLogger } from '../../../src/main/log'
import { defaultPipeline } from '../../../src/main/pipeline/definition'
import { PipelineEngine } from '../../../src/main/pipeline/engine'
import type { GitHubPort, WorkspacePort } from '../../../src/main/pipeline/ports'
import { openDatabase, type Db } from '../../../src/main/store/open'
import { recordUsage } from '../../../src/main/store/usage'

let db: Db | undefined
afterEach(() => db?.close())

function setup(budgets: Partial<SpendBudgets> = {}) {
  db = openDatabase(join(mkdtempSync(join(tmpdir(), 'baton-spend-')), 'baton.db'))
  const at = '2026-01-01T00:00:00.000Z'
  db.prepare("INSERT INTO repos (id, key, host, api_url, owner, name, default_branch, connected_at) VALUES (1, 'github.com/acme/shop', 'github.com', 'https://api.github.com', 'acme', 'shop', 'main', '2026-06-01T00:00:00.000Z')").run()
  for (const [n, stage] of [
    [12, 'in-progress'],
    [13, 'backlog']
  ] as const) {
    db.prepare("INSERT INTO issues (repo_id, number, title, body, state, author, author_association, labels, created_at, updated_at) VALUES (1, ?, 'Fix the thing', 'A clear body.', 'open', 'maintainer', 'MEMBER', ?, ?, ?)").run(n, JSON.stringify([stage]), at, at)
  }
  let clock = Date.parse('2026-07-01T12:00:00.000Z')
  let settings: Settings = { ...DEFAULT_SETTINGS, budgets: { ...DEFAULT_SETTINGS.budgets, ...budgets } }
  const dispatched: Trigger[] = []
  const cancelled: string[] = []
  const busy = new Set<string>()
  const waits = new Map<string, string>()
  const github: GitHubPort = {
    comment: () => Promise.resolve(),
    setLabels: (_r, _i, add) => Promise.resolve(add),
    ensurePullRequest: () => Promise.resolve(1),
    merge: () => Promise.resolve({ sha: 'abc' }),
    review: () => Promise.resolve(),
    syncNow: () => Promise.resolve(),
    login: () => 'maintainer'
  }
  const workspace: WorkspacePort = { prepare: (_r, t) => Promise.resolve(`/tmp/w/${t.id}`), push: () => Promise.resolve(), release: () => Promise.resolve(), removeIssue: () => Promise.resolve() }
  const engine = new PipelineEngine({
    db,
    events: new EventHub(),
    log: createLogger({ level: 'error', write: () => undefined }),
    pool: {
      idle: () => new Map(['pm', 'architect', 'engineer', 'tester', 'community'].map((r) => [r, [r].filter((a) => !busy.has(a))])),
      roles: () => ['pm', 'architect', 'engineer', 'tester', 'community'],
      dispatch: (trigger) => {
        busy.add(trigger.agent)
        dispatched.push(trigger)
      },
      cancel: (agent, task) => {
        busy.delete(agent)
        cancelled.push(task)
      }
    },
    github,
    workspace,
    pipeline: () => defaultPipeline,
    settings: () => settings,
    waits,
    now: () => new Date(clock)
  })
  const spend = (issue: number, costUsd: number, when = new Date(clock).toISOString(), agent = 'engineer', tokens = 0) =>
    recordUsage(db!, { at: when, repoId: 1, issue, taskId: `t_past_${issue}_${when}_${agent}`, attempt: 1, answer: 1, agent, provider: 'claude-code', model: 'm', inputTokens: tokens, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd })
  const pass = async () => {
    await engine.tick()
    await engine.idle()
  }
  const inbox = () => db!.prepare('SELECT issue, task_id, question FROM requests WHERE answered_at IS NULL ORDER BY id').all() as Array<{ issue: number; task_id: string | null; question: string }>
  const usageRows = (task: string) => db!.prepare('SELECT answer, cost_usd, input_tokens FROM usage WHERE task_id = ?').all(task) as Array<{ answer: number; cost_usd: number; input_tokens: number }>
  const taskOf = (id: string) => db!.prepare('SELECT state, result FROM tasks WHERE id = ?').get(id) as { state: string; result: string }
  return {
    engine,
    dispatched,
    cancelled,
    busy,
    waits,
    spend,
    pass,
    inbox,
    usageRows,
    taskOf,
    db: db!,
    setBudgets: (b: Partial<SpendBudgets>) => (settings = { ...settings, budgets: { ...settings.budgets, ...b } }),
    move: (ms: number) => (clock += ms)
  }
}

describe('spend budgets in the engine', () => {
  it("a side lane's task stopped at its start is not made again every pass (Community runs before any hold)", async () => {
    const t = setup({ issueUsd: 0, dayUsd: 1 })
    // An outsider's issue: Community answers it first.
    t.db.prepare("UPDATE issues SET author_association = 'NONE' WHERE number = 13").run()
    t.spend(12, 1)
    for (let i = 0; i < 5; i++) await t.pass()
    const tasks = t.db.prepare("SELECT role, state, result FROM tasks WHERE issue = 13").all()
    expect(tasks).toEqual([{ role: 'community', state: 'failed', result: 'budget: $1.00 of $1.00 spent today (UTC)' }])
    expect(t.dispatched).toEqual([])
  })

  it('a task that would start over the issue budget does not start: the card says why, one inbox item, until the budget is raised', async () => {
    const t = setup()
    t.spend(12, 5.2)
    await t.pass()
    await t.pass()
    await t.pass()
    expect(t.dispatched.map((d) => d.issue.number)).toEqual([13])
    expect(t.waits.get('1#12')).toBe('budget: $5.20 of $5.00 spent on #12')
    const items = t.inbox()
    expect(items).toHaveLength(1)
    expect(items[0]).toMatchObject({ issue: 12, task_id: null })
    expect(items[0]!.question).toMatch(/^budget: \$5\.20 of \$5\.00 spent on #12: no engineer task starts for #12\. Waits for a person/)
    // Spending on (another agent's late answer) changes the amount, not the number of items.
    t.spend(12, 0.3, undefined, 'tester')
    await t.pass()
    expect(t.inbox()).toHaveLength(1)

    t.setBudgets({ issueUsd: 10 })
    await t.pass()
    expect(t.dispatched.map((d) => d.issue.number)).toEqual([13, 12])
    expect(t.waits.has('1#12')).toBe(false)
    expect(t.inbox()).toHaveLength(0)
  })

  it('the day budget counts every issue since 00:00 UTC; at midnight it starts again', async () => {
    const t = setup({ issueUsd: 0, dayUsd: 20 })
    t.spend(13, 20, '2026-07-01T01:00:00.000Z', 'pm')
    await t.pass()
    expect(t.dispatched).toHaveLength(0)
    expect(t.waits.get('1#12')).toMatch(/^budget: \$20\.00 of \$20\.00 spent today \(UTC\)/)
    expect(t.waits.get('1#13')).toMatch(/^budget: \$20\.00 of \$20\.00 spent today \(UTC\)/)
    // One item for the day, not one per issue it holds; again at the next pass, still one.
    await t.pass()
    const items = t.inbox()
    expect(items).toHaveLength(1)
    expect(items[0]).toMatchObject({ issue: null, task_id: null })
    expect(items[0]!.question).toMatch(/^budget: \$20\.00 of \$20\.00 spent today \(UTC\): no task starts until 00:00 UTC\. Waits for a person/)
    t.move(12 * 3_600_000) // 2026-07-02T00:00:00Z
    await t.pass()
    expect(t.dispatched.map((d) => d.issue.number).sort()).toEqual([12, 13])
    expect(t.inbox()).toHaveLength(0)
  })

  it('a role budget holds only that role; tokens with no price count against the token budgets; 0 is none', async () => {
    const t = setup({ issueUsd: 0, dayUsd: 0, issueTokens: 0, dayTokens: 0, roles: { engineer: { usd: 0, tokens: 50_000 } } })
    t.spend(13, 0, undefined, 'engineer-2', 60_000)
    await t.pass()
    // #12 waits for an engineer over budget; #13's PM is not an engineer.
    expect(t.dispatched.map((d) => d.issue.number)).toEqual([13])
    expect(t.waits.get('1#12')).toMatch(/^budget: 60,000 of 50,000 tokens spent by engineer today \(UTC\)/)
    expect(t.inbox()).toEqual([{ issue: null, task_id: null, question: expect.stringMatching(/^budget: 60,000 of 50,000 tokens spent by engineer today \(UTC\): no engineer task starts until 00:00 UTC\./) as string }])
    // Raised: the role's item resolves by itself, and #12 starts.
    t.setBudgets({ roles: { engineer: { usd: 0, tokens: 100_000 } } })
    await t.pass()
    expect(t.inbox()).toEqual([])
    expect(t.dispatched.map((d) => d.issue.number)).toEqual([13, 12])
  })

  it("a person's Retry lets a held issue go on: its budgets count again from the press", async () => {
    const t = setup()
    t.spend(12, 6)
    await t.pass()
    expect(t.dispatched.map((d) => d.issue.number)).toEqual([13])
    await t.engine.retry(1, 12, 'maintainer')
    await t.pass()
    expect(t.dispatched.map((d) => d.issue.number)).toEqual([13, 12])
    expect(t.inbox()).toHaveLength(0)
    const audit = t.db.prepare("SELECT message FROM events WHERE kind = 'budget.grant'").all() as Array<{ message: string }>
    expect(audit).toEqual([{ message: 'maintainer let #12 go on past its budget: its budgets count again from now' }])
  })

  it('a running agent that passes a budget is stopped from its live usage: cancelled, its usage so far recorded once, one inbox item', async () => {
    const t = setup()
    t.spend(12, 4)
    await t.pass()
    const trigger = t.dispatched.find((d) => d.issue.number === 12)!
    const report = (costUsd: number, inputTokens: number) => ({ agent: trigger.agent, task: trigger.task, attempt: trigger.attempt, provider: 'claude-code', model: 'claude-opus-4-8', usage: { inputTokens, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd } })
    // $4 + $0.90 live: under $5, it runs on.
    t.engine.liveUsage(report(0.9, 180_000))
    await t.engine.idle()
    expect(t.cancelled).toEqual([])
    // $4 + $1.20: past it. Two reports past it before the stop runs: still one stop, one record, of the latest totals.
    t.engine.liveUsage(report(1.2, 240_000))
    t.engine.liveUsage(report(1.5, 300_000))
    await t.engine.idle()
    expect(t.cancelled).toEqual([trigger.task])
    expect(t.usageRows(trigger.task)).toEqual([{ answer: -1, cost_usd: 1.5, input_tokens: 300_000 }])
    expect(t.taskOf(trigger.task)).toEqual({ state: 'cancelled', result: 'budget: $5.50 of $5.00 spent on #12' })
    const items = t.inbox().filter((i) => i.issue === 12)
    expect(items).toHaveLength(1)
    expect(items[0]!.task_id).toBe(trigger.task)
    expect(items[0]!.question).toMatch(/^budget: \$5\.50 of \$5\.00 spent on #12: engineer was stopped mid-task/)
    // The agent's late answer is stale: no second usage row.
    await t.engine.handleResult({
      agent: trigger.agent,
      task: trigger.task,
      attempt: trigger.attempt,
      answer: { status: 'error', text: 'cancelled by main', move: null, branch: null, handoffs: [], labels: [], body: '' },
      raw: `TASK: ${trigger.task}\nERROR: cancelled by main\n`,
      usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 9 },
      sessionId: null,
      provider: 'claude-code',
      model: 'claude-opus-4-8'
    })
    expect(t.usageRows(trigger.task)).toHaveLength(1)
    // The card waits with the budget named; the same item stays the one.
    await t.pass()
    expect(t.waits.get('1#12')).toBe('budget: $5.50 of $5.00 spent on #12')
    expect(t.inbox().filter((i) => i.issue === 12)).toHaveLength(1)
    expect(t.dispatched.filter((d) => d.issue.number === 12)).toHaveLength(1)
  })

  it('a queued task is checked again when it is dispatched: live spend elsewhere can use up the day', async () => {
    const t = setup({ issueUsd: 0, dayUsd: 2 })
    await t.pass()
    const [a, b] = [t.dispatched.find((d) => d.issue.number === 12)!, t.dispatched.find((d) => d.issue.number === 13)!]
    // #13's PM spends the day's budget live; #12's engineer, running too, is stopped with it (the day is everyone's).
    t.engine.liveUsage({ agent: b.agent, task: b.task, attempt: b.attempt, provider: 'claude-code', model: 'm', usage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 2.5 } })
    await t.engine.idle()
    expect(t.cancelled).toEqual([b.task])
    t.engine.liveUsage({ agent: a.agent, task: a.task, attempt: a.attempt, provider: 'claude-code', model: 'm', usage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0.01 } })
    await t.engine.idle()
    expect(t.cancelled).toEqual([b.task, a.task])
    // A task queued again (a person answered its REQUEST) does not start either.
    t.db.prepare("UPDATE tasks SET state = 'queued' WHERE id = ?").run(a.task)
    t.busy.clear()
    await t.pass()
    expect(t.dispatched).toHaveLength(2)
    expect(t.taskOf(a.task)).toMatchObject({ state: 'cancelled', result: 'budget: $2.51 of $2.00 spent today (UTC)' })
  })
})
