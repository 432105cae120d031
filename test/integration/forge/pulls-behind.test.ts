// A PR behind its base, as GitHub shows it: with branch protection that
// requires branches to be up to date (`strict`) and a required check, a PR
// whose head lacks the base's head reads `mergeable_state: "behind"` and its
// merge is refused with 405; brought up to date (the base merged in) it reads
// as its checks say. `strict` with no required check holds nothing (GitHub
// ignores it then), and a conflict still reads `dirty`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { git, openPull } from './git-helpers'
import { TOKENS, conforms, failure, startForge, type TestForge } from './helpers'

let t: TestForge
let work: string
const o = { owner: 'owner', repo: 'app' }

async function pushMain(file: string, content: string): Promise<string> {
  await git(work, 'fetch', '-q', 'origin')
  await git(work, 'checkout', '-q', '-B', 'main', 'origin/main')
  writeFileSync(join(work, file), content)
  await git(work, 'add', '-A')
  await git(work, 'commit', '-q', '-m', `main: ${file}`)
  await git(work, 'push', '-q', 'origin', 'main:main')
  return (await git(work, 'rev-parse', 'HEAD')).trim()
}

const protect = (contexts: string[]) =>
  t.octokit(TOKENS.owner).request('PUT /repos/{owner}/{repo}/branches/{branch}/protection', {
    ...o,
    branch: 'main',
    required_status_checks: { strict: true, contexts },
    enforce_admins: false,
    required_pull_request_reviews: null,
    restrictions: null
  })

beforeAll(async () => {
  t = await startForge()
  work = join(mkdtempSync(join(tmpdir(), 'forge-behind-')), 'w')
  await git(join(work, '..'), 'clone', '-q', t.forge.gitUrl('owner', 'app', TOKENS.owner), work)
})
afterAll(async () => {
  await t?.close()
  rmSync(join(work, '..'), { recursive: true, force: true })
})

describe('a PR behind a base that must be up to date', () => {
  it('reads behind and is refused a merge; merged up to date it reads as its checks say, and merges', async () => {
    const owner = t.octokit(TOKENS.owner)
    const pr = await openPull(work, owner, o, 'behind-1')
    await protect(['ci/test'])
    await owner.rest.repos.createCommitStatus({ ...o, sha: pr.sha, state: 'success', context: 'ci/test' })
    expect((await owner.rest.pulls.get({ ...o, pull_number: pr.number })).data.mergeable_state).toBe('clean')
    await pushMain('other.txt', 'other\n')
    const behind = await owner.rest.pulls.get({ ...o, pull_number: pr.number })
    conforms('get', '/repos/{owner}/{repo}/pulls/{pull_number}', behind)
    expect(behind.data).toMatchObject({ mergeable: true, mergeable_state: 'behind' })
    const refused = await failure(owner.rest.pulls.merge({ ...o, pull_number: pr.number }))
    expect(refused.status).toBe(405)
    expect(refused.data.message).toBe('1 of 1 required status check is expected.')

    // The base merged into the branch: up to date, its new head's check pending until CI reports.
    await git(work, 'checkout', '-q', 'behind-1')
    await git(work, 'merge', '-q', '--no-edit', 'origin/main')
    await git(work, 'push', '-q', 'origin', 'behind-1:behind-1')
    const head = (await git(work, 'rev-parse', 'HEAD')).trim()
    expect((await owner.rest.pulls.get({ ...o, pull_number: pr.number })).data.mergeable_state).toBe('blocked')
    await owner.rest.repos.createCommitStatus({ ...o, sha: head, state: 'success', context: 'ci/test' })
    expect((await owner.rest.pulls.get({ ...o, pull_number: pr.number })).data.mergeable_state).toBe('clean')
    expect((await owner.rest.pulls.merge({ ...o, pull_number: pr.number })).data.merged).toBe(true)
  })

  it('strict with no required check holds nothing; a conflict reads dirty, not behind', async () => {
    const owner = t.octokit(TOKENS.owner)
    await protect([])
    const pr = await openPull(work, owner, o, 'behind-2')
    await pushMain('another.txt', 'another\n')
    expect((await owner.rest.pulls.get({ ...o, pull_number: pr.number })).data.mergeable_state).toBe('clean')
    await protect(['ci/test'])
    await pushMain('behind-2.txt', 'not the branch’s\n')
    expect((await owner.rest.pulls.get({ ...o, pull_number: pr.number })).data).toMatchObject({ mergeable: false, mergeable_state: 'dirty' })
  })
})
