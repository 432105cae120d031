// Sync against the forge: the mirror follows GitHub (labels, comments, closed
// issues, PRs), an idle repository costs no rate limit, the loop reports
// changes, and a stale answer never undoes a change Baton made itself.
import { Octokit } from '@octokit/rest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGitHubClient, type GitHubClient } from '../../../src/main/github/client'
import { connectRepository, parseRemote } from '../../../src/main/github/connect'
import { LocalWrites, startSyncLoop, syncRepository, type Timers } from '../../../src/main/github/sync'
import { FAST, pushBranch, setup, TOKENS, type Env } from './helpers'

let env: Env
let client: GitHubClient
let repo: { id: number; owner: string; name: string }
let alice: Octokit
const base = { owner: 'owner', repo: 'app' }

beforeAll(async () => {
  env = await setup()
  client = createGitHubClient({ apiUrl: env.forge.apiUrl, token: TOKENS.owner, timing: FAST })
  const connected = await connectRepository(env.db, client.octokit, env.forge.apiUrl, parseRemote('owner/app', new URL(env.forge.apiUrl).host), 'owner')
  repo = { id: connected.id, owner: 'owner', name: 'app' }
  alice = new Octokit({ baseUrl: env.forge.apiUrl, auth: TOKENS.alice })
})
afterAll(() => env.close())

const sync = () => syncRepository(env.db, client.octokit, repo)
const issue = (n: number) => env.db.prepare('SELECT * FROM issues WHERE repo_id = ? AND number = ?').get(repo.id, n) as Record<string, unknown> | undefined
const counted = () => env.forge.requestLog().filter((e) => e.countedAgainstRateLimit).length

describe('sync', () => {
  it('a cold sync mirrors issues, comments and labels', async () => {
    const r = await sync()
    expect(r.changed).toEqual([1, 2])
    expect(issue(1)).toMatchObject({ title: 'First issue', author: 'alice', state: 'open', labels: '["bug"]', is_pull: 0 })
    const comments = env.db.prepare('SELECT issue, author, body FROM comments WHERE repo_id = ?').all(repo.id)
    expect(comments).toEqual([{ issue: 1, author: 'owner', body: 'Thanks' }])
    const labels = (env.db.prepare('SELECT name FROM labels WHERE repo_id = ?').all(repo.id) as Array<{ name: string }>).map((l) => l.name)
    expect(labels).toContain('backlog')
    expect(labels).toContain('wontfix')
    expect(env.db.prepare('SELECT last_sync_at FROM repos WHERE id = ?').get(repo.id)).toMatchObject({ last_sync_at: expect.any(String) })
  })

  it('an idle repository: 20 polls spend nothing of the rate limit', async () => {
    await sync() // settles the cursors' ETags
    env.forge.clearLog()
    for (let i = 0; i < 20; i++) {
      const r = await sync()
      expect(r.changed).toEqual([])
      expect(r.notModified).toBe(r.requests)
    }
    const log = env.forge.requestLog()
    expect(log).toHaveLength(80)
    expect(log.every((e) => e.status === 304)).toBe(true)
    expect(counted()).toBe(0)
  })

  it('picks up a label change, a new comment and a closed issue', async () => {
    await alice.rest.issues.addLabels({ ...base, issue_number: 2, labels: ['wontfix'] })
    await alice.rest.issues.createComment({ ...base, issue_number: 1, body: 'A new thought' })
    await alice.rest.issues.update({ ...base, issue_number: 1, state: 'closed' })
    const r = await sync()
    expect(r.changed).toEqual([1, 2])
    expect(JSON.parse(String(issue(2)!.labels))).toEqual(['wontfix'])
    expect(issue(1)).toMatchObject({ state: 'closed', closed_at: expect.any(String) })
    expect(env.db.prepare('SELECT body FROM comments WHERE repo_id = ? AND issue = 1 ORDER BY id').all(repo.id)).toEqual([{ body: 'Thanks' }, { body: 'A new thought' }])
    // Quiet again after one more counted pass.
    await sync()
    env.forge.clearLog()
    expect((await sync()).changed).toEqual([])
    expect(counted()).toBe(0)
  })

  it('picks up a PR and the issue it closes; then its merge', async () => {
    pushBranch(env.forge, 'owner', 'app', 'fix-2', 'fix.txt', 'fixed\n')
    const pr = await alice.rest.pulls.create({ ...base, head: 'fix-2', base: 'main', title: 'Fix it', body: 'Closes #2' })
    let r = await sync()
    expect(r.changed).toContain(pr.data.number)
    expect(env.db.prepare('SELECT issue, head, state, merged FROM pulls WHERE repo_id = ? AND number = ?').get(repo.id, pr.data.number)).toEqual({
      issue: 2,
      head: 'fix-2',
      state: 'open',
      merged: 0
    })
    expect(issue(pr.data.number)).toMatchObject({ is_pull: 1 })
    await new Octokit({ baseUrl: env.forge.apiUrl, auth: TOKENS.owner }).rest.pulls.merge({ ...base, pull_number: pr.data.number })
    r = await sync()
    expect(r.changed).toEqual(expect.arrayContaining([2, pr.data.number]))
    expect(env.db.prepare('SELECT state, merged FROM pulls WHERE repo_id = ? AND number = ?').get(repo.id, pr.data.number)).toEqual({ state: 'closed', merged: 1 })
    expect(issue(2)).toMatchObject({ state: 'closed' })
  })

  it('a stale answer does not undo a label change Baton mirrored while the fetch was in flight', async () => {
    const local = new LocalWrites()
    await alice.rest.issues.addLabels({ ...base, issue_number: 2, labels: ['bug'] })
    env.forge.faults.inject({ kind: 'delay', delayMs: 300, count: 1, method: 'GET', path: '/app/issues$' })
    const pending = syncRepository(env.db, client.octokit, repo, local)
    await new Promise((r) => setTimeout(r, 100))
    env.db.prepare('UPDATE issues SET labels = ? WHERE repo_id = ? AND number = 2').run('["mine"]', repo.id)
    local.touch(repo.id, 2)
    await pending
    expect(issue(2)!.labels).toBe('["mine"]')
    // The next pass brings GitHub's truth.
    await sync()
    expect(JSON.parse(String(issue(2)!.labels)).sort()).toEqual(['bug', 'wontfix'])
  })

  it('1,000 issues cold: 10 pages of issues', async () => {
    const big = await setup()
    try {
      await big.forge.addRepo({ owner: 'owner', name: 'big', files: { 'a.txt': 'a\n' } })
      for (let i = 1; i <= 1000; i++) big.forge.createIssue({ owner: 'owner', repo: 'big', author: 'owner', title: `Issue ${i}` })
      const c = createGitHubClient({ apiUrl: big.forge.apiUrl, token: TOKENS.owner, timing: FAST })
      big.db.prepare("INSERT INTO repos (key, host, api_url, owner, name, default_branch, connected_at) VALUES ('h/owner/big', 'h', ?, 'owner', 'big', 'main', 'now')").run(big.forge.apiUrl)
      const id = (big.db.prepare("SELECT id FROM repos WHERE key = 'h/owner/big'").get() as { id: number }).id
      big.forge.clearLog()
      const r = await syncRepository(big.db, c.octokit, { id, owner: 'owner', name: 'big' })
      expect(r.changed).toHaveLength(1000)
      expect(big.forge.requestLog().filter((e) => /\/issues\?/.test(e.path))).toHaveLength(10)
      expect(r.requests).toBe(13)
      expect((big.db.prepare('SELECT COUNT(*) AS n FROM issues WHERE repo_id = ?').get(id) as { n: number }).n).toBe(1000)
    } finally {
      await big.close()
    }
  })
})

