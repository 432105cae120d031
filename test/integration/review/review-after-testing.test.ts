// The fan-out review as a stage of the whole pipeline (issue #15): the builtin
// Engineer applies the issue's change, the builtin Tester runs the tests (they
// pass) and moves on to needs-code-review — the stage after it in this
// repository's .baton/pipeline.yml, not the person's review — the three
// builtin reviewers review the PR, and with no critical finding two of them
// agree on, one COMMENT review lands and the issue moves on to the person.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCore, type Core } from '../../../src/main/app'
import { createLogger } from '../../../src/main/log'
import { BASE_FILES } from '../../fixtures/review/planted'
import { baseSeed, startForge, TOKENS, type TestForge } from '../forge/helpers'

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
// The change, as whole files the builtin Engineer writes: a helper no test loads (it does not parse) and a config with a key.
const UTIL = 'export function double(list) {\n  const out = []\n  for (const n of list) out.push(n * 2)\n  const out = out.slice()\n  return out\n}\n'
const CONFIG = "export const region = 'eu-west-1'\nexport const awsAccessKeyId = 'AKIAIOSFODNN7EXAMPLE'\n"
const BODY = `Add a doubling helper and the region config.\n\n\`\`\`src/util.js\n${UTIL}\`\`\`\n\n\`\`\`src/config.js\n${CONFIG}\`\`\`\n`

let t: TestForge
let core: Core
let root: string
const runner = { execPath: process.execPath, args: ['--import', 'tsx', join(process.cwd(), 'agents/runner.ts')] }
const gh = () => t.octokit(TOKENS.owner).rest

async function api<T>(method: string, input: unknown = {}): Promise<T> {
  const result = await core.call(method, input)
  if (!result.ok) throw new Error(`${method}: ${result.error.message}`)
  return result.data as T
}
const tasks = () => core.db.prepare('SELECT role, stage, state, result FROM tasks ORDER BY rowid').all()
const labels = async () => (await gh().issues.get({ owner: 'owner', repo: 'app', issue_number: 1 })).data.labels.map((l) => (typeof l === 'string' ? l : l.name))
async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 180_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; labels ${JSON.stringify(await labels())}, tasks ${JSON.stringify(tasks())}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

beforeAll(async () => {
  const seed = baseSeed()
  const repo = seed.repositories![0]!
  repo.files = { ...BASE_FILES, '.baton/pipeline.yml': PIPELINE }
  repo.issues = [{ title: 'Add a doubling helper', body: BODY, author: 'owner', labels: ['ready-for-dev'] }]
  t = await startForge(seed)
  root = mkdtempSync(join(tmpdir(), 'baton-review-after-testing-'))
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
  for (const role of ['pm', 'architect', 'community', 'marketing']) await api('roles.update', { role, instances: 0 })
  await api('roles.update', { role: 'engineer', instances: 1 })
  await api('repos.connect', { remote: 'owner/app' })
  await api('repos.syncNow', { id: 1 })
}, 120_000)
afterAll(async () => {
  await core?.close()
  await t?.close()
  if (root) rmSync(root, { recursive: true, force: true })
})

describe('a review stage after testing', () => {
  it('is reached by the Tester’s pass, posts one COMMENT review, and moves on to the person', async () => {
    await until('#1 at needs-review', async () => (await labels()).includes('needs-review'))
    const stages = (tasks() as Array<{ role: string; stage: string; state: string }>).filter((x) => x.state === 'applied').map((x) => `${x.role}@${x.stage}`)
    expect(stages).toEqual(expect.arrayContaining(['engineer@ready-for-dev', 'engineer@in-progress', 'tester@needs-testing', '@review@needs-code-review']))
    const pr = (await gh().pulls.list({ owner: 'owner', repo: 'app', state: 'open' })).data[0]!
    const reviews = (await gh().pulls.listReviews({ owner: 'owner', repo: 'app', pull_number: pr.number })).data.filter((r) => r.body?.includes('baton:review-round='))
    expect(reviews).toHaveLength(1)
    expect(reviews[0]!.state).toBe('COMMENTED')
    expect(reviews[0]!.body).toMatch(/## Review: \d+ findings from 3 of 3 reviewers/)
    expect(reviews[0]!.body).toMatch(/\| \*\*merged\*\* \| 2 \| 2 \| 0 \| 0 with consensus \|/)
    const comments = (await gh().pulls.listReviewComments({ owner: 'owner', repo: 'app', pull_number: pr.number })).data
    const at = (path: string, line: number) => comments.find((c) => c.path === path && c.line === line)?.body ?? ''
    expect(at('src/util.js', 4)).toMatch(/^\*\*Critical\*\* · reviewer-lint · `syntax`\n\nSyntaxError: Identifier 'out' has already been declared/)
    expect(at('src/util.js', 1)).toMatch(/^\*\*Recommendation\*\* · reviewer-tests/)
    expect(at('src/config.js', 2)).toMatch(/^\*\*Critical\*\* · reviewer-secrets · `secret\/aws-access-key`/)
    expect(comments.filter((c) => /consensus \(/.test(c.body))).toEqual([])
    const comment = (await gh().issues.listComments({ owner: 'owner', repo: 'app', issue_number: 1 })).data.map((c) => c.body ?? '').find((b) => b.includes('## Review:'))
    expect(comment).toMatch(/No critical finding with consensus: on to needs-review\./)
  }, 240_000)
})
