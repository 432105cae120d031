// GitHubService against the forge over HTTP: signing in (token, device flow,
// gh), every bad input as a message for a person, connecting by each form of
// a remote, several repositories, issues and drafts, a rate-limit window
// during a sync, git credentials through the environment, and a full run
// after which the token is found nowhere but the 0600 secrets file.
import { execFile } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { promisify } from 'node:util'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { GitHubService } from '../../../src/main/github/service'
import { listDrafts, listRepos } from '../../../src/main/store/queries'
import { credentialEnv } from '../../../src/main/workspace/credentials'
import { AppError } from '../../../src/shared/errors'
import { makeService, manualTimers, setup, TOKENS, type Env } from './helpers'

const run = promisify(execFile)
let env: Env
let host: string
const changes: Array<[number, number[]]> = []

function make(over: Parameters<typeof makeService>[1] = {}): GitHubService {
  return makeService(env, { onSynced: (id, c) => changes.push([id, c]), ...over })
}

async function failure(p: Promise<unknown> | (() => unknown)): Promise<AppError> {
  try {
    await (typeof p === 'function' ? p() : p)
  } catch (error) {
    expect(error).toBeInstanceOf(AppError)
    return error as AppError
  }
  throw new Error('expected a failure')
}

beforeAll(async () => {
  env = await setup()
  host = new URL(env.forge.apiUrl).host
})
afterAll(() => env.close())

describe('signing in', () => {
  it('a rejected token: unauthorized, nothing stored', async () => {
    const s = make()
    const e = await failure(s.signInWithToken('ghp_notAValidToken999'))
    expect(e.code).toBe('unauthorized')
    expect(e.message).toMatch(/GitHub rejected the token/)
    expect(s.status().signedIn).toBe(false)
    expect(existsSync(join(env.dataDir, 'secrets'))).toBe(false)
  })

  it('a token without the repo scope: forbidden, naming the scopes it has', async () => {
    const e = await failure(make().signInWithToken(TOKENS.noscope))
    expect(e.code).toBe('forbidden')
    expect(e.message).toMatch(/lacks the "repo" scope \(it has: gist\)/)
  })

  it('a pasted token with spaces inside is refused before any request', async () => {
    env.forge.clearLog()
    const e = await failure(make().signInWithToken('ghp_a b'))
    expect(e.code).toBe('bad_request')
    expect(env.forge.requestLog()).toHaveLength(0)
  })

  it('the device flow: a code to show, then signed in once approved', async () => {
    const s = make({ clientId: 'Iv1.test' })
    const flow = await s.deviceStart()
    expect(flow.userCode).toMatch(/\w{4}-\w{4}/)
    expect(flow.verificationUri).toContain('/login/device')
    expect(Date.parse(flow.expiresAt)).toBeGreaterThan(Date.now())
    const waiting = s.deviceWait()
    env.forge.approveDeviceCode(flow.userCode, 'alice')
    const status = await waiting
    expect(status).toMatchObject({ signedIn: true, login: 'alice', method: 'device', host, scopes: ['repo'] })
    s.signOut()
  })

  it('the device flow denied: a clear message', async () => {
    const s = make({ clientId: 'Iv1.test' })
    const flow = await s.deviceStart()
    const waiting = s.deviceWait()
    env.forge.denyDeviceCode(flow.userCode, 'alice')
    const e = await failure(waiting)
    expect(e.code).toBe('unauthorized')
    expect(e.message).toMatch(/denied/)
  })

  it('gh absent: says so', async () => {
    const e = await failure(make({ gh: '/nonexistent/gh' }).useGhToken())
    expect(e.code).toBe('not_found')
    expect(e.message).toMatch(/GitHub CLI \(gh\) is not installed/)
  })

  it("gh present: its token is used for the signed-in host (a stand-in gh script prints the forge's token)", async () => {
    const gh = join(env.dir, 'gh')
    writeFileSync(gh, `#!/bin/sh\n[ "$1 $2 $3 $4" = "auth token --hostname ${host}" ] && echo ${TOKENS.alice}\n`, { mode: 0o755 })
    const s = make({ gh })
    expect(await s.useGhToken()).toMatchObject({ signedIn: true, login: 'alice', method: 'gh' })
    // The scopes are kept with the token: a restart still knows them.
    expect(make().status()).toMatchObject({ signedIn: true, login: 'alice', scopes: ['repo'] })
    s.signOut()
  })
})

