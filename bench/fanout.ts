// Fan-out review (issue #15): six builtin reviewers (two each of lint, tests
// and secrets) on one PR (test/fixtures/review/planted.ts) through the whole
// core against the forge. Wall time from the round's start (its parent task
// created) to its joined answer applied (the PR review posted, the label
// moved), against the slowest single reviewer in the same run: its own work
// (DURATION-MS) and its span from the round's start to its answer. The ratio
// is what fanning out costs over the slowest reviewer alone.
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createForge } from '../src/forge/index'
import { createCore } from '../src/main/app'
import { createLogger } from '../src/main/log'
import { branchFor } from '../src/main/pipeline/instructions'
import { parseResponse } from '../src/shared/protocol/response'
import { BASE_FILES, commitPullRequest } from '../test/fixtures/review/planted'

const PIPELINE = `entry: ready-for-dev
done: done
stages:
  - { label: ready-for-dev, owner: engineer, next: [in-progress] }
  - { label: in-progress, owner: engineer, next: [needs-testing] }
  - { label: needs-testing, owner: tester, next: [needs-code-review, ready-for-dev] }
  - { label: needs-code-review, capability: review, route: all, join: review, workspace: pr, next: [needs-review, in-progress] }
  - { label: needs-review, next: [done, ready-for-dev] }
  - { label: done }
`
const TITLE = 'Add a total function'
const REVIEWERS = ['reviewer-lint', 'reviewer-tests', 'reviewer-secrets']
const PER_ROLE = 2

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 5 * 60_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const value = probe()
    if (value) return value
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

