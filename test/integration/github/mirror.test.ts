// Sync (mirror.ts) against the forge: the mirror follows GitHub (labels,
// comments, closed issues, PRs), an idle repository costs no rate limit, the
// service's loop reports changes and survives errors, and a stale answer
// never undoes a change Baton made itself.
import { Octokit } from '@octokit/rest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bootstrapLabels } from '../../../src/main/github/label-bootstrap'
import { syncRepository } from '../../../src/main/github/mirror'
import { createOctokit, type GitHub } from '../../../src/main/github/octokit'
import type { Db } from '../../../src/main/store/open'
import { FAST, makeService, manualTimers, proxy, pushBranch, setup, TOKENS, type Env } from './helpers'

let env: Env
let client: { octokit: GitHub }
let repo: { id: number; owner: string; name: string }
let alice: Octokit
const base = { owner: 'owner', repo: 'app' }

/** The repos row connect writes, after the label bootstrap, without connect's first sync. */
async function connectRow(db: Db, octokit: GitHub, apiUrl: string, owner: string, name: string): Promise<number> {
  await bootstrapLabels(octokit, owner, name)
  const host = new URL(apiUrl).host
  db.prepare("INSERT INTO repos (key, host, api_url, owner, name, default_branch, connected_at) VALUES (?, ?, ?, ?, ?, 'main', ?)").run(
    `${host}/${owner}/${name}`,
    host,
    apiUrl,
    owner,
    name,
    new Date().toISOString()
  )
  return (db.prepare('SELECT id FROM repos WHERE key = ?').get(`${host}/${owner}/${name}`) as { id: number }).id
}

beforeAll(async () => {
  env = await setup()
  client = createOctokit({ baseUrl: env.forge.apiUrl, token: TOKENS.owner, timing: FAST })
  repo = { id: await connectRow(env.db, client.octokit, env.forge.apiUrl, 'owner', 'app'), owner: 'owner', name: 'app' }
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
    // Five lists a pass (issues, comments, pulls, labels, PR review comments); no agent PR is open.
    expect(log).toHaveLength(100)
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

  it('a stale answer does not undo a label move Baton made while the poll was in flight', async () => {
    // GitHub answers the poll, the answer is on its way for 400 ms, and meanwhile Baton moves the issue's labels.
    // The forge's clock stands still, as within one of GitHub's seconds: its timestamps cannot tell the answers apart
    // (ahead of the real clock, so the Date header Baton stamps its change with is no later than them either).
    let at = Date.now() + 10_000
    const own = await setup({ now: () => at })
    const p = await proxy(own.forge.url)
    const service = makeService(own, { defaultApiUrl: p.apiUrl })
    try {
      const id = await connectRow(own.db, createOctokit({ baseUrl: p.apiUrl, token: TOKENS.owner, timing: FAST }).octokit, p.apiUrl, 'owner', 'app')
      const labels = () => JSON.parse((own.db.prepare('SELECT labels FROM issues WHERE repo_id = ? AND number = 2').get(id) as { labels: string }).labels) as string[]
      await service.signInWithToken(TOKENS.owner)
      await service.syncNow(id)
      const ownAlice = new Octokit({ baseUrl: own.forge.apiUrl, auth: TOKENS.alice })
      const had = (await ownAlice.rest.issues.addLabels({ ...base, issue_number: 2, labels: ['bug'] })).data.map((l) => l.name).sort()
      const moved = [...had, 'needs-review'].sort()
      p.holdNextAnswer(/\/repos\/owner\/app\/issues\?/, 400)
      const pending = service.syncNow(id)
      await new Promise((r) => setTimeout(r, 150))
      expect((await service.port().setLabels({ id, owner: 'owner', name: 'app', defaultBranch: 'main' }, 2, ['needs-review'], [])).sort()).toEqual(moved)
      await pending
      expect(labels().sort()).toEqual(moved)
      // The next pass asks again and brings GitHub's truth, which is the same.
      await service.syncNow(id)
      expect(labels().sort()).toEqual(moved)
      // A person's change a few seconds later wins.
      at += 5000
      await ownAlice.rest.issues.removeLabel({ ...base, issue_number: 2, name: 'needs-review' })
      await service.syncNow(id)
      expect(labels().sort()).toEqual(had)
    } finally {
      service.stop()
      await p.close()
      await own.close()
    }
  })

  it('1,000 issues cold: 10 pages of issues', async () => {
    const big = await setup()
    try {
      await big.forge.addRepo({ owner: 'owner', name: 'big', files: { 'a.txt': 'a\n' } })
      for (let i = 1; i <= 1000; i++) big.forge.createIssue({ owner: 'owner', repo: 'big', author: 'owner', title: `Issue ${i}` })
      const c = createOctokit({ baseUrl: big.forge.apiUrl, token: TOKENS.owner, timing: FAST })
      big.db.prepare("INSERT INTO repos (key, host, api_url, owner, name, default_branch, connected_at) VALUES ('h/owner/big', 'h', ?, 'owner', 'big', 'main', 'now')").run(big.forge.apiUrl)
      const id = (big.db.prepare("SELECT id FROM repos WHERE key = 'h/owner/big'").get() as { id: number }).id
      big.forge.clearLog()
      const r = await syncRepository(big.db, c.octokit, { id, owner: 'owner', name: 'big' })
      expect(r.changed).toHaveLength(1000)
      expect(big.forge.requestLog().filter((e) => /\/issues\?/.test(e.path))).toHaveLength(10)
      // 10 pages of issues, comments, pulls, labels, PR review comments.
      expect(r.requests).toBe(14)
      expect((big.db.prepare('SELECT COUNT(*) AS n FROM issues WHERE repo_id = ?').get(id) as { n: number }).n).toBe(1000)
    } finally {
      await big.close()
    }
  })
})

