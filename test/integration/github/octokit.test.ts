// One connection's Octokit (octokit.ts) against the forge over HTTP: rate-limit
// windows (nothing is sent inside one), 5xx and dropped connections retried
// through the same gate (a retry waits for an open window; a 5xx with
// Retry-After opens one), mutations spaced, rate state and the offline flag
// tracked.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createOctokit, describeGitHubError, limitWaitMs, retryAfterMs, unavailableWaitMs } from '../../../src/main/github/octokit'
import { FAST, setup, TOKENS, type Env } from './helpers'
import { breaches, windows } from './windows'

let env: Env
beforeAll(async () => {
  env = await setup()
})
afterAll(() => env.close())
beforeEach(() => {
  env.forge.faults.clear()
  env.forge.clearLog()
})

const repo = { owner: 'owner', repo: 'app' }

describe('rate limits: the gate owns 403/429', () => {
  it('a 429 with Retry-After: the call completes and no request is sent inside the window', async () => {
    const { octokit, state } = createOctokit({ baseUrl: env.forge.apiUrl, token: TOKENS.owner, timing: FAST })
    env.forge.faults.inject({ kind: 'rate-limit', count: 1, retryAfter: 1, path: '/issues/1$' })
    const first = octokit.rest.issues.get({ ...repo, issue_number: 1 })
    // Let the 429 arrive (the client has opened the window), then ask for more while it is open.
    while (state().blockedUntil === null) await new Promise((r) => setTimeout(r, 5))
    const others = [octokit.rest.issues.get({ ...repo, issue_number: 2 }), octokit.rest.repos.get(repo), octokit.rest.issues.createComment({ ...repo, issue_number: 2, body: 'x' })]
    const results = await Promise.all([first, ...others])
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 201])
    const log = env.forge.requestLog()
    const limited = log.find((e) => e.status === 429)!
    const after = log.filter((e) => e !== limited && e.time >= limited.time)
    expect(after).toHaveLength(4)
    for (const e of after) expect(e.time).toBeGreaterThanOrEqual(limited.time + 1000)
  })

  it('a secondary limit (403 + retry-after) on a write: retried after the window', async () => {
    const { octokit } = createOctokit({ baseUrl: env.forge.apiUrl, token: TOKENS.owner, timing: FAST })
    env.forge.faults.inject({ kind: 'secondary-rate-limit', count: 1, retryAfter: 1, method: 'POST' })
    const t0 = Date.now()
    const r = await octokit.rest.issues.createComment({ ...repo, issue_number: 1, body: 'after the window' })
    expect(r.status).toBe(201)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000)
    const log = env.forge.requestLog()
    expect(log.map((e) => e.status)).toEqual([403, 201])
    expect(log[1]!.time - log[0]!.time).toBeGreaterThanOrEqual(1000)
  })

  it('a limit that names no time waits the injected minimum (GitHub: 60 s)', async () => {
    const slept: number[] = []
    let clock = Date.now()
    const { octokit } = createOctokit({
      baseUrl: env.forge.apiUrl,
      token: TOKENS.owner,
      timing: { ...FAST, minLimitWaitMs: 60_000, now: () => clock, sleep: async (ms) => { slept.push(ms); clock += ms } }
    })
    // The forge always sends retry-after, so the minimum (a limit whose answer names no time) is checked on the computation itself.
    expect(limitWaitMs({ status: 403, message: 'You have exceeded a secondary rate limit', response: { headers: {} } }, 0, 60_000)).toBe(60_000)
    expect(limitWaitMs({ status: 429, response: { headers: {} } }, 0, 60_000)).toBe(60_000)
    expect(limitWaitMs({ status: 403, response: { headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '100' } } }, 90_000, 60_000)).toBe(11_000)
    expect(limitWaitMs({ status: 403, message: 'Must have admin rights', response: { headers: {} } }, 0, 60_000)).toBeNull()
    // Nothing left and no reset named: the minimum, not NaN.
    expect(limitWaitMs({ status: 403, response: { headers: { 'x-ratelimit-remaining': '0' } } }, 0, 60_000)).toBe(60_000)
    env.forge.faults.inject({ kind: 'rate-limit', count: 1, retryAfter: 3 })
    await octokit.rest.repos.get(repo)
    expect(slept.reduce((a, b) => a + b, 0)).toBe(3000)
  })

  it('the primary budget spent: rate_limited with details.resetAt once retries are used up', async () => {
    env.forge.addUser({ login: 'thrifty', token: 'ghp_thriftyToken05', rateLimit: 1 })
    env.forge.setPermission('owner', 'app', 'thrifty', 'write')
    const { octokit, state } = createOctokit({ baseUrl: env.forge.apiUrl, token: 'ghp_thriftyToken05', timing: { ...FAST, maxLimitRetries: 0 } })
    await octokit.rest.repos.get(repo)
    expect(state()).toMatchObject({ limit: 1, remaining: 0 })
    const error = await octokit.rest.repos.get(repo).catch((e: unknown) => e)
    const app = describeGitHubError(error, 'reading owner/app')
    expect(app.code).toBe('rate_limited')
    expect(typeof app.details?.resetAt).toBe('string')
    expect(Date.parse(app.details!.resetAt as string)).toBeGreaterThan(Date.now())
    expect(app.message).toMatch(/resets at \d\d:\d\d UTC/)
    expect(state().blockedUntil).not.toBeNull()
    // The window is an hour long: later calls fail at once and are not sent.
    const sent = env.forge.requestLog().length
    const again = await octokit.rest.issues.get({ ...repo, issue_number: 1 }).catch((e: unknown) => e)
    expect(describeGitHubError(again, 'reading #1')).toMatchObject({ code: 'rate_limited' })
    expect(env.forge.requestLog()).toHaveLength(sent)
  })
})