describe('connecting', () => {
  let s: GitHubService
  beforeAll(async () => {
    s = make()
    await s.signInWithToken(TOKENS.alice)
  })
  afterAll(() => s.signOut())

  it("every form of one repository is one project; the labels are bootstrapped and a person's own left alone", async () => {
    const forms = ['owner/app', `http://${host}/owner/app`, `http://${host}/Owner/App.git`, `git@${host.split(':')[0]}:owner/app.git`]
    const ids = new Set<number>()
    for (const form of forms.slice(0, 3)) ids.add((await s.connect(form)).id)
    expect(ids.size).toBe(1)
    const [repo] = listRepos(env.db)
    expect(repo).toMatchObject({ key: `${host}/owner/app`, owner: 'owner', name: 'app', defaultBranch: 'main', private: false, openIssues: 2, syncError: null })
    const labels = env.db.prepare('SELECT name, color, description FROM labels WHERE repo_id = ?').all(repo!.id) as Array<{ name: string; color: string; description: string }>
    expect(labels.map((l) => l.name)).toEqual(expect.arrayContaining(['backlog', 'needs-review', 'priority:urgent', 'approved', 'wontfix']))
    expect(labels.find((l) => l.name === 'bug')).toMatchObject({ color: '123456', description: 'Our own bug label' })
    // An ssh remote names the host without the https port: it is another host, refused with a message.
    const e = await failure(s.connect(forms[3]!))
    expect(e.code).toBe('bad_request')
    expect(e.message).toMatch(/signed in to/)
  })

  it('bad input: not found, private and unseen, archived, no write access, not an address', async () => {
    expect((await failure(s.connect('owner/nope'))).code).toBe('not_found')
    expect((await failure(s.connect('owner/old'))).message).toMatch(/archived/)
    const reader = make()
    await reader.signInWithToken(TOKENS.reader)
    const noWrite = await failure(reader.connect('owner/app'))
    expect(noWrite.code).toBe('forbidden')
    expect(noWrite.message).toMatch(/reader cannot write to owner\/app/)
    await reader.signInWithToken(TOKENS.alice)
    expect((await failure(s.connect('https://github.com/'))).code).toBe('bad_request')
    expect((await failure(s.connect('ftp://x/y/z'))).message).toMatch(/not supported/)
    // A user with no access to the private repository sees a 404.
    env.forge.addUser({ login: 'stranger', token: 'ghp_strangerToken06' })
    const stranger = make()
    await stranger.signInWithToken('ghp_strangerToken06')
    const hidden = await failure(stranger.connect('owner/secret'))
    expect(hidden.code).toBe('not_found')
    expect(hidden.message).toMatch(/does not exist, or the signed-in account \(stranger\) cannot see it/)
    await stranger.signInWithToken(TOKENS.alice)
  })

  it('several repositories; disconnect removes one and its mirror', async () => {
    const secret = await s.connect('owner/secret')
    expect(secret.private).toBe(true)
    expect(listRepos(env.db).map((r) => r.name)).toEqual(['app', 'secret'])
    s.disconnect(secret.id)
    expect(listRepos(env.db).map((r) => r.name)).toEqual(['app'])
    expect(env.db.prepare('SELECT COUNT(*) AS n FROM labels WHERE repo_id = ?').get(secret.id)).toEqual({ n: 0 })
    expect((await failure(() => s.disconnect(secret.id))).code).toBe('not_found')
  })

  it('signed out: connect asks to sign in', async () => {
    const out = make({ dataDir: join(env.dir, 'elsewhere') })
    expect((await failure(out.connect('owner/app'))).code).toBe('unauthorized')
  })
})

describe('issues and drafts', () => {
  it('created on GitHub and in the mirror at backlog; GitHub down keeps a draft that a retry posts', async () => {
    const s = make()
    await s.signInWithToken(TOKENS.owner)
    const repo = await s.connect('owner/app')
    changes.length = 0
    const made = await s.createIssue({ repoId: repo.id, title: 'Made in Baton', body: '**bold**', labels: [] })
    expect(made).toMatchObject({ created: true, url: expect.stringMatching(/\/owner\/app\/issues\/\d+$/) })
    const n = (made as { number: number }).number
    expect(env.db.prepare('SELECT title, labels FROM issues WHERE repo_id = ? AND number = ?').get(repo.id, n)).toEqual({ title: 'Made in Baton', labels: '["backlog"]' })
    expect(changes).toContainEqual([repo.id, [n]])

    env.forge.faults.inject({ kind: 'error', status: 503, count: 10, method: 'POST' })
    const kept = await s.createIssue({ repoId: repo.id, title: 'Typed while GitHub was down', body: 'keep me', labels: ['bug', 'bug'] })
    expect(kept.created).toBe(false)
    const draft = (kept as { draft: { id: number; error: string; labels: string[]; body: string } }).draft
    expect(draft).toMatchObject({ body: 'keep me', labels: ['bug'], error: expect.stringMatching(/503/) })
    expect(listDrafts(env.db)).toHaveLength(1)
    env.forge.faults.clear()
    const posted = await s.retryDraft(draft.id)
    expect(posted.created).toBe(true)
    expect(listDrafts(env.db)).toHaveLength(0)

    const offline = make({ defaultApiUrl: 'http://127.0.0.1:9/api/v3', dataDir: join(env.dir, 'off') })
    const d2 = await offline.createIssue({ repoId: repo.id, title: 'Signed out', body: '', labels: [] })
    expect(d2.created).toBe(false)
    expect(s.discardDraft((d2 as { draft: { id: number } }).draft.id)).toEqual({ discarded: true })
    expect((await failure(s.createIssue({ repoId: repo.id, title: '  ', body: '', labels: [] }))).code).toBe('bad_request')
  })
})

