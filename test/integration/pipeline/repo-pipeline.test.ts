// A repository's own pipeline, end to end against the local forge: Baton reads
// `.baton/pipeline.yml` from the default branch, creates the custom stages'
// labels, and the engine schedules and moves issues along those stages. A
// broken file (pushed later) is reported with the file and the field, and the
// repository keeps its last good pipeline. Role and trust settings apply live.
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCore, type Core } from '../../../src/main/app'
import { createLogger } from '../../../src/main/log'
import type { AgentSummary, AuditEvent, BoardIssue, PipelineView, RepoSummary, RoleUpdateResult } from '../../../src/shared/api'
import { baseSeed, startForge, TOKENS, type TestForge } from '../forge/helpers'

const PIPELINE = `# Our pipeline: intake by the PM, a plan, then a person.
stages:
  - { label: intake, owner: pm, title: Intake, color: "1d76db", description: PM triages, next: [needs-architecture] }
  - { label: needs-architecture, owner: architect, next: [person-check] }
  - { label: person-check, title: Person check, next: [shipped] }
  - { label: shipped, title: Shipped }
`
const BROKEN = PIPELINE.replace('owner: architect', 'owner: wizard')

let t: TestForge
let core: Core
let root: string
const gitEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' }
// git in a child process, awaited: the forge answers in this one, so nothing here may block.
const git = (cwd: string, ...args: string[]) =>
  new Promise<void>((resolve, reject) =>
    execFile('git', ['-c', 'user.name=Olive', '-c', 'user.email=owner@example.test', ...args], { cwd, env: gitEnv }, (error) => (error ? reject(error) : resolve()))
  )
const runner = { execPath: process.execPath, args: ['--import', 'tsx', join(process.cwd(), 'agents/runner.ts')] }

async function api<T>(method: string, input: unknown = {}): Promise<T> {
  const result = await core.call(method, input)
  if (!result.ok) throw new Error(`${method}: ${result.error.message}`)
  return result.data as T
}
async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}
const card = async (n: number) => (await api<BoardIssue[]>('issues.board')).find((c) => c.number === n)
const issueLabels = async (n: number) => (await t.octokit(TOKENS.owner).rest.issues.get({ owner: 'owner', repo: 'app', issue_number: n })).data.labels.map((l) => (typeof l === 'string' ? l : l.name))

beforeAll(async () => {
  const seed = baseSeed()
  const repo = seed.repositories![0]!
  repo.files = { ...repo.files, '.baton/pipeline.yml': PIPELINE }
  // #2 by the owner; #3 by bob, who has no role. A maintainer brings both in at the custom entry stage (below).
  repo.issues = [
    ...(repo.issues ?? []),
    { title: 'Add a --version flag', body: 'Running the tool with --version should print the version number from package.json and exit with code zero.', author: 'owner' },
    { title: 'Crash on start without a config file', body: 'The app crashes on start with a TypeError when the config file is missing; it should start with the defaults instead.', author: 'bob' }
  ]
  t = await startForge(seed)
  root = mkdtempSync(join(tmpdir(), 'baton-repo-pipeline-'))
  await git(root, 'clone', '-q', t.forge.gitUrl('owner', 'app', TOKENS.owner), join(root, 'clone'))
  core = await createCore({
    dataDir: join(root, 'baton'),
    mode: 'headless',
    log: createLogger({ level: 'error' }),
    env: { BATON_GITHUB_TOKEN: TOKENS.owner, BATON_GITHUB_API_URL: t.forge.apiUrl },
    githubTiming: { writeGapMs: 0 },
    runner,
    startAgents: false,
    agentTiming: { heartbeatMs: 500, stallMs: 30_000, backoffMs: () => 200 }
  })
  // No architect, one PM, and nobody for the side lanes: this test watches the custom stages only.
  for (const role of ['architect', 'community', 'marketing']) await api('roles.update', { role, instances: 0 })
  await api('repos.connect', { remote: 'owner/app' })
  for (const issue_number of [2, 3]) await t.octokit(TOKENS.owner).rest.issues.addLabels({ owner: 'owner', repo: 'app', issue_number, labels: ['intake'] })
  await api('repos.syncNow', { id: 1 })
}, 60_000)
afterAll(async () => {
  await core?.close()
  await t?.close()
  rmSync(root, { recursive: true, force: true })
})

