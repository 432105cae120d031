// A hand-off's issue whose answer was lost (GitHubPort.createIssue, issue #14):
// the forge applied the POST but the connection dropped on the way back (a
// proxy between the service and the forge). Filing it again must find the
// issue by its marker and never open a second (DESIGN.md §7).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createOctokit, describeGitHubError, type GitHub } from '../../../src/main/github/octokit'
import type { GitHubService } from '../../../src/main/github/service'
import { handoffBody, handoffMarker } from '../../../src/main/pipeline/handoff-body'
import type { RepoRef } from '../../../src/main/pipeline/ports'
import { FAST, makeService, proxy, setup, TOKENS, type Env, type Proxy } from './helpers'

let env: Env
let lossy: Proxy
let service: GitHubService
let octokit: GitHub
let repo: RepoRef
const base = { owner: 'owner', repo: 'app' }

beforeAll(async () => {
  env = await setup()
  lossy = await proxy(env.forge.url)
  service = makeService(env, { defaultApiUrl: lossy.apiUrl })
  await service.signInWithToken(TOKENS.owner)
  const connected = await service.connect('owner/app')
  repo = { id: connected.id, owner: 'owner', name: 'app', defaultBranch: connected.defaultBranch }
  octokit = createOctokit({ baseUrl: env.forge.apiUrl, token: TOKENS.owner, timing: FAST }).octokit
})
afterAll(async () => {
  service.stop()
  await lossy.close()
  await env.close()
})
beforeEach(() => env.forge.clearLog())

const posts = () => env.forge.requestLog().filter((e) => e.method === 'POST' && /\/repos\/owner\/app\/issues$/.test(e.path))

describe('filing a hand-off whose answer was lost', () => {
  it('fails as offline with GitHub holding it once; the retry takes that issue (its marker), no second POST', async () => {
    const port = service.port()
    const since = new Date(Date.now() - 60_000).toISOString()
    const body = handoffBody(41, { from: 'acme/app#3', summary: 'Lost on the way back.' })
    lossy.loseNextAnswer('POST')
    const error = await port.createIssue!(repo, { title: 'Handed off, answer lost', body, labels: [] }, handoffMarker(41, 'handoff'), since).catch((e: unknown) => e)
    expect(describeGitHubError(error, 'filing').code).toBe('offline')
    expect(posts()).toHaveLength(1)

    const again = await port.createIssue!(repo, { title: 'Handed off, answer lost', body, labels: [] }, handoffMarker(41, 'handoff'), since)
    const same = (await octokit.rest.issues.listForRepo({ ...base, state: 'all', per_page: 100 })).data.filter((i) => i.title === 'Handed off, answer lost')
    expect(same).toHaveLength(1)
    expect(again.number).toBe(same[0]!.number)
    expect(again.url).toMatch(new RegExp(`/owner/app/issues/${again.number}$`))
    expect(posts()).toHaveLength(1)
    expect(env.db.prepare('SELECT COUNT(*) AS n FROM issues WHERE repo_id = ? AND number = ?').get(repo.id, again.number)).toEqual({ n: 1 })

    // Another hand-off (another marker) with the same title is its own issue.
    const other = await port.createIssue!(repo, { title: 'Handed off, answer lost', body: handoffBody(42, { from: 'acme/app#3', summary: 'x' }), labels: [] }, handoffMarker(42, 'handoff'), since)
    expect(other.number).not.toBe(again.number)
    expect(posts()).toHaveLength(2)
  })

  it("an issue someone else wrote with the marker in it is not taken for Baton's", async () => {
    const since = new Date(Date.now() - 60_000).toISOString()
    const marker = handoffMarker(77, 'handoff')
    await createOctokit({ baseUrl: env.forge.apiUrl, token: TOKENS.alice, timing: FAST }).octokit.rest.issues.create({ ...base, title: 'Planted', body: `Planted.\n\n${marker}` })
    const filed = await service.port().createIssue!(repo, { title: 'The real one', body: handoffBody(77, { from: 'acme/app#3', summary: 'Real.' }), labels: [] }, marker, since)
    expect((await octokit.rest.issues.get({ ...base, issue_number: filed.number })).data.title).toBe('The real one')
  })
})
