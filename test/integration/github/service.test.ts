// Baton's GitHub side against the local forge over HTTP, with real Octokit:
// signing in, connecting, sync with ETags, idempotent writes, drafts, faults.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EventHub } from '../../../src/main/events'
import { GitHubService } from '../../../src/main/github/service'
import { createLogger } from '../../../src/main/log'
import { createTokenStore } from '../../../src/main/secrets/token-store'
import { openDatabase, type Db } from '../../../src/main/store/open'
import { startForge, TOKENS, type TestForge } from '../forge/helpers'

let t: TestForge
const logLines: string[] = []

function makeService(dataDir = mkdtempSync(join(tmpdir(), 'baton-gh-')), timing = {}) {
  const db: Db = openDatabase(join(dataDir, 'baton.db'))
  const service = new GitHubService({
    db,
    tokens: createTokenStore({ dataDir, env: {} }),
    log: createLogger({ level: 'debug', write: (l) => logLines.push(l) }),
    events: new EventHub(),
    defaultApiUrl: t.forge.apiUrl,
    pollMs: () => 60_000,
    timing: { writeGapMs: 0, minLimitWaitMs: 300, ...timing }
  })
  return { db, service, dataDir }
}

beforeAll(async () => {
  t = await startForge()
})
afterAll(async () => {
  await t.close()
})

describe('signing in', () => {
  it('a rejected token is named, and nothing is stored', async () => {
    const { service, dataDir } = makeService()
    await expect(service.signInWithToken('not-a-real-token')).rejects.toThrow(/GitHub rejected the token/)
    expect(service.status().signedIn).toBe(false)
    expect(() => readdirSync(join(dataDir, 'secrets'))).toThrow()
  })

  it('a good token is kept in a 0600 file inside a 0700 folder, never in SQLite or a log', async () => {
    const { service, dataDir, db } = makeService()
    const status = await service.signInWithToken(TOKENS.owner)
    expect(status).toMatchObject({ signedIn: true, login: 'owner', method: 'token' })
    await service.connect('owner/app')
    await service.createIssue({ repoId: 1, title: 'From Baton', body: 'Body', labels: [] })
    db.close()
    const secret = join(dataDir, 'secrets', 'github.json')
    expect(statSync(secret).mode & 0o777).toBe(0o600)
    expect(statSync(join(dataDir, 'secrets')).mode & 0o777).toBe(0o700)
    const scan = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? scan(join(dir, e.name)) : [join(dir, e.name)]))
    const holding = scan(dataDir).filter((file) => readFileSync(file).includes(TOKENS.owner))
    expect(holding).toEqual([secret])
    expect(logLines.join('\n')).not.toContain(TOKENS.owner)
  })

  it('a token that lacks the repo scope is refused with the scopes it has', async () => {
    t.forge.addUser({ login: 'scoped', token: 'tok-scoped-0001', scopes: ['read:user'] })
    const { service } = makeService()
    await expect(service.signInWithToken('tok-scoped-0001')).rejects.toThrow(/lacks the "repo" scope \(it has: read:user\)/)
  })

  it("GitHub's device flow signs in once the person approves the code", async () => {
    const { service } = makeService()
    const flow = await service.deviceStart()
    expect(flow.userCode).toMatch(/\S/)
    t.forge.approveDeviceCode(flow.userCode, 'alice')
    const status = await service.deviceWait()
    expect(status).toMatchObject({ signedIn: true, login: 'alice', method: 'device' })
  })
})

