// The PR review's GitHub side through the app's API, against the forge: the
// head commit's checks (statuses and check runs), the repository's allowed
// merge methods and the one last used, and a merge that branch protection or
// a failing required check blocks, refused with GitHub's reason.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCore, type Core } from '../../../src/main/app'
import { createLogger } from '../../../src/main/log'
import type { ApiInput, ApiMethod, ApiOutput } from '../../../src/shared/api'
import { git, openPull as openPullIn } from '../forge/git-helpers'
import { startForge, TOKENS, type TestForge } from '../forge/helpers'

let t: TestForge
let core: Core
let root: string
const o = { owner: 'owner', repo: 'app' }
const openPull = (branch: string) => openPullIn(join(root, 'clone'), t.octokit(TOKENS.alice), o, branch)

async function api<M extends ApiMethod>(method: M, input: ApiInput<M>): Promise<ApiOutput<M>> {
  const result = await core.call(method, input)
  if (!result.ok) throw new Error(result.error.message)
  return result.data as ApiOutput<M>
}

beforeAll(async () => {
  t = await startForge()
  root = mkdtempSync(join(tmpdir(), 'baton-pr-review-'))
  await git(root, 'clone', '-q', t.forge.gitUrl('owner', 'app', TOKENS.alice), join(root, 'clone'))
  core = await createCore({
    dataDir: join(root, 'baton'),
    mode: 'headless',
    log: createLogger({ level: 'error' }),
    env: { BATON_GITHUB_TOKEN: TOKENS.owner, BATON_GITHUB_API_URL: t.forge.apiUrl },
    githubTiming: { writeGapMs: 0 },
    startAgents: false
  })
  await api('repos.connect', { remote: 'owner/app' })
})
afterAll(async () => {
  await core?.close()
  await t.close()
  rmSync(root, { recursive: true, force: true })
})

