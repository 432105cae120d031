// Parallel attempts through the real engine (issue #15), its ports faked: a
// real SQLite file, the tick, dispatch, apply and the settling of a group.
// Each attempt's trigger says which attempt it is and names its own branch; a
// Tester runs on each attempt's branch at the same stage; a person's pick
// (pick: person) waits — nothing else starts for the issue meanwhile — and
// then opens the PR from that branch, deletes the other's and moves the issue
// on; when no attempt passes every branch goes, the reports become one note
// and the issue goes back to the Engineer.
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
import { setAttemptSettings, issueAttempts } from '../../../src/main/store/attempts'
import { openDatabase, type Db } from '../../../src/main/store/open'

let db: Db | undefined
afterEach(() => db?.close())

const BASE = 'baton/7-fix-the-thing'

function setup(labels: string[], engineers = 3) {
  db = openDatabase(join(mkdtempSync(join(tmpdir(), 'baton-attempts-')), 'baton.db'))
  const at = '2026-01-01T00:00:00.000Z'
  db.prepare("INSERT INTO repos (id, key, host, api_url, owner, name, default_branch, connected_at) VALUES (1, 'github.com/acme/shop', 'github.com', 'https://api.github.com', 'acme', 'shop', 'main', '2026-06-01T00:00:00.000Z')").run()
  db.prepare("INSERT INTO issues (repo_id, number, title, body, state, author, author_association, labels, created_at, updated_at) VALUES (1, 7, 'Fix the thing', 'A clear body.', 'open', 'maintainer', 'MEMBER', ?, ?, ?)").run(JSON.stringify(labels), at, at)
  const pending: Trigger[] = []
  const all: Trigger[] = []
  const busy = new Set<string>()
  const branches = new Map<string, string>()
  const log = { pushed: [] as string[], deleted: [] as string[], prs: [] as string[], comments: [] as string[], released: [] as string[] }
  const github: GitHubPort = {
    comment: (_r, _i, body) => {
      log.comments.push(body)
      return Promise.resolve(null)
    },
    setLabels: (_r, issue, add, remove) => {
      const row = db!.prepare('SELECT labels FROM issues WHERE repo_id = 1 AND number = ?').get(issue) as { labels: string }
      return Promise.resolve([...(JSON.parse(row.labels) as string[]).filter((l) => !remove.includes(l)), ...add.filter((l) => !remove.includes(l))])
    },
    ensurePullRequest: (_r, head) => {
      log.prs.push(head)
      return Promise.resolve(40 + log.prs.length)
    },
    merge: () => Promise.resolve({ sha: 'abc' }),
    review: () => Promise.resolve(),
    syncNow: () => Promise.resolve(),
    login: () => 'maintainer'
  }
  const workspace: WorkspacePort = {
    prepare: (_r, t) => {
      branches.set(t.id, t.branch)
      return Promise.resolve(`/tmp/w/${t.id}`)
    },
    taskBranch: (_r, id) => Promise.resolve(branches.get(id) ?? null),
    push: (_r, _t, branch) => {
      log.pushed.push(branch)
      return Promise.resolve()
    },
    release: (_r, id) => {
      log.released.push(id)
      return Promise.resolve()
    },
    removeIssue: () => Promise.resolve(),
    deleteBranch: (_r, branch) => {
      log.deleted.push(branch)
      return Promise.resolve({ local: true, remote: true })
    }
  }
  const roles = ['pm', 'architect', 'engineer', 'tester']
  const instances: Record<string, string[]> = { engineer: ['engineer', 'engineer-2', 'engineer-3'].slice(0, engineers), tester: ['tester', 'tester-2'], pm: ['pm'], architect: ['architect'] }
  const engine = new PipelineEngine({
    db,
    events: new EventHub(),
    log: createLogger({ level: 'error', write: () => undefined }),
    pool: {
      idle: () => new Map(roles.map((r) => [r, (instances[r] ?? []).filter((a) => !busy.has(a))])),
      roles: () => roles,
      dispatch: (trigger) => {
        busy.add(trigger.agent)
        pending.push(trigger)
        all.push(trigger)
      },
      cancel: (agent) => busy.delete(agent)
    },
    github,
    workspace,
    pipeline: () => defaultPipeline,
    settings: () => DEFAULT_SETTINGS,
    waits: new Map()
  })
  const settle = async () => {
    for (let i = 0; i < 4; i++) {
      await engine.tick()
      await engine.idle()
    }
  }
  /** Answers the pending trigger for which `pick` says what to answer. */
  const answer = async (pick: (t: Trigger) => boolean, how: Partial<AgentAnswer> & { cost?: number }) => {
    const i = pending.findIndex(pick)
    if (i < 0) throw new Error(`no pending trigger matches; pending: ${pending.map((t) => `${t.role}:${t.branch}`).join(', ')}`)
    const [trigger] = pending.splice(i, 1) as [Trigger]
    busy.delete(trigger.agent)
    const a: AgentAnswer = { status: 'done', text: 'finished', move: null, branch: null, handoffs: [], labels: [], body: '', ...how }
    const result: AgentResult = {
      agent: trigger.agent,
      task: trigger.task,
      attempt: trigger.attempt,
      answer: a,
      raw: `TASK: ${trigger.task}\nDONE: ${a.text}\n`,
      usage: { inputTokens: 100, outputTokens: 10, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: how.cost ?? 0.1 },
      sessionId: null,
      provider: 'command',
      model: null
    }
    await engine.handleResult(result)
    await settle()
  }
  const engineer = (index: number) => (t: Trigger) => t.role === 'engineer' && t.parallel?.index === index
  const tester = (branch: string) => (t: Trigger) => t.role === 'tester' && t.branch === branch
  const implemented = (t: Trigger): Partial<AgentAnswer> => ({ move: { from: 'in-progress', to: 'needs-testing' }, branch: t.branch ?? null, text: `attempt ${t.parallel?.index}` })
  const labelsNow = () => JSON.parse((db!.prepare('SELECT labels FROM issues WHERE number = 7').get() as { labels: string }).labels) as string[]
  return { engine, db: db!, pending, all, log, settle, answer, engineer, tester, implemented, labelsNow }
}

