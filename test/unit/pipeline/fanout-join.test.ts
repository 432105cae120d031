// The fan-out's join (pipeline/fanout.ts): the default join's rules, a join
// registered per stage, and a round that survives a restart of main — its
// children in SQLite, the parent left running by resume(), the join finished
// by the next engine's tick and applied once.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { DEFAULT_SETTINGS } from '../../../src/shared/api'
import type { Trigger } from '../../../src/shared/protocol/trigger'
import { EventHub } from '../../../src/main/events'
import { createLogger } from '../../../src/main/log'
import { checkPipeline } from '../../../src/main/pipeline/definition'
import type { AgentAnswer } from '../../../src/main/pipeline/effects'
import { PipelineEngine } from '../../../src/main/pipeline/engine'
import { defaultJoin, registerJoin, type FanoutChild, type JoinInput } from '../../../src/main/pipeline/fanout'
import type { AgentPresence, GitHubPort } from '../../../src/main/pipeline/ports'
import { board } from '../../../src/main/store/board'
import { openDatabase, type Db } from '../../../src/main/store/open'

let db: Db | undefined
afterEach(() => db?.close())

const done = (text: string, move: AgentAnswer['move'] = null): AgentAnswer => ({ status: 'done', text, move, branch: null, handoffs: [], labels: [], body: `${text} in full` })
const child = (index: number, agent: string, answer: AgentAnswer | null, reason: string | null = null): FanoutChild => ({
  index,
  of: 3,
  task: `t_${agent}`,
  agent,
  role: agent,
  outcome: answer ? 'answered' : 'missing',
  answer,
  reason,
  usage: null
})
const stage = { label: 'needs-code-review', owner: null, title: 'Code review', description: '', color: 'ededed', next: ['needs-review'], capability: 'review', route: 'all' as const }
const input = (children: FanoutChild[]) => ({ children, stage }) as unknown as JoinInput
const move = { from: 'needs-code-review', to: 'needs-review' }

describe('the default join', () => {
  it('every child DONE: the move they agree on (one asking none agrees), every answer in one body', () => {
    const out = defaultJoin(input([child(1, 'lint', done('clean', move)), child(2, 'sec', done('no keys')), child(3, 'tests', done('tested', move))])) as AgentAnswer
    expect(out).toMatchObject({ status: 'done', text: '3 of 3 agents that can review answered', move })
    expect(out.body).toBe('### lint (1 of 3): DONE: clean\n\nclean in full\n\n### sec (2 of 3): DONE: no keys\n\nno keys in full\n\n### tests (3 of 3): DONE: tested\n\ntested in full')
  })
  it('a child missing or not DONE: an ERROR naming each', () => {
    const error: AgentAnswer = { ...done('tsc crashed'), status: 'error' }
    const out = defaultJoin(input([child(1, 'lint', error), child(2, 'sec', null, 'the agent crashed (signal SIGKILL)'), child(3, 'tests', done('ok', move))])) as AgentAnswer
    expect(out.status).toBe('error')
    expect(out.text).toBe('2 of 3 agents that can review did not finish: lint answered ERROR: tsc crashed; sec is missing (the agent crashed (signal SIGKILL))')
    expect(out.move).toBeNull()
  })
  it('children asking different moves: an ERROR naming who asked what', () => {
    const back = { from: 'needs-code-review', to: 'in-progress' }
    const out = defaultJoin(input([child(1, 'lint', done('clean', move)), child(2, 'sec', done('key found', back))])) as AgentAnswer
    expect(out).toMatchObject({ status: 'error', text: 'the agents that can review ask for different moves (lint: needs-code-review --> needs-review; sec: needs-code-review --> in-progress)' })
  })
  it('refuses a join name outside the alphabet', () => {
    expect(() => registerJoin('Bad Name', defaultJoin)).toThrow(/a join is named in lowercase letters/)
  })
})