export async function benchFanout(): Promise<Record<string, number | string>> {
  const root = mkdtempSync(join(tmpdir(), 'baton-bench-fanout-'))
  const forge = await createForge({
    dataDir: join(root, 'forge'),
    seed: {
      users: [
        { login: 'maintainer', token: 'bench-token', scopes: ['repo'] },
        { login: 'alice', token: 'alice-token', scopes: ['repo'] }
      ],
      repositories: [
        { owner: 'bench', name: 'calc', defaultBranch: 'main', files: { ...BASE_FILES, '.baton/pipeline.yml': PIPELINE }, collaborators: { maintainer: 'admin', alice: 'write' }, issues: [{ author: 'maintainer', title: TITLE, body: 'Sum a list.' }] }
      ]
    }
  })
  const env = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' }
  const clone = join(root, 'clone')
  // git in a child process, awaited: the forge answers in this one.
  const git = (cwd: string, ...args: string[]) => new Promise<void>((resolve, reject) => execFile('git', args, { cwd, env }, (e, _o, err) => (e ? reject(new Error(`git ${args[0]}: ${err}`)) : resolve())))
  await git(root, 'clone', '-q', forge.gitUrl('bench', 'calc', 'alice-token'), clone)
  commitPullRequest(clone, branchFor(1, TITLE))
  await git(clone, 'push', '-q', 'origin', branchFor(1, TITLE))
  const headers = { authorization: 'token alice-token', 'content-type': 'application/json' }
  const made = await fetch(`${forge.apiUrl}/repos/bench/calc/pulls`, { method: 'POST', headers, body: JSON.stringify({ title: TITLE, head: branchFor(1, TITLE), base: 'main', body: 'Closes #1' }) })
  if (!made.ok) throw new Error(`opening the PR: ${made.status} ${await made.text()}`)
  const core = await createCore({
    dataDir: join(root, 'baton'),
    mode: 'headless',
    log: createLogger({ level: 'error' }),
    env: { ...process.env, BATON_GITHUB_TOKEN: 'bench-token', BATON_GITHUB_API_URL: forge.apiUrl },
    githubTiming: { writeGapMs: 0 },
    startAgents: true,
    agentTiming: { heartbeatMs: 1000, stallMs: 60_000 }
  })
  const call = async (method: string, input: unknown) => {
    const r = await core.call(method, input)
    if (!r.ok) throw new Error(`${method}: ${r.error.message}`)
    return r.data
  }
  try {
    for (const role of ['pm', 'architect', 'engineer', 'tester', 'community', 'marketing']) await call('roles.update', { role, instances: 0 })
    for (const role of REVIEWERS) await call('roles.update', { role, instances: PER_ROLE })
    await call('repos.connect', { remote: 'bench/calc' })
    // Every reviewer instance up before the round starts: the bench measures the fan-out, not the starts.
    const online = async () => ((await call('agents.list', {})) as Array<{ name: string; role: string; state: string; lastHeartbeat: string | null }>).filter((a) => REVIEWERS.includes(a.role) && a.state === 'idle' && a.lastHeartbeat)
    for (const end = Date.now() + 120_000; (await online()).length < REVIEWERS.length * PER_ROLE; ) {
      if (Date.now() > end) throw new Error(`only ${(await online()).length} reviewers online after 2 minutes`)
      await new Promise((r) => setTimeout(r, 100))
    }
    await fetch(`${forge.apiUrl}/repos/bench/calc/issues/1/labels`, { method: 'POST', headers: { ...headers, authorization: 'token bench-token' }, body: JSON.stringify({ labels: ['needs-code-review'] }) })
    await call('repos.syncNow', { id: 1 })
    const parent = await until('the round to start', () => core.db.prepare("SELECT id, created_at FROM tasks WHERE role = '@review'").get() as { id: string; created_at: string } | undefined)
    const t0 = performance.now()
    await until('the joined answer applied', () => (core.db.prepare('SELECT state FROM tasks WHERE id = ?').get(parent.id) as { state: string }).state === 'applied')
    const wallMs = performance.now() - t0
    const children = core.db
      .prepare("SELECT t.agent, a.started_at, a.ended_at, a.response FROM tasks t JOIN attempts a ON a.task_id = t.id AND a.attempt = t.attempt WHERE t.parent_task = ? AND t.state = 'applied'")
      .all(parent.id) as Array<{ agent: string; started_at: string; ended_at: string | null; response: string | null }>
    if (children.length !== REVIEWERS.length * PER_ROLE) throw new Error(`${children.length} of ${REVIEWERS.length * PER_ROLE} reviewers answered`)
    const work = children.map((c) => ({ agent: c.agent, ms: Number(parseResponse(c.response ?? '').unknown.find((u) => u.key === 'DURATION-MS')?.value ?? NaN) }))
    const slowest = work.reduce((a, b) => (b.ms > a.ms ? b : a))
    const sum = work.reduce((s, w) => s + w.ms, 0)
    // The round's start to each reviewer's answer as main recorded it: worktree, trigger, the runner's pickup and the work.
    const spans = children.map((c) => Date.parse(c.ended_at ?? '') - Date.parse(parent.created_at))
    const lastAnswer = Math.max(...spans)
    const reviews = (await (await fetch(`${forge.apiUrl}/repos/bench/calc/pulls/2/reviews`, { headers: { authorization: 'token bench-token' } })).json()) as Array<{ body: string }>
    return {
      'reviewers (2 each of lint, tests, secrets)': children.length,
      'PR reviews posted for the round': reviews.filter((r) => r.body.includes('baton:review-round=')).length,
      'wall time, round start → joined answer applied (ms)': Math.round(wallMs),
      [`slowest single reviewer's own work, DURATION-MS (ms; ${slowest.agent})`]: slowest.ms,
      'all six reviewers’ work added up (ms; one after another)': sum,
      'round start → the slowest reviewer’s answer recorded (ms)': lastAnswer,
      'last answer → joined answer applied: join, PR review, label (ms)': Math.round(wallMs - lastAnswer),
      'wall / slowest reviewer (the overhead of fanning out)': (wallMs / slowest.ms).toFixed(2),
      'wall / slowest reviewer’s span from the round start': (wallMs / lastAnswer).toFixed(2),
      'wall / the six added up': (wallMs / sum).toFixed(2)
    }
  } finally {
    await core.close()
    await forge.close()
    rmSync(root, { recursive: true, force: true })
  }
}
