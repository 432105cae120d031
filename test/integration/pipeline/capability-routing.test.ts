// Capability routing end to end (issue #15, DESIGN.md §4), with the real
// runtime: role folders on disk (role.yml `capabilities:` read by the real
// loader), one real runner process per instance (`command` provider:
// test/fixtures/agents/capable-agent.mjs), heartbeats over the IPC channel,
// SQLite, real git worktrees from a bare repository; GitHub is an in-memory
// port (what was commented and moved is all these tests read of it).
// - a stage owned by a capability no online instance has waits and says so;
// - `route: any` gives the issue to the free capable instance of highest priority;
// - an instance whose heartbeat stops (SIGSTOP) gets no new work within two beats;
// - `route: all` makes a child per capable instance, each in its own worktree
//   at the PR's head, and joins them into one answer, applied once;
// - a child whose agent dies is replaced by a capable instance that came
//   online since, or reported missing by the join.
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { DEFAULT_SETTINGS } from '../../../src/shared/api'
import { EventHub } from '../../../src/main/events'
import { createLogger } from '../../../src/main/log'
import { checkPipeline, type Pipeline } from '../../../src/main/pipeline/definition'
import type { GitHubPort } from '../../../src/main/pipeline/ports'
import { startRuntime, type Runtime } from '../../../src/main/runtime'
import { Supervisor } from '../../../src/main/agents/supervisor'
import { openDatabase, type Db } from '../../../src/main/store/open'

const runnerCmd = { execPath: process.execPath, args: ['--import', 'tsx', join(process.cwd(), 'agents/runner.ts')] }
const fixture = join(process.cwd(), 'test/fixtures/agents/capable-agent.mjs')
const HEARTBEAT_MS = 300

interface Env {
  dir: string
  control: string
  db: Db
  runtime: Runtime
  comments: Array<{ issue: number; body: string; marker: string }>
}
let env: Env | null = null
afterEach(async () => {
  await env?.runtime.stop()
  env?.db.close()
  env = null
})

const gitEnv = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' }
const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.test', ...args], { cwd, env: gitEnv, encoding: 'utf8' }).trim()

/** A bare repository with main and the PR branch of #4 ("Review me"), whose head the fan-out's worktrees must check out. */
function remote(dir: string): { bare: string; head: string } {
  const work = join(dir, 'work')
  mkdirSync(work)
  git(work, 'init', '--quiet', '-b', 'main')
  writeFileSync(join(work, 'a.txt'), 'one\n')
  git(work, 'add', '.')
  git(work, 'commit', '--quiet', '-m', 'one')
  git(work, 'checkout', '--quiet', '-b', 'baton/4-review-me')
  writeFileSync(join(work, 'a.txt'), 'two\n')
  git(work, 'commit', '--quiet', '-am', 'two')
  const head = git(work, 'rev-parse', 'HEAD')
  const bare = join(dir, 'remote.git')
  git(dir, 'clone', '--quiet', '--bare', work, bare)
  return { bare, head }
}