describe('connecting', () => {
  it('accepts owner/name, https URLs and ssh remotes as one project, and bootstraps labels without touching the user’s', async () => {
    const { service, db } = makeService()
    await service.signInWithToken(TOKENS.owner)
    const host = new URL(t.forge.url).host
    const a = await service.connect('owner/app')
    const b = await service.connect(`${t.forge.url}/owner/app.git`)
    const c = await service.connect(`git@${new URL(t.forge.url).hostname}:owner/app.git`.replace(new URL(t.forge.url).hostname, host))
    expect(new Set([a.id, b.id, c.id]).size).toBe(1)
    expect(a.key).toBe(`${host}/owner/app`.toLowerCase())
    const labels = db.prepare('SELECT name, color, description FROM labels WHERE repo_id = ?').all(a.id) as Array<{ name: string; color: string; description: string }>
    expect(labels.map((l) => l.name)).toEqual(expect.arrayContaining(['backlog', 'needs-review', 'priority:urgent', 'approved']))
    expect(labels.find((l) => l.name === 'bug')).toMatchObject({ color: 'd73a4a', description: 'Something is broken' })
    expect(a.openIssues).toBeGreaterThanOrEqual(1)
  })

  it.each([
    ['owner/nope', /does not exist, or the signed-in account/],
    ['owner/old', /archived/],
    ['not a repo', /not a repository address/],
    ['ftp://x/y/z', /not supported|not a repository address/]
  ])('%s is refused with a clear message', async (remote, message) => {
    const { service } = makeService()
    await service.signInWithToken(TOKENS.owner)
    await expect(service.connect(remote)).rejects.toThrow(message)
  })

  it('no write permission is refused', async () => {
    const { service } = makeService()
    await service.signInWithToken(TOKENS.reader)
    await expect(service.connect('owner/secret')).rejects.toThrow(/cannot write to owner\/secret/)
  })
})

describe('sync', () => {
  it('an idle repository spends no rate limit; a change on GitHub shows up', async () => {
    const { service, db } = makeService()
    await service.signInWithToken(TOKENS.owner)
    const repo = await service.connect('owner/app')
    await service.syncNow(repo.id) // the cursors settle after the first pass
    t.forge.clearLog()
    for (let i = 0; i < 10; i++) await service.syncNow(repo.id)
    const idle = t.forge.requestLog().filter((e) => e.kind === 'api')
    expect(idle.length).toBe(40)
    expect(idle.every((e) => e.status === 304 && !e.countedAgainstRateLimit)).toBe(true)

    const gh = t.octokit(TOKENS.alice)
    await gh.rest.issues.addLabels({ owner: 'owner', repo: 'app', issue_number: 1, labels: ['needs-review'] })
    await gh.rest.issues.createComment({ owner: 'owner', repo: 'app', issue_number: 1, body: 'A new comment' })
    await service.syncNow(repo.id)
    const row = db.prepare('SELECT labels FROM issues WHERE repo_id = ? AND number = 1').get(repo.id) as { labels: string }
    expect(JSON.parse(row.labels)).toContain('needs-review')
    expect(db.prepare("SELECT COUNT(*) AS n FROM comments WHERE body = 'A new comment'").get()).toEqual({ n: 1 })
    await gh.rest.issues.update({ owner: 'owner', repo: 'app', issue_number: 1, state: 'closed' })
    await service.syncNow(repo.id)
    expect(db.prepare('SELECT state FROM issues WHERE repo_id = ? AND number = 1').get(repo.id)).toEqual({ state: 'closed' })
    await gh.rest.issues.update({ owner: 'owner', repo: 'app', issue_number: 1, state: 'open' })
  })
})

