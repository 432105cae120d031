// Pull requests on real branches: clone and push over smart HTTP with a
// token, open PRs, list their files, review, and merge for real — including a
// conflict, a stale sha, and "Closes #n" closing the issue.
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TOKENS, conforms, failure, startForge } from './helpers'
import type { TestForge } from './helpers'
import { loadSpec } from './openapi'

let t: TestForge
let work: string
const o = { owner: 'owner', repo: 'app' }
const gitEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' }

// Asynchronous on purpose: the forge answers in this same process.
function git(cwd: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', ['-c', 'user.name=Alice', '-c', 'user.email=alice@example.test', ...args], { cwd, env: gitEnv, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(Object.assign(error, { stderr }))
      else resolve(stdout)
    })
  })
}

async function gitFails(cwd: string, ...args: string[]): Promise<string> {
  try {
    await git(cwd, ...args)
  } catch (e) {
    return String((e as { stderr?: string }).stderr)
  }
  throw new Error(`git ${args.join(' ')} succeeded, expected a failure`)
}

/** Commits `files` on a new branch from origin/main and pushes it with alice's token. */
async function pushBranch(branch: string, files: Record<string, string>, from = 'origin/main'): Promise<string> {
  await git(work, 'checkout', '-q', '-B', branch, from)
  for (const [path, content] of Object.entries(files)) writeFileSync(join(work, path), content)
  await git(work, 'add', '-A')
  await git(work, 'commit', '-q', '-m', `Change on ${branch}`)
  await git(work, 'push', '-q', 'origin', `${branch}:${branch}`)
  return (await git(work, 'rev-parse', 'HEAD')).trim()
}

beforeAll(async () => {
  loadSpec()
  t = await startForge()
  work = join(mkdtempSync(join(tmpdir(), 'forge-clone-')), 'app')
  await git(tmpdir(), 'clone', '-q', t.forge.gitUrl('owner', 'app', TOKENS.alice), work)
})
afterAll(async () => {
  await t.close()
  rmSync(join(work, '..'), { recursive: true, force: true })
})

