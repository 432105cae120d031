// An agent PR whose default branch moved under it, end to end: the local forge
// over HTTP with real Octokit, real git (pushes to the default branch from a
// person's clone), real agent processes with the builtin Engineer and Tester,
// real SQLite. The sync reads each open agent PR's `mergeable_state`; one that
// no longer merges goes back to the Engineer ("update branch"), who merges the
// default branch, re-applies a patch on it, or asks naming the conflicting
// file; the Tester runs again and the PR merges cleanly. An issue that waited
// its turn (one PR at a time) is built on the default branch as it is then.
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCore, type Core } from '../../../src/main/app'
import { createLogger } from '../../../src/main/log'
import { branchFor } from '../../../src/main/pipeline/instructions'
import type { InboxItem } from '../../../src/shared/api'
import { calcProject } from '../../unit/agents/builtin-helpers'
import { baseSeed, startForge, TOKENS, type TestForge } from '../forge/helpers'

const fix = "  if (b === 0) throw new RangeError('division by zero')"
const fixDiff = ['```diff', '--- a/src/calc.js', '+++ b/src/calc.js', '@@ -5,3 +5,4 @@ export function add(a, b) {', ' export function divide(a, b) {', `+${fix}`, '   return a / b', ' }', '```'].join('\n')
// The same fix against the default branch once it renamed divide's parameters.
const renamedDiff = fixDiff.replace(' export function divide(a, b) {', ' export function divide(x, y) {').replace('(b === 0)', '(y === 0)').replace('   return a / b', '   return x / y')
const indexDiff = ['```diff', '--- a/src/index.js', '+++ b/src/index.js', '@@ -1 +1,2 @@', ' export const one = 1', '+export const two = 2', '```'].join('\n')

let t: TestForge
let core: Core
let root: string
let work: string
let firstMain: string
const gitEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' }
// git in a child process, awaited: the forge answers in this one, so nothing here may block.
const git = (cwd: string, ...args: string[]) =>
  new Promise<string>((resolve, reject) =>
    execFile('git', ['-c', 'user.name=Olive', '-c', 'user.email=owner@example.test', ...args], { cwd, env: gitEnv }, (error, stdout) => (error ? reject(error) : resolve(stdout.trim())))
  )
const runner = { execPath: process.execPath, args: ['--import', 'tsx', join(process.cwd(), 'agents/runner.ts')] }
const gh = () => t.octokit(TOKENS.owner)
const repo = { owner: 'owner', repo: 'app' }

async function api<T>(method: string, input: unknown = {}): Promise<T> {
  const result = await core.call(method, input)
  if (!result.ok) throw new Error(`${method}: ${result.error.message}`)
  return result.data as T
}
/** What the pipeline did, for a failure's message. */
function state(): string {
  const rows = (sql: string) => JSON.stringify(core.db.prepare(sql).all())
  return [
    rows('SELECT number, labels FROM issues WHERE is_pull = 0'),
    rows('SELECT issue, stage, role, state, attempt, result FROM tasks ORDER BY rowid'),
    rows('SELECT issue, kind, question FROM requests WHERE answered_at IS NULL'),
    rows('SELECT number, issue, head, state, mergeable, mergeable_state, head_sha, base_sha FROM pulls'),
    rows('SELECT issue, kind, message FROM events ORDER BY id DESC LIMIT 25')
  ].join('\n')
}
/** Polls (syncing with the forge now and then, as the sync loop would) until `probe` answers. */
async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 90_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (let i = 0; ; i++) {
    const value = await probe()
    if (value) return value
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; the pipeline's state:\n${state()}`)
    if (i % 4 === 3) await api('repos.syncNow', { id: 1 }).catch(() => undefined)
    await new Promise((r) => setTimeout(r, 250))
  }
}
const labelsOf = async (n: number) => (await gh().rest.issues.get({ ...repo, issue_number: n })).data.labels.map((l) => (typeof l === 'string' ? l : l.name))
const at = (stage: string, n: number) => until(`#${n} at ${stage}`, async () => (await labelsOf(n)).includes(stage))
const pullFor = async (issue: number) => (await gh().rest.pulls.list({ ...repo, state: 'open' })).data.find((p) => p.head.ref === branchFor(issue, titles[issue]!))
const pull = async (n: number) => (await gh().rest.pulls.get({ ...repo, pull_number: n })).data
const comments = async (n: number) => (await gh().rest.issues.listComments({ ...repo, issue_number: n, per_page: 100 })).data.map((c) => c.body ?? '')
const titles: Record<number, string> = { 1: 'divide by zero returns Infinity', 2: 'export two' }

