// Settings → Providers with the REAL Claude Code and Codex CLIs (the pinned
// dev dependencies) against the scripted endpoints on 127.0.0.1: a CLI that is
// not there says so and what to do; no key says how to sign in; a key the
// endpoint refuses (401) says which key and what to do; a ready provider
// answers one short real turn with its time and cost. The key a person typed
// into Baton reaches the CLI by environment only (the endpoint sees it, the
// command line never holds it).
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ProviderStatusService, readiness } from '../../../src/main/agents/provider-status'
import { createClaudeCode, resolveClaudeExecutable } from '../../../src/main/agents/providers/claude-code'
import { createCodex, resolveCodexExecutable } from '../../../src/main/agents/providers/codex'
import { ProviderError } from '../../../src/main/agents/providers/stream-errors'
import { createProviderKeys, type ProviderKeys } from '../../../src/main/secrets/provider-keys'
import { startScriptedServer as startAnthropic, type ScriptedServer as AnthropicServer } from '../../fixtures/anthropic/scripted-server'
import { startScriptedServer as startOpenAI, type ScriptedServer as OpenAIServer } from '../../fixtures/openai/scripted-server'
import { makeContext, makeSandbox } from './cli-fixture'

const claudePath = resolveClaudeExecutable({ settings: { provider: 'claude-code', timeLimitSec: 1, maxOutputBytes: 1 }, env: {} })
const codexPath = resolveCodexExecutable({ settings: { provider: 'codex', timeLimitSec: 1, maxOutputBytes: 1 }, env: {} })
const haveClaude = existsSync(claudePath)
const haveCodex = existsSync(codexPath)

const HELD_ANTHROPIC = 'sk-ant-api03-heldByBaton-000000000001'
const HELD_OPENAI = 'sk-proj-heldByBaton-0000000000000002'

let root: string
let home: string
let keys: ProviderKeys
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'baton-provstatus-'))
  home = join(root, 'home')
  mkdirSync(home)
  keys = createProviderKeys({ dataDir: join(root, 'data'), env: {} })
})
afterEach(() => rmSync(root, { recursive: true, force: true }))

const baseEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: home,
  LANG: 'C.UTF-8',
  DISABLE_TELEMETRY: '1',
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  DISABLE_AUTOUPDATER: '1',
  // Main's own tokens: never to a provider.
  BATON_GITHUB_TOKEN: 'ghp_mainsOwnToken_000001',
  ...extra
})

describe('not installed', () => {
  it('a CLI neither bundled nor on PATH is "not installed", with what to do; the Check says the same and runs nothing', async () => {
    const emptyBin = join(root, 'bin')
    mkdirSync(emptyBin)
    const service = new ProviderStatusService({ env: baseEnv({ PATH: emptyBin, ANTHROPIC_API_KEY: 'sk-ant-x-000000000000000' }), keys, bundled: () => undefined })
    for (const provider of ['claude-code', 'codex'] as const) {
      const s = await service.status(provider)
      expect(s.cli).toMatchObject({ installed: false, path: null, version: null })
      expect(s.ready).toBe(false)
      expect(s.todo).toMatch(/is not installed: install it with `npm install -g @(anthropic-ai\/claude-code|openai\/codex)`/)
      expect(s.todo).toContain(provider === 'codex' ? 'BATON_CODEX_PATH' : 'BATON_CLAUDE_PATH')
      const check = await service.check(provider)
      expect(check.ok).toBe(false)
      expect(check.error).toMatch(/is not installed/)
    }
    // Switching a role to it is refused, in the same words.
    expect(readiness('claude-code', { env: baseEnv({ PATH: emptyBin }), keys, bundled: () => undefined }).refuse).toMatch(/^Claude Code is not installed: install it/)
  })

  it('BATON_CLAUDE_PATH naming nothing is named in the problem', async () => {
    const service = new ProviderStatusService({ env: baseEnv({ BATON_CLAUDE_PATH: join(root, 'no-such-claude') }), keys })
    const s = await service.status('claude-code')
    expect(s.cli.installed).toBe(false)
    expect(s.todo).toContain('where BATON_CLAUDE_PATH says')
    expect(s.todo).toContain('no-such-claude')
  })
})