describe('writes', () => {
  it('a comment is posted once however often it is retried; labels move in one request', async () => {
    const { service } = makeService()
    await service.signInWithToken(TOKENS.owner)
    const repo = await service.connect('owner/app')
    const ref = { id: repo.id, owner: 'owner', name: 'app', defaultBranch: 'main' }
    const port = service.port()
    for (let i = 0; i < 3; i++) await port.comment(ref, 1, 'Hello from the PM\n\n<!-- baton:task=t_once -->', '<!-- baton:task=t_once -->')
    const comments = await t.octokit(TOKENS.owner).rest.issues.listComments({ owner: 'owner', repo: 'app', issue_number: 1 })
    expect(comments.data.filter((c) => c.body?.includes('t_once'))).toHaveLength(1)
    t.forge.clearLog()
    const after = await port.setLabels(ref, 1, ['needs-architecture'], ['backlog', 'needs-review'])
    expect(after).toContain('needs-architecture')
    expect(after).not.toContain('needs-review')
    expect(t.forge.requestLog().filter((e) => e.kind === 'api' && e.method !== 'GET')).toHaveLength(1)
  })

  it('a POST is never resent blindly (its answer may be lost after GitHub applied it)', async () => {
    const { service } = makeService()
    await service.signInWithToken(TOKENS.owner)
    const repo = await service.connect('owner/app')
    const ref = { id: repo.id, owner: 'owner', name: 'app', defaultBranch: 'main' }
    t.forge.clearLog()
    t.forge.faults.inject({ kind: 'error', status: 502, count: 1, method: 'POST', path: '/comments$' })
    await expect(service.port().comment(ref, 1, 'once <!-- baton:task=t_post -->', '<!-- baton:task=t_post -->')).rejects.toThrow(/502/)
    expect(t.forge.requestLog().filter((e) => e.method === 'POST')).toHaveLength(1)
    // The caller repeats the effect; it looks for its marker first, then posts.
    await service.port().comment(ref, 1, 'once <!-- baton:task=t_post -->', '<!-- baton:task=t_post -->')
    const comments = await t.octokit(TOKENS.owner).rest.issues.listComments({ owner: 'owner', repo: 'app', issue_number: 1 })
    expect(comments.data.filter((c) => c.body?.includes('t_post'))).toHaveLength(1)
  })

  it('an issue GitHub cannot take stays as a draft with the reason, and a retry posts it', async () => {
    const { service } = makeService()
    await service.signInWithToken(TOKENS.owner)
    const repo = await service.connect('owner/app')
    t.forge.faults.inject({ kind: 'error', status: 503, count: 3, method: 'POST', path: '/issues$' })
    const first = await service.createIssue({ repoId: repo.id, title: 'Keep me', body: 'Typed with care', labels: [] })
    expect(first.created).toBe(false)
    if (first.created) return
    expect(first.draft).toMatchObject({ title: 'Keep me', body: 'Typed with care', labels: ['backlog'] })
    expect(first.draft.error).toMatch(/503/)
    t.forge.faults.clear()
    const second = await service.retryDraft(first.draft.id)
    expect(second).toMatchObject({ created: true })
  })
})

describe('faults', () => {
  it('429 with Retry-After: the call completes and no request is sent inside the window', async () => {
    const { service } = makeService(undefined, { minLimitWaitMs: 5_000 })
    await service.signInWithToken(TOKENS.owner)
    const repo = await service.connect('owner/app')
    t.forge.clearLog()
    t.forge.faults.inject({ kind: 'rate-limit', retryAfter: 1, count: 1, method: 'GET' })
    await service.syncNow(repo.id)
    const log = t.forge.requestLog().filter((e) => e.kind === 'api')
    const limited = log.find((e) => e.status === 429)
    expect(limited).toBeDefined()
    const inside = log.filter((e) => e.time > (limited as { time: number }).time && e.time < (limited as { time: number }).time + 1000)
    expect(inside).toEqual([])
    expect(log.length).toBeGreaterThan(1)
  })

  it('5xx answers are retried; the network going away is reported as offline', async () => {
    const { service } = makeService()
    await service.signInWithToken(TOKENS.owner)
    const repo = await service.connect('owner/app')
    t.forge.faults.inject({ kind: 'error', status: 502, count: 2, method: 'GET' })
    await service.syncNow(repo.id)
    t.forge.faults.inject({ kind: 'drop', count: 20 })
    await expect(service.syncNow(repo.id)).rejects.toThrow(/could not be reached/)
    expect(service.status().offline).toBe(true)
    t.forge.faults.clear()
    await service.syncNow(repo.id)
    expect(service.status().offline).toBe(false)
  })
})