const stagesOf = (join?: string) => ({
  stages: [
    { label: 'in-progress', owner: 'engineer', next: ['needs-code-review'] },
    { label: 'needs-code-review', capability: 'review', route: 'all', workspace: 'none', ...(join ? { join } : {}), next: ['needs-review', 'in-progress'] },
    { label: 'needs-review', next: ['done'] },
    { label: 'done' }
  ]
})

/** One issue at needs-code-review, three reviewers online; agents answer when told. */
function world(file: string, join?: string, maxAttempts?: number) {
  const pipeline = checkPipeline(stagesOf(join), 'test')
  const comments: Array<{ body: string; marker: string }> = []
  const dispatched: Trigger[] = []
  const busy = new Set<string>()
  const cancelled: string[] = []
  let commentFails = false
  const reviewers = ['lint', 'sec', 'tests']
  const build = (database: Db) => {
    const github: GitHubPort = {
      async comment(_r, _i, body, marker) {
        if (commentFails) throw new Error('GitHub is down')
        if (!comments.some((c) => c.marker === marker)) comments.push({ body, marker })
      },
      setLabels: (_r, issue, add, remove) => {
        const row = database.prepare('SELECT labels FROM issues WHERE repo_id = 1 AND number = ?').get(issue) as { labels: string }
        return Promise.resolve([...(JSON.parse(row.labels) as string[]).filter((l) => !remove.includes(l)), ...add.filter((l) => !remove.includes(l))])
      },
      ensurePullRequest: () => Promise.resolve(1),
      merge: () => Promise.resolve({ sha: 'abc' }),
      review: () => Promise.resolve(),
      syncNow: () => Promise.resolve(),
      login: () => 'maintainer'
    }
    return new PipelineEngine({
      db: database,
      events: new EventHub(),
      log: createLogger({ level: 'error', write: () => undefined }),
      pool: {
        idle: () => new Map(reviewers.filter((r) => !busy.has(r)).map((r) => [r, [r]])),
        roles: () => [...reviewers, 'engineer'],
        presence: (): AgentPresence[] => reviewers.map((r) => ({ agent: r, role: r, capabilities: ['review'], priority: 0, online: true })),
        capabilitiesOf: () => ['review'],
        dispatch: (trigger) => {
          busy.add(trigger.agent)
          dispatched.push(trigger)
        },
        cancel: (agent) => {
          busy.delete(agent)
          cancelled.push(agent)
        },
        // The files hand a child over when it was dispatched; a parent has none (it has no agent).
        handedOver: (agent, task) => dispatched.some((t) => t.agent === agent && t.task === task)
      },
      github,
      workspace: { prepare: () => Promise.resolve('/nowhere'), push: () => Promise.resolve(), release: () => Promise.resolve(), removeIssue: () => Promise.resolve() },
      pipeline: () => pipeline,
      settings: () => DEFAULT_SETTINGS,
      waits: new Map(),
      // A failed apply waits far longer than the test: the restart is what finishes it.
      backoffMs: () => 3_600_000,
      ...(maxAttempts ? { maxAttempts } : {})
    })
  }
  db = openDatabase(file)
  db.prepare("INSERT INTO repos (id, key, host, api_url, owner, name, default_branch, connected_at) VALUES (1, 'github.com/acme/shop', 'github.com', 'https://api.github.com', 'acme', 'shop', 'main', '2026-06-01T00:00:00.000Z')").run()
  db.prepare("INSERT INTO issues (repo_id, number, title, body, state, author, author_association, labels, created_at, updated_at) VALUES (1, 7, 'Review it', 'Body.', 'open', 'maintainer', 'MEMBER', '[\"needs-code-review\"]', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')").run()
  const answer = (engine: PipelineEngine, trigger: Trigger, a: AgentAnswer) => {
    busy.delete(trigger.agent)
    return engine.handleResult({ agent: trigger.agent, task: trigger.task, attempt: trigger.attempt, answer: a, raw: `TASK: ${trigger.task}\nDONE: ${a.text}\n`, usage: { inputTokens: 10, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0.01 }, sessionId: null, provider: 'command', model: null })
  }
  return { build, comments, dispatched, cancelled, answer, setCommentFails: (v: boolean) => (commentFails = v) }
}

