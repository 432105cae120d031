// Parallel attempts at the Engineer stage (issue #15), end to end on the local
// forge: real git, real agent processes, the repository's real tests. The
// issue asks for three attempts (`attempts:3`); the Engineer is a `command`
// script (test/fixtures/attempts/engineer.mjs) that writes a different change
// per attempt, read from the trigger: attempt 1 breaks the tests, attempt 3
// makes them hang, attempt 2 passes — after Baton is restarted while it works.
// Attempt 2 becomes the one PR; the other branches are gone from the forge and
// the clone, every worktree is gone from disk and from `git worktree list`,
// the hanging Tester was stopped, and the three attempts' costs sum on the issue.
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, cpSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCore, type Core } from '../../../src/main/app'
import { createLogger } from '../../../src/main/log'
import type { IssueDetail } from '../../../src/shared/api'
import { baseSeed, startForge, TOKENS, type TestForge } from '../forge/helpers'

const run = promisify(execFile)
const runner = { execPath: process.execPath, args: ['--import', 'tsx', join(process.cwd(), 'agents/runner.ts')] }
const TEST_JS = `import { existsSync } from 'node:fs'
import { add } from './calc.js'
if (existsSync('slow.txt')) await new Promise((r) => setTimeout(r, 600_000))
if (add(2, 3) !== 5) {
  console.error('add(2, 3) is ' + add(2, 3) + ', expected 5')
  process.exit(1)
}
console.log('ok')
`
const BASE = 'baton/1-fix-add'

let t: TestForge
let root: string
let dataDir: string
let gates: string
let agentsDir: string
let core: Core | null = null