describe('faults during a sync', () => {
  it('429 with Retry-After: the sync completes and no request is sent inside the window', async () => {
    const s = make({ timing: { writeGapMs: 0, retryBaseMs: 10, minLimitWaitMs: 5_000 } })
    await s.signInWithToken(TOKENS.owner)
    const repo = await s.connect('owner/app')
    env.forge.clearLog()
    env.forge.faults.inject({ kind: 'rate-limit', retryAfter: 1, count: 1, method: 'GET' })
    await s.syncNow(repo.id)
    const log = env.forge.requestLog().filter((e) => e.kind === 'api')
    const limited = log.find((e) => e.status === 429)
    expect(limited).toBeDefined()
    const inside = log.filter((e) => e.time > limited!.time && e.time < limited!.time + 1000)
    expect(inside).toEqual([])
    expect(log.length).toBeGreaterThan(1)
  })

  it('the network gone: offline in the status and on the repository; the loop resumes by itself', async () => {
    const { timers, pending } = manualTimers()
    const s = make({ timers })
    await s.signInWithToken(TOKENS.owner)
    const repo = await s.connect('owner/app')
    env.forge.faults.inject({ kind: 'drop', count: 50 })
    s.startSync()
    await s.tick()
    expect(s.status().offline).toBe(true)
    expect(listRepos(env.db).find((r) => r.id === repo.id)!.syncError).toMatch(/could not be reached/)
    env.forge.faults.clear()
    pending.shift()!.fn()
    await s.tick()
    expect(s.status().offline).toBe(false)
    expect(listRepos(env.db).find((r) => r.id === repo.id)!.syncError).toBeNull()
    s.stop()
    s.signOut()
  })
})

describe('git credentials and a full run', () => {
  it('clones a private repository with the env, nothing on the command line', async () => {
    const s = make()
    await s.signInWithToken(TOKENS.alice)
    const repo = await s.connect('owner/secret')
    const url = s.cloneUrl({ id: repo.id, owner: repo.owner, name: repo.name, defaultBranch: repo.defaultBranch })
    expect(url).toBe(`http://${host}/owner/secret.git`)
    const gitEnv = credentialEnv(s.token(), url)
    expect(JSON.stringify(gitEnv)).not.toContain(TOKENS.alice)
    // Scoped to the repository's host: the header goes to no other remote.
    expect(gitEnv.GIT_CONFIG_KEY_0).toBe(`http.http://${host}/.extraHeader`)
    const target = join(env.dir, 'clone')
    // Async: the forge answers from this very process.
    await run('git', ['clone', '-q', url, target], { env: { ...process.env, ...gitEnv, GIT_TERMINAL_PROMPT: '0' } })
    expect(readFileSync(join(target, 'a.txt'), 'utf8')).toBe('a\n')
    await expect(run('git', ['clone', '-q', url, join(env.dir, 'clone2')], { env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } })).rejects.toThrow()
    s.disconnect(repo.id)
    s.signOut()
  })

  it('sign in, connect, create an issue, sync: the token is nowhere but the 0600 secrets file', async () => {
    const token = 'ghp_fullRunSecret0007'
    env.forge.addUser({ login: 'runner', token })
    env.forge.setPermission('owner', 'app', 'runner', 'write')
    const { timers } = manualTimers()
    const s = make({ timers })
    await s.signInWithToken(token)
    const repo = await s.connect(`http://${host}/owner/app`)
    await s.createIssue({ repoId: repo.id, title: 'From the full run', body: '', labels: [] })
    env.forge.faults.inject({ kind: 'error', status: 500, count: 3 })
    await s.syncNow(repo.id).catch(() => undefined)
    env.forge.faults.clear()
    await s.syncNow(repo.id)
    credentialEnv(s.token(), s.cloneUrl({ id: repo.id, owner: repo.owner, name: repo.name, defaultBranch: repo.defaultBranch }))
    s.startSync()
    await s.tick()
    s.stop()
    env.log.info(`a line that mentions ${token} by mistake`)
    env.db.pragma('wal_checkpoint(TRUNCATE)')

    const files: string[] = []
    const walk = (d: string) => {
      for (const f of readdirSync(d, { withFileTypes: true })) (f.isDirectory() ? walk : (p: string) => files.push(p))(join(d, f.name))
    }
    walk(env.dataDir)
    const basic = Buffer.from(`x-access-token:${token}`).toString('base64')
    const holding = files.filter((f) => {
      const text = readFileSync(f).toString('latin1')
      return text.includes(token) || text.includes(basic)
    })
    expect(holding).toEqual([join(env.dataDir, 'secrets', 'github.json')])
    expect(statSync(holding[0]!).mode & 0o777).toBe(0o600)
    expect(statSync(join(env.dataDir, 'secrets')).mode & 0o777).toBe(0o700)
    expect(files.some((f) => f.endsWith('baton.sqlite'))).toBe(true)
    expect(env.lines.length).toBeGreaterThan(0)
    expect(env.lines.filter((l) => l.includes(token) || l.includes(basic))).toEqual([])
    expect(env.lines.some((l) => l.includes('***'))).toBe(true)
  })
})
