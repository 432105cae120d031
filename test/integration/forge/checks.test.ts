// What blocks a merge on the forge, as on GitHub: commit statuses and check
// runs (combined state, newest per context), branch protection with required
// checks and approving reviews, and the repository's allowed merge methods —
// each refused merge names its reason in GitHub's words.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TOKENS, conforms, failure, startForge } from './helpers'
import type { TestForge } from './helpers'
import { git, openPull as openPullIn } from './git-helpers'

let t: TestForge
let work: string
const o = { owner: 'owner', repo: 'app' }
const openPull = (branch: string) => openPullIn(work, t.octokit(TOKENS.alice), o, branch)

beforeAll(async () => {
  t = await startForge()
  work = join(mkdtempSync(join(tmpdir(), 'forge-checks-')), 'app')
  await git(tmpdir(), 'clone', '-q', t.forge.gitUrl('owner', 'app', TOKENS.alice), work)
})
afterAll(async () => {
  await t.close()
  rmSync(join(work, '..'), { recursive: true, force: true })
})

describe('commit statuses and check runs', () => {
  it('combines the newest status per context, and lists check runs by ref', async () => {
    const { sha } = await openPull('statuses')
    const ok = t.octokit(TOKENS.alice)
    const none = await ok.rest.repos.getCombinedStatusForRef({ ...o, ref: sha })
    conforms('GET', '/repos/{owner}/{repo}/commits/{ref}/status', none)
    expect(none.data).toMatchObject({ state: 'pending', total_count: 0, sha })

    const created = await ok.rest.repos.createCommitStatus({ ...o, sha, state: 'pending', context: 'ci/test', description: 'Running' })
    conforms('POST', '/repos/{owner}/{repo}/statuses/{sha}', created)
    expect(created.status).toBe(201)
    await ok.rest.repos.createCommitStatus({ ...o, sha, state: 'success', context: 'ci/test' })
    await ok.rest.repos.createCommitStatus({ ...o, sha, state: 'success', context: 'lint' })
    const combined = await ok.rest.repos.getCombinedStatusForRef({ ...o, ref: 'statuses' })
    conforms('GET', '/repos/{owner}/{repo}/commits/{ref}/status', combined)
    expect(combined.data.state).toBe('success')
    expect(combined.data.statuses.map((s) => `${s.context}=${s.state}`)).toEqual(['lint=success', 'ci/test=success'])
    await ok.rest.repos.createCommitStatus({ ...o, sha, state: 'failure', context: 'lint', description: '2 problems' })
    expect((await ok.rest.repos.getCombinedStatusForRef({ ...o, ref: sha })).data.state).toBe('failure')
    const all = await ok.rest.repos.listCommitStatusesForRef({ ...o, ref: sha })
    conforms('GET', '/repos/{owner}/{repo}/commits/{ref}/statuses', all)
    expect(all.data).toHaveLength(4)

    const run = await ok.rest.checks.create({ ...o, name: 'build', head_sha: sha, status: 'completed', conclusion: 'success', output: { title: 'Built', summary: 'ok' } })
    conforms('POST', '/repos/{owner}/{repo}/check-runs', run)
    const runs = await ok.rest.checks.listForRef({ ...o, ref: sha })
    conforms('GET', '/repos/{owner}/{repo}/commits/{ref}/check-runs', runs)
    expect(runs.data.check_runs.map((r) => [r.name, r.status, r.conclusion])).toEqual([['build', 'completed', 'success']])

    const bad = await failure(ok.rest.repos.createCommitStatus({ ...o, sha, state: 'maybe' as 'success' }))
    expect(bad.status).toBe(422)
    expect((await failure(t.octokit(TOKENS.bob).rest.repos.createCommitStatus({ ...o, sha, state: 'success' }))).status).toBe(403)
  })
})

