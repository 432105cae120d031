// Signing in with BATON_GITHUB_TOKEN, against the forge over HTTP: the login
// is looked up once (GET /user) and kept, so Settings names the account and
// Baton's own comments are recognised and signed by it; a rejected token is a
// message that names the variable; a lookup that could not reach GitHub is
// asked again; and a repository on another host than the one signed in to is
// refused with both hosts and BATON_GITHUB_API_URL named.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { EventHub } from '../../../src/main/events'
import { GitHubService } from '../../../src/main/github/service'
import { createTokenStore } from '../../../src/main/secrets/token-store'
import { AppError } from '../../../src/shared/errors'
import { FAST, manualTimers, setup, TOKENS, type Env } from './helpers'

let env: Env
beforeAll(async () => {
  env = await setup()
})
afterAll(() => env.close())
beforeEach(() => {
  env.forge.faults.clear()
  env.forge.clearLog()
})

function fromEnv(token: string, apiUrl = env.forge.apiUrl): { service: GitHubService; changed: string[][] } {
  const events = new EventHub()
  const changed: string[][] = []
  events.subscribe((e) => {
    if (e.type === 'changed') changed.push([...e.topics])
  })
  const service = new GitHubService({
    db: env.db,
    tokens: createTokenStore({ dataDir: env.dataDir, env: { BATON_GITHUB_TOKEN: token, BATON_GITHUB_API_URL: apiUrl } }),
    log: env.log,
    events,
    pollMs: () => 15_000,
    timing: { ...FAST, retryBaseMs: 1 },
    timers: manualTimers().timers
  })
  return { service, changed }
}

const userLookups = () => env.forge.requestLog().filter((r) => r.method === 'GET' && r.path.endsWith('/user')).length

describe('BATON_GITHUB_TOKEN', () => {
  it('the login is looked up once (GET /user), kept, and shown; the sync loop and connect use it', async () => {
    const { service, changed } = fromEnv(TOKENS.alice)
    expect(service.status()).toMatchObject({ signedIn: true, method: 'env' })
    expect(await service.ensureLogin()).toBe('alice')
    expect(service.status()).toMatchObject({ signedIn: true, login: 'alice', method: 'env', scopes: ['repo'], problem: null })
    expect(service.login()).toBe('alice')
    expect(changed.some((topics) => topics.includes('app'))).toBe(true)
    // Asked again by the sync loop and by connect: no further lookup.
    await service.ensureLogin()
    await service.tick()
    await service.connect('owner/app')
    expect(userLookups()).toBe(1)
    service.stop()
  })

  it('lookups asked at the same time share one request', async () => {
    const { service } = fromEnv(TOKENS.owner)
    const all = await Promise.all([service.ensureLogin(), service.ensureLogin(), service.tick().then(() => service.login())])
    expect(all).toEqual(['owner', 'owner', 'owner'])
    expect(userLookups()).toBe(1)
    service.stop()
  })

  it('a rejected token: a clear message naming the variable, asked once, never "signed in as unknown" silently', async () => {
    const { service } = fromEnv('ghp_notAValidToken999')
    expect(await service.ensureLogin()).toBeNull()
    const status = service.status()
    expect(status.login).toBeNull()
    expect(status.problem).toBe(`BATON_GITHUB_TOKEN was rejected by ${new URL(env.forge.apiUrl).host} (401 Bad credentials). Set BATON_GITHUB_TOKEN to a valid token and restart Baton.`)
    expect(await service.ensureLogin()).toBeNull()
    expect(userLookups()).toBe(1)
    // The token is in no log line.
    expect(env.lines.join('\n')).not.toContain('ghp_notAValidToken999')
    service.stop()
  })

  it('GitHub unreachable at the lookup: said so, and asked again next time', async () => {
    env.forge.faults.inject({ kind: 'error', status: 503, count: 20, path: '/user$' })
    const { service } = fromEnv(TOKENS.alice)
    expect(await service.ensureLogin()).toBeNull()
    expect(service.status().problem).toMatch(/^Could not look up the account of BATON_GITHUB_TOKEN on .+: GitHub answered 503/)
    env.forge.faults.clear()
    expect(await service.ensureLogin()).toBe('alice')
    expect(service.status().problem).toBeNull()
    service.stop()
  })

  it('a repository on another host than the one signed in to: both hosts and BATON_GITHUB_API_URL named', async () => {
    const { service } = fromEnv(TOKENS.alice)
    const forgeHost = new URL(env.forge.apiUrl).host
    let error: unknown
    try {
      await service.connect('https://github.example.com/acme/shop')
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(AppError)
    const message = (error as AppError).message
    expect(message).toContain('acme/shop lives on github.example.com')
    expect(message).toContain(`signed in to ${forgeHost}`)
    expect(message).toContain('BATON_GITHUB_API_URL')
    expect(message).toContain('https://github.example.com/api/v3')
    expect((error as AppError).code).toBe('bad_request')
    service.stop()
  })
})