function start(
  roles: Record<string, { capabilities?: string[]; priority?: number; instances?: number }>,
  stage: Record<string, unknown>,
  issues: Array<{ number: number; title: string; stage: string }>,
  holds: string[] = []
): Env {
  const dir = mkdtempSync(join(tmpdir(), 'baton-cap-'))
  const control = join(dir, 'control')
  mkdirSync(control)
  for (const agent of holds) writeFileSync(join(control, `hold-${agent}`), '')
  const agentsDir = join(dir, 'agents')
  for (const [name, r] of Object.entries(roles)) {
    mkdirSync(join(agentsDir, name), { recursive: true })
    writeFileSync(join(agentsDir, name, 'role.md'), `You are ${name}. Answer with the protocol: DONE, REQUEST or ERROR.`)
    writeFileSync(
      join(agentsDir, name, 'role.yml'),
      [
        'provider: command',
        `command: ${process.execPath} ${fixture} ${control}`,
        `capabilities: [${(r.capabilities ?? []).join(', ')}]`,
        `priority: ${r.priority ?? 0}`,
        `instances: ${r.instances ?? 1}`,
        'timeLimitSec: 120'
      ].join('\n')
    )
  }
  const pipeline: Pipeline = checkPipeline(
    {
      stages: [
        { label: 'in-progress', owner: 'engineer', next: ['needs-code-review'] },
        { label: 'needs-code-review', ...stage, next: ['needs-review', 'in-progress'] },
        { label: 'needs-review', next: ['done'] },
        { label: 'done' }
      ]
    },
    'test'
  )
  const db = openDatabase(join(dir, 'baton.db'))
  const at = '2026-01-01T00:00:00.000Z'
  db.prepare("INSERT INTO repos (id, key, host, api_url, owner, name, default_branch, connected_at) VALUES (1, 'github.com/acme/shop', 'github.com', 'https://api.github.com', 'acme', 'shop', 'main', '2026-06-01T00:00:00.000Z')").run()
  for (const issue of issues) {
    db.prepare("INSERT INTO issues (repo_id, number, title, body, state, author, author_association, labels, created_at, updated_at) VALUES (1, ?, ?, 'Body.', 'open', 'maintainer', 'MEMBER', ?, ?, ?)").run(
      issue.number,
      issue.title,
      JSON.stringify([issue.stage]),
      at,
      at
    )
  }
  const comments: Env['comments'] = []
  const github: GitHubPort = {
    async comment(_repo, issue, body, marker) {
      if (!comments.some((c) => c.marker === marker)) comments.push({ issue, body, marker })
      return null
    },
    async setLabels(_repo, issue, add, remove) {
      const row = db.prepare('SELECT labels FROM issues WHERE repo_id = 1 AND number = ?').get(issue) as { labels: string }
      return [...(JSON.parse(row.labels) as string[]).filter((l) => !remove.includes(l)), ...add.filter((l) => !remove.includes(l))]
    },
    ensurePullRequest: () => Promise.resolve(9),
    merge: () => Promise.resolve({ sha: 'x' }),
    review: () => Promise.resolve(),
    syncNow: () => Promise.resolve(),
    login: () => 'maintainer'
  }
  const { bare } = remote(dir)
  const runtime = startRuntime({
    db,
    dataDir: dir,
    events: new EventHub(),
    log: createLogger({ level: 'error', write: () => undefined }),
    github: { port: () => github, cloneUrl: () => `file://${bare}`, token: () => null },
    settings: () => ({ ...DEFAULT_SETTINGS, parallelPrs: true }),
    agentsDir,
    runner: runnerCmd,
    env: { ...process.env, ...gitEnv },
    tickMs: 200,
    // A long stall time: an instance that stops beating must lose new work by its heartbeat's age, long before the watchdog restarts it.
    timing: { heartbeatMs: HEARTBEAT_MS, stallMs: 60_000, backoffMs: () => 200 },
    pipeline: () => pipeline
  })
  env = { dir, control, db, runtime, comments }
  return env
}