describe('what blocks a merge', () => {
  it('refuses a merge method the repository does not allow, and keeps one allowed', async () => {
    const admin = t.octokit(TOKENS.owner)
    const patched = await admin.rest.repos.update({ ...o, allow_merge_commit: false, allow_rebase_merge: false })
    conforms('PATCH', '/repos/{owner}/{repo}', patched)
    expect(patched.data).toMatchObject({ allow_merge_commit: false, allow_squash_merge: true, allow_rebase_merge: false })
    const none = await failure(admin.rest.repos.update({ ...o, allow_squash_merge: false }))
    expect(none.status).toBe(422)
    expect(none.data.message).toMatch(/at least one merge strategy/)
    expect((await failure(t.octokit(TOKENS.alice).rest.repos.update({ ...o, allow_merge_commit: true }))).status).toBe(403)

    const { number } = await openPull('methods')
    const refused = await failure(admin.rest.pulls.merge({ ...o, pull_number: number, merge_method: 'merge' }))
    conforms('PUT', '/repos/{owner}/{repo}/pulls/{pull_number}/merge', refused)
    expect(refused).toMatchObject({ status: 405, data: { message: 'Merge commits are not allowed on this repository.' } })
    expect((await admin.rest.pulls.merge({ ...o, pull_number: number, merge_method: 'squash' })).data.merged).toBe(true)
    await admin.rest.repos.update({ ...o, allow_merge_commit: true, allow_rebase_merge: true })
  })

  it('holds a merge for required checks and approving reviews, then lets it through', async () => {
    const admin = t.octokit(TOKENS.owner)
    const alice = t.octokit(TOKENS.alice)
    const rule = await admin.rest.repos.updateBranchProtection({
      ...o,
      branch: 'main',
      required_status_checks: { strict: false, contexts: ['ci/test'] },
      enforce_admins: true,
      required_pull_request_reviews: { required_approving_review_count: 1 },
      restrictions: null
    })
    conforms('PUT', '/repos/{owner}/{repo}/branches/{branch}/protection', rule)
    expect(rule.data.required_status_checks?.contexts).toEqual(['ci/test'])
    const read = await admin.rest.repos.getBranchProtection({ ...o, branch: 'main' })
    conforms('GET', '/repos/{owner}/{repo}/branches/{branch}/protection', read)
    expect((await failure(alice.rest.repos.getBranchProtection({ ...o, branch: 'main' }))).status).toBe(403)
    // A writer who may not read the rule still sees, on the branch, that it is protected and which checks it requires (as on GitHub).
    const branch = await alice.rest.repos.getBranch({ ...o, branch: 'main' })
    conforms('GET', '/repos/{owner}/{repo}/branches/{branch}', branch)
    expect(branch.data).toMatchObject({ protected: true, protection: { enabled: true, required_status_checks: { contexts: ['ci/test'] } } })

    const { number, sha } = await openPull('protected')
    expect((await admin.rest.pulls.get({ ...o, pull_number: number })).data.mergeable_state).toBe('blocked')
    const why = async () => (await failure(admin.rest.pulls.merge({ ...o, pull_number: number }))).data.message
    expect(await why()).toBe('At least 1 approving review is required by reviewers with write access.')
    await admin.rest.pulls.createReview({ ...o, pull_number: number, event: 'APPROVE' })
    expect(await why()).toBe('Required status check "ci/test" is expected.')
    await alice.rest.repos.createCommitStatus({ ...o, sha, state: 'pending', context: 'ci/test' })
    expect(await why()).toBe('Required status check "ci/test" is pending.')
    await alice.rest.repos.createCommitStatus({ ...o, sha, state: 'failure', context: 'ci/test' })
    expect(await why()).toBe('Required status check "ci/test" is failing.')
    await alice.rest.repos.createCommitStatus({ ...o, sha, state: 'success', context: 'ci/test' })
    expect((await admin.rest.pulls.get({ ...o, pull_number: number })).data.mergeable_state).toBe('clean')
    expect((await admin.rest.pulls.merge({ ...o, pull_number: number })).data.merged).toBe(true)

    expect((await admin.request('DELETE /repos/{owner}/{repo}/branches/{branch}/protection', { ...o, branch: 'main' })).status).toBe(204)
    expect((await failure(admin.rest.repos.getBranchProtection({ ...o, branch: 'main' }))).status).toBe(404)
  })
})
