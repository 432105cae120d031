// Failures stop (DESIGN.md §4): an issue's stage has one failure budget (3
// attempts in all, across every task for that stage). An agent that always
// fails — an ERROR, a lost attempt, or an answer whose move is refused — is
// called at most the budget's times in a simulated day (the clock moves; the
// test never waits for it), with the backoff between attempts, and ends in
// exactly one inbox item; a person's Retry gives exactly one more budget, and
// a label a person moves gives the stage it lands in a whole one. The inbox
// keeps only what needs a person.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { DEFAULT_SETTINGS } from '../../../src/shared/api'
import type { Trigger } from '../../../src/shared/protocol/trigger'
import { EventHub } from '../../../src/main/events'
import { createLogger } from '../../../src/main/log'
import { defaultPipeline } from '../../../src/main/pipeline/definition'
import type { AgentAnswer } from '../../../src/main/pipeline/effects'
import { PipelineEngine } from '../../../src/main/pipeline/engine'
import type { AgentResult, GitHubPort, WorkspacePort } from '../../../src/main/pipeline/ports'
import { openDatabase, type Db } from '../../../src/main/store/open'

let db: Db | undefined
afterEach(() => db?.close())

type Behaviour = 'error' | 'lost' | 'refused' | 'stalled' | 'done'

const NEXT: Record<string, string> = { backlog: 'needs-architecture', 'needs-architecture': 'ready-for-dev', 'ready-for-dev': 'in-progress', 'in-progress': 'needs-testing', 'needs-testing': 'needs-review' }

/** One repository, one issue at `stage`; an agent per role that behaves as `behave` says for each call. */
function setup(stage: string, behave: (trigger: Trigger, call: number) => Behaviour, options: { comment?: () => Promise<void>; backoffMs?: (n: number) => number } = {}) {
  db = openDatabase(join(mkdtempSync(join(tmpdir(), 'baton-budget-')), 'baton.db'))
  const at = '2026-01-01T00:00:00.000Z'
  db.prepare("INSERT INTO repos (id, key, host, api_url, owner, name, default_branch, connected_at) VALUES (1, 'github.com/acme/shop', 'github.com', 'https://api.github.com', 'acme', 'shop', 'main', '2026-06-01T00:00:00.000Z')").run()
  db.prepare("INSERT INTO issues (repo_id, number, title, body, state, author, author_association, labels, created_at, updated_at) VALUES (1, 7, 'Fix the thing', 'A clear body.', 'open', 'maintainer', 'MEMBER', ?, ?, ?)").run(
    JSON.stringify([stage]),
    at,
    at
  )
  let clock = Date.parse('2026-07-01T00:00:00.000Z')
  const calls: Array<{ trigger: Trigger; at: number }> = []
  const pending: Trigger[] = []
  const comments: string[] = []
  const busy = new Set<string>()
  const github: GitHubPort = {
    async comment(_repo, _issue, body) {
      await options.comment?.()
      comments.push(body)
    },
    setLabels: (_r, issue, add, remove) => {
      const row = db!.prepare('SELECT labels FROM issues WHERE repo_id = 1 AND number = ?').get(issue) as { labels: string }
      return Promise.resolve([...(JSON.parse(row.labels) as string[]).filter((l) => !remove.includes(l)), ...add.filter((l) => !remove.includes(l))])
    },
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
      idle: () => new Map(['pm', 'architect', 'engineer', 'tester'].map((r) => [r, [r].filter((a) => !busy.has(a))])),
      roles: () => ['pm', 'architect', 'engineer', 'tester'],
      dispatch: (trigger) => {
        busy.add(trigger.agent)
        calls.push({ trigger, at: clock })
        pending.push(trigger)
      },
      cancel: (agent) => busy.delete(agent)
    },
    github,
    workspace,
    pipeline: () => defaultPipeline,
    settings: () => DEFAULT_SETTINGS,
    waits: new Map(),
    now: () => new Date(clock),
    ...(options.backoffMs ? { backoffMs: options.backoffMs } : {})
  })
  const result = (trigger: Trigger, answer: AgentAnswer): AgentResult => ({
    agent: trigger.agent,
    task: trigger.task,
    attempt: trigger.attempt,
    answer,
    raw: `TASK: ${trigger.task}\n${answer.status.toUpperCase()}: ${answer.text}\n`,
    usage: { inputTokens: 100, outputTokens: 10, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0.5 },
    sessionId: null,
    provider: 'claude-code',
    model: 'paid'
  })
  /** The agents answer what they were handed, each as its behaviour says. */
  const answerPending = async () => {
    while (pending.length) {
      const trigger = pending.shift()!
      busy.delete(trigger.agent)
      const kind = behave(trigger, calls.findIndex((c) => c.trigger === trigger) + 1)
      const base = { branch: null, handoffs: [], labels: [], body: '' }
      if (kind === 'lost') await engine.attemptLost(trigger.task, trigger.attempt, 'the agent crashed')
      else if (kind === 'error') await engine.handleResult(result(trigger, { ...base, status: 'error', text: 'the model is overloaded', move: null }))
      // Never to the final stage: the rules refuse this move every time.
      else if (kind === 'refused') await engine.handleResult(result(trigger, { ...base, status: 'done', text: 'finished', move: { from: trigger.stage, to: 'done' } }))
      // DONE, but no move asked: the issue would stay at its stage and the stage run again.
      else if (kind === 'stalled') await engine.handleResult(result(trigger, { ...base, status: 'done', text: 'finished', move: null, body: 'Did it.' }))
      else await engine.handleResult(result(trigger, { ...base, status: 'done', text: 'finished', move: { from: trigger.stage, to: NEXT[trigger.stage]! }, body: 'Did it.' }))
    }
  }
  /** Moves the clock `ms` in steps of `stepMs`, letting the engine tick (and the sync reconcile) at each. */
  const run = async (ms: number, stepMs = 300_000) => {
    for (let t = 0; t < ms; t += stepMs) {
      clock += stepMs
      await engine.reconcile()
      await engine.tick()
      await engine.idle()
      await answerPending()
      await engine.idle()
    }
  }
  const openInbox = () => db!.prepare('SELECT kind, question FROM requests WHERE answered_at IS NULL').all() as Array<{ kind: string; question: string }>
  const tasks = () => db!.prepare('SELECT stage, state FROM tasks').all() as Array<{ stage: string; state: string }>
  const setLabels = (labels: string[]) => db!.prepare('UPDATE issues SET labels = ? WHERE repo_id = 1 AND number = 7').run(JSON.stringify(labels))
  return { engine, calls, comments, run, openInbox, tasks, setLabels, result, busy, db: db! }
}