describe('parallel attempts in the engine', { timeout: 30_000 }, () => {
  it("each attempt's trigger names its place and its own branch; with pick: person the issue waits for the pick, then the pick becomes the PR", async () => {
    const t = setup(['in-progress'])
    setAttemptSettings(t.db, 1, { attempts: 2, pick: 'person', providers: ['codex:gpt-5', 'builtin'] })
    await t.settle()
    const engineers = t.all.filter((x) => x.role === 'engineer')
    expect(engineers.map((x) => [x.parallel, x.branch])).toEqual([
      [{ index: 1, of: 2, provider: 'codex', model: 'gpt-5' }, BASE],
      [{ index: 2, of: 2, provider: 'builtin' }, `${BASE}-a2`]
    ])
    expect(engineers[1]!.instructions).toContain('You are attempt 2 of 2')

    for (const i of [1, 2]) await t.answer(t.engineer(i), t.implemented(engineers[i - 1]!))
    // Pushed, no PR yet, the issue still in progress; a Tester on each attempt's branch at the same stage.
    expect(t.log.pushed).toEqual([BASE, `${BASE}-a2`])
    expect(t.log.prs).toEqual([])
    expect(t.labelsNow()).toEqual(['in-progress'])
    const testers = t.all.filter((x) => x.role === 'tester')
    expect(testers.map((x) => [x.stage, x.branch, x.parallel?.index])).toEqual([
      ['in-progress', BASE, 1],
      ['in-progress', `${BASE}-a2`, 2]
    ])
    expect(testers[0]!.instructions).toContain(`If they pass: LABEL-UPDATED: in-progress --> needs-review. If they fail: LABEL-UPDATED: in-progress --> ready-for-dev`)

    await t.answer(t.tester(BASE), { move: { from: 'in-progress', to: 'needs-review' }, text: 'Tests pass' })
    await t.answer(t.tester(`${BASE}-a2`), { move: { from: 'in-progress', to: 'needs-review' }, text: 'Tests pass too' })
    expect(issueAttempts(t.db, 1, 7)).toMatchObject({ state: 'choosing', summary: '2 attempts: 2 passed' })
    // Nothing else starts while the person picks, however often the engine ticks.
    const before = t.all.length
    await t.settle()
    expect(t.all.length).toBe(before)
    expect(t.log.prs).toEqual([])

    await expect(t.engine.pickAttempt(1, 7, 3)).rejects.toThrow('#7 has no attempt 3 (it has 2).')
    await t.engine.pickAttempt(1, 7, 2, 'maintainer')
    await t.settle()
    expect(t.log.prs).toEqual([`${BASE}-a2`])
    expect(t.log.deleted).toEqual([BASE])
    expect(t.labelsNow()).toEqual(['needs-testing'])
    expect(t.log.comments.at(-1)).toContain('2 attempts: 2 passed. Attempt 2 (`baton/7-fix-the-thing-a2`) was picked and becomes the pull request #41')
    await expect(t.engine.pickAttempt(1, 7, 1)).rejects.toThrow('#7 has no attempts waiting for a pick.')
    // The Tester at needs-testing works on the PR's branch: the winner's.
    expect(t.all.at(-1)).toMatchObject({ role: 'tester', stage: 'needs-testing', branch: `${BASE}-a2` })
    expect(t.all.at(-1)!.parallel).toBeUndefined()
  })

  it('the label wins over the setting; when no attempt passes, every branch goes, one test-report note, and the issue goes back to the Engineer', async () => {
    const t = setup(['in-progress', 'attempts:2'])
    setAttemptSettings(t.db, 1, { attempts: 4, pick: 'first', providers: [] })
    await t.settle()
    const engineers = t.all.filter((x) => x.role === 'engineer')
    expect(engineers.map((x) => x.branch)).toEqual([BASE, `${BASE}-a2`])
    expect(engineers[0]!.parallel).toEqual({ index: 1, of: 2 })
    await t.answer(t.engineer(1), t.implemented(engineers[0]!))
    await t.answer(t.engineer(2), t.implemented(engineers[1]!))
    await t.answer(t.tester(BASE), { move: { from: 'in-progress', to: 'ready-for-dev' }, text: 'Tests fail: npm test exited with code 1' })
    // One failed, one still testing: nothing decided yet.
    expect(issueAttempts(t.db, 1, 7)).toMatchObject({ state: 'running', summary: '2 attempts: 1 failed, 1 running' })
    expect(t.labelsNow()).toEqual(['in-progress', 'attempts:2'])
    await t.answer(t.tester(`${BASE}-a2`), { move: null, text: 'No verdict' })
    expect(t.log.deleted.sort()).toEqual([BASE, `${BASE}-a2`])
    expect(t.log.prs).toEqual([])
    expect(t.labelsNow()).toEqual(['attempts:2', 'ready-for-dev'])
    const note = t.db.prepare("SELECT body FROM notes WHERE kind = 'test-report'").get() as { body: string }
    expect(note.body).toContain('No attempt passed.')
    expect(note.body).toContain('Tests fail: npm test exited with code 1')
    expect(t.db.prepare("SELECT COUNT(*) AS n FROM events WHERE kind = 'stage.loop'").get()).toEqual({ n: 1 })
    expect(issueAttempts(t.db, 1, 7)?.state).toBe('failed')
    // Both attempts' costs are the issue's (0.1 for each Engineer and each Tester).
    expect((t.db.prepare('SELECT ROUND(SUM(cost_usd), 2) AS usd FROM usage WHERE issue = 7').get() as { usd: number }).usd).toBe(0.4)
  })
})