describe('agent PRs: reviews, review comments and checks', () => {
  it('mirrors a review with its line comments, a lone review comment and the head commit checks; idle again, nothing counts', async () => {
    const owner = new Octokit({ baseUrl: env.forge.apiUrl, auth: TOKENS.owner })
    pushBranch(env.forge, 'owner', 'app', 'baton/1-first-issue', 'first.txt', 'one\ntwo\nthree\n')
    const pr = (await alice.rest.pulls.create({ ...base, head: 'baton/1-first-issue', base: 'main', title: 'First', body: 'Closes #1' })).data
    const review = (
      await owner.rest.pulls.createReview({
        ...base,
        pull_number: pr.number,
        event: 'REQUEST_CHANGES',
        body: 'Two things',
        comments: [
          { path: 'first.txt', line: 1, body: 'Capital letter' },
          { path: 'first.txt', line: 3, body: 'Drop this line' }
        ]
      })
    ).data
    const lone = (await owner.rest.pulls.createReviewComment({ ...base, pull_number: pr.number, commit_id: pr.head.sha, path: 'first.txt', line: 2, body: 'Why two?' })).data
    await owner.rest.repos.createCommitStatus({ ...base, sha: pr.head.sha, state: 'failure', context: 'ci/test', description: '3 tests failed', target_url: 'https://ci.example/1' })
    await owner.rest.checks.create({ ...base, name: 'lint', head_sha: pr.head.sha, status: 'in_progress' })
    const r = await sync()
    expect(r.changed).toEqual(expect.arrayContaining([1, pr.number]))
    expect(env.db.prepare('SELECT id, pull, author, state, body, html_url, commit_id FROM reviews WHERE repo_id = ? ORDER BY id').all(repo.id)).toEqual([
      { id: review.id, pull: pr.number, author: 'owner', state: 'CHANGES_REQUESTED', body: 'Two things', html_url: review.html_url, commit_id: pr.head.sha },
      expect.objectContaining({ id: lone.pull_request_review_id, state: 'COMMENTED' })
    ])
    expect(env.db.prepare('SELECT review_id, path, line, body, html_url FROM review_comments WHERE repo_id = ? AND pull = ? ORDER BY id').all(repo.id, pr.number)).toEqual([
      { review_id: review.id, path: 'first.txt', line: 1, body: 'Capital letter', html_url: expect.stringContaining('#discussion_r') },
      { review_id: review.id, path: 'first.txt', line: 3, body: 'Drop this line', html_url: expect.stringContaining('#discussion_r') },
      { review_id: lone.pull_request_review_id, path: 'first.txt', line: 2, body: 'Why two?', html_url: lone.html_url }
    ])
    expect(env.db.prepare('SELECT kind, name, state, description, url FROM checks WHERE repo_id = ? AND sha = ? ORDER BY name').all(repo.id, pr.head.sha)).toEqual([
      { kind: 'status', name: 'ci/test', state: 'failure', description: '3 tests failed', url: 'https://ci.example/1' },
      { kind: 'check-run', name: 'lint', state: 'pending', description: null, url: expect.stringContaining('/runs/') }
    ])

    // Settled: every list, the reviews, both check lists and the PR itself (its mergeability) answer 304, and none counts.
    await sync()
    env.forge.clearLog()
    const idle = await sync()
    expect(idle.changed).toEqual([])
    expect(idle.requests).toBe(9)
    expect(idle.notModified).toBe(idle.requests)
    expect(counted()).toBe(0)

    // A new head: its checks are asked afresh, the old commit's go.
    pushBranch(env.forge, 'owner', 'app', 'baton/1-first-issue', 'first.txt', 'One\ntwo\n')
    await sync()
    const head = (env.db.prepare('SELECT head_sha FROM pulls WHERE repo_id = ? AND number = ?').get(repo.id, pr.number) as { head_sha: string }).head_sha
    expect(head).not.toBe(pr.head.sha)
    expect(env.db.prepare('SELECT COUNT(*) AS n FROM checks WHERE repo_id = ?').get(repo.id)).toEqual({ n: 0 })
    await owner.rest.repos.createCommitStatus({ ...base, sha: head, state: 'success', context: 'ci/test' })
    await sync()
    expect(env.db.prepare('SELECT name, state FROM checks WHERE repo_id = ? AND sha = ?').all(repo.id, head)).toEqual([{ name: 'ci/test', state: 'success' }])
    // Comments keep their link.
    expect(env.db.prepare('SELECT html_url FROM comments WHERE repo_id = ? AND issue = 1 ORDER BY id LIMIT 1').get(repo.id)).toEqual({ html_url: expect.stringContaining('/issues/1#issuecomment-') })
  })
})