describe('a round in SQLite', () => {
  it('survives a restart: the next engine leaves the parent running, joins the round and applies it once', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'baton-fanout-')), 'baton.db')
    const w = world(file)
    const first = w.build(db!)
    await first.tick()
    await first.idle()
    expect(w.dispatched.map((t) => [t.agent, t.fanout?.index, t.fanout?.of])).toEqual([
      ['lint', 1, 3],
      ['sec', 2, 3],
      ['tests', 3, 3]
    ])
    // GitHub fails as the joined answer is applied: main stops with every child answered and the parent still running.
    w.setCommentFails(true)
    for (const trigger of w.dispatched) await w.answer(first, trigger, done(`${trigger.agent} ok`, move))
    await new Promise((r) => setTimeout(r, 50))
    const parent = db!.prepare("SELECT id, state, attempt FROM tasks WHERE role = '@review'").get() as { id: string; state: string; attempt: number }
    expect(parent.state).toBe('running')
    expect(w.comments).toHaveLength(0)
    db!.close()

    // A new main on the same file: resume() must not queue the parent (it has no trigger), the tick's sweep joins.
    db = openDatabase(file)
    w.setCommentFails(false)
    const second = w.build(db)
    await second.resume()
    await second.idle()
    expect((db.prepare('SELECT state, attempt FROM tasks WHERE id = ?').get(parent.id) as { state: string; attempt: number }).state).not.toBe('queued')
    await second.tick()
    await second.idle()
    expect(db.prepare('SELECT state FROM tasks WHERE id = ?').get(parent.id)).toEqual({ state: 'applied' })
    expect(w.comments).toHaveLength(1)
    expect(w.comments[0]!.marker).toBe(`<!-- baton:task=${parent.id} baton:attempt=1 baton:answer=1 baton:role=@review -->`)
    expect(JSON.parse((db.prepare('SELECT labels FROM issues WHERE number = 7').get() as { labels: string }).labels)).toEqual(['needs-review'])
    // Each child's usage once; no child dispatched again.
    expect((db.prepare('SELECT COUNT(*) AS n FROM usage WHERE issue = 7').get() as { n: number }).n).toBe(3)
    expect(w.dispatched).toHaveLength(3)
  })

  it("a failed round, then a person's Retry: a new round (round 2, though the parent's attempts start again at 1) joins only its own children", async () => {
    const w = world(join(mkdtempSync(join(tmpdir(), 'baton-fanout-')), 'baton.db'), undefined, 1)
    const engine = w.build(db!)
    await engine.tick()
    await engine.idle()
    const back = { from: 'needs-code-review', to: 'in-progress' }
    // They disagree: the join's ERROR spends the stage's one attempt, and the parent fails.
    for (const trigger of w.dispatched) await w.answer(engine, trigger, done(`${trigger.agent} says`, trigger.agent === 'sec' ? back : move))
    await engine.idle()
    const parent = db!.prepare("SELECT id, state, result FROM tasks WHERE role = '@review'").get() as { id: string; state: string; result: string }
    expect(parent.state).toBe('failed')
    expect(parent.result).toMatch(/ask for different moves/)
    expect(w.comments).toHaveLength(0)
    const outcome = await engine.retry(1, 7, 'maintainer')
    expect(outcome.task).toBe(parent.id)
    await engine.tick()
    await engine.idle()
    const second = w.dispatched.slice(3)
    expect(second.map((t) => [t.agent, t.fanout?.parent, t.attempt])).toEqual([
      ['lint', parent.id, 1],
      ['sec', parent.id, 1],
      ['tests', parent.id, 1]
    ])
    expect(new Set(second.map((t) => t.task)).size).toBe(3)
    expect(second.some((t) => w.dispatched.slice(0, 3).some((f) => f.task === t.task))).toBe(false)
    for (const trigger of second) await w.answer(engine, trigger, done(`${trigger.agent} again`, move))
    await engine.idle()
    expect(db!.prepare('SELECT state FROM tasks WHERE id = ?').get(parent.id)).toEqual({ state: 'applied' })
    const rounds = db!.prepare('SELECT parent_attempt AS round, COUNT(*) AS n FROM tasks WHERE parent_task = ? GROUP BY parent_attempt').all(parent.id)
    expect(rounds).toEqual([
      { round: 1, n: 3 },
      { round: 2, n: 3 }
    ])
    expect(w.comments).toHaveLength(1)
    expect(w.comments[0]!.body.match(/### /g)).toHaveLength(3)
    expect(w.comments[0]!.body).toContain('lint again')
    expect(w.comments[0]!.body).not.toContain('lint says')
  })

  it("a person's Stop stops the fan-out whole: the parent held for Retry, every running child cancelled, a late answer ignored", async () => {
    const w = world(join(mkdtempSync(join(tmpdir(), 'baton-fanout-')), 'baton.db'))
    const engine = w.build(db!)
    await engine.tick()
    await engine.idle()
    await w.answer(engine, w.dispatched[0]!, done('lint says', move))
    const stopped = await engine.stop(1, 7, 'maintainer')
    const parent = db!.prepare("SELECT id, state, result FROM tasks WHERE role = '@review'").get() as { id: string; state: string; result: string }
    expect(stopped.task).toBe(parent.id)
    expect(parent).toMatchObject({ state: 'failed', result: 'stopped by maintainer (Retry runs it again)' })
    expect(w.cancelled.sort()).toEqual(['sec', 'tests'])
    expect(db!.prepare('SELECT agent, state FROM tasks WHERE parent_task = ? ORDER BY fanout_index').all(parent.id)).toEqual([
      { agent: 'lint', state: 'applied' },
      { agent: 'sec', state: 'cancelled' },
      { agent: 'tests', state: 'cancelled' }
    ])
    await w.answer(engine, w.dispatched[1]!, done('sec says late', move))
    await engine.tick()
    await engine.idle()
    expect(db!.prepare('SELECT state FROM tasks WHERE id = ?').get(parent.id)).toEqual({ state: 'failed' })
    expect(w.comments).toHaveLength(0)
    expect(w.dispatched).toHaveLength(3)
  })

  it('a stage picks its join by name; the join sees every child and its answer is what applies', async () => {
    const seen: FanoutChild[][] = []
    registerJoin('count-test', ({ children }) => {
      seen.push([...children])
      return { status: 'done', text: `joined ${children.length}`, move, branch: null, handoffs: [], labels: [], body: 'One review.' }
    })
    const w = world(join(mkdtempSync(join(tmpdir(), 'baton-fanout-')), 'baton.db'), 'count-test')
    const engine = w.build(db!)
    await engine.tick()
    await engine.idle()
    // Two answered, one still working: the card shows the fan-out at work (its parent), not the newest child's end.
    for (const trigger of w.dispatched.slice(0, 2)) await w.answer(engine, trigger, done(`${trigger.agent} says`))
    await engine.idle()
    const ctx = { pipeline: () => checkPipeline(stagesOf('count-test'), 'test'), waits: new Map<string, string>() }
    expect(board(db!, {}, ctx).find((c) => c.number === 7)).toMatchObject({ activity: 'working', agent: '@review' })
    expect(board(db!, { number: 7 }, ctx)[0]).toMatchObject({ activity: 'working', agent: '@review' })
    await w.answer(engine, w.dispatched[2]!, done('tests says'))
    await engine.idle()
    expect(seen).toHaveLength(1)
    expect(seen[0]!.map((c) => [c.agent, c.outcome, c.answer?.text])).toEqual([
      ['lint', 'answered', 'lint says'],
      ['sec', 'answered', 'sec says'],
      ['tests', 'answered', 'tests says']
    ])
    expect(w.comments.map((c) => c.body.split('\n\n')[1])).toEqual(['One review.'])
  })
})
