// The pipeline's port (GitHubService.port()) against the forge: a comment and
// a PR are never made twice, a label move is one write that touches no one
// else's label and lands in the mirror at once, a merge too, a refused merge
// says why, and the label bootstrap leaves a person's labels alone.
import { Octokit } from '@octokit/rest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { GitHubService } from '../../../src/main/github/service'
import type { GitHubPort, RepoRef } from '../../../src/main/pipeline/ports'
import { AppError } from '../../../src/shared/errors'
import { makeService, pushBranch, setup, TOKENS, type Env } from './helpers'

let env: Env
let s: GitHubService
let port: GitHubPort
let repo: RepoRef
let owner: Octokit
const base = { owner: 'owner', repo: 'app' }
const api = () => env.forge.requestLog().filter((e) => e.kind === 'api')

beforeAll(async () => {
  env = await setup()
  s = makeService(env)
  await s.signInWithToken(TOKENS.owner)
  const r = await s.connect('owner/app')
  repo = { id: r.id, owner: r.owner, name: r.name, defaultBranch: r.defaultBranch }
  port = s.port()
  owner = new Octokit({ baseUrl: env.forge.apiUrl, auth: TOKENS.owner })
})
afterAll(() => env.close())

describe('label bootstrap', () => {
  it("creates the pipeline's labels and leaves a person's own alone", async () => {
    const labels = (await owner.paginate(owner.rest.issues.listLabelsForRepo, { ...base, per_page: 100 })).map((l) => [l.name, l.color, l.description])
    const names = labels.map((l) => l[0])
    for (const n of ['backlog', 'needs-architecture', 'ready-for-dev', 'in-progress', 'needs-testing', 'needs-review', 'done', 'feature', 'docs', 'chore', 'priority:urgent', 'priority:normal', 'priority:low', 'approved']) {
      expect(names).toContain(n)
    }
    // Theirs: same name as one of ours, their colour and words kept; and one we do not know, kept.
    expect(labels).toContainEqual(['bug', '123456', 'Our own bug label'])
    expect(labels).toContainEqual(['wontfix', 'ffffff', null])
    expect(labels.find((l) => l[0] === 'backlog')).toEqual(['backlog', 'ededed', expect.stringMatching(/^Baton: /)])
  })

  it('a second connect creates nothing', async () => {
    env.forge.clearLog()
    await s.connect('owner/app')
    expect(api().filter((e) => e.method === 'POST')).toHaveLength(0)
  })
})

describe('port', () => {
  it('comment: posted once, found by its marker the second time, mirrored', async () => {
    const marker = '<!-- baton:task=t_1 baton:role=pm -->'
    await port.comment(repo, 2, `Triaged.\n\n${marker}`, marker)
    await port.comment(repo, 2, `Triaged.\n\n${marker}`, marker)
    const on = await owner.rest.issues.listComments({ ...base, issue_number: 2 })
    expect(on.data.filter((c) => c.body?.includes(marker))).toHaveLength(1)
    expect(env.db.prepare('SELECT COUNT(*) AS n FROM comments WHERE repo_id = ? AND issue = 2 AND body LIKE ?').get(repo.id, `%${marker}%`)).toEqual({ n: 1 })
  })

  it("setLabels: a stage move is one write, touches no one else's label, and the mirror has it at once", async () => {
    await port.setLabels(repo, 1, ['backlog'], [])
    const writes = () => api().filter((e) => e.method !== 'GET')
    env.forge.clearLog()
    const after = await port.setLabels(repo, 1, ['needs-architecture'], ['backlog'])
    expect(after.sort()).toEqual(['bug', 'needs-architecture'])
    expect(writes()).toHaveLength(1)
    expect(JSON.parse((env.db.prepare('SELECT labels FROM issues WHERE repo_id = ? AND number = 1').get(repo.id) as { labels: string }).labels).sort()).toEqual(['bug', 'needs-architecture'])
    // Only adding: one write.
    env.forge.clearLog()
    await port.setLabels(repo, 1, ['priority:low'], [])
    expect(writes()).toHaveLength(1)
    // Removing several and adding one: still one write.
    env.forge.clearLog()
    const last = await port.setLabels(repo, 1, ['ready-for-dev'], ['needs-architecture', 'priority:low'])
    expect(last.sort()).toEqual(['bug', 'ready-for-dev'])
    expect(writes()).toHaveLength(1)
    // Removing one that is already gone is not an error, and writes nothing.
    env.forge.clearLog()
    expect((await port.setLabels(repo, 1, [], ['needs-architecture'])).sort()).toEqual(['bug', 'ready-for-dev'])
    expect(writes()).toHaveLength(0)
  })

  it('ensurePullRequest: opened once against the default branch; the pulls row names the issue', async () => {
    pushBranch(env.forge, 'owner', 'app', 'baton/1-thing', 'thing.txt', 'thing\n')
    const a = await port.ensurePullRequest(repo, 'baton/1-thing', 'Do the thing', 'Closes #1')
    const b = await port.ensurePullRequest(repo, 'baton/1-thing', 'Do the thing', 'Closes #1')
    expect(b).toBe(a)
    const open = await owner.rest.pulls.list({ ...base, state: 'open' })
    expect(open.data.filter((p) => p.head.ref === 'baton/1-thing')).toHaveLength(1)
    expect(open.data[0]!.base.ref).toBe('main')
    expect(env.db.prepare('SELECT issue, head, state FROM pulls WHERE repo_id = ? AND number = ?').get(repo.id, a)).toEqual({ issue: 1, head: 'baton/1-thing', state: 'open' })
  })

  it('review, then merge; a conflicting merge is refused with GitHub\'s reason', async () => {
    pushBranch(env.forge, 'owner', 'app', 'left', 'README.md', 'left\n')
    pushBranch(env.forge, 'owner', 'app', 'right', 'README.md', 'right\n')
    const left = await port.ensurePullRequest(repo, 'left', 'Left', 'Closes #2')
    const right = await port.ensurePullRequest(repo, 'right', 'Right', '')
    await port.review(repo, left, 'COMMENT', 'Looks fine', [])
    const reviews = await owner.rest.pulls.listReviews({ ...base, pull_number: left })
    // Baton's marker ends its review, so the sync never acts on it as a person's review from GitHub.
    expect(reviews.data.map((r) => r.body)).toContain('Looks fine\n\n<!-- baton:review -->')
    const { sha } = await port.merge(repo, left, 'merge')
    expect(sha).toMatch(/^[0-9a-f]{40}$/)
    expect(env.db.prepare('SELECT merged FROM pulls WHERE repo_id = ? AND number = ?').get(repo.id, left)).toEqual({ merged: 1 })
    let error: unknown
    try {
      await port.merge(repo, right, 'merge')
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(AppError)
    expect((error as AppError).code).toBe('conflict')
    expect((error as AppError).message).toMatch(/would not merge #\d+: .*conflict/i)
  })

  it('syncNow and login', async () => {
    await port.syncNow(repo)
    expect(port.login()).toBe('owner')
    expect(env.db.prepare('SELECT state FROM issues WHERE repo_id = ? AND number = 2').get(repo.id)).toEqual({ state: 'closed' })
  })

  it('signed out: unauthorized', async () => {
    const out = makeService(env, { dataDir: `${env.dir}/none` })
    await expect(out.port().comment(repo, 1, 'x', 'm')).rejects.toMatchObject({ code: 'unauthorized' })
  })
})
