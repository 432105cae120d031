// Closed is not done (DESIGN.md §4), on the sandbox: the local forge over
// HTTP with real Octokit, real git, real agent processes. An issue closed as
// not planned, and an issue whose agent PR is closed without a merge, end in
// `closed` — on the board, in `baton issues list --json` and the API — with
// their stage label removed and their worktrees released; reopened, each goes
// back to the stage it had.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Octokit } from '@octokit/rest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCore, type Core } from '../../../src/main/app'
import { createLogger } from '../../../src/main/log'
import { SANDBOX_TOKENS } from '../../../src/forge/sandbox/index'
import type { BoardIssue, InboxItem } from '../../../src/shared/api'

let core: Core
let dataDir: string
const runner = { execPath: process.execPath, args: ['--import', 'tsx', join(process.cwd(), 'agents/runner.ts')] }
const repo = { owner: 'baton-sandbox', repo: 'calc' }

async function call<T>(method: string, input: unknown = {}): Promise<T> {
  const result = await core.call(method, input)
  if (!result.ok) throw new Error(`${method}: ${result.error.message}`)
  return result.data as T
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 120_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

const card = async (n: number) => (await call<BoardIssue[]>('issues.board')).find((c) => c.number === n)
const gh = () => new Octokit({ baseUrl: core.sandbox()!.forge.apiUrl, auth: SANDBOX_TOKENS.maintainer })
const sync = async () => call('repos.syncNow', { id: (await card(1))!.repoId })
const labelsOnGitHub = async (n: number) => (await gh().rest.issues.get({ ...repo, issue_number: n })).data.labels.map((l) => (typeof l === 'string' ? l : l.name))
const worktreesOf = (n: number) => {
  const root = join(dataDir, 'workspaces', 'worktrees')
  if (!existsSync(root)) return []
  return readdirSync(root).flatMap((r) => readdirSync(join(root, r)).filter((w) => w.startsWith(`${n}-`)))
}
const cliList = () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', '-e', `import('./src/main/cli.ts').then(async (m) => { const c = await m.main(${JSON.stringify(['issues', 'list', '--json', '--data-dir', dataDir])}); if (c >= 0) process.exit(c) })`], {
    encoding: 'utf8',
    timeout: 60_000
  })
  expect(run.stderr).toBe('')
  return JSON.parse(run.stdout) as Array<{ number: number; state: string; stage: string | null }>
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'baton-closed-'))
  core = await createCore({
    dataDir,
    mode: 'headless',
    sandbox: true,
    runner,
    log: createLogger({ level: 'error' }),
    agentTiming: { heartbeatMs: 500, stallMs: 30_000, backoffMs: () => 200 }
  })
}, 60_000)
afterAll(async () => {
  await core?.close()
})

describe('closed is not done', { timeout: 240_000 }, () => {
  it('closed as not planned: closed on the board, in the CLI and the API, its stage label gone and its task cancelled; reopened, back to its stage', async () => {
    // #3 waits for an answer to the PM's question at backlog.
    await until('#3 asks', async () => (await call<InboxItem[]>('inbox.list')).find((i) => i.issue === 3 && i.kind === 'request'))
    await gh().rest.issues.update({ ...repo, issue_number: 3, state: 'closed', state_reason: 'not_planned' })
    await sync()
    const closed = await until('#3 closed', async () => {
      const c = await card(3)
      return c?.activity === 'closed' ? c : undefined
    })
    expect(closed.stage).toBeNull()
    await until('#3 without its stage label on GitHub', async () => !(await labelsOnGitHub(3)).includes('backlog'))
    expect(cliList().find((i) => i.number === 3)?.state).toBe('closed')
    const detail = await call<{ activity: string; tasks: Array<{ role: string; state: string }> }>('issues.detail', { repoId: closed.repoId, number: 3 })
    expect(detail.activity).toBe('closed')
    expect(detail.tasks.find((t) => t.role === 'pm')?.state).toBe('cancelled')
    expect((await call<InboxItem[]>('inbox.list')).some((i) => i.issue === 3)).toBe(false)

    await gh().rest.issues.update({ ...repo, issue_number: 3, state: 'open' })
    await sync()
    // Back at backlog, where the PM takes it up again (and, the question answered by the reopening, moves it on).
    const back = await until('#3 back in the pipeline', async () => {
      const c = await card(3)
      return c && c.stage && c.activity !== 'closed' ? c : undefined
    })
    expect(back.stage).not.toBeNull()
    const reopened = core.db.prepare("SELECT message FROM events WHERE issue = 3 AND kind = 'issue.reopened'").all() as Array<{ message: string }>
    expect(reopened).toEqual([{ message: '#3 reopened: back to backlog' }])
    const pm = core.db.prepare("SELECT state FROM tasks WHERE issue = 3 AND role = 'pm' ORDER BY created_at").all() as Array<{ state: string }>
    expect(pm.length).toBeGreaterThanOrEqual(2)
    expect(pm[0]?.state).toBe('cancelled')
  })

  it('an agent PR closed without a merge: the issue is closed, not done, its label gone and its worktrees released; the PR reopened, back to its stage', async () => {
    const one = await until('#1 at needs-review with a PR', async () => {
      const c = await card(1)
      return c?.stage === 'needs-review' && c.pr ? c : undefined
    })
    await gh().rest.pulls.update({ ...repo, pull_number: one.pr!, state: 'closed' })
    await sync()
    const closed = await until('#1 closed by its PR', async () => {
      const c = await card(1)
      return c?.activity === 'closed' ? c : undefined
    })
    expect(closed.reason).toMatch(/closed without a merge \(was at needs-review\)/)
    await until('#1 without its stage label on GitHub', async () => !(await labelsOnGitHub(1)).includes('needs-review'))
    expect(worktreesOf(1)).toEqual([])
    expect(cliList().find((i) => i.number === 1)?.state).toBe('closed')
    // Still closed after more syncs and ticks: the same closed PR is acted on once, and no stage label comes back.
    await sync()
    await new Promise((r) => setTimeout(r, 3000))
    expect((await card(1))?.activity).toBe('closed')
    expect(await labelsOnGitHub(1)).toEqual(['feature', 'priority:normal'])

    await gh().rest.pulls.update({ ...repo, pull_number: one.pr!, state: 'open' })
    await sync()
    await until('#1 back at needs-review', async () => (await labelsOnGitHub(1)).includes('needs-review') && (await card(1))?.stage === 'needs-review')
  })
})
