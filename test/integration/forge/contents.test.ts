// The forge serves a branch and a file's contents like GitHub (Baton reads
// `.baton/pipeline.yml` through them), with ETags that make re-reads free.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TOKENS, baseSeed, conforms, failure, startForge, type TestForge } from './helpers'

let t: TestForge
beforeAll(async () => {
  const seed = baseSeed()
  seed.repositories![0]!.files = { ...seed.repositories![0]!.files, '.baton/pipeline.yml': 'stages:\n  - { label: todo, owner: pm, next: [done] }\n  - { label: done }\n' }
  t = await startForge(seed)
})
afterAll(async () => t?.close())

describe('contents and branches', () => {
  it('answers a nested file as base64 with its blob sha, and a folder as a listing', async () => {
    const gh = t.octokit(TOKENS.alice)
    const file = await gh.request('GET /repos/{owner}/{repo}/contents/{path}', { owner: 'owner', repo: 'app', path: '.baton/pipeline.yml' })
    conforms('GET', '/repos/{owner}/{repo}/contents/{path}', file)
    const data = file.data as { type: string; path: string; sha: string; encoding: string; content: string }
    expect(data).toMatchObject({ type: 'file', path: '.baton/pipeline.yml', encoding: 'base64' })
    expect(Buffer.from(data.content, 'base64').toString('utf8')).toMatch(/label: todo/)
    expect(data.sha).toMatch(/^[0-9a-f]{40}$/)
    const dir = await gh.request('GET /repos/{owner}/{repo}/contents/{path}', { owner: 'owner', repo: 'app', path: 'src' })
    expect((dir.data as Array<{ name: string; type: string }>).map((e) => `${e.type}:${e.name}`)).toEqual(['file:index.js'])
  })

  it('404s a missing file, a missing ref, and a private repository for a stranger', async () => {
    expect((await failure(t.octokit(TOKENS.alice).request('GET /repos/{owner}/{repo}/contents/{path}', { owner: 'owner', repo: 'app', path: 'nope.yml' }))).status).toBe(404)
    expect((await failure(t.octokit(TOKENS.alice).request('GET /repos/{owner}/{repo}/contents/{path}', { owner: 'owner', repo: 'app', path: 'README.md', ref: 'nowhere' }))).status).toBe(404)
    expect((await failure(t.octokit(TOKENS.bob).request('GET /repos/{owner}/{repo}/contents/{path}', { owner: 'owner', repo: 'secret', path: 'a.txt' }))).status).toBe(404)
  })

  it('a branch names its head commit, and answers 304 to its own ETag without spending the rate limit', async () => {
    const gh = t.octokit(TOKENS.alice)
    const branch = await gh.request('GET /repos/{owner}/{repo}/branches/{branch}', { owner: 'owner', repo: 'app', branch: 'main' })
    conforms('GET', '/repos/{owner}/{repo}/branches/{branch}', branch)
    expect(branch.data.commit.sha).toMatch(/^[0-9a-f]{40}$/)
    const again = await failure(gh.request('GET /repos/{owner}/{repo}/branches/{branch}', { owner: 'owner', repo: 'app', branch: 'main', headers: { 'if-none-match': branch.headers.etag! } }))
    expect(again.status).toBe(304)
    const last = t.forge.requestLog().at(-1)
    expect(last?.countedAgainstRateLimit).toBe(false)
    expect((await failure(gh.request('GET /repos/{owner}/{repo}/branches/{branch}', { owner: 'owner', repo: 'app', branch: 'nope' }))).status).toBe(404)
  })
})