const DAY = 24 * 3_600_000

describe('the failure budget', { timeout: 30_000 }, () => {
  const WHAT = { error: 'in ERROR', lost: 'lost', refused: 'with its move refused', stalled: 'DONE with no move' }
  for (const kind of ['error', 'lost', 'refused', 'stalled'] as const) {
    it(`an agent whose every attempt ends ${WHAT[kind]} is called at most 3 times in a day, with backoff, and one inbox item asks a person`, async () => {
      const t = setup('backlog', () => kind)
      await t.run(DAY)
      const stageCalls = t.calls.filter((c) => c.trigger.stage === 'backlog')
      expect(stageCalls).toHaveLength(3)
      // The backoff (10 s doubling) is waited between attempts: never two in the same step of the clock.
      const gaps = stageCalls.slice(1).map((c, i) => c.at - stageCalls[i]!.at)
      for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(10_000)
      // One task for the stage: no new task follows a spent one.
      expect(t.tasks()).toEqual([{ stage: 'backlog', state: 'failed' }])
      const inbox = t.openInbox()
      expect(inbox).toHaveLength(1)
      expect(inbox[0]?.kind).toBe('failure')
      expect(inbox[0]?.question).toMatch(/failed 3 times: /)
      if (kind === 'refused' || kind === 'stalled') expect(t.comments.length).toBeLessThanOrEqual(3)
      // The board reads why it waits for a person.
      const card = t.db.prepare("SELECT result FROM tasks WHERE stage = 'backlog'").get() as { result: string }
      expect(card.result).toMatch(/^failed 3 times: /)
    })
  }

  it("a person's Retry gives exactly one more budget; then it stops again", async () => {
    const t = setup('needs-architecture', () => 'error')
    await t.run(DAY / 4)
    expect(t.calls).toHaveLength(3)
    const outcome = await t.engine.retry(1, 7, 'maintainer')
    expect(outcome.stage).toBe('needs-architecture')
    expect(outcome.task).not.toBeNull()
    // The old inbox item is closed by the Retry; the spent new budget opens exactly one more.
    expect(t.openInbox()).toHaveLength(0)
    await t.run(DAY)
    expect(t.calls).toHaveLength(6)
    expect(t.openInbox()).toHaveLength(1)
    const audit = t.db.prepare("SELECT subject FROM events WHERE kind = 'task.retry.person'").all() as Array<{ subject: string }>
    expect(audit).toEqual([{ subject: 'maintainer' }])
    // Nothing to retry while the budget is whole and nothing failed.
    const fresh = setup('backlog', () => 'done')
    await expect(fresh.engine.retry(1, 7, null)).rejects.toThrow(/has not failed/)
  })

  it('a label a person moves gives the stage it lands in a whole budget, and resolves the old failure by itself', async () => {
    const t = setup('backlog', () => 'error')
    await t.run(DAY / 4)
    expect(t.calls).toHaveLength(3)
    expect(t.openInbox()).toHaveLength(1)
    // A person moves it on GitHub; the sync mirrors the label, the reconcile settles.
    t.setLabels(['needs-architecture'])
    await t.run(DAY / 4)
    expect(t.calls.filter((c) => c.trigger.stage === 'needs-architecture')).toHaveLength(3)
    // The backlog failure resolved itself (the issue moved on); only the new one needs a person.
    const inbox = t.openInbox()
    expect(inbox).toHaveLength(1)
    expect(inbox[0]?.question).toMatch(/needs-architecture/)
    // And moved back, backlog starts with a whole budget again.
    t.setLabels(['backlog'])
    await t.run(DAY / 4)
    expect(t.calls.filter((c) => c.trigger.stage === 'backlog')).toHaveLength(6)
  })

  it('a failure whose issue closed meanwhile leaves the inbox by itself', async () => {
    const t = setup('backlog', () => 'error')
    await t.run(DAY / 8)
    expect(t.openInbox()).toHaveLength(1)
    t.db.prepare("UPDATE issues SET state = 'closed' WHERE repo_id = 1 AND number = 7").run()
    await t.run(60_000)
    expect(t.openInbox()).toHaveLength(0)
    const answered = t.db.prepare('SELECT answer FROM requests').get() as { answer: string }
    expect(answered.answer).toMatch(/resolved: #7 was closed/)
  })

  it('two failures then a success: no inbox item, and an open failure of the stage (a fetch that failed) resolves once a later attempt succeeds', async () => {
    const t = setup('backlog', (_t, call) => (call <= 2 ? 'error' : 'done'))
    await t.run(DAY / 8)
    expect(t.calls.filter((c) => c.trigger.stage === 'backlog')).toHaveLength(3)
    expect(t.openInbox()).toHaveLength(0)
    expect(t.tasks()[0]).toEqual({ stage: 'backlog', state: 'applied' })

    // An open failure item of the stage from earlier (e.g. a fetch that failed) is resolved by the success.
    const u = setup('needs-architecture', (_t, call) => (call === 1 ? 'error' : 'done'))
    await u.run(60_000)
    const task = u.db.prepare('SELECT id FROM tasks').get() as { id: string }
    u.db.prepare("INSERT INTO requests (kind, repo_id, issue, task_id, agent, question, created_at) VALUES ('failure', 1, 7, ?, 'architect', 'Could not prepare a workspace', '2026-07-01T00:00:00Z')").run(task.id)
    await u.run(DAY / 8)
    expect(u.openInbox()).toHaveLength(0)
    expect((u.db.prepare('SELECT answer FROM requests').get() as { answer: string }).answer).toMatch(/a later attempt succeeded/)
  })
})

describe('each answer reaches GitHub once, and is paid for once', { timeout: 30_000 }, () => {
  it('an apply GitHub fails twice is applied on the third try: one comment, one usage row', async () => {
    let failures = 2
    const t = setup('backlog', () => 'done', {
      comment: () => (failures-- > 0 ? Promise.reject(new Error('502 Bad Gateway')) : Promise.resolve()),
      backoffMs: () => 0
    })
    await t.run(60_000)
    // The engine applies the same answer again after each failure (its retry timer, 0 ms here).
    for (let i = 0; i < 200 && t.tasks()[0]?.state !== 'applied'; i++) {
      await new Promise((r) => setTimeout(r, 10))
      await t.engine.idle()
    }
    expect(failures).toBeLessThan(0)
    expect(t.tasks()[0]).toEqual({ stage: 'backlog', state: 'applied' })
    const usage = t.db.prepare("SELECT task_id, attempt, answer, cost_usd FROM usage WHERE task_id = (SELECT id FROM tasks WHERE stage = 'backlog')").all()
    expect(usage).toHaveLength(1)
    expect(usage[0]).toMatchObject({ attempt: 1, answer: 1, cost_usd: 0.5 })
    expect(t.comments.filter((c) => c.startsWith('**PM**'))).toHaveLength(1)
  })

  it('the same answer replayed after applying it failed mid-way (as a restart replays its response) adds no usage and no second comment', async () => {
    let down = true
    // GitHub is down for the first apply; its own retry is an hour away (never, in this test).
    const t = setup('backlog', () => 'done', { comment: () => (down ? Promise.reject(new Error('connect ECONNREFUSED')) : Promise.resolve()), backoffMs: () => 3_600_000 })
    await t.engine.tick()
    await t.engine.idle()
    const trigger = t.calls[0]!.trigger
    t.busy.delete(trigger.agent)
    const answer = t.result(trigger, { status: 'done', text: 'triaged', move: { from: 'backlog', to: 'needs-architecture' }, branch: null, handoffs: [], labels: [], body: 'Bug.' })
    await t.engine.handleResult(answer)
    expect(t.tasks()[0]?.state).toBe('running')
    down = false
    await t.engine.handleResult(answer)
    await t.engine.handleResult(answer)
    expect(t.tasks()[0]).toEqual({ stage: 'backlog', state: 'applied' })
    expect((t.db.prepare('SELECT COUNT(*) AS n FROM usage WHERE task_id = ?').get(trigger.task) as { n: number }).n).toBe(1)
    expect(t.comments.filter((c) => c.startsWith('**PM**'))).toHaveLength(1)
  })

  it("a REQUEST, a person's answer, then DONE: two comments, each with its own marker naming attempt and place", async () => {
    const t = setup('backlog', () => 'done')
    const engine = t.engine
    const trigger = () => t.calls.at(-1)!.trigger
    await engine.tick()
    await engine.idle()
    // The first answer asks; the second (after the person's answer) finishes and moves on.
    const first = trigger()
    t.busy.delete(first.agent)
    await engine.handleResult(t.result(first, { status: 'request', text: 'Which browser?', move: null, branch: null, handoffs: [], labels: [], body: '' }))
    const request = t.db.prepare("SELECT id FROM requests WHERE kind = 'request'").get() as { id: number }
    await engine.answer(request.id, 'Firefox')
    await engine.tick()
    await engine.idle()
    const second = trigger()
    expect(second.task).toBe(first.task)
    t.busy.delete(second.agent)
    await engine.handleResult(t.result(second, { status: 'done', text: 'triaged', move: { from: 'backlog', to: 'needs-architecture' }, branch: null, handoffs: [], labels: [], body: 'Bug, normal.' }))
    const pm = t.comments.filter((c) => c.startsWith('**PM**'))
    expect(pm).toHaveLength(2)
    expect(pm[0]).toContain(`<!-- baton:task=${first.task} baton:attempt=${first.attempt} baton:answer=1 baton:role=pm -->`)
    expect(pm[1]).toContain(`<!-- baton:task=${first.task} baton:attempt=${second.attempt} baton:answer=2 baton:role=pm -->`)
    expect(t.comments.some((c) => c.includes(`baton:task=${first.task} baton:request=${request.id} baton:role=person`))).toBe(true)
  })
})
