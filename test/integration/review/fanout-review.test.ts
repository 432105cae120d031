// Fan-out review with consensus (issue #15), end to end: a forge repository
// whose PR has a planted lint error (a redeclared variable, which also makes
// the changed test fail), an untested change, a key-shaped string and a
// 1.5 MB binary (test/fixtures/review/planted.ts); a pipeline.yml with
// needs-code-review after needs-testing, owned by the `review` capability,
// route all, joined by the review join; the three builtin reviewers and a
// fourth (a `command` reviewer) whose agent is killed mid-review. One PR
// review lands on the forge: line comments, the consensus tag where lint and
// tests agree, the summary naming the missing reviewer; the consensus
// critical sends the issue back to the Engineer.
import { execFile } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCore, type Core } from '../../../src/main/app'
import { createLogger } from '../../../src/main/log'
import { branchFor } from '../../../src/main/pipeline/instructions'
import { postReview } from '../../../src/main/review/post-review'
import type { AgentSummary, BoardIssue, PipelineView } from '../../../src/shared/api'
import { BASE_FILES, commitPullRequest, PLANTED } from '../../fixtures/review/planted'
import { baseSeed, startForge, TOKENS, type TestForge } from '../forge/helpers'

const PIPELINE = `entry: ready-for-dev
done: done
stages:
  - { label: ready-for-dev, owner: engineer, next: [in-progress] }
  - { label: in-progress, owner: engineer, next: [needs-testing] }
  - { label: needs-testing, owner: tester, next: [needs-code-review, ready-for-dev] }
  - { label: needs-code-review, capability: review, route: all, join: review-request-changes, workspace: pr, next: [needs-review, in-progress] }
  - { label: needs-review, next: [done, ready-for-dev] }
  - { label: done }
`
const TITLE = 'Add a total function'
const BRANCH = branchFor(1, TITLE)

let t: TestForge
let core: Core
let root: string
let pr: number
const gitEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' }
const git = (cwd: string, ...args: string[]) =>
  new Promise<void>((resolve, reject) =>
    execFile('git', ['-c', 'user.name=Alice', '-c', 'user.email=alice@example.test', ...args], { cwd, env: gitEnv }, (error, _out, stderr) => (error ? reject(new Error(`git ${args[0]}: ${stderr}`)) : resolve()))
  )
const runner = { execPath: process.execPath, args: ['--import', 'tsx', join(process.cwd(), 'agents/runner.ts')] }
const gh = () => t.octokit(TOKENS.owner).rest

async function api<T>(method: string, input: unknown = {}): Promise<T> {
  const result = await core.call(method, input)
  if (!result.ok) throw new Error(`${method}: ${result.error.message}`)
  return result.data as T
}
async function until<T>(what: string, probe: () => Promise<T | undefined | false>, seen: () => Promise<unknown> | unknown, timeoutMs = 150_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; state: ${JSON.stringify(await seen())}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}
const tasks = () => core.db.prepare('SELECT id, role, agent, state, result, parent_task FROM tasks ORDER BY rowid').all()
const labels = async () => (await gh().issues.get({ owner: 'owner', repo: 'app', issue_number: 1 })).data.labels.map((l) => (typeof l === 'string' ? l : l.name))
const baton = async () => (await gh().pulls.listReviews({ owner: 'owner', repo: 'app', pull_number: pr })).data.filter((r) => r.user?.login === 'owner' && r.body?.includes('baton:review-round='))

beforeAll(async () => {
  const seed = baseSeed()
  const repo = seed.repositories![0]!
  repo.files = { ...BASE_FILES, '.baton/pipeline.yml': PIPELINE }
  repo.issues = [{ title: TITLE, body: 'A `total(list)` that sums a list of numbers.', author: 'owner' }]
  t = await startForge(seed)
  root = mkdtempSync(join(tmpdir(), 'baton-fanout-review-'))
  // Alice (write access) pushes the PR branch and opens the PR, so Baton's login may request changes on it.
  const clone = join(root, 'clone')
  await git(root, 'clone', '-q', t.forge.gitUrl('owner', 'app', TOKENS.alice), clone)
  commitPullRequest(clone, BRANCH)
  await git(clone, 'push', '-q', 'origin', BRANCH)
  pr = (await t.octokit(TOKENS.alice).rest.pulls.create({ owner: 'owner', repo: 'app', head: BRANCH, base: 'main', title: TITLE, body: 'Closes #1' })).data.number
  await gh().issues.addLabels({ owner: 'owner', repo: 'app', issue_number: 1, labels: ['needs-code-review'] })

  // The agents folder as shipped, plus a fourth reviewer that never finishes.
  const agentsDir = join(root, 'agents')
  cpSync(join(process.cwd(), 'agents'), agentsDir, { recursive: true })
  mkdirSync(join(agentsDir, 'reviewer-slow'))
  writeFileSync(join(agentsDir, 'reviewer-slow', 'role.md'), '# Reviewer: slow\n\nReviews, slowly.\n')
  writeFileSync(
    join(agentsDir, 'reviewer-slow', 'role.yml'),
    `capabilities: [review]\nprovider: command\ncommand: ${JSON.stringify(`${process.execPath} ${join(process.cwd(), 'test/fixtures/review/slow-reviewer.mjs')}`)}\ntimeLimitSec: 600\n`
  )
  core = await createCore({
    dataDir: join(root, 'baton'),
    mode: 'headless',
    agentsDir,
    log: createLogger({ level: 'error' }),
    env: { BATON_GITHUB_TOKEN: TOKENS.owner, BATON_GITHUB_API_URL: t.forge.apiUrl },
    githubTiming: { writeGapMs: 0 },
    runner,
    startAgents: false,
    agentTiming: { heartbeatMs: 500, stallMs: 30_000, backoffMs: () => 200 }
  })
  // Only the reviewers: nobody else has work here, and the machine has two cores.
  for (const role of ['pm', 'architect', 'engineer', 'tester', 'community', 'marketing']) await api('roles.update', { role, instances: 0 })
  await api('repos.connect', { remote: 'owner/app' })
  await api('repos.syncNow', { id: 1 })
}, 120_000)
afterAll(async () => {
  await core?.close()
  await t?.close()
  if (root) rmSync(root, { recursive: true, force: true })
})