describe("a repository's .baton/pipeline.yml", () => {
  it('is the pipeline: its stages get labels, and the engine moves an issue along them', async () => {
    const view = await api<PipelineView>('pipeline.get', { repoId: 1 })
    expect(view).toMatchObject({ source: 'file', entry: 'intake', done: 'shipped', file: { path: '.baton/pipeline.yml', present: true, error: null } })
    expect(view.stages.map((s) => `${s.label}:${s.owner ?? '-'}`)).toEqual(['intake:pm', 'needs-architecture:architect', 'person-check:-', 'shipped:-'])
    const labels = (await t.octokit(TOKENS.owner).rest.issues.listLabelsForRepo({ owner: 'owner', repo: 'app', per_page: 100 })).data
    expect(labels.find((l) => l.name === 'intake')).toMatchObject({ color: '1d76db', description: 'Baton: PM triages' })
    expect(labels.map((l) => l.name)).toEqual(expect.arrayContaining(['person-check', 'shipped', 'approved']))
    // The person's own "bug" label is theirs still.
    expect(labels.find((l) => l.name === 'bug')?.description).toBe('Something is broken')

    const board = await api<BoardIssue[]>('issues.board')
    expect(board.find((c) => c.number === 2)).toMatchObject({ stage: 'intake', owner: 'pm' })
    // The PM (builtin) triages #2 at the custom stage and moves it along the file's move.
    await until('#2 at needs-architecture', async () => (await issueLabels(2)).includes('needs-architecture'))
    expect(await issueLabels(2)).not.toContain('intake')
    const tasks = core.db.prepare("SELECT stage, role FROM tasks WHERE issue = 2 AND role = 'pm'").all()
    expect(tasks).toEqual([{ stage: 'intake', role: 'pm' }])
    // No architect runs: #2 waits there with the reason.
    await until('#2 waits for an architect', async () => (await card(2))?.reason === 'waits for a free architect')
  }, 90_000)

  it("the trust policy's approval label is read from settings, created on GitHub, and named in the wait", async () => {
    await until('#3 waits for approval', async () => (await card(3))?.reason?.includes('label "approved"'))
    await api('settings.update', { trust: { associations: ['OWNER', 'MEMBER', 'COLLABORATOR'], approvalLabel: 'ok-to-run' } })
    await until('the ok-to-run label exists', async () =>
      (await t.octokit(TOKENS.owner).rest.issues.listLabelsForRepo({ owner: 'owner', repo: 'app', per_page: 100 })).data.some((l) => l.name === 'ok-to-run')
    )
    await api('agents.list')
    await until('#3 names the new label', async () => (await card(3))?.reason?.includes('label "ok-to-run"'))
    // A maintainer adds it: the PM takes #3.
    await t.octokit(TOKENS.owner).rest.issues.addLabels({ owner: 'owner', repo: 'app', issue_number: 3, labels: ['ok-to-run'] })
    await api('repos.syncNow', { id: 1 })
    await until('#3 triaged', async () => (await issueLabels(3)).includes('needs-architecture'))
  }, 90_000)

  it("a new issue typed in Baton starts at the file's entry stage", async () => {
    const created = await api<{ created: boolean; number: number }>('issues.create', { repoId: 1, title: 'Document the flags', body: 'Each flag of the tool gets a line in the README with an example.' })
    expect(created.created).toBe(true)
    expect(await issueLabels(created.number)).toEqual(['intake'])
  })

  it('instances change live: the pool grows and shrinks, and says when', async () => {
    const grown = await api<RoleUpdateResult>('roles.update', { role: 'tester', instances: 2 })
    expect(grown.applies).toMatch(/tester-2 started/)
    await until('tester-2 runs', async () => (await api<AgentSummary[]>('agents.list')).find((a) => a.name === 'tester-2' && a.pid))
    const shrunk = await api<RoleUpdateResult>('roles.update', { role: 'tester', instances: 1 })
    expect(shrunk.applies).toMatch(/tester-2 stopped/)
    expect((await api<AgentSummary[]>('agents.list')).map((a) => a.name)).not.toContain('tester-2')
    const model = await api<RoleUpdateResult>('roles.update', { role: 'tester', model: 'claude-opus-4-1' })
    expect(model.applies).toMatch(/tester restarted with it now/)
  }, 60_000)

  it('a broken file is reported with the file and the field, and the last good pipeline stays', async () => {
    const work = join(root, 'clone')
    mkdirSync(join(work, '.baton'), { recursive: true })
    writeFileSync(join(work, '.baton', 'pipeline.yml'), BROKEN)
    await git(work, 'commit', '-q', '-am', 'Pipeline: a role that does not exist')
    await git(work, 'push', '-q', 'origin', 'HEAD:main')
    await api('repos.syncNow', { id: 1 })
    const message = '.baton/pipeline.yml: stages.1.owner: no role "wizard" (roles: architect, community, engineer, marketing, pm, reviewer-lint, reviewer-secrets, reviewer-tests, tester)'
    const repo = (await api<RepoSummary[]>('repos.list'))[0]!
    expect(repo.syncError).toBe(message)
    const view = await api<PipelineView>('pipeline.get', { repoId: 1 })
    expect(view).toMatchObject({ source: 'file', file: { present: true, error: message } })
    expect(view.stages.map((s) => s.owner)).toEqual(['pm', 'architect', null, null])
    expect((await card(2))?.stage).toBe('needs-architecture')
    const events = await api<AuditEvent[]>('events.recent', { limit: 20 })
    expect(events.find((e) => e.kind === 'pipeline.refused')?.message).toBe(`${message} (the last good pipeline stays)`)
    // A second sync with nothing new costs one conditional request, and says the same.
    t.forge.clearLog()
    await api('repos.syncNow', { id: 1 })
    expect(t.forge.requestLog().filter((r) => r.path.includes('/contents/'))).toEqual([])
    expect((await api<RepoSummary[]>('repos.list'))[0]!.syncError).toBe(message)

    // Fixed: the error goes, and the fix applies.
    writeFileSync(join(work, '.baton', 'pipeline.yml'), PIPELINE.replace('title: Person check', 'title: Human check'))
    await git(work, 'commit', '-q', '-am', 'Pipeline: fixed')
    await git(work, 'push', '-q', 'origin', 'HEAD:main')
    await api('repos.syncNow', { id: 1 })
    expect((await api<RepoSummary[]>('repos.list'))[0]!.syncError).toBeNull()
    expect((await api<PipelineView>('pipeline.get', { repoId: 1 })).stages[2]?.title).toBe('Human check')
  }, 60_000)
})