async function until<T>(what: string, probe: () => T | undefined | null | false, state: () => unknown, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const value = probe()
    if (value) return value
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; state: ${JSON.stringify(state(), null, 1)}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

interface TaskView {
  id: string
  issue: number
  role: string
  agent: string | null
  state: string
  result: string | null
  parent_task: string | null
  fanout_index: number | null
  fanout_of: number | null
}
const tasks = (e: Env, issue: number) => e.db.prepare('SELECT id, issue, role, agent, state, result, parent_task, fanout_index, fanout_of FROM tasks WHERE issue = ? ORDER BY created_at, rowid').all(issue) as TaskView[]
const labels = (e: Env, issue: number) => JSON.parse((e.db.prepare('SELECT labels FROM issues WHERE number = ?').get(issue) as { labels: string }).labels) as string[]
const online = (e: Env, agent: string) => e.runtime.supervisor.presence().find((p) => p.agent === agent)
const allOnline = (e: Env, ...agents: string[]) => agents.every((a) => online(e, a)?.online && online(e, a)?.capabilities.length !== undefined)
const stateOf = (e: Env, issue: number) => () => ({ tasks: tasks(e, issue), labels: labels(e, issue), waits: [...e.runtime.waits], agents: e.runtime.supervisor.presence(), comments: e.comments.length })

describe('capability routing', () => {
  it('a stage owned by a capability no online instance has waits, and says so', async () => {
    const e = start({ engineer: {} }, { capability: 'review', workspace: 'none' }, [{ number: 1, title: 'Review me', stage: 'needs-code-review' }])
    await until('the engineer to beat', () => allOnline(e, 'engineer'), stateOf(e, 1))
    await e.runtime.engine.tick()
    const reason = await until('the wait reason', () => e.runtime.waits.get('1#1'), stateOf(e, 1))
    expect(reason).toBe('waits for an online agent that can review')
    expect(tasks(e, 1)).toEqual([])
  }, 90_000)

  it('an instance that never speaks is waited for as starting only on its first start, within the stall time, and is never online', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-mute-'))
    // A "runner" that never sends ready or a heartbeat.
    const s = new Supervisor({
      ipcDir: join(dir, 'ipc'),
      roles: [{ name: 'mute', prompt: '', settings: { provider: 'builtin', timeLimitSec: 30, maxOutputBytes: 1000, instances: 1, capabilities: ['review'] } }],
      runner: { execPath: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'] },
      heartbeatMs: HEARTBEAT_MS,
      stallMs: 2000,
      watchdogMs: 100,
      restartDelayMs: () => 100
    })
    s.start()
    try {
      expect(s.presence()[0]).toMatchObject({ agent: 'mute', starting: true, online: false, declared: ['review'], capabilities: [] })
      // The watchdog stops it after the stall time and starts it again: silent again, it is no longer waited for.
      await until('mute restarted', () => (s.list()[0]?.restarts ?? 0) >= 1 && s.list()[0]?.pid, () => s.list())
      expect(s.presence()[0]).toMatchObject({ starting: false, online: false, capabilities: [] })
    } finally {
      await s.stop()
    }
  }, 60_000)

  it('route any: the free capable instance of highest priority; one whose heartbeat stops gets no new work within two beats', async () => {
    const e = start({ lint: { capabilities: ['review'] }, sec: { capabilities: ['review', 'security'], priority: 5 } }, { capability: 'review', route: 'any', workspace: 'none' }, [
      { number: 2, title: 'First', stage: 'in-progress' },
      { number: 3, title: 'Second', stage: 'in-progress' }
    ])
    await until('both reviewers to advertise review', () => ['lint', 'sec'].every((a) => online(e, a)?.online && online(e, a)?.capabilities.includes('review')), stateOf(e, 2))
    expect(online(e, 'sec')?.capabilities).toEqual(['review', 'security'])
    e.db.prepare('UPDATE issues SET labels = ? WHERE number = 2').run(JSON.stringify(['needs-code-review']))
    await e.runtime.engine.tick()
    const first = await until('#2 to be applied', () => tasks(e, 2).find((t) => t.state === 'applied'), stateOf(e, 2))
    expect(first).toMatchObject({ role: 'sec', agent: 'sec' })
    expect(labels(e, 2)).toEqual(['needs-review'])
    expect(e.comments.filter((c) => c.issue === 2)).toHaveLength(1)

    // sec stops beating: within two beats it is offline (the watchdog's 60 s stall is far off), and #3 goes to lint.
    const pid = e.runtime.supervisor.list().find((a) => a.name === 'sec')?.pid as number
    process.kill(pid, 'SIGSTOP')
    const stoppedAt = Date.now()
    try {
      await until('sec to be offline', () => online(e, 'sec')?.online === false, stateOf(e, 3))
      const waited = Date.now() - stoppedAt
      console.log(`sec offline ${waited} ms after SIGSTOP (heartbeat ${HEARTBEAT_MS} ms)`)
      // Its last beat came at most one beat before the stop: offline by 3 beats after it, plus the poll's and a loaded machine's slack.
      expect(waited).toBeLessThan(3 * HEARTBEAT_MS + 2000)
      expect(e.runtime.supervisor.list().find((a) => a.name === 'sec')?.state).toBe('idle')
      expect(e.runtime.supervisor.idle().get('sec')).toBeUndefined()
      e.db.prepare('UPDATE issues SET labels = ? WHERE number = 3').run(JSON.stringify(['needs-code-review']))
      await e.runtime.engine.tick()
      const second = await until('#3 to be applied', () => tasks(e, 3).find((t) => t.state === 'applied'), stateOf(e, 3))
      expect(second).toMatchObject({ role: 'lint', agent: 'lint' })
      expect(tasks(e, 3).map((t) => t.agent)).toEqual(['lint'])
    } finally {
      process.kill(pid, 'SIGCONT')
    }
    await until('sec to beat again', () => online(e, 'sec')?.online, stateOf(e, 3))
  }, 120_000)

  it('route all: three capable instances make three children, each in its own worktree at the PR head, joined into one answer', async () => {
    const e = start(
      { lint: { capabilities: ['review'] }, sec: { capabilities: ['review'] }, tests: { capabilities: ['review'] } },
      { capability: 'review', route: 'all' },
      [{ number: 4, title: 'Review me', stage: 'in-progress' }]
    )
    const head = git(join(e.dir, 'remote.git'), 'rev-parse', 'baton/4-review-me')
    await until('three reviewers online', () => ['lint', 'sec', 'tests'].every((a) => online(e, a)?.capabilities.includes('review') && online(e, a)?.online), stateOf(e, 4))
    e.db.prepare('UPDATE issues SET labels = ? WHERE number = 4').run(JSON.stringify(['needs-code-review']))
    await e.runtime.engine.tick()
    const parent = await until('the parent to be applied', () => tasks(e, 4).find((t) => t.role === '@review' && t.state === 'applied'), stateOf(e, 4))
    const children = tasks(e, 4).filter((t) => t.parent_task === parent.id)
    expect(children.map((c) => [c.agent, c.fanout_index, c.fanout_of, c.state])).toEqual([
      ['lint', 1, 3, 'applied'],
      ['sec', 2, 3, 'applied'],
      ['tests', 3, 3, 'applied']
    ])
    expect(labels(e, 4)).toEqual(['needs-review'])
    // One comment, the parent's marker, every child's answer in it.
    const mine = e.comments.filter((c) => c.issue === 4)
    expect(mine, JSON.stringify(mine, null, 1)).toHaveLength(1)
    expect(mine[0]!.marker).toContain(`baton:task=${parent.id}`)
    expect(mine[0]!.marker).toContain('baton:role=@review')
    const seen = [...mine[0]!.body.matchAll(/agent=(\S+) place=(\d) of (\d) for (\S+) workspace=(\S+) head=(\S+)/g)].map((m) => ({ agent: m[1], index: m[2], of: m[3], parent: m[4], workspace: m[5], head: m[6] }))
    expect(seen.map((s) => s.agent)).toEqual(['lint', 'sec', 'tests'])
    expect(new Set(seen.map((s) => s.workspace)).size).toBe(3)
    for (const s of seen) expect(s).toMatchObject({ of: '3', parent: parent.id, head })
    expect(mine[0]!.body).toMatch(/^\*\*Review \(fan-out\)\*\* · via Baton/)
    // Every child's usage is on the issue, the joined answer adds none.
    const usage = e.db.prepare('SELECT task_id, agent FROM usage WHERE issue = 4 ORDER BY agent').all() as Array<{ task_id: string; agent: string }>
    expect(usage.map((u) => u.agent)).toEqual(['lint', 'sec', 'tests'])
    expect(usage.map((u) => u.task_id).sort()).toEqual(children.map((c) => c.id).sort())
  }, 120_000)

  it('a child whose agent dies is replaced by a capable instance online since; with none free, the join reports it missing', async () => {
    const e = start({ lint: { capabilities: ['review'] }, sec: { capabilities: ['review'] }, tests: { capabilities: ['review'] } }, { capability: 'review', route: 'all', workspace: 'none' }, [
      { number: 5, title: 'Replace one', stage: 'in-progress' },
      { number: 6, title: 'Lose one', stage: 'in-progress' }
    ], ['lint'])
    // lint works until the test kills its runner (its hold file is there from the start).
    await until('three reviewers online', () => ['lint', 'sec', 'tests'].every((a) => online(e, a)?.capabilities.includes('review') && online(e, a)?.online), stateOf(e, 5))
    e.db.prepare('UPDATE issues SET labels = ? WHERE number = 5').run(JSON.stringify(['needs-code-review']))
    await e.runtime.engine.tick()
    const round = await until('three children, lint working', () => {
      const kids = tasks(e, 5).filter((t) => t.parent_task)
      return kids.length === 3 && e.runtime.supervisor.list().find((a) => a.name === 'lint')?.task ? kids : null
    }, stateOf(e, 5))
    expect(round.map((c) => c.agent)).toEqual(['lint', 'sec', 'tests'])
    // A fourth capable instance comes online after the round started: it is not in the round, so it can take a place.
    writeFileSync(join(e.dir, 'agents', 'tests', 'role.yml'), `provider: command\ncommand: ${process.execPath} ${fixture} ${e.control}\ncapabilities: [review]\ninstances: 2\ntimeLimitSec: 120\n`)
    e.runtime.supervisor.configureRole('tests', { ...e.runtime.settingsOf('tests')!, instances: 2 })
    await until('tests-2 online', () => online(e, 'tests-2')?.online && online(e, 'tests-2')?.capabilities.includes('review'), stateOf(e, 5))
    process.kill(e.runtime.supervisor.list().find((a) => a.name === 'lint')?.pid as number, 'SIGKILL')
    const parent = await until('#5 joined and applied', () => tasks(e, 5).find((t) => t.role === '@review' && t.state === 'applied'), stateOf(e, 5))
    const kids = tasks(e, 5).filter((t) => t.parent_task === parent.id)
    expect(kids.map((c) => [c.agent, c.fanout_index, c.state])).toEqual([
      ['lint', 1, 'cancelled'],
      ['sec', 2, 'applied'],
      ['tests', 3, 'applied'],
      ['tests-2', 1, 'applied']
    ])
    expect(kids[0]!.result).toMatch(/^replaced by tests-2: the agent crashed \(signal SIGKILL\)/)
    expect(labels(e, 5)).toEqual(['needs-review'])

    // #6: every capable instance is in the round (tests-2 too), lint dies again: nobody is free to replace it, and the join reports it.
    await until('lint back online', () => online(e, 'lint')?.online, stateOf(e, 6))
    e.db.prepare('UPDATE issues SET labels = ? WHERE number = 6').run(JSON.stringify(['needs-code-review']))
    await e.runtime.engine.tick()
    await until('lint working on #6', () => {
      const agent = e.runtime.supervisor.list().find((a) => a.name === 'lint')
      return agent?.task && tasks(e, 6).some((t) => t.id === agent.task) && tasks(e, 6).filter((t) => t.parent_task && t.state === 'applied').length === 3
    }, stateOf(e, 6))
    process.kill(e.runtime.supervisor.list().find((a) => a.name === 'lint')?.pid as number, 'SIGKILL')
    const missing = await until('lint reported missing', () => tasks(e, 6).find((t) => t.agent === 'lint' && t.state === 'failed'), stateOf(e, 6))
    expect(missing.result).toMatch(/^missing: the agent crashed \(signal SIGKILL\)/)
    // The join's ERROR names it; the stage's failure budget is spent once and a new round follows the backoff.
    const budget = await until('the join ERROR on the budget', () => e.db.prepare("SELECT spent, last_error FROM stage_budgets WHERE issue = 6 AND stage = 'needs-code-review'").get() as { spent: number; last_error: string } | undefined, stateOf(e, 6))
    expect(budget.last_error).toMatch(/^1 of 4 agents that can review did not finish: lint is missing \(the agent crashed \(signal SIGKILL\)\)/)
    rmSync(join(e.control, 'hold-lint'))
    const done = await until('#6 applied by the next round', () => tasks(e, 6).find((t) => t.role === '@review' && t.state === 'applied'), stateOf(e, 6))
    // The second round goes to the capable instances online when it starts (lint may still be restarting after its crash).
    const second = e.db.prepare('SELECT agent, state FROM tasks WHERE parent_task = ? AND parent_attempt = 2 ORDER BY fanout_index').all(done.id) as Array<{ agent: string; state: string }>
    expect(second.length).toBeGreaterThanOrEqual(3)
    expect(second.every((c) => c.state === 'applied')).toBe(true)
    expect(labels(e, 6)).toEqual(['needs-review'])
    expect(e.comments.filter((c) => c.issue === 6)).toHaveLength(1)
  }, 180_000)
})