describe('a fan-out review with consensus', () => {
  it('posts one PR review with consensus-tagged line comments, names the reviewer that died, and sends the consensus critical back', async () => {
    // The slow reviewer has its child task: kill its agent mid-review.
    const slow = await until(
      'reviewer-slow working on its child',
      async () => (await api<AgentSummary[]>('agents.list')).find((a) => a.name === 'reviewer-slow' && a.state === 'working' && a.pid),
      async () => ({
        events: core.db.prepare('SELECT kind, message FROM events ORDER BY id DESC LIMIT 15').all(),
        presence: core.runtime()?.supervisor.presence(),
        waits: [...(core.runtime()?.waits ?? new Map())],
        tasks: tasks(),
        card: (await api<BoardIssue[]>('issues.board')).find((c) => c.number === 1),
        pipeline: (await api<PipelineView>('pipeline.get', { repoId: 1 })).file
      })
    )
    process.kill(slow.pid as number, 'SIGKILL')

    const [review] = await until('the round’s PR review on the forge', async () => ((await baton()).length ? await baton() : false), () => ({ tasks: tasks() }))
    expect(review!.state).toBe('CHANGES_REQUESTED')
    const body = review!.body ?? ''
    expect(body).toMatch(/## Review: \d+ findings from 3 of 4 reviewers, 1 with consensus/)
    expect(body).toMatch(/\| reviewer-slow \| — \| — \| — \| missing: /)
    for (const name of ['reviewer-lint', 'reviewer-tests', 'reviewer-secrets']) expect(body).toMatch(new RegExp(`\\| ${name} \\| \\d+ \\| \\d+ \\| \\d+ \\| answered \\|`))
    // The binary (line 0) is outside the diff's lines: in the summary.
    expect(body).toMatch(/### Outside the diff[\s\S]*assets\/logo.bin/)
    expect(body).not.toContain('AKIAIOSFODNN7EXAMPLE')

    const comments = (await gh().pulls.listReviewComments({ owner: 'owner', repo: 'app', pull_number: pr, per_page: 100 })).data.filter((c) => c.pull_request_review_id === review!.id)
    const on = (file: string, line: number) => comments.filter((c) => c.path === file && c.line === line)
    const redeclared = on(PLANTED.redeclared.file, PLANTED.redeclared.line)
    expect(redeclared).toHaveLength(1)
    expect(redeclared[0]!.body).toMatch(/^\*\*Critical\*\* · consensus \(2 of 3\) · reviewer-(lint|tests), reviewer-(lint|tests)/)
    expect(redeclared[0]!.body).toContain("Identifier 'sum' has already been declared")
    const key = on(PLANTED.key.file, PLANTED.key.line)
    expect(key).toHaveLength(1)
    expect(key[0]!.body).toMatch(/^\*\*Critical\*\* · reviewer-secrets · `secret\/aws-access-key`/)
    expect(key[0]!.body).not.toContain('consensus')
    expect(on(PLANTED.untested.file, PLANTED.untested.line)[0]?.body).toMatch(/^\*\*Recommendation\*\* · reviewer-tests/)
    expect(comments.filter((c) => /consensus/.test(c.body))).toHaveLength(1)

    // The consensus critical sends #1 back to the Engineer's stage among the stage's moves.
    await until('#1 back at in-progress', async () => (await labels()).includes('in-progress'), async () => ({ labels: await labels(), tasks: tasks() }))
    expect(await labels()).not.toContain('needs-code-review')
    const comment = (await gh().issues.listComments({ owner: 'owner', repo: 'app', issue_number: 1 })).data.map((c) => c.body ?? '').find((b) => b.includes('## Review:'))
    expect(comment).toMatch(/critical finding with consensus: back to in-progress/)
    // The Engineer's next trigger carries every finding: the round's answer is a `review` note.
    const notes = core.db.prepare("SELECT kind, body FROM notes WHERE repo_id = 1 AND issue = 1 AND kind = 'review'").all() as Array<{ body: string }>
    expect(notes).toHaveLength(1)
    expect(notes[0]!.body).toContain('`src/calc.js:8` **Critical** · consensus (2 of 3)')
    expect(notes[0]!.body).toContain('`src/config.js:2` **Critical** · reviewer-secrets')
    // The join run again for the same round (a crash after the post, before the answer was applied):
    // the review is found by its marker on the forge, and nothing is posted twice.
    const parent = core.db.prepare("SELECT p.id, MAX(c.parent_attempt) AS round FROM tasks p JOIN tasks c ON c.parent_task = p.id WHERE p.role = '@review'").get() as { id: string; round: number }
    const again = await postReview(core.github.port(), {
      repo: { id: 1, owner: 'owner', name: 'app', defaultBranch: 'main' },
      pr,
      round: { task: parent.id, round: parent.round },
      reports: [{ reviewer: 'reviewer-lint', outcome: 'answered', findings: [] }],
      consensus: { findings: [], answered: 1 },
      event: 'COMMENT'
    })
    expect(again.posted).toBe(false)
    await api('repos.syncNow', { id: 1 })
    expect(await baton()).toHaveLength(1)
  }, 240_000)
})