describe('git smart HTTP', () => {
  it('clones a public repository anonymously, and refuses anonymous or read-only pushes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'forge-anon-'))
    try {
      await git(dir, 'clone', '-q', t.forge.gitUrl('owner', 'app'), 'c')
      expect(readFileSync(join(dir, 'c', 'README.md'), 'utf8')).toBe('# app\n')
      writeFileSync(join(dir, 'c', 'x.txt'), 'x\n')
      await git(join(dir, 'c'), 'add', '-A')
      await git(join(dir, 'c'), 'commit', '-q', '-m', 'x')
      expect((await gitFails(join(dir, 'c'), 'push', '-q', 'origin', 'HEAD:anon'))).toMatch(/Authentication failed|could not read Username/)
      expect((await gitFails(join(dir, 'c'), 'push', '-q', t.forge.gitUrl('owner', 'app', TOKENS.bob), 'HEAD:bob'))).toMatch(/403|denied/)
      expect((await gitFails(join(dir, 'c'), 'push', '-q', t.forge.gitUrl('owner', 'app', 'wrong-token'), 'HEAD:bad'))).toMatch(/Authentication failed/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('hides a private repository from anonymous clones and serves it to a reader', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'forge-priv-'))
    try {
      await gitFails(dir, 'clone', '-q', t.forge.gitUrl('owner', 'secret'), 'a')
      expect((await gitFails(dir, 'clone', '-q', t.forge.gitUrl('owner', 'secret', TOKENS.bob), 'b'))).toMatch(/not found/i)
      await git(dir, 'clone', '-q', t.forge.gitUrl('owner', 'secret', TOKENS.reader), 'c')
      expect(readFileSync(join(dir, 'c', 'a.txt'), 'utf8')).toBe('a\n')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('refuses a push to an archived repository', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'forge-arch-'))
    try {
      await git(dir, 'clone', '-q', t.forge.gitUrl('owner', 'old', TOKENS.alice), 'c')
      writeFileSync(join(dir, 'c', 'b.txt'), 'b\n')
      await git(join(dir, 'c'), 'add', '-A')
      await git(join(dir, 'c'), 'commit', '-q', '-m', 'b')
      expect((await gitFails(join(dir, 'c'), 'push', '-q', 'origin', 'HEAD:main'))).toMatch(/archived|403/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('lets faults hit git requests too', async () => {
    t.forge.faults.inject({ kind: 'error', status: 503, count: 1, path: '\\.git/' })
    expect(await gitFails(work, 'ls-remote', 'origin')).toMatch(/503/)
    expect(await git(work, 'ls-remote', 'origin', 'refs/heads/main')).toMatch(/refs\/heads\/main/)
    const gitEntries = t.forge.requestLog().filter((e) => e.kind === 'git')
    expect(gitEntries.some((e) => e.status === 503 && e.fault === 'error')).toBe(true)
  })

  it('accepts a gzip-encoded upload-pack request body', async () => {
    const head = (await git(work, 'rev-parse', 'origin/main')).trim()
    const pkt = (s: string) => (s.length + 4).toString(16).padStart(4, '0') + s
    const body = pkt(`want ${head}\n`) + '0000' + pkt('done\n')
    const res = await fetch(`${t.forge.url}/owner/app.git/git-upload-pack`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-git-upload-pack-request', 'content-encoding': 'gzip' },
      body: gzipSync(Buffer.from(body))
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/x-git-upload-pack-result')
    const bytes = Buffer.from(await res.arrayBuffer())
    expect(bytes.includes(Buffer.from('PACK'))).toBe(true)
  })
})

describe('pull requests', () => {
  it('opens a PR from a pushed branch, shares the issue numbers, and refuses a second or an empty one', async () => {
    const ok = t.octokit(TOKENS.alice)
    const sha = await pushBranch('feature-a', { 'feature.js': 'export const a = 1\n', 'README.md': '# app\n\nNow with a.\n' })
    const created = await ok.rest.pulls.create({ ...o, title: 'Add a', head: 'feature-a', base: 'main', body: 'Closes #1' })
    conforms('POST', '/repos/{owner}/{repo}/pulls', created)
    expect(created.status).toBe(201)
    expect(created.data.number).toBe(2) // issue #1 is seeded
    expect(created.data.head).toMatchObject({ ref: 'feature-a', sha, label: 'owner:feature-a' })
    expect(created.data).toMatchObject({ mergeable: true, merged: false, commits: 1, additions: 3, deletions: 0, changed_files: 2 })
    const dup = await failure(ok.rest.pulls.create({ ...o, title: 'Again', head: 'owner:feature-a', base: 'main' }))
    expect(dup.status).toBe(422)
    expect(dup.data.errors[0]?.message).toBe('A pull request already exists for owner:feature-a.')
    conforms('POST', '/repos/{owner}/{repo}/pulls', dup)
    await git(work, 'push', '-q', 'origin', 'origin/main:refs/heads/empty')
    const empty = await failure(ok.rest.pulls.create({ ...o, title: 'Empty', head: 'empty', base: 'main' }))
    expect(empty.status).toBe(422)
    expect(empty.data.errors[0]?.message).toBe('No commits between main and empty')
    const nohead = await failure(ok.rest.pulls.create({ ...o, title: 'Nothing', head: 'no-such-branch', base: 'main' }))
    expect(nohead.status).toBe(422)
    expect(nohead.data.errors[0]).toMatchObject({ field: 'head', code: 'invalid' })
    // On GitHub the issues list includes PRs, marked by `pull_request`.
    const issues = await ok.rest.issues.listForRepo(o)
    const asIssue = issues.data.find((i) => i.number === 2)
    expect(asIssue?.pull_request?.url).toBe(`${t.forge.apiUrl}/repos/owner/app/pulls/2`)
    expect(asIssue?.pull_request?.merged_at).toBeNull()
  })

  it('gets and lists PRs by state, head and base', async () => {
    const ok = t.octokit(TOKENS.owner)
    const got = await ok.rest.pulls.get({ ...o, pull_number: 2 })
    conforms('GET', '/repos/{owner}/{repo}/pulls/{pull_number}', got)
    expect(got.data.mergeable_state).toBe('clean')
    const list = await ok.rest.pulls.list({ ...o, head: 'owner:feature-a' })
    conforms('GET', '/repos/{owner}/{repo}/pulls', list)
    expect(list.data.map((p) => p.number)).toEqual([2])
    expect((await ok.rest.pulls.list({ ...o, head: 'owner:other' })).data).toEqual([])
    expect((await ok.rest.pulls.list({ ...o, base: 'main', state: 'closed' })).data).toEqual([])
    expect((await failure(ok.rest.pulls.get({ ...o, pull_number: 1 }))).status).toBe(404)
  })

  it('lists the files a PR changes, with real patches', async () => {
    const files = await t.octokit(TOKENS.owner).rest.pulls.listFiles({ ...o, pull_number: 2 })
    conforms('GET', '/repos/{owner}/{repo}/pulls/{pull_number}/files', files)
    const byName = Object.fromEntries(files.data.map((f) => [f.filename, f]))
    expect(byName['feature.js']).toMatchObject({ status: 'added', additions: 1, deletions: 0, changes: 1 })
    expect(byName['feature.js']!.patch).toBe('@@ -0,0 +1 @@\n+export const a = 1')
    expect(byName['README.md']).toMatchObject({ status: 'modified', additions: 2, deletions: 0 })
    expect(byName['README.md']!.patch).toContain('+Now with a.')
  })

  it('takes reviews with line comments and lists them', async () => {
    const owner = t.octokit(TOKENS.owner)
    const self = await failure(t.octokit(TOKENS.alice).rest.pulls.createReview({ ...o, pull_number: 2, event: 'APPROVE' }))
    expect(self.status).toBe(422)
    conforms('POST', '/repos/{owner}/{repo}/pulls/{pull_number}/reviews', self)
    const changes = await owner.rest.pulls.createReview({
      ...o,
      pull_number: 2,
      event: 'REQUEST_CHANGES',
      body: 'One thing',
      comments: [{ path: 'feature.js', line: 1, body: 'Name it better' }]
    })
    conforms('POST', '/repos/{owner}/{repo}/pulls/{pull_number}/reviews', changes)
    expect(changes.data).toMatchObject({ state: 'CHANGES_REQUESTED', body: 'One thing', author_association: 'OWNER' })
    const badLine = await failure(owner.rest.pulls.createReview({ ...o, pull_number: 2, event: 'COMMENT', comments: [{ path: 'feature.js', line: 40, body: 'x' }] }))
    expect(badLine.status).toBe(422)
    const approve = await owner.rest.pulls.createReview({ ...o, pull_number: 2, event: 'APPROVE' })
    expect(approve.data.state).toBe('APPROVED')
    const reviews = await owner.rest.pulls.listReviews({ ...o, pull_number: 2 })
    conforms('GET', '/repos/{owner}/{repo}/pulls/{pull_number}/reviews', reviews)
    expect(reviews.data.map((r) => r.state)).toEqual(['CHANGES_REQUESTED', 'APPROVED'])
    const comments = await owner.rest.pulls.listReviewComments({ ...o, pull_number: 2 })
    conforms('GET', '/repos/{owner}/{repo}/pulls/{pull_number}/comments', comments)
    expect(comments.data.map((c) => [c.path, c.line, c.body, c.pull_request_review_id])).toEqual([['feature.js', 1, 'Name it better', changes.data.id]])
    expect(comments.data[0]!.diff_hunk).toBe('@@ -0,0 +1 @@\n+export const a = 1')
  })

  it('takes a single review comment, and lists every PR review comment of the repository since a time', async () => {
    const owner = t.octokit(TOKENS.owner)
    const pr = await owner.rest.pulls.get({ ...o, pull_number: 2 })
    const before = await owner.rest.pulls.listReviewCommentsForRepo({ ...o, sort: 'updated', direction: 'asc' })
    conforms('GET', '/repos/{owner}/{repo}/pulls/comments', before)
    const single = await owner.rest.pulls.createReviewComment({ ...o, pull_number: 2, commit_id: pr.data.head.sha, path: 'feature.js', line: 1, body: 'And a test?' })
    conforms('POST', '/repos/{owner}/{repo}/pulls/{pull_number}/comments', single)
    expect(single.status).toBe(201)
    // GitHub files a lone comment under a COMMENTED review of its own.
    const reviews = await owner.rest.pulls.listReviews({ ...o, pull_number: 2 })
    expect(reviews.data.find((r) => r.id === single.data.pull_request_review_id)?.state).toBe('COMMENTED')
    const all = await owner.rest.pulls.listReviewCommentsForRepo({ ...o, sort: 'updated', direction: 'asc' })
    expect(all.data.map((c) => c.body)).toEqual([...before.data.map((c) => c.body), 'And a test?'])
    expect(all.data.at(-1)).toMatchObject({ path: 'feature.js', line: 1, html_url: expect.stringContaining('/pull/2#discussion_r') })
    const later = await owner.rest.pulls.listReviewCommentsForRepo({ ...o, since: new Date(Date.now() + 60_000).toISOString() })
    expect(later.data).toEqual([])
    const bad = await failure(owner.rest.pulls.createReviewComment({ ...o, pull_number: 2, commit_id: pr.data.head.sha, path: 'nope.js', line: 1, body: 'x' }))
    expect(bad.status).toBe(422)
  })

  it('refuses a merge with a stale sha (409), merges for real, and closes the issue it names', async () => {
    const ok = t.octokit(TOKENS.owner)
    const stale = await failure(ok.rest.pulls.merge({ ...o, pull_number: 2, sha: '0'.repeat(40) }))
    expect(stale.status).toBe(409)
    conforms('PUT', '/repos/{owner}/{repo}/pulls/{pull_number}/merge', stale)
    expect((await failure(t.octokit(TOKENS.bob).rest.pulls.merge({ ...o, pull_number: 2 }))).status).toBe(403)
    const merged = await ok.rest.pulls.merge({ ...o, pull_number: 2, merge_method: 'merge' })
    conforms('PUT', '/repos/{owner}/{repo}/pulls/{pull_number}/merge', merged)
    expect(merged.data.merged).toBe(true)
    // The bare repository's main now is that merge commit, with both parents.
    await git(work, 'fetch', '-q', 'origin')
    expect((await git(work, 'rev-parse', 'origin/main')).trim()).toBe(merged.data.sha)
    expect((await git(work, 'log', '-1', '--format=%P %s', 'origin/main')).trim()).toMatch(/^[0-9a-f]{40} [0-9a-f]{40} Merge pull request #2 from owner\/feature-a$/)
    const pr = await ok.rest.pulls.get({ ...o, pull_number: 2 })
    conforms('GET', '/repos/{owner}/{repo}/pulls/{pull_number}', pr)
    expect(pr.data).toMatchObject({ state: 'closed', merged: true, merge_commit_sha: merged.data.sha })
    expect(pr.data.merged_by?.login).toBe('owner')
    const issue = await ok.rest.issues.get({ ...o, issue_number: 1 })
    expect(issue.data).toMatchObject({ state: 'closed', state_reason: 'completed' })
    const again = await failure(ok.rest.pulls.merge({ ...o, pull_number: 2 }))
    expect(again.status).toBe(405)
    // The merged PR's files still show what it changed.
    expect((await ok.rest.pulls.listFiles({ ...o, pull_number: 2 })).data.map((f) => f.filename).sort()).toEqual(['README.md', 'feature.js'])
    // alice's merged PR makes her a contributor... she is a collaborator, which GitHub names first.
    expect((await ok.rest.pulls.get({ ...o, pull_number: 2 })).data.author_association).toBe('COLLABORATOR')
  })

  it('answers 405 "Merge conflict" for a PR that conflicts with its base', async () => {
    const ok = t.octokit(TOKENS.alice)
    await git(work, 'fetch', '-q', 'origin')
    await pushBranch('left', { 'conflict.txt': 'left\n' })
    await pushBranch('right', { 'conflict.txt': 'right\n' })
    const left = await ok.rest.pulls.create({ ...o, title: 'Left', head: 'left', base: 'main' })
    const right = await ok.rest.pulls.create({ ...o, title: 'Right', head: 'right', base: 'main' })
    await ok.rest.pulls.merge({ ...o, pull_number: left.data.number, merge_method: 'squash' })
    const pr = await ok.rest.pulls.get({ ...o, pull_number: right.data.number })
    expect(pr.data).toMatchObject({ mergeable: false, mergeable_state: 'dirty' })
    const conflict = await failure(ok.rest.pulls.merge({ ...o, pull_number: right.data.number }))
    expect(conflict.status).toBe(405)
    expect(conflict.data.message).toBe('Merge conflict')
    conforms('PUT', '/repos/{owner}/{repo}/pulls/{pull_number}/merge', conflict)
  })

  it('follows pushes to an open PR: new head sha, moved updated_at, new files; a large (chunked) push works', async () => {
    const ok = t.octokit(TOKENS.alice)
    await git(work, 'fetch', '-q', 'origin')
    await pushBranch('grow', { 'g.txt': 'g\n' })
    const pr = await ok.rest.pulls.create({ ...o, title: 'Grow', head: 'grow', base: 'main' })
    const issues = await ok.rest.issues.listForRepo({ ...o, state: 'all' })
    conforms('GET', '/repos/{owner}/{repo}/issues', issues)
    await new Promise((r) => setTimeout(r, 1100))
    // 3 MB of incompressible bytes: git sends this push with chunked encoding, without Content-Length.
    const { randomBytes } = await import('node:crypto')
    writeFileSync(join(work, 'blob.bin'), randomBytes(3 * 1024 * 1024))
    await git(work, 'add', 'blob.bin')
    await git(work, 'commit', '-q', '-m', 'Big file')
    await git(work, 'push', '-q', 'origin', 'grow:grow')
    const head = (await git(work, 'rev-parse', 'HEAD')).trim()
    const after = await ok.rest.pulls.get({ ...o, pull_number: pr.data.number })
    expect(after.data.head.sha).toBe(head)
    expect(after.data.commits).toBe(2)
    expect(Date.parse(after.data.updated_at)).toBeGreaterThan(Date.parse(pr.data.updated_at))
    const files = await ok.rest.pulls.listFiles({ ...o, pull_number: pr.data.number })
    expect(files.data.map((f) => f.filename).sort()).toEqual(['blob.bin', 'g.txt'])
    await ok.rest.pulls.update({ ...o, pull_number: pr.data.number, state: 'closed' })
  })

  it('squashes and rebases', async () => {
    const ok = t.octokit(TOKENS.alice)
    await git(work, 'fetch', '-q', 'origin')
    await pushBranch('squash-me', { 's.txt': 's\n' })
    const s = await ok.rest.pulls.create({ ...o, title: 'Squash me', head: 'squash-me', base: 'main' })
    const sq = await ok.rest.pulls.merge({ ...o, pull_number: s.data.number, merge_method: 'squash' })
    await git(work, 'fetch', '-q', 'origin')
    expect((await git(work, 'log', '-1', '--format=%P|%s', sq.data.sha)).trim().split('|')[1]).toBe(`Squash me (#${s.data.number})`)
    expect((await git(work, 'log', '-1', '--format=%P', sq.data.sha)).trim().split(' ')).toHaveLength(1)
    await pushBranch('rebase-me', { 'r.txt': 'r\n' }, 'origin/main~1')
    const r = await ok.rest.pulls.create({ ...o, title: 'Rebase me', head: 'rebase-me', base: 'main' })
    const rb = await ok.rest.pulls.merge({ ...o, pull_number: r.data.number, merge_method: 'rebase' })
    await git(work, 'fetch', '-q', 'origin')
    expect((await git(work, 'rev-parse', 'origin/main')).trim()).toBe(rb.data.sha)
    expect((await git(work, 'log', '-1', '--format=%P', rb.data.sha)).trim()).toBe(sq.data.sha)
    expect((await git(work, 'show', `${rb.data.sha}:r.txt`))).toBe('r\n')
    expect((await git(work, 'show', `${rb.data.sha}:s.txt`))).toBe('s\n')
  })

  it("lists a PR's commits oldest first, each linked to the account whose e-mail it carries, and after the merge still", async () => {
    const ok = t.octokit(TOKENS.alice)
    await git(work, 'fetch', '-q', 'origin')
    await pushBranch('two-commits', { 'one.txt': '1\n' })
    writeFileSync(join(work, 'two.txt'), '2\n')
    await git(work, 'add', '-A')
    // The second commit is the owner's (their e-mail is on their account): GitHub shows them as its author.
    await git(work, '-c', 'user.name=Olive', '-c', 'user.email=OWNER@example.test', 'commit', '-q', '-m', 'Second: two\n\nWhy it matters,\non two lines.')
    await git(work, 'push', '-q', 'origin', 'two-commits:two-commits')
    const first = (await git(work, 'rev-parse', 'HEAD~1')).trim()
    const second = (await git(work, 'rev-parse', 'HEAD')).trim()
    const pr = await ok.rest.pulls.create({ ...o, title: 'Two commits', head: 'two-commits', base: 'main' })
    const commits = await ok.rest.pulls.listCommits({ ...o, pull_number: pr.data.number })
    conforms('GET', '/repos/{owner}/{repo}/pulls/{pull_number}/commits', commits)
    expect(commits.data.map((c) => [c.sha, c.commit.message, c.author?.login ?? null])).toEqual([
      [first, 'Change on two-commits', null],
      [second, 'Second: two\n\nWhy it matters,\non two lines.', 'owner']
    ])
    expect(commits.data[1]!.parents.map((p) => p.sha)).toEqual([first])
    expect(commits.data[1]!.commit.author).toMatchObject({ name: 'Olive', email: 'OWNER@example.test' })
    expect(Date.parse(commits.data[1]!.commit.author!.date!)).not.toBeNaN()
    const paged = await ok.rest.pulls.listCommits({ ...o, pull_number: pr.data.number, per_page: 1, page: 2 })
    expect(paged.data.map((c) => c.sha)).toEqual([second])
    await ok.rest.pulls.merge({ ...o, pull_number: pr.data.number })
    const after = await ok.rest.pulls.listCommits({ ...o, pull_number: pr.data.number })
    expect(after.data.map((c) => c.sha)).toEqual([first, second])
    expect((await failure(ok.rest.pulls.listCommits({ ...o, pull_number: 1 }))).status).toBe(404)
  })
})