describe.skipIf(!haveClaude)('claude-code with the real CLI', () => {
  let server: AnthropicServer
  beforeEach(async () => {
    server = await startAnthropic({ script: [] })
  })
  afterEach(async () => server.close())

  it('installed: the bundled CLI and its version; no key and no sign-in: "not signed in" and how', async () => {
    const service = new ProviderStatusService({ env: baseEnv({ ANTHROPIC_BASE_URL: server.url }), keys })
    const s = await service.status('claude-code')
    expect(s.cli).toMatchObject({ installed: true, source: 'bundled', path: claudePath })
    expect(s.cli.version).toMatch(/^\d+\.\d+\.\d+ \(Claude Code\)$/)
    expect(s.auth).toMatchObject({ ready: false, source: null })
    expect(s.todo).toBe('Claude Code is not signed in: add an Anthropic API key in Settings → Providers, or run `claude /login`')
    expect((await service.check('claude-code')).error).toBe(s.todo)
    expect(server.requests).toHaveLength(0)
    expect(readiness('claude-code', { env: baseEnv(), keys }).warn).toMatch(/^Claude Code is not signed in: add an Anthropic API key/)

    // The CLI's own sign-in counts, and is named.
    mkdirSync(join(home, '.claude'))
    writeFileSync(join(home, '.claude', '.credentials.json'), '{}')
    expect((await service.status('claude-code')).auth).toMatchObject({ ready: true, source: 'login', detail: `Claude Code's own sign-in (${join(home, '.claude', '.credentials.json')})` })
  })

  it('a task run with no key fails saying how to sign in, not "failed (success)"', async () => {
    const sb = makeSandbox()
    try {
      const ctx = makeContext(sb, server.url, { env: { PATH: process.env.PATH, HOME: sb.home, DISABLE_TELEMETRY: '1', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' } })
      const error = await createClaudeCode({ killGraceMs: 500 })(ctx).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ProviderError)
      expect((error as ProviderError).kind).toBe('auth')
      expect((error as ProviderError).retryable).toBe(false)
      expect((error as ProviderError).message.split('\n')[0]).toBe(
        'Claude Code is not signed in: add an Anthropic API key in Settings → Providers, or run `claude /login` (it said: Not logged in · Please run /login)'
      )
    } finally {
      sb.cleanup()
    }
  })

  it('a key Baton holds that the endpoint refuses (401): which key, and what to do', async () => {
    keys.set('claude-code', HELD_ANTHROPIC)
    server.failAll({ status: 401, type: 'authentication_error', message: 'invalid x-api-key' })
    const service = new ProviderStatusService({ env: baseEnv({ ANTHROPIC_BASE_URL: server.url }), keys })
    const s = await service.status('claude-code')
    expect(s).toMatchObject({ ready: true, key: { held: true, variable: 'ANTHROPIC_API_KEY' }, auth: { source: 'baton' } })
    const check = await service.check('claude-code')
    expect(check.ok).toBe(false)
    expect(check.error).toMatch(/^The model endpoint refused the Anthropic API key kept by Baton \(HTTP 401 .*\)$/)
    expect(check.todo).toBe('replace the key in Settings → Providers')
    expect(check.error).not.toContain(HELD_ANTHROPIC)
    // The held key travelled by environment: the endpoint got it as x-api-key.
    expect(server.requests.some((r) => r.headers['x-api-key'] === HELD_ANTHROPIC)).toBe(true)
  })

  it('ready: one short real turn, its answer, time and cost; the held key wins over the environment and never reaches the command line', async () => {
    keys.set('claude-code', HELD_ANTHROPIC)
    server.setScript([{ kind: 'text', text: 'DONE: ready', usage: { input_tokens: 900, output_tokens: 5 } }])
    const service = new ProviderStatusService({ env: baseEnv({ ANTHROPIC_BASE_URL: server.url, ANTHROPIC_API_KEY: 'sk-ant-fromEnvironment-0000000003', OPENAI_API_KEY: 'sk-openai-not-for-claude-0004' }), keys })
    const watcher = watchArgs('claude')
    const check = await service.check('claude-code')
    const argv = watcher.stop()
    expect(check).toMatchObject({ provider: 'claude-code', ok: true, answer: 'DONE: ready', error: null })
    expect(check.durationMs).toBeGreaterThan(0)
    expect(check.costUsd).toBeGreaterThan(0)
    expect(check.tokens).toEqual({ input: 900, output: 5 })
    const turn = server.agentRequests()[0]
    expect(turn?.headers['x-api-key']).toBe(HELD_ANTHROPIC)
    const sent = JSON.stringify(turn?.body)
    expect(sent).toContain('Answer with exactly one line: DONE: ready')
    for (const secret of [HELD_ANTHROPIC, 'ghp_mainsOwnToken_000001', 'sk-openai-not-for-claude-0004']) {
      expect(sent).not.toContain(secret)
      expect(argv).not.toContain(secret)
    }
    console.log(`[providers] claude-code check: ${check.durationMs} ms, $${check.costUsd?.toFixed(4)} (${JSON.stringify(check.tokens)})`)
  })
})

describe.skipIf(!haveCodex)('codex with the real CLI', () => {
  let server: OpenAIServer
  const noRetries = { codex: createCodex({ killGraceMs: 500, config: ['model_providers.baton.request_max_retries=0', 'model_providers.baton.stream_max_retries=0'] }) }
  beforeEach(async () => {
    server = await startOpenAI({ script: [] })
  })
  afterEach(async () => server.close())

  it('no key and no sign-in: "not signed in" and how; its own auth.json counts', async () => {
    const service = new ProviderStatusService({ env: baseEnv({ OPENAI_BASE_URL: server.baseUrl }), keys })
    const s = await service.status('codex')
    expect(s.cli).toMatchObject({ installed: true, source: 'bundled' })
    expect(s.cli.version).toMatch(/^codex-cli \d+\.\d+\.\d+$/)
    expect(s.todo).toBe('Codex is not signed in: add an OpenAI API key in Settings → Providers, or run `codex login`')
    mkdirSync(join(home, '.codex'))
    writeFileSync(join(home, '.codex', 'auth.json'), '{}')
    expect((await service.status('codex')).auth).toMatchObject({ ready: true, source: 'login' })
  })

  it('a refused key (401) and a ready one (answer, time, tokens: Codex reports no price)', async () => {
    keys.set('codex', HELD_OPENAI)
    const service = new ProviderStatusService({ env: baseEnv({ OPENAI_BASE_URL: server.baseUrl, ANTHROPIC_API_KEY: 'sk-ant-not-for-codex-00000005' }), keys, providers: noRetries })
    server.failAll({ status: 401, message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' })
    const refused = await service.check('codex', 'gpt-5.5')
    expect(refused.ok).toBe(false)
    expect(refused.error).toMatch(/^The model endpoint refused the OpenAI API key kept by Baton \(.*401.*\)$/)
    expect(refused.todo).toBe('replace the key in Settings → Providers')

    server.failAll(null)
    server.setScript([{ kind: 'text', text: 'DONE: ready', usage: { input_tokens: 700, output_tokens: 4 } }])
    const check = await service.check('codex', 'gpt-5.5')
    expect(check).toMatchObject({ ok: true, answer: 'DONE: ready', costUsd: null, tokens: { input: 700, output: 4 } })
    const turn = server.agentRequests().at(-1)
    expect(turn?.headers.authorization).toBe(`Bearer ${HELD_OPENAI}`)
    expect(JSON.stringify(turn?.body)).not.toContain('sk-ant-not-for-codex-00000005')
  })
})

/** Every command line of processes named like `name` while it runs (from /proc). */
function watchArgs(name: string): { stop(): string } {
  const seen = new Set<string>()
  const look = () => {
    try {
      for (const line of execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n')) if (line.includes(name)) seen.add(line)
    } catch {
      /* ps may be missing: nothing seen */
    }
  }
  const timer = setInterval(look, 100)
  return {
    stop() {
      clearInterval(timer)
      look()
      return [...seen].join('\n')
    }
  }
}