describe('the retry plugin owns 5xx and the network', () => {
  it('two 503s, then the answer', async () => {
    const { octokit } = createOctokit({ baseUrl: env.forge.apiUrl, token: TOKENS.owner, timing: FAST })
    env.forge.faults.inject({ kind: 'error', status: 503, count: 2 })
    const r = await octokit.rest.repos.get(repo)
    expect(r.status).toBe(200)
    expect(env.forge.requestLog().map((e) => e.status)).toEqual([503, 503, 200])
  })

  it('a dropped connection is retried; the offline flag clears on the next answer', async () => {
    const { octokit, state } = createOctokit({ baseUrl: env.forge.apiUrl, token: TOKENS.owner, timing: FAST })
    env.forge.faults.inject({ kind: 'drop', count: 1 })
    const r = await octokit.rest.repos.get(repo)
    expect(r.status).toBe(200)
    expect(state().offline).toBe(false)
  })

  it('nothing listening: offline, a message for a person', async () => {
    const { octokit, state } = createOctokit({ baseUrl: 'http://127.0.0.1:9/api/v3', token: TOKENS.owner, timing: { ...FAST, retries: 0 } })
    const error = await octokit.rest.repos.get(repo).catch((e: unknown) => e)
    expect(state().offline).toBe(true)
    const app = describeGitHubError(error, 'reading owner/app')
    expect(app.code).toBe('offline')
    expect(app.message).toMatch(/could not be reached/)
  })

  it('more 5xx than retries: unavailable', async () => {
    const { octokit } = createOctokit({ baseUrl: env.forge.apiUrl, token: TOKENS.owner, timing: { ...FAST, retries: 1 } })
    env.forge.faults.inject({ kind: 'error', status: 502, count: 5 })
    const error = await octokit.rest.repos.get(repo).catch((e: unknown) => e)
    expect(describeGitHubError(error, 'reading owner/app').code).toBe('unavailable')
    expect(env.forge.requestLog()).toHaveLength(2)
  })
})