describe('parallel attempts that never reach a Tester', { timeout: 30_000 }, () => {
  it("a person's Stop of each attempt removes their branches but sends nothing back: the stage waits for Retry", async () => {
    const t = setup(['in-progress', 'attempts:2'])
    await t.settle()
    expect(t.all.filter((x) => x.role === 'engineer')).toHaveLength(2)
    await t.engine.stop(1, 7, 'maintainer')
    await t.engine.stop(1, 7, 'maintainer')
    await t.settle()
    expect(issueAttempts(t.db, 1, 7)).toMatchObject({ state: 'failed', summary: '2 attempts: 2 failed' })
    expect(t.log.deleted.sort()).toEqual([BASE, `${BASE}-a2`])
    expect(t.labelsNow()).toEqual(['in-progress', 'attempts:2'])
    expect(t.db.prepare("SELECT COUNT(*) AS n FROM notes WHERE kind = 'test-report'").get()).toEqual({ n: 0 })
    // Held for the person (the Stop spent the stage's budget): no new round starts by itself.
    const before = t.all.length
    await t.settle()
    expect(t.all.length).toBe(before)
  })
})

describe('more attempts than instances', { timeout: 30_000 }, () => {
  it("the engineer role's instances bound how many run at once: the others queue and start as one comes free", async () => {
    const t = setup(['in-progress', 'attempts:3'], 2)
    await t.settle()
    const first = t.all.filter((x) => x.role === 'engineer')
    expect(first.map((x) => x.parallel?.index)).toEqual([1, 2])
    expect(issueAttempts(t.db, 1, 7)?.summary).toBe('3 attempts: 3 running')
    await t.answer(t.engineer(1), t.implemented(first[0]!))
    const now = t.all.filter((x) => x.role === 'engineer')
    expect(now.map((x) => [x.parallel?.index, x.branch])).toEqual([
      [1, BASE],
      [2, `${BASE}-a2`],
      [3, `${BASE}-a3`]
    ])
    expect(now[2]!.agent).toBe(first[0]!.agent)
  })
})

describe('an issue with an open PR already', { timeout: 30_000 }, () => {
  it('gets one Engineer on its PR branch, not a round of attempts (one PR per issue)', async () => {
    const t = setup(['in-progress', 'attempts:3'])
    t.db.prepare("INSERT INTO pulls (repo_id, number, issue, title, state, merged, head, base, head_sha, author, created_at, updated_at) VALUES (1, 40, 7, 'Fix the thing (#7)', 'open', 0, ?, 'main', 'abc123', 'maintainer', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')").run(BASE)
    await t.settle()
    expect(t.all.map((x) => [x.role, x.branch, x.parallel])).toEqual([['engineer', BASE, undefined]])
    expect(issueAttempts(t.db, 1, 7)).toBeNull()
  })
})
