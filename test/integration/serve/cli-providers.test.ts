// `baton providers` as a person runs it (from source, a real child process,
// no app running: the core runs for the one call): what is installed and how
// it signs in, as text and JSON; --check runs one real turn through Claude
// Code against a scripted endpoint; the key is never printed.
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, expect, it } from 'vitest'
import type { ProviderCheck, ProviderStatus } from '../../../src/shared/api'
import { startScriptedServer, type ScriptedServer } from '../../fixtures/anthropic/scripted-server'

let dir: string
let server: ScriptedServer
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'baton-cli-prov-'))
  mkdirSync(join(dir, 'home'))
  server = await startScriptedServer({ script: [] })
})
afterEach(async () => {
  await server.close()
  rmSync(dir, { recursive: true, force: true })
})

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', `import('./src/main/cli.ts').then(async (m) => { const c = await m.main(${JSON.stringify(args)}); if (c >= 0) process.exit(c) })`], {
      env: { PATH: process.env.PATH, HOME: join(dir, 'home'), DISABLE_TELEMETRY: '1', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_AUTOUPDATER: '1', BATON_AGENT_ISOLATION: 'none', ...env },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c) => (stdout += c))
    child.stderr.on('data', (c) => (stderr += c))
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000)
    child.on('close', (status) => {
      clearTimeout(timer)
      resolve({ status, stdout, stderr })
    })
  })
}

it('no key anywhere: both listed as not signed in, with what to do; exit 1', async () => {
  const json = await cli(['providers', '--json', '--data-dir', join(dir, 'data')])
  expect(json.status).toBe(1)
  const list = JSON.parse(json.stdout) as ProviderStatus[]
  expect(list.map((p) => [p.provider, p.cli.installed, p.ready])).toEqual([
    ['claude-code', true, false],
    ['codex', true, false]
  ])
  const text = await cli(['providers', '--data-dir', join(dir, 'data')])
  expect(text.stdout).toContain('Claude Code (claude-code): not ready — Claude Code is not signed in: add an Anthropic API key in Settings → Providers, or run `claude /login`')
  expect(text.stdout).toMatch(/CLI: \d+\.\d+\.\d+ \(Claude Code\) — Baton's own copy, /)
  expect(text.stdout).toContain('Codex (codex): not ready — Codex is not signed in')
}, 120_000)

it('--check with ANTHROPIC_API_KEY: the real CLI answers the scripted endpoint; time and cost printed, the key never; exit 0', async () => {
  const key = 'sk-ant-api03-cliEnvironmentKey-000012'
  server.setScript([{ kind: 'text', text: 'DONE: ready', usage: { input_tokens: 900, output_tokens: 5 } }])
  const run = await cli(['providers', '--check', '--data-dir', join(dir, 'data')], { ANTHROPIC_API_KEY: key, ANTHROPIC_BASE_URL: server.url })
  expect(run.stderr).not.toContain(key)
  expect(run.stdout).not.toContain(key)
  expect(run.stdout).toContain('Claude Code (claude-code): ready')
  expect(run.stdout).toContain("Sign-in: ANTHROPIC_API_KEY in Baton's environment")
  expect(run.stdout).toMatch(/Check: answered "DONE: ready" in \d+\.\d s, \$0\.\d{4}/)
  expect(run.status).toBe(0)
  expect(server.agentRequests()[0]?.headers['x-api-key']).toBe(key)

  server.setScript([{ kind: 'text', text: 'DONE: ready' }])
  const json = await cli(['providers', '--check', '--json', '--data-dir', join(dir, 'data')], { ANTHROPIC_API_KEY: key, ANTHROPIC_BASE_URL: server.url })
  const out = JSON.parse(json.stdout) as { providers: ProviderStatus[]; checks: ProviderCheck[] }
  expect(out.checks.map((c) => [c.provider, c.ok, c.answer])).toEqual([['claude-code', true, 'DONE: ready']])
}, 120_000)