/** A person's commit on the default branch, pushed to the forge; returns its sha. */
async function pushToMain(file: string, content: string, message: string): Promise<string> {
  await git(work, 'pull', '-q', '--ff-only', 'origin', 'main')
  writeFileSync(join(work, file), content)
  await git(work, 'commit', '-q', '-am', message)
  await git(work, 'push', '-q', 'origin', 'HEAD:main')
  return git(work, 'rev-parse', 'HEAD')
}

beforeAll(async () => {
  const seed = baseSeed()
  const app = seed.repositories![0]!
  app.files = { ...calcProject(), 'src/index.js': 'export const one = 1\n' }
  app.issues = []
  t = await startForge(seed)
  root = mkdtempSync(join(tmpdir(), 'baton-branch-update-'))
  work = join(root, 'clone')
  await git(root, 'clone', '-q', t.forge.gitUrl('owner', 'app', TOKENS.owner), work)
  firstMain = await git(work, 'rev-parse', 'HEAD')
  core = await createCore({
    dataDir: join(root, 'baton'),
    mode: 'headless',
    log: createLogger({ level: 'error' }),
    env: { BATON_GITHUB_TOKEN: TOKENS.owner, BATON_GITHUB_API_URL: t.forge.apiUrl },
    githubTiming: { writeGapMs: 0 },
    runner,
    agentTiming: { heartbeatMs: 500, stallMs: 30_000, backoffMs: () => 200 }
  })
  // The Engineer and the Tester carry the issues from ready-for-dev; nobody else runs.
  for (const role of ['pm', 'architect', 'community', 'marketing']) await api('roles.update', { role, instances: 0 })
  await api('repos.connect', { remote: 'owner/app' })
  // #1 first, then #2: one agent PR at a time, so #2 waits for #1's.
  await gh().rest.issues.create({ ...repo, title: titles[1]!, body: `divide(1, 0) returns Infinity.\n\nA fix:\n\n${fixDiff}\n`, labels: ['ready-for-dev'] })
  await gh().rest.issues.create({ ...repo, title: titles[2]!, body: `Export a two.\n\n${indexDiff}\n`, labels: ['ready-for-dev'] })
  await api('repos.syncNow', { id: 1 })
}, 60_000)
afterAll(async () => {
  await core?.close()
  await t?.close()
  rmSync(root, { recursive: true, force: true })
})