describe('the sync loop', () => {
  function manualTimers() {
    const pending: Array<{ fn: () => void; ms: number }> = []
    const timers: Timers = {
      setTimeout: (fn, ms) => {
        const t = { fn, ms }
        pending.push(t)
        return t
      },
      clearTimeout: (h) => {
        const i = pending.indexOf(h as never)
        if (i >= 0) pending.splice(i, 1)
      }
    }
    return { timers, pending }
  }

  it('polls at the interval, reports changed issues, survives errors, stops', async () => {
    const { timers, pending } = manualTimers()
    const changes: Array<[number, number[]]> = []
    const errors: unknown[] = []
    let calls = 0
    const loop = startSyncLoop({
      intervalMs: 15_000,
      repos: () => [repo.id],
      syncOne: async (id) => {
        calls++
        if (calls === 2) throw new Error('offline')
        return (await syncRepository(env.db, client.octokit, { ...repo, id })).changed
      },
      onChange: (id, changed) => changes.push([id, changed]),
      onError: (_id, e) => errors.push(e),
      timers
    })
    await loop.tick() // joins the first pass
    expect(pending).toHaveLength(1)
    expect(pending[0]!.ms).toBe(15_000)
    const created = await alice.rest.issues.create({ ...base, title: 'Seen by the loop' })
    pending.shift()!.fn() // second pass: an error, reported; the loop goes on
    await loop.tick() // joins it
    expect(errors).toHaveLength(1)
    expect(pending).toHaveLength(1)
    pending.shift()!.fn() // third pass
    await loop.tick()
    expect(changes.flatMap(([, c]) => c)).toContain(created.data.number)
    loop.stop()
    expect(pending).toHaveLength(0)
    expect(calls).toBe(3)
  })
})