async function until<T>(what: string, probe: () => Promise<T | undefined | false | null> | T | undefined | false | null, seen: () => unknown, timeoutMs = 150_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; it was: ${JSON.stringify(seen())}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

const start = () =>
  createCore({
    dataDir,
    mode: 'headless',
    log: createLogger({ level: 'error' }),
    env: { BATON_GITHUB_TOKEN: TOKENS.owner, BATON_GITHUB_API_URL: t.forge.apiUrl },
    githubTiming: { writeGapMs: 0 },
    runner,
    agentsDir,
    agentTiming: { heartbeatMs: 500, stallMs: 60_000, backoffMs: () => 200 }
  })

function db(): Core['db'] {
  if (!core) throw new Error('Baton is not running')
  return core.db
}
const runs = () =>
  db()
    .prepare('SELECT r.idx, r.branch, r.pushed, r.verdict, r.tester_task, g.state AS groupState, g.winner FROM parallel_runs r JOIN parallel_groups g ON g.id = r.group_id ORDER BY r.idx')
    .all() as Array<{ idx: number; branch: string; pushed: number; verdict: string | null; tester_task: string | null; groupState: string; winner: number | null }>
const taskState = (id: string | null) => (id ? (db().prepare('SELECT state FROM tasks WHERE id = ?').get(id) as { state: string } | undefined)?.state : undefined)
const labels = async () => (await t.octokit(TOKENS.owner).rest.issues.get({ owner: 'owner', repo: 'app', issue_number: 1 })).data.labels.map((l) => (typeof l === 'string' ? l : l.name))
const forgeBranches = async () => {
  const { stdout } = await run('git', ['ls-remote', '--heads', t.forge.gitUrl('owner', 'app', TOKENS.owner)], { timeout: 20_000 })
  return stdout.split('\n').filter(Boolean).map((l) => l.split('\trefs/heads/')[1])
}
const clone = () => join(dataDir, 'workspaces', 'clones', 'owner', 'app.git')
const worktreeDirs = () => {
  const dir = join(dataDir, 'workspaces', 'worktrees', 'owner-app')
  return existsSync(dir) ? readdirSync(dir) : []
}

beforeAll(async () => {
  const seed = baseSeed()
  const repo = seed.repositories![0]!
  repo.files = {
    'package.json': JSON.stringify({ name: 'app', version: '1.0.0', type: 'module', scripts: { test: 'node test.js' } }, null, 2),
    'calc.js': 'export const add = (a, b) => 0\n',
    'test.js': TEST_JS
  }
  repo.labels = [...(repo.labels ?? []), { name: 'attempts:3', color: 'ededed', description: 'Three attempts at once' }]
  repo.issues = [{ title: 'Fix add', body: 'add(2, 3) should be 5.', author: 'owner', labels: ['in-progress', 'attempts:3'] }]
  t = await startForge(seed)
  root = mkdtempSync(join(tmpdir(), 'baton-attempts-'))
  dataDir = join(root, 'baton')
  gates = join(root, 'gates')
  mkdirSync(gates)
  // agents/ with the Engineer replaced by the script (three instances), three Testers, and no one else.
  agentsDir = join(root, 'agents')
  cpSync(join(process.cwd(), 'agents'), agentsDir, { recursive: true })
  const script = join(process.cwd(), 'test/fixtures/attempts/engineer.mjs')
  writeFileSync(
    join(agentsDir, 'engineer', 'role.yml'),
    `description: Three attempts\nstages: [ready-for-dev, in-progress]\nprovider: command\ncommand: ${JSON.stringify(`${process.execPath} ${script} ${gates}`)}\ntimeLimitSec: 600\ninstances: 3\n`
  )
  writeFileSync(join(agentsDir, 'tester', 'role.yml'), 'description: Runs the tests\nstages: [needs-testing]\nprovider: builtin\ntimeLimitSec: 900\ninstances: 3\n')
  for (const role of ['pm', 'architect', 'community', 'marketing']) rmSync(join(agentsDir, role), { recursive: true, force: true })
  core = await start()
  const connected = await core.call('repos.connect', { remote: 'owner/app' })
  if (!connected.ok) throw new Error(connected.error.message)
}, 90_000)

afterAll(async () => {
  await core?.close()
  await t?.close()
  rmSync(root, { recursive: true, force: true })
})

describe('three attempts at once, one passes', () => {
  it('runs each on its own branch and worktree; a restart mid-way loses nothing', async () => {
    // Attempt 1 failed its tests, attempt 3's Tester hangs, attempt 2 waits at its gate.
    await until(
      'attempt 1 failed, attempt 3 testing, attempt 2 working',
      () => {
        const r = runs()
        return r.length === 3 && r[0]!.verdict === 'fail' && taskState(r[2]!.tester_task) === 'running' && existsSync(join(gates, 'started-2'))
      },
      () => runs()
    )
    const r = runs()
    expect(r.map((x) => x.branch)).toEqual([BASE, `${BASE}-a2`, `${BASE}-a3`])
    expect(r.map((x) => x.groupState)).toEqual(['running', 'running', 'running'])
    // Nothing became a PR yet, and the issue stays in progress while they run.
    expect((await t.octokit(TOKENS.owner).rest.pulls.list({ owner: 'owner', repo: 'app', state: 'all' })).data).toEqual([])
    expect(await labels()).toContain('in-progress')
    const detail = await core!.call('issues.detail', { repoId: 1, number: 1 })
    expect(detail.ok && (detail.data as IssueDetail & { attempts: { summary: string } | null }).attempts?.summary).toBe('3 attempts: 1 failed, 2 running')

    // Baton stops mid-way (attempt 2 still working, attempt 3 still testing) and starts again.
    await core!.close()
    core = null
    rmSync(join(gates, 'started-2'))
    core = await start()
    await until('attempt 2 at work again after the restart', () => existsSync(join(gates, 'started-2')), () => runs())
    writeFileSync(join(gates, 'go-2'), 'go')

    // Attempt 2 passes and becomes the PR; the issue moves on, and the Tester passes it again on the PR.
    await until('#1 at needs-review', async () => (await labels()).includes('needs-review'), () => ({ runs: runs(), worktrees: worktreeDirs() }))
    await core!.runtime()?.engine.idle()
    const pulls = (await t.octokit(TOKENS.owner).rest.pulls.list({ owner: 'owner', repo: 'app', state: 'all' })).data
    expect(pulls.map((p) => p.head.ref)).toEqual([`${BASE}-a2`])
    expect(pulls[0]!.body).toContain('attempt 2 of 3')
    const after = runs()
    expect(after.map((x) => [x.idx, x.verdict, x.groupState, x.winner])).toEqual([
      [1, 'fail', 'picked', 2],
      [2, 'pass', 'picked', 2],
      [3, null, 'picked', 2]
    ])
    // The hanging Tester of attempt 3 was stopped.
    expect(taskState(after[2]!.tester_task)).toBe('cancelled')

    // The other branches are gone from the forge and from the clone.
    await until('only the winner left on the forge', async () => {
      const b = await forgeBranches()
      return b.length === 2 && b
    }, () => null)
    expect((await forgeBranches()).sort()).toEqual([`${BASE}-a2`, 'main'])
    const { stdout: refs } = await run('git', ['for-each-ref', '--format=%(refname)', 'refs/heads', 'refs/remotes'], { cwd: clone() })
    expect(refs).not.toMatch(new RegExp(`${BASE}(-a3)?\\n`))
    expect(refs).not.toContain(`${BASE}-a3`)
    expect(refs.split('\n').filter((l) => l === `refs/heads/${BASE}` || l === `refs/remotes/origin/${BASE}`)).toEqual([])

    // No worktree left: not on disk, not in git's records.
    await until('every worktree removed', () => worktreeDirs().length === 0, () => worktreeDirs())
    const { stdout: list } = await run('git', ['worktree', 'list', '--porcelain'], { cwd: clone() })
    expect(list.split('\n').filter((l) => l.startsWith('worktree '))).toEqual([`worktree ${clone()}`])

    // Every attempt's cost counts on the issue: 0.11 + 0.22 + 0.33.
    const final = await core!.call('issues.detail', { repoId: 1, number: 1 })
    if (!final.ok) throw new Error(final.error.message)
    const data = final.data as IssueDetail & { attempts: { summary: string; attempts: Array<{ index: number; state: string; costUsd: number }> } | null }
    expect(data.usage.costUsd).toBeCloseTo(0.66, 6)
    expect(data.attempts?.summary).toBe('3 attempts: 1 passed, 1 failed, 1 stopped')
    expect(data.attempts?.attempts.map((a) => [a.index, a.state, a.costUsd])).toEqual([
      [1, 'failed', 0.11],
      [2, 'passed', 0.22],
      [3, 'stopped', 0.33]
    ])
    // The winner's diff is still there to read; a loser's branch is not.
    const diff = await core!.call('attempts.diff', { repoId: 1, issue: 1, attempt: 2 })
    expect(diff.ok && (diff.data as { patch: string } | null)?.patch).toContain('+export const add = (a, b) => a + b')
    const gone = await core!.call('attempts.diff', { repoId: 1, issue: 1, attempt: 1 })
    expect(gone).toEqual({ ok: true, data: null })
    // One summary comment on the issue names the winner.
    const comments = (await t.octokit(TOKENS.owner).rest.issues.listComments({ owner: 'owner', repo: 'app', issue_number: 1 })).data
    expect(comments.filter((c) => c.body?.includes('baton:attempts=')).map((c) => c.body?.split('\n')[2])).toEqual([
      `3 attempts: 1 passed, 1 failed, 1 stopped. Attempt 2 (\`${BASE}-a2\`) passed its tests first and becomes the pull request #${pulls[0]!.number}; the other attempts' branches are deleted.`
    ])
  }, 360_000)
})