describe('the sync loop', () => {
  it('polls at the interval, reports changed issues, survives errors, stops', async () => {
    const { timers, pending } = manualTimers()
    const changes: Array<[number, number[]]> = []
    const service = makeService(env, { timers, dataDir: `${env.dir}/loop`, onSynced: (id, changed) => changes.push([id, changed]) })
    await service.signInWithToken(TOKENS.owner)
    service.startSync()
    await service.tick() // joins the first pass
    expect(pending).toHaveLength(1)
    expect(pending[0]!.ms).toBe(15_000)
    // A second start (after a sign-in) polls now and is still one loop.
    service.startSync()
    await service.tick()
    expect(pending).toHaveLength(1)
    const created = await alice.rest.issues.create({ ...base, title: 'Seen by the loop' })
    env.forge.faults.inject({ kind: 'drop', count: 20 })
    pending.shift()!.fn() // second pass: an error, shown on the repository; the loop goes on
    await service.tick()
    expect(env.db.prepare('SELECT sync_error FROM repos WHERE id = ?').get(repo.id)).toEqual({ sync_error: expect.stringMatching(/could not be reached/) })
    expect(service.status().offline).toBe(true)
    expect(pending).toHaveLength(1)
    env.forge.faults.clear()
    pending.shift()!.fn() // third pass
    await service.tick()
    expect(changes.flatMap(([, c]) => c)).toContain(created.data.number)
    expect(service.status().offline).toBe(false)
    expect(env.db.prepare('SELECT sync_error FROM repos WHERE id = ?').get(repo.id)).toEqual({ sync_error: null })
    service.stop()
    expect(pending).toHaveLength(0)
  })
})