describe('retries go through the gate like first tries', () => {
  it('a 5xx answered while a window is open: its retry waits for the window', async () => {
    const { octokit, state } = createOctokit({ baseUrl: env.forge.apiUrl, token: TOKENS.owner, timing: FAST })
    // #1 is held at the forge, then answered 502; meanwhile #2's 429 opens a 1 s window.
    env.forge.faults.inject({ kind: 'delay', delayMs: 300, count: 1, path: '/issues/1$' })
    env.forge.faults.inject({ kind: 'error', status: 502, count: 1, path: '/issues/1$' })
    env.forge.faults.inject({ kind: 'rate-limit', retryAfter: 1, count: 1, path: '/issues/2$' })
    const held = octokit.rest.issues.get({ ...repo, issue_number: 1 })
    await new Promise((r) => setTimeout(r, 50))
    const limited = octokit.rest.issues.get({ ...repo, issue_number: 2 })
    while (state().blockedUntil === null) await new Promise((r) => setTimeout(r, 5))
    expect((await Promise.all([held, limited])).map((r) => r.status)).toEqual([200, 200])
    const log = env.forge.requestLog()
    expect(log.map((e) => e.status).sort()).toEqual([200, 200, 429, 502])
    expect(windows(log)).toBe(1)
    expect(breaches(log)).toEqual([])
  })

  it('a 5xx with Retry-After opens a window: its retry and every other request wait it out', async () => {
    // The plugin's back-off (100 ms) is well inside the window, and past the slack for requests in flight.
    const { octokit } = createOctokit({ baseUrl: env.forge.apiUrl, token: TOKENS.owner, timing: { ...FAST, retryBaseMs: 100 } })
    env.forge.faults.inject({ kind: 'error', status: 503, retryAfter: 1, count: 1, path: '/issues/1$' })
    const first = octokit.rest.issues.get({ ...repo, issue_number: 1 })
    while (env.forge.requestLog().length === 0) await new Promise((r) => setTimeout(r, 5))
    await new Promise((r) => setTimeout(r, 150))
    const others = [octokit.rest.repos.get(repo), octokit.rest.issues.createComment({ ...repo, issue_number: 2, body: 'after the outage' })]
    expect((await Promise.all([first, ...others])).map((r) => r.status)).toEqual([200, 200, 201])
    const log = env.forge.requestLog()
    expect(log).toHaveLength(4)
    expect(windows(log)).toBe(1)
    expect(breaches(log)).toEqual([])
  })

  it('an outage window longer than maxWaitMs: later calls fail at once as unavailable, unsent', async () => {
    const { octokit, state } = createOctokit({ baseUrl: env.forge.apiUrl, token: TOKENS.owner, timing: { ...FAST, retries: 0 } })
    env.forge.faults.inject({ kind: 'error', status: 503, retryAfter: 600, count: 1 })
    const first = await octokit.rest.repos.get(repo).catch((e: unknown) => e)
    expect(describeGitHubError(first, 'reading owner/app').code).toBe('unavailable')
    expect(Date.parse(state().blockedUntil!)).toBeGreaterThan(Date.now() + 590_000)
    const again = await octokit.rest.issues.get({ ...repo, issue_number: 1 }).catch((e: unknown) => e)
    expect(describeGitHubError(again, 'reading #1')).toMatchObject({ code: 'unavailable', message: expect.stringMatching(/asked Baton to wait until \d\d:\d\d UTC/) })
    expect(env.forge.requestLog()).toHaveLength(1)
  })

  it('retry-after in seconds or as an HTTP date; a 5xx without one opens no window', () => {
    const now = Date.parse('2026-01-01T00:00:00Z')
    expect(retryAfterMs({ 'retry-after': '2' }, now)).toBe(2000)
    expect(retryAfterMs({ 'retry-after': 'Thu, 01 Jan 2026 00:00:30 GMT' }, now)).toBe(30_000)
    expect(retryAfterMs({ 'retry-after': 'soon' }, now)).toBeNull()
    expect(retryAfterMs({ 'retry-after': '-1' }, now)).toBeNull()
    expect(retryAfterMs({}, now)).toBeNull()
    expect(unavailableWaitMs({ status: 503, response: { headers: { 'retry-after': '5' } } }, now)).toBe(5000)
    expect(unavailableWaitMs({ status: 502, response: { headers: {} } }, now)).toBeNull()
    expect(unavailableWaitMs({ status: 429, response: { headers: { 'retry-after': '5' } } }, now)).toBeNull()
    // No answer at all (the network): no window, the retry plugin's back-off alone.
    expect(unavailableWaitMs({ status: 500 }, now)).toBeNull()
  })

  it('a POST answered 5xx is still not re-sent (only the caller, who can look first, repeats it)', async () => {
    const { octokit } = createOctokit({ baseUrl: env.forge.apiUrl, token: TOKENS.owner, timing: FAST })
    env.forge.faults.inject({ kind: 'error', status: 502, count: 1, method: 'POST' })
    const error = await octokit.rest.issues.createComment({ ...repo, issue_number: 2, body: 'once' }).catch((e: unknown) => e)
    expect(describeGitHubError(error, 'commenting').code).toBe('unavailable')
    expect(env.forge.requestLog().filter((e) => e.method === 'POST')).toHaveLength(1)
  })

  it('a PUT answered 5xx is re-sent through the write queue, writeGapMs after the last write', async () => {
    const { octokit } = createOctokit({ baseUrl: env.forge.apiUrl, token: TOKENS.owner, timing: { ...FAST, writeGapMs: 200 } })
    env.forge.faults.inject({ kind: 'error', status: 502, count: 1, method: 'PUT' })
    const r = await octokit.rest.issues.setLabels({ ...repo, issue_number: 2, labels: ['bug'] })
    expect(r.status).toBe(200)
    const puts = env.forge.requestLog().filter((e) => e.method === 'PUT')
    expect(puts.map((e) => e.status)).toEqual([502, 200])
    expect(puts[1]!.time - puts[0]!.time).toBeGreaterThanOrEqual(190)
  })
})

describe('mutations', () => {
  it('are sent one at a time, writeGapMs apart', async () => {
    const { octokit } = createOctokit({ baseUrl: env.forge.apiUrl, token: TOKENS.owner, timing: { ...FAST, writeGapMs: 150 } })
    await Promise.all([1, 2, 3].map((n) => octokit.rest.issues.createComment({ ...repo, issue_number: 2, body: `c${n}` })))
    const times = env.forge.requestLog().filter((e) => e.method === 'POST').map((e) => e.time)
    expect(times).toHaveLength(3)
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(140)
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(140)
  })

  it('track the rate limit from every answer', async () => {
    const { octokit, state } = createOctokit({ baseUrl: env.forge.apiUrl, token: TOKENS.alice, timing: FAST })
    expect(state().limit).toBeNull()
    await octokit.rest.repos.get(repo)
    const s = state()
    expect(s.limit).toBe(5000)
    expect(s.remaining).toBeLessThan(5000)
    expect(Date.parse(s.resetAt!)).toBeGreaterThan(Date.now())
  })
})
