// HTTP behaviour Baton depends on: ETags and free 304s, rate-limit headers and
// exhaustion, Link pagination, the secondary limit, injected faults (over the
// admin endpoint too), the request log, and the OAuth device flow.
import { createOAuthDeviceAuth } from '@octokit/auth-oauth-device'
import { request } from '@octokit/request'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TOKENS, conforms, failure, startForge } from './helpers'
import type { TestForge } from './helpers'
import { loadSpec } from './openapi'

let t: TestForge
let clock = Date.parse('2026-01-01T00:00:00Z')
const o = { owner: 'owner', repo: 'app' }

beforeAll(async () => {
  loadSpec()
  t = await startForge(undefined, { now: () => clock, adminToken: 'admin-secret' })
  for (let i = 0; i < 7; i++) t.forge.createIssue({ ...o, author: 'alice', title: `Bulk ${i}` })
})
afterAll(() => t.close())

describe('conditional requests', () => {
  it('answers If-None-Match with 304 that spends no rate limit, and a fresh ETag after a change', async () => {
    const ok = t.octokit(TOKENS.reader)
    const first = await ok.rest.issues.listForRepo(o)
    const etag = first.headers.etag!
    expect(etag).toMatch(/^W\/"[0-9a-f]{40}"$/)
    const remaining = Number(first.headers['x-ratelimit-remaining'])
    t.forge.clearLog()
    for (let i = 0; i < 3; i++) {
      const hit = await failure(ok.rest.issues.listForRepo({ ...o, headers: { 'if-none-match': etag } }))
      expect(hit.status).toBe(304)
      expect(Number(hit.headers['x-ratelimit-remaining'])).toBe(remaining)
    }
    expect(t.forge.requestLog().map((e) => [e.status, e.countedAgainstRateLimit])).toEqual([
      [304, false],
      [304, false],
      [304, false]
    ])
    clock += 2000
    await t.octokit(TOKENS.owner).rest.issues.create({ ...o, title: 'Changes the list' })
    const after = await ok.rest.issues.listForRepo({ ...o, headers: { 'if-none-match': etag } })
    expect(after.status).toBe(200)
    expect(after.headers.etag).not.toBe(etag)
    expect(Number(after.headers['x-ratelimit-remaining'])).toBe(remaining - 1)
  })
})

describe('rate limits', () => {
  it('sends x-ratelimit headers and answers 403 "API rate limit exceeded" once the budget is spent, until reset', async () => {
    t.forge.addUser({ login: 'thrifty', token: 'tok-thrifty', rateLimit: 3 })
    const ok = t.octokit('tok-thrifty')
    const a = await ok.rest.users.getAuthenticated()
    expect(a.headers).toMatchObject({ 'x-ratelimit-limit': '3', 'x-ratelimit-remaining': '2', 'x-ratelimit-used': '1', 'x-ratelimit-resource': 'core' })
    const reset = Number(a.headers['x-ratelimit-reset'])
    expect(reset).toBe(Math.floor(clock / 1000) + 3600)
    await ok.rest.users.getAuthenticated()
    await ok.rest.repos.get(o)
    const spent = await failure(ok.rest.repos.get(o))
    expect(spent.status).toBe(403)
    expect(spent.data.message).toMatch(/^API rate limit exceeded/)
    expect(spent.headers['x-ratelimit-remaining']).toBe('0')
    conforms('GET', '/repos/{owner}/{repo}', spent)
    expect((await failure(ok.rest.issues.create({ ...o, title: 'x' }))).status).toBe(403)
    clock = reset * 1000 + 1000
    const again = await ok.rest.users.getAuthenticated()
    expect(again.headers['x-ratelimit-remaining']).toBe('2')
  })

  it('answers fast mutations with a secondary-limit 403 and retry-after when switched on', async () => {
    t.forge.settings.secondaryRateLimitMs = 1000
    try {
      const ok = t.octokit(TOKENS.alice)
      await ok.rest.issues.createComment({ ...o, issue_number: 1, body: 'one' })
      const fast = await failure(ok.rest.issues.createComment({ ...o, issue_number: 1, body: 'two' }))
      expect(fast.status).toBe(403)
      expect(fast.data.message).toMatch(/You have exceeded a secondary rate limit/)
      expect(fast.headers['retry-after']).toBe('1')
      clock += 1000
      expect((await ok.rest.issues.createComment({ ...o, issue_number: 1, body: 'three' })).status).toBe(201)
    } finally {
      t.forge.settings.secondaryRateLimitMs = null
    }
  })
})