describe('PR review, GitHub side', () => {
  it("shows the head commit's statuses and check runs with one overall state", async () => {
    const { number, sha } = await openPull('checked')
    const before = await api('prs.detail', { repoId: 1, number })
    expect(before.checks).toEqual({ state: 'none', items: [] })
    const alice = t.octokit(TOKENS.alice)
    await alice.rest.repos.createCommitStatus({ ...o, sha, state: 'success', context: 'ci/test', description: '12 passed', target_url: 'https://ci.example.test/1' })
    await alice.rest.checks.create({ ...o, name: 'lint', head_sha: sha, status: 'in_progress' })
    const running = await api('prs.detail', { repoId: 1, number })
    expect(running.checks.state).toBe('pending')
    expect(running.checks.items).toEqual([
      { name: 'ci/test', kind: 'status', state: 'success', description: '12 passed', url: 'https://ci.example.test/1' },
      expect.objectContaining({ name: 'lint', kind: 'check-run', state: 'pending' })
    ])
    await alice.rest.checks.create({ ...o, name: 'lint', head_sha: sha, status: 'completed', conclusion: 'failure', output: { title: '3 problems', summary: 'x' } })
    const failed = await api('prs.detail', { repoId: 1, number })
    expect(failed.checks.state).toBe('failure')
    expect(failed.checks.items[1]).toMatchObject({ name: 'lint', state: 'failure', description: '3 problems' })
  })

  it("offers only the repository's merge methods, and remembers the one a person used", async () => {
    await t.octokit(TOKENS.owner).rest.repos.update({ ...o, allow_rebase_merge: false })
    const { number } = await openPull('methods')
    const detail = await api('prs.detail', { repoId: 1, number })
    expect(detail).toMatchObject({ allowedMergeMethods: ['merge', 'squash'], mergeMethod: 'merge', mergeableState: 'clean' })
    const bad = await core.call('repos.setMergeMethod', { id: 1, method: 'fast-forward' })
    expect(bad.ok).toBe(false)
    expect((await core.call('repos.setMergeMethod', { id: 99, method: 'squash' })).ok).toBe(false)
    const set = await api('repos.setMergeMethod', { id: 1, method: 'squash' })
    expect(set).toMatchObject({ id: 1, mergeMethod: 'squash' })
    expect((await api('prs.detail', { repoId: 1, number })).mergeMethod).toBe('squash')
    // A merge without a method uses the repository's: a squash has one parent.
    const merged = await api('prs.merge', { repoId: 1, number })
    await git(join(root, 'clone'), 'fetch', '-q', 'origin')
    expect((await git(join(root, 'clone'), 'rev-list', '--parents', '-n', '1', merged.sha)).split(' ')).toHaveLength(2)
    await api('repos.setMergeMethod', { id: 1, method: 'merge' })
    await t.octokit(TOKENS.owner).rest.repos.update({ ...o, allow_rebase_merge: true })
  })

  it("carries the PR's description and commits, and once it is merged or closed, who merged it and when", async () => {
    const { number, sha } = await openPull('described')
    await t.octokit(TOKENS.alice).rest.pulls.update({ ...o, pull_number: number, body: 'Why:\n\n- it reads better' })
    const open = await api('prs.detail', { repoId: 1, number })
    expect(open).toMatchObject({ body: 'Why:\n\n- it reads better', state: 'open', merged: false, mergedBy: null, mergedAt: null, closedAt: null })
    expect(open.commits).toEqual([{ sha, message: 'Add described', author: 'Alice', at: expect.any(String), url: expect.stringContaining(`/commit/${sha}`) }])
    await api('prs.merge', { repoId: 1, number, method: 'merge' })
    const merged = await api('prs.detail', { repoId: 1, number })
    expect(merged).toMatchObject({ state: 'closed', merged: true, mergedBy: 'owner' })
    expect(Date.parse(merged.mergedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(open.commits[0]!.at!) - 1000)
    expect(merged.closedAt).toBe(merged.mergedAt)
    // Closed without a merge: a close time, nobody who merged.
    const other = await openPull('abandoned')
    await t.octokit(TOKENS.alice).rest.pulls.update({ ...o, pull_number: other.number, state: 'closed' })
    const closed = await api('prs.detail', { repoId: 1, number: other.number })
    expect(closed).toMatchObject({ state: 'closed', merged: false, mergedBy: null, mergedAt: null, closedAt: expect.any(String) })
  })

  it('sets per repository which checks an issue waits for before review: required (default) or all, checked and audited', async () => {
    expect((await api('repos.list', {})).find((r) => r.id === 1)?.checksWait).toBe('required')
    const bad = await core.call('repos.setChecksWait', { id: 1, wait: 'some' })
    expect(bad.ok).toBe(false)
    if (!bad.ok) expect(bad.error.message).toMatch(/required|all/)
    expect((await core.call('repos.setChecksWait', { id: 99, wait: 'all' })).ok).toBe(false)
    expect(await api('repos.setChecksWait', { id: 1, wait: 'all' })).toMatchObject({ id: 1, checksWait: 'all' })
    expect(core.db.prepare("SELECT message FROM events WHERE kind = 'repo.checks-wait' ORDER BY id DESC LIMIT 1").get()).toEqual({ message: 'Issues wait for every check before review' })
    expect(await api('repos.setChecksWait', { id: 1, wait: 'required' })).toMatchObject({ checksWait: 'required' })
  })

  it('a merge held by branch protection or a failing required check says why, and goes through once they pass', async () => {
    const admin = t.octokit(TOKENS.owner)
    await admin.rest.repos.updateBranchProtection({
      ...o,
      branch: 'main',
      required_status_checks: { strict: false, contexts: ['ci/test'] },
      enforce_admins: true,
      required_pull_request_reviews: { required_approving_review_count: 1 },
      restrictions: null
    })
    const { number, sha } = await openPull('guarded')
    expect((await api('prs.detail', { repoId: 1, number })).mergeableState).toBe('blocked')
    const reason = async () => {
      const r = await core.call('prs.merge', { repoId: 1, number, method: 'merge' })
      return r.ok ? 'merged' : `${r.error.code}: ${r.error.message}`
    }
    expect(await reason()).toBe(`conflict: GitHub would not merge #${number}: At least 1 approving review is required by reviewers with write access.`)
    await admin.rest.pulls.createReview({ ...o, pull_number: number, event: 'APPROVE' })
    await t.octokit(TOKENS.alice).rest.repos.createCommitStatus({ ...o, sha, state: 'failure', context: 'ci/test' })
    expect(await reason()).toMatch(/Required status check "ci\/test" is failing/)
    await t.octokit(TOKENS.alice).rest.repos.createCommitStatus({ ...o, sha, state: 'success', context: 'ci/test' })
    expect(await reason()).toBe('merged')
  })
})
