// A write GitHub applied whose answer never arrived (the connection dropped on
// the way back). The forge's faults act before a request is handled, so a
// proxy on 127.0.0.1 stands between the client and the forge: it lets the
// forge apply the request and then closes the connection instead of relaying
// the answer. DESIGN.md §7: such an effect is checked against GitHub before it
// is repeated — never blindly sent again.
import http from 'node:http'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createGitHubClient, type GitHubClient } from '../../../src/main/github/client'
import { connectRepository, parseRemote } from '../../../src/main/github/connect'
import { toAppError } from '../../../src/main/github/errors'
import { createIssue } from '../../../src/main/github/issues'
import { createGitHubPort } from '../../../src/main/github/port'
import { LocalWrites } from '../../../src/main/github/sync'
import { FAST, setup, TOKENS, type Env } from './helpers'

interface LossyProxy {
  apiUrl: string
  /** The next request with this method reaches the forge; its answer is dropped. */
  loseNextAnswer(method: string): void
  close(): Promise<void>
}

async function lossyProxy(forgeUrl: string): Promise<LossyProxy> {
  const target = new URL(forgeUrl)
  let lose: string | null = null
  const server = http.createServer((req, res) => {
    const upstream = http.request({ host: '127.0.0.1', port: target.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      if (lose !== null && req.method === lose) {
        lose = null
        answer.resume()
        answer.on('end', () => req.socket.destroy())
        return
      }
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    })
    req.pipe(upstream)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return {
    apiUrl: `http://127.0.0.1:${port}/api/v3`,
    loseNextAnswer: (method) => (lose = method),
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

let env: Env
let proxy: LossyProxy
let client: GitHubClient
let repo: { id: number; owner: string; name: string; defaultBranch: string }
const base = { owner: 'owner', repo: 'app' }

beforeAll(async () => {
  env = await setup()
  proxy = await lossyProxy(env.forge.url)
  client = createGitHubClient({ apiUrl: proxy.apiUrl, token: TOKENS.owner, timing: FAST })
  const connected = await connectRepository(env.db, client.octokit, proxy.apiUrl, parseRemote('owner/app', new URL(proxy.apiUrl).host), 'owner')
  repo = { id: connected.id, owner: 'owner', name: 'app', defaultBranch: connected.defaultBranch }
})
afterAll(async () => {
  await proxy.close()
  await env.close()
})
beforeEach(() => env.forge.clearLog())

const posts = (path: RegExp) => env.forge.requestLog().filter((e) => e.method === 'POST' && path.test(e.path))

describe('a POST whose answer was lost is not sent again', () => {
  it('a comment: the call fails as offline, GitHub has it once; the retried effect finds its marker', async () => {
    const port = createGitHubPort({ db: env.db, octokit: () => client.octokit, login: () => 'owner', syncNow: async () => undefined, local: new LocalWrites() })
    const marker = '<!-- baton:task=t_lost -->'
    proxy.loseNextAnswer('POST')
    const error = await port.comment(repo, 2, `Triage notes\n\n${marker}`, marker).catch((e: unknown) => e)
    expect(toAppError(error, 'commenting').code).toBe('offline')
    expect(posts(/\/issues\/2\/comments$/)).toHaveLength(1)

    await port.comment(repo, 2, `Triage notes\n\n${marker}`, marker)
    const onGitHub = (await client.octokit.rest.issues.listComments({ ...base, issue_number: 2 })).data.filter((c) => c.body?.includes(marker))
    expect(onGitHub).toHaveLength(1)
    expect(posts(/\/issues\/2\/comments$/)).toHaveLength(1)
    expect(env.db.prepare('SELECT COUNT(*) AS n FROM comments WHERE repo_id = ? AND issue = 2 AND body LIKE ?').get(repo.id, `%${marker}%`)).toEqual({ n: 1 })
  })

  it('an issue: kept as a draft; the retry finds the one GitHub made instead of opening a second', async () => {
    const webUrl = (n: number) => `${env.forge.url}/owner/app/issues/${n}`
    const input = { title: 'Lost on the way back', body: 'Typed once.', labels: ['backlog'] }
    proxy.loseNextAnswer('POST')
    const first = await createIssue(env.db, client.octokit, repo, input, webUrl)
    expect(first.created).toBe(false)
    if (first.created) return
    expect(first.draft).toMatchObject({ title: input.title, body: input.body })
    expect(first.draft.error).toMatch(/could not be reached/)
    expect(posts(/\/repos\/owner\/app\/issues$/)).toHaveLength(1)

    const retried = await createIssue(env.db, client.octokit, repo, input, webUrl, { draftId: first.draft.id })
    expect(retried.created).toBe(true)
    const sameTitle = (await client.octokit.rest.issues.listForRepo({ ...base, state: 'all', per_page: 100 })).data.filter((i) => i.title === input.title)
    expect(sameTitle).toHaveLength(1)
    if (retried.created) expect(retried.number).toBe(sameTitle[0]!.number)
    expect(posts(/\/repos\/owner\/app\/issues$/)).toHaveLength(1)
    expect(env.db.prepare('SELECT COUNT(*) AS n FROM drafts WHERE id = ?').get(first.draft.id)).toEqual({ n: 0 })
    expect(env.db.prepare('SELECT labels FROM issues WHERE repo_id = ? AND number = ?').get(repo.id, sameTitle[0]!.number)).toEqual({ labels: '["backlog"]' })
  })

  it('a retried draft GitHub never got is posted once', async () => {
    const webUrl = (n: number) => `${env.forge.url}/owner/app/issues/${n}`
    const input = { title: 'Refused at first', body: 'Body.', labels: [] }
    env.forge.faults.inject({ kind: 'error', status: 503, count: 1, method: 'POST' })
    const first = await createIssue(env.db, client.octokit, repo, input, webUrl)
    expect(first.created).toBe(false)
    if (first.created) return
    const retried = await createIssue(env.db, client.octokit, repo, input, webUrl, { draftId: first.draft.id })
    expect(retried.created).toBe(true)
    const sameTitle = (await client.octokit.rest.issues.listForRepo({ ...base, state: 'all', per_page: 100 })).data.filter((i) => i.title === input.title)
    expect(sameTitle).toHaveLength(1)
    expect(sameTitle[0]!.labels.map((l) => (typeof l === 'string' ? l : l.name))).toEqual(['backlog'])
  })

  it('a PATCH sets a state, so a lost answer is simply sent again', async () => {
    proxy.loseNextAnswer('PATCH')
    const r = await client.octokit.rest.issues.update({ ...base, issue_number: 1, title: 'Renamed twice is renamed once' })
    expect(r.data.title).toBe('Renamed twice is renamed once')
    expect(env.forge.requestLog().filter((e) => e.method === 'PATCH')).toHaveLength(2)
  })
})