describe('pagination', () => {
  it('caps per_page at 100 and links next, last, prev and first', async () => {
    const ok = t.octokit(TOKENS.owner)
    const p2 = await ok.rest.issues.listForRepo({ ...o, state: 'all', per_page: 3, page: 2 })
    const link = p2.headers.link!
    for (const rel of ['next', 'last', 'prev', 'first']) expect(link).toContain(`rel="${rel}"`)
    expect(link).toContain(`<${t.forge.apiUrl}/repos/owner/app/issues?state=all&per_page=3&page=3>; rel="next"`)
    const big = await ok.rest.issues.listForRepo({ ...o, state: 'all', per_page: 500 })
    expect(big.headers.link).toBeUndefined()
    const all = await ok.paginate(ok.rest.issues.listForRepo, { ...o, state: 'all', per_page: 2 })
    expect(all.length).toBe(big.data.length)
  })
})

describe('faults', () => {
  it('injects 429 with Retry-After, a secondary limit, 5xx, delays and dropped connections for the next N requests', async () => {
    const ok = t.octokit(TOKENS.owner)
    t.forge.faults.inject({ kind: 'rate-limit', count: 1, retryAfter: 7, path: '/issues' })
    const limited = await failure(ok.rest.issues.listForRepo(o))
    expect(limited.status).toBe(429)
    expect(limited.headers['retry-after']).toBe('7')
    expect((await ok.rest.issues.listForRepo(o)).status).toBe(200) // count spent
    t.forge.faults.inject({ kind: 'secondary-rate-limit', count: 1, method: 'POST' })
    expect((await ok.rest.repos.get(o)).status).toBe(200) // GET not matched
    const sec = await failure(ok.rest.issues.create({ ...o, title: 'x' }))
    expect([sec.status, sec.headers['retry-after']]).toEqual([403, '60'])
    t.forge.faults.inject({ kind: 'error', status: 503, count: 2 })
    expect((await failure(ok.rest.repos.get(o))).status).toBe(503)
    expect((await failure(ok.rest.repos.get(o))).status).toBe(503)
    t.forge.faults.inject({ kind: 'delay', delayMs: 150, count: 1 })
    const started = Date.now()
    await ok.rest.repos.get(o)
    expect(Date.now() - started).toBeGreaterThanOrEqual(140)
    t.forge.faults.inject({ kind: 'drop', count: 1 })
    const dropped = await failure(ok.rest.repos.get(o))
    expect(dropped.status).toBe(500) // Octokit's status for a network failure
    expect(t.forge.faults.list()).toEqual([])
    const faults = t.forge.requestLog().filter((e) => e.fault).map((e) => e.fault)
    expect(faults).toEqual(['rate-limit', 'secondary-rate-limit', 'error', 'error', 'drop'])
  })

  it('fails a repeatable share of requests with a seeded PRNG', async () => {
    const ok = t.octokit(TOKENS.owner)
    const run = async () => {
      t.forge.faults.clear()
      t.forge.faults.reseed(42)
      t.forge.faults.inject({ kind: 'error', share: 0.3 })
      const statuses: number[] = []
      for (let i = 0; i < 40; i++) statuses.push(await ok.rest.repos.get(o).then((r) => r.status, (e: { status: number }) => e.status))
      t.forge.faults.clear()
      return statuses
    }
    const a = await run()
    const b = await run()
    expect(a).toEqual(b)
    const failed = a.filter((s) => s === 502).length
    expect(failed).toBeGreaterThan(4)
    expect(failed).toBeLessThan(22)
  })

  it('takes faults and serves the log through the admin endpoint, guarded by the admin token', async () => {
    const admin = (path: string, init: RequestInit = {}, token = 'admin-secret') =>
      fetch(`${t.forge.url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } })
    expect((await admin('/_forge/faults', {}, 'wrong')).status).toBe(401)
    const bad = await admin('/_forge/faults', { method: 'POST', body: JSON.stringify({ kind: 'error' }) })
    expect(bad.status).toBe(422)
    const res = await admin('/_forge/faults', { method: 'POST', body: JSON.stringify({ kind: 'error', status: 500, count: 1, path: '^/api/v3/user$' }) })
    expect(res.status).toBe(201)
    expect((await failure(t.octokit(TOKENS.owner).rest.users.getAuthenticated())).status).toBe(500)
    expect((await admin('/_forge/log', { method: 'DELETE' })).status).toBe(204)
    await t.octokit(TOKENS.alice).rest.repos.get(o)
    const log = (await (await admin('/_forge/log')).json()) as { method: string; path: string; status: number; user: string; countedAgainstRateLimit: boolean }[]
    expect(log.map((e) => [e.method, e.path, e.status, e.user, e.countedAgainstRateLimit])).toEqual([['GET', '/api/v3/repos/owner/app', 200, 'alice', true]])
  })
})

describe('errors', () => {
  it('answers unknown routes and malformed JSON like GitHub', async () => {
    const nf = await fetch(`${t.forge.apiUrl}/repos/owner/app/nothing-here`, { headers: { authorization: `token ${TOKENS.owner}` } })
    expect(nf.status).toBe(404)
    expect(await nf.json()).toMatchObject({ message: 'Not Found', documentation_url: expect.stringContaining('docs.github.com') })
    const bad = await fetch(`${t.forge.apiUrl}/repos/owner/app/issues`, { method: 'POST', body: '{nope', headers: { authorization: `token ${TOKENS.owner}` } })
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { message: string }).message).toBe('Problems parsing JSON')
  })
})

describe('OAuth device flow', () => {
  it('completes the flow with @octokit/auth-oauth-device once the user code is approved', async () => {
    const forgeRequest = request.defaults({ baseUrl: t.forge.apiUrl })
    let code = ''
    const auth = createOAuthDeviceAuth({
      clientType: 'oauth-app',
      clientId: 'Iv1.baton',
      scopes: ['repo'],
      request: forgeRequest,
      onVerification: (v) => {
        code = v.user_code
        expect(v.verification_uri).toBe(`${t.forge.url}/login/device`)
        // The person approves in a browser; here the admin API stands in.
        setTimeout(() => t.forge.approveDeviceCode(v.user_code, 'alice'), 20)
      }
    })
    const result = await auth({ type: 'oauth' })
    expect(code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/)
    expect(result.token).toMatch(/^gho_/)
    const me = await t.octokit(result.token).rest.users.getAuthenticated()
    expect(me.data.login).toBe('alice')
    expect(me.headers['x-oauth-scopes']).toBe('repo')
  })

  it('answers form-encoded requests in form encoding and reports pending, denied and bad codes', async () => {
    const post = (path: string, body: Record<string, string>, json = false) =>
      fetch(`${t.forge.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(json ? { accept: 'application/json' } : {}) },
        body: new URLSearchParams(body)
      })
    const codeRes = await post('/login/device/code', { client_id: 'cid', scope: 'repo' })
    expect(codeRes.headers.get('content-type')).toMatch(/x-www-form-urlencoded/)
    const code = new URLSearchParams(await codeRes.text())
    const grant = { client_id: 'cid', device_code: code.get('device_code')!, grant_type: 'urn:ietf:params:oauth:grant-type:device_code' }
    const pending = (await (await post('/login/oauth/access_token', grant, true)).json()) as { error: string }
    expect(pending.error).toBe('authorization_pending')
    t.forge.denyDeviceCode(code.get('user_code')!, 'alice')
    expect(((await (await post('/login/oauth/access_token', grant, true)).json()) as { error: string }).error).toBe('access_denied')
    const wrong = (await (await post('/login/oauth/access_token', { ...grant, device_code: 'nope' }, true)).json()) as { error: string }
    expect(wrong.error).toBe('incorrect_device_code')
    // A second code, approved through the admin endpoint, answers with a token in form encoding.
    const second = new URLSearchParams(await (await post('/login/device/code', { client_id: 'cid', scope: 'repo' })).text())
    const approve = await fetch(`${t.forge.url}/_forge/device/approve`, {
      method: 'POST',
      headers: { authorization: 'Bearer admin-secret', 'content-type': 'application/json' },
      body: JSON.stringify({ user_code: second.get('user_code'), login: 'reader' })
    })
    expect(approve.status).toBe(204)
    const token = new URLSearchParams(await (await post('/login/oauth/access_token', { ...grant, device_code: second.get('device_code')! })).text())
    expect(token.get('token_type')).toBe('bearer')
    expect((await t.octokit(token.get('access_token')!).rest.users.getAuthenticated()).data.login).toBe('reader')
  })
})