describe('an agent PR whose default branch moved', () => {
  it('first reaches review with a PR that merges cleanly', async () => {
    await at('needs-review', 1)
    const pr = (await pullFor(1))!
    expect(await pull(pr.number)).toMatchObject({ mergeable: true, mergeable_state: 'clean' })
    // The label moves when the Tester's answer is applied; the sync reads the PR's mergeability after that.
    const readMergeable = () => core.db.prepare('SELECT mergeable, mergeable_state FROM pulls WHERE number = ?').get(pr.number) as { mergeable: number | null; mergeable_state: string | null } | undefined
    await until(`PR #${pr.number}'s mergeability read`, async () => readMergeable()?.mergeable_state != null)
    expect(readMergeable()).toEqual({ mergeable: 1, mergeable_state: 'clean' })
    // Asking whether it still merges costs an idle repository nothing: a 304, not counted.
    await api('repos.syncNow', { id: 1 })
    t.forge.clearLog()
    await api('repos.syncNow', { id: 1 })
    const asked = t.forge.requestLog().filter((e) => e.kind === 'api' && e.path.endsWith(`/pulls/${pr.number}`))
    expect(asked.map((e) => [e.method, e.status, e.countedAgainstRateLimit])).toEqual([['GET', 304, false]])
  }, 120_000)

  it('behind a default branch that must be up to date (no conflict): the Engineer merges it in, the Tester passes it, the PR merges cleanly again', async () => {
    const pr = (await pullFor(1))!
    await gh().request('PUT /repos/{owner}/{repo}/branches/{branch}/protection', {
      ...repo,
      branch: 'main',
      required_status_checks: { strict: true, contexts: ['ci/test'] },
      enforce_admins: false,
      required_pull_request_reviews: null,
      restrictions: null
    })
    // The repository's CI passes every head it sees.
    const ci = async (sha: string) => gh().rest.repos.createCommitStatus({ ...repo, sha, state: 'success', context: 'ci/test' })
    await ci(pr.head.sha)
    const moved = await pushToMain('README.md', '# calc\n\nA tiny calculator, now documented.\n', 'Document calc')
    expect((await pull(pr.number)).mergeable_state).toBe('behind')
    await api('repos.syncNow', { id: 1 })
    await at('in-progress', 1)
    expect((await comments(1)).some((c) => c.includes(`PR #${pr.number} is behind \`main\``))).toBe(true)
    const head = await until('a new head on the PR', async () => {
      const now = await pull(pr.number)
      return now.head.sha !== pr.head.sha ? now.head.sha : undefined
    })
    await ci(head)
    await at('needs-review', 1)
    const after = await pull(pr.number)
    expect(after).toMatchObject({ mergeable: true, mergeable_state: 'clean' })
    // A merge commit of the old head and the moved default branch: a fast-forward of what was pushed.
    await git(work, 'fetch', '-q', 'origin')
    expect((await git(work, 'rev-list', '--parents', '-n', '1', after.head.sha)).split(' ')).toEqual([after.head.sha, pr.head.sha, moved])
    expect(await git(work, 'log', '-1', '--format=%an|%s', after.head.sha)).toMatch(/^Baton Engineer\|Merge main into baton\/1-/)
    await gh().request('DELETE /repos/{owner}/{repo}/branches/{branch}/protection', { ...repo, branch: 'main' })
  }, 180_000)

  it('a push to the default branch that conflicts with the PR leads to a REQUEST naming the file; a patch against the new default branch, answered, updates the branch', async () => {
    const pr = (await pullFor(1))!
    await pushToMain('src/calc.js', calcProject('return x / y')['src/calc.js']!.replace('divide(a, b)', 'divide(x, y)'), 'Rename divide parameters')
    expect(await pull(pr.number)).toMatchObject({ mergeable: false, mergeable_state: 'dirty' })
    await api('repos.syncNow', { id: 1 })
    await at('in-progress', 1)
    expect((await comments(1)).some((c) => c.includes(`PR #${pr.number} no longer merges cleanly`))).toBe(true)
    const ask = await until('the Engineer asks', async () => (await api<InboxItem[]>('inbox.list')).find((i) => i.issue === 1 && i.kind === 'request'))
    expect(ask.question).toMatch(/^Merging main into baton\/1-\S+ conflicts in src\/calc\.js/)
    expect((await comments(1)).some((c) => c.includes('- `src/calc.js`'))).toBe(true)
    // The issue stays with the Engineer meanwhile: no loop, one task.
    expect(await labelsOf(1)).toContain('in-progress')
    await api('inbox.answer', { id: ask.id, answer: `Against the new main:\n\n${renamedDiff}` })
    await until('a new head on the PR', async () => (await pull(pr.number)).head.sha !== pr.head.sha)
    await at('needs-review', 1)
    expect(await pull(pr.number)).toMatchObject({ mergeable: true, mergeable_state: 'clean' })
    const file = (await gh().rest.repos.getContent({ ...repo, path: 'src/calc.js', ref: branchFor(1, titles[1]!) })).data as { content: string }
    expect(Buffer.from(file.content, 'base64').toString()).toContain("export function divide(x, y) {\n  if (y === 0) throw new RangeError('division by zero')\n  return x / y")
    // Each (head, base) sent the issue back once.
    const sentBack = core.db.prepare("SELECT COUNT(*) AS n FROM events WHERE kind = 'pr.conflict' AND issue = 1").get() as { n: number }
    expect(sentBack.n).toBe(2)
    const said = await comments(1)
    expect(said.filter((c) => c.includes(`PR #${pr.number} no longer merges cleanly`))).toHaveLength(1)
    expect(said.filter((c) => c.includes(`PR #${pr.number} is behind`))).toHaveLength(1)
  }, 180_000)

  it('an issue that waited for the other PR is prepared from the default branch as it is when its turn comes', async () => {
    // #2 waited (one PR at a time) with a branch an earlier attempt made and never pushed, on the default branch of then.
    const clone = join(root, 'baton', 'workspaces', 'clones', 'owner', 'app.git')
    const stale = join(root, 'stale')
    await git(root, 'clone', '-q', '--no-checkout', clone, stale)
    await git(stale, 'checkout', '-q', '-b', branchFor(2, titles[2]!), firstMain)
    writeFileSync(join(stale, 'src/index.js'), 'export const one = 1\nexport const two = 2\n')
    await git(stale, 'commit', '-q', '-am', 'export two (made before the wait)')
    await git(stale, 'push', '-q', clone, `HEAD:refs/heads/${branchFor(2, titles[2]!)}`)
    expect((await labelsOf(2)).includes('ready-for-dev')).toBe(true)

    const first = (await pullFor(1))!
    await api('prs.merge', { repoId: 1, number: first.number })
    const main = (await gh().rest.repos.getBranch({ ...repo, branch: 'main' })).data.commit.sha
    await at('needs-review', 2)
    const second = (await pullFor(2))!
    expect(await pull(second.number)).toMatchObject({ mergeable: true, mergeable_state: 'clean' })
    // Its branch is the default branch as merged, plus its own change.
    await git(work, 'fetch', '-q', 'origin')
    await git(work, 'merge-base', '--is-ancestor', main, second.head.sha)
    expect(await git(work, 'diff', '--name-only', main, second.head.sha)).toBe('src/index.js')
  }, 180_000)
})
