// Settings → Providers through the API (the core as both transports serve
// it): the status of each provider, a key typed in (kept, never in SQLite or
// the audit log, reported as held), and a role switched to a provider that is
// not ready — refused when its CLI is missing, warned when no sign-in is found,
// in words that say what to do.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createCore, type Core } from '../../../src/main/app'
import { createLogger } from '../../../src/main/log'
import type { AuditEvent, ProviderStatus, RoleConfig, RoleUpdateResult } from '../../../src/shared/api'

const KEY = 'sk-ant-api03-typedIntoSettings-000009'
let dir: string
let home: string
let core: Core
const open = (over: Partial<Parameters<typeof createCore>[0]> = {}) =>
  createCore({
    dataDir: dir,
    mode: 'headless',
    log: createLogger({ level: 'error' }),
    env: { PATH: process.env.PATH, HOME: home },
    startAgents: false,
    agentsDir: join(process.cwd(), 'agents'),
    ...over
  })
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'baton-providers-api-'))
  home = join(dir, 'home')
  mkdirSync(home)
  core = await open()
})
afterEach(async () => {
  await core.close()
  rmSync(dir, { recursive: true, force: true })
})

async function ok<T>(method: string, input: unknown): Promise<T> {
  const r = await core.call(method, input)
  if (!r.ok) throw new Error(`${method}: ${r.error.message}`)
  return r.data as T
}

describe('providers', () => {
  it('lists both providers; a key typed in is held (file, not SQLite or the audit), masked, and can be removed', async () => {
    const list = await ok<ProviderStatus[]>('providers.status', {})
    expect(list.map((p) => p.provider)).toEqual(['claude-code', 'codex'])
    expect(list[0]).toMatchObject({ title: 'Claude Code', ready: false, key: { held: false, variable: 'ANTHROPIC_API_KEY' } })

    const set = await ok<ProviderStatus>('providers.setKey', { provider: 'claude-code', key: KEY })
    expect(set).toMatchObject({ ready: true, auth: { ready: true, source: 'baton' }, key: { held: true } })
    expect(JSON.stringify(set)).not.toContain(KEY)
    const events = await ok<AuditEvent[]>('events.recent', { limit: 5 })
    expect(events.find((e) => e.kind === 'provider.key')?.message).toBe('A key for claude-code was set in Baton')
    // Nowhere in the database files (WAL included).
    const dbFiles = readdirSync(dir).filter((n) => n.startsWith('baton.db'))
    expect(dbFiles.length).toBeGreaterThan(0)
    for (const f of dbFiles) expect(readFileSync(join(dir, f)).includes(KEY)).toBe(false)
    await core.close()
    core = await open()
    expect((await ok<ProviderStatus[]>('providers.status', {}))[0]?.key.held).toBe(true)
    expect((await ok<ProviderStatus>('providers.clearKey', { provider: 'claude-code' })).key.held).toBe(false)
  })

  it('refuses a bad key and an unknown provider with the reason', async () => {
    const short = await core.call('providers.setKey', { provider: 'claude-code', key: 'sk-1' })
    expect(short.ok ? '' : short.error.message).toMatch(/An Anthropic API key is longer than that/)
    const unknown = await core.call('providers.check', { provider: 'gemini' })
    expect(unknown.ok ? '' : unknown.error.message).toBe('Bad input for providers.check: provider: a model provider is one of claude-code, codex.')
  })
})

describe('a role switched to a provider that is not ready', () => {
  it('no sign-in found: accepted with a warning that says what to do', async () => {
    const r = await ok<RoleUpdateResult>('roles.update', { role: 'engineer', provider: 'claude-code' })
    expect(r.role.provider).toBe('claude-code')
    expect(r.warning).toBe('Claude Code is not signed in: add an Anthropic API key in Settings → Providers, or run `claude /login`. Until then its tasks fail.')
    // With a key held, no warning.
    await ok('providers.setKey', { provider: 'codex', key: 'sk-proj-typedIntoSettings-0000010' })
    expect((await ok<RoleUpdateResult>('roles.update', { role: 'tester', provider: 'codex' })).warning).toBeNull()
    expect((await ok<ProviderStatus[]>('providers.status', {})).find((p) => p.provider === 'codex')?.roles).toEqual(['tester'])
  })

  it('its CLI missing: refused, naming what to install, and nothing changes', async () => {
    await core.close()
    const emptyBin = join(dir, 'bin')
    mkdirSync(emptyBin)
    core = await open({ env: { PATH: emptyBin, HOME: home }, providerStatus: { bundled: () => undefined } })
    const r = await core.call('roles.update', { role: 'engineer', provider: 'codex' })
    expect(r.ok).toBe(false)
    expect(r.ok ? '' : r.error.message).toBe('provider: Codex is not installed: install it with `npm install -g @openai/codex` (or put `codex` on PATH), or set BATON_CODEX_PATH to its path.')
    expect((await ok<RoleConfig[]>('roles.list', {})).find((x) => x.name === 'engineer')?.provider).toBe('builtin')
  })
})
