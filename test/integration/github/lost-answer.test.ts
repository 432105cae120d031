// A write GitHub applied whose answer never arrived (the connection dropped on
// the way back). The forge's faults act before a request is handled, so a
// proxy on 127.0.0.1 stands between the service and the forge: it lets the
// forge apply the request and then closes the connection instead of relaying
// the answer. DESIGN.md §7: such an effect is checked against GitHub before it
// is repeated — never blindly sent again.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createOctokit, describeGitHubError, type GitHub } from '../../../src/main/github/octokit'
import type { GitHubService } from '../../../src/main/github/service'
import type { RepoRef } from '../../../src/main/pipeline/ports'
import { FAST, makeService, proxy, pushBranch, setup, TOKENS, type Env, type Proxy } from './helpers'

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

const posts = (path: RegExp) => env.forge.requestLog().filter((e) => e.method === 'POST' && path.test(e.path))

describe('a POST whose answer was lost is not sent again', () => {
  it('a comment: the call fails as offline, GitHub has it once; the retried effect finds its marker', async () => {
    const port = service.port()
    const marker = '<!-- baton:task=t_lost -->'
    lossy.loseNextAnswer('POST')
    const error = await port.comment(repo, 2, `Triage notes\n\n${marker}`, marker).catch((e: unknown) => e)
    expect(describeGitHubError(error, 'commenting').code).toBe('offline')
    expect(posts(/\/issues\/2\/comments$/)).toHaveLength(1)

    await port.comment(repo, 2, `Triage notes\n\n${marker}`, marker)
    const onGitHub = (await octokit.rest.issues.listComments({ ...base, issue_number: 2 })).data.filter((c) => c.body?.includes(marker))
    expect(onGitHub).toHaveLength(1)
    expect(posts(/\/issues\/2\/comments$/)).toHaveLength(1)
    expect(env.db.prepare('SELECT COUNT(*) AS n FROM comments WHERE repo_id = ? AND issue = 2 AND body LIKE ?').get(repo.id, `%${marker}%`)).toEqual({ n: 1 })
  })

  it('an issue: kept as a draft; the retry finds the one GitHub made instead of opening a second', async () => {
    const input = { repoId: repo.id, title: 'Lost on the way back', body: 'Typed once.', labels: ['backlog'] }
    lossy.loseNextAnswer('POST')
    const first = await service.createIssue(input)
    expect(first.created).toBe(false)
    if (first.created) return
    expect(first.draft).toMatchObject({ title: input.title, body: input.body })
    expect(first.draft.error).toMatch(/could not be reached/)
    expect(posts(/\/repos\/owner\/app\/issues$/)).toHaveLength(1)

    const retried = await service.retryDraft(first.draft.id)
    expect(retried.created).toBe(true)
    const sameTitle = (await octokit.rest.issues.listForRepo({ ...base, state: 'all', per_page: 100 })).data.filter((i) => i.title === input.title)
    expect(sameTitle).toHaveLength(1)
    if (retried.created) expect(retried.number).toBe(sameTitle[0]!.number)
    expect(posts(/\/repos\/owner\/app\/issues$/)).toHaveLength(1)
    expect(env.db.prepare('SELECT COUNT(*) AS n FROM drafts').get()).toEqual({ n: 0 })
    expect(env.db.prepare('SELECT labels FROM issues WHERE repo_id = ? AND number = ?').get(repo.id, sameTitle[0]!.number)).toEqual({ labels: '["backlog"]' })
  })

  it('a retried draft GitHub never got is posted once', async () => {
    const input = { repoId: repo.id, title: 'Refused at first', body: 'Body.', labels: [] }
    env.forge.faults.inject({ kind: 'error', status: 503, count: 1, method: 'POST' })
    const first = await service.createIssue(input)
    expect(first.created).toBe(false)
    if (first.created) return
    const retried = await service.retryDraft(first.draft.id)
    expect(retried.created).toBe(true)
    const sameTitle = (await octokit.rest.issues.listForRepo({ ...base, state: 'all', per_page: 100 })).data.filter((i) => i.title === input.title)
    expect(sameTitle).toHaveLength(1)
    expect(sameTitle[0]!.labels.map((l) => (typeof l === 'string' ? l : l.name))).toEqual(['backlog'])
  })

  it('a pull request: the retried effect finds the one GitHub opened', async () => {
    pushBranch(env.forge, 'owner', 'app', 'baton/2-lost', 'lost.txt', 'lost\n')
    lossy.loseNextAnswer('POST')
    const error = await service.port().ensurePullRequest(repo, 'baton/2-lost', 'Lost PR', 'Closes #2').catch((e: unknown) => e)
    expect(describeGitHubError(error, 'opening').code).toBe('offline')
    const number = await service.port().ensurePullRequest(repo, 'baton/2-lost', 'Lost PR', 'Closes #2')
    expect(posts(/\/pulls$/)).toHaveLength(1)
    const open = (await octokit.rest.pulls.list({ ...base, state: 'open', per_page: 100 })).data.filter((p) => p.head.ref === 'baton/2-lost')
    expect(open.map((p) => p.number)).toEqual([number])
  })

  it('a PATCH sets a state, so a lost answer is simply sent again', async () => {
    const through = createOctokit({ baseUrl: lossy.apiUrl, token: TOKENS.owner, timing: FAST }).octokit
    lossy.loseNextAnswer('PATCH')
    const r = await through.rest.issues.update({ ...base, issue_number: 1, title: 'Renamed twice is renamed once' })
    expect(r.data.title).toBe('Renamed twice is renamed once')
    expect(env.forge.requestLog().filter((e) => e.method === 'PATCH')).toHaveLength(2)
  })
})
