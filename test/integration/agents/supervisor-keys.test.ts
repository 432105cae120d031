// Model keys reach only their own provider's agents, by environment (DESIGN.md
// §9): the supervisor really spawns each role's process with main's env and
// the keys Baton holds laid over it, and the allow-list decides. A key an
// agent prints is masked in the live output. A key set later reaches the
// provider's agents when they restart for it.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { Supervisor, type RoleSpec } from '../../../src/main/agents/supervisor'
import { registerSecret } from '../../../src/main/log'

const runner = { execPath: process.execPath, args: [join(process.cwd(), 'test/fixtures/agents/env-dump-runner.mjs')] }
let dir: string
let supervisor: Supervisor | null = null
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'baton-keys-sup-'))
})
afterEach(async () => {
  await supervisor?.stop()
  supervisor = null
  rmSync(dir, { recursive: true, force: true })
})

const role = (name: string, provider: string, print?: string): RoleSpec => ({
  name,
  prompt: JSON.stringify({ dumpDir: dir, print }),
  settings: { provider, timeLimitSec: 30, maxOutputBytes: 100_000, instances: 1, ...(provider === 'command' ? { command: 'true' } : {}) }
})
const dumps = (agent: string): Array<Record<string, string>> =>
  readdirSync(dir)
    .filter((f) => f.startsWith(`${agent}.`) && f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, string>)
async function until<T>(what: string, probe: () => T | undefined | false, timeout = 20_000): Promise<T> {
  const end = Date.now() + timeout
  for (;;) {
    const v = probe()
    if (v) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

it("a claude-code role's env has ANTHROPIC_API_KEY and no OpenAI key; a codex role's the reverse; builtin and command roles neither; a key printed by an agent is masked", async () => {
  const held: Record<string, string> = { ANTHROPIC_API_KEY: 'sk-ant-heldByBaton-supervisor-01', OPENAI_API_KEY: 'sk-openai-heldByBaton-super-02' }
  registerSecret(held.ANTHROPIC_API_KEY)
  const lines: string[] = []
  supervisor = new Supervisor({
    ipcDir: join(dir, 'ipc'),
    roles: [role('engineer', 'claude-code', held.ANTHROPIC_API_KEY), role('tester', 'codex'), role('pm', 'builtin'), role('marketing', 'command')],
    runner,
    env: { PATH: process.env.PATH, HOME: dir, ANTHROPIC_API_KEY: 'sk-ant-fromMainEnv-0000000003', ANTHROPIC_BASE_URL: 'http://127.0.0.1:9', BATON_GITHUB_TOKEN: 'ghp_main_000000000001' },
    providerKeys: () => held,
    heartbeatMs: 200,
    killGraceMs: 500
  })
  supervisor.on('progress', (p) => lines.push(p.line))
  supervisor.start()
  await until('four dumps', () => ['engineer', 'tester', 'pm', 'marketing'].every((a) => dumps(a).length > 0))

  const engineer = dumps('engineer')[0] as Record<string, string>
  // The key Baton holds wins over main's environment.
  expect(engineer.ANTHROPIC_API_KEY).toBe(held.ANTHROPIC_API_KEY)
  expect(engineer.ANTHROPIC_BASE_URL).toBe('http://127.0.0.1:9')
  expect(engineer.OPENAI_API_KEY).toBeUndefined()
  expect(engineer.CODEX_API_KEY).toBeUndefined()
  const tester = dumps('tester')[0] as Record<string, string>
  expect(tester.OPENAI_API_KEY).toBe(held.OPENAI_API_KEY)
  expect(tester.CODEX_API_KEY).toBe(held.OPENAI_API_KEY)
  expect(tester.ANTHROPIC_API_KEY).toBeUndefined()
  expect(tester.ANTHROPIC_BASE_URL).toBeUndefined()
  for (const agent of ['pm', 'marketing']) {
    const env = dumps(agent)[0] as Record<string, string>
    for (const k of ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'CODEX_API_KEY', 'ANTHROPIC_BASE_URL']) expect(env[k]).toBeUndefined()
  }
  for (const agent of ['engineer', 'tester', 'pm', 'marketing']) expect((dumps(agent)[0] as Record<string, string>).BATON_GITHUB_TOKEN).toBeUndefined()
  // Nothing about keys on any command line: they travel in the environment.
  expect(JSON.stringify(runner.args)).not.toContain('sk-')

  // What the engineer printed (stdout and a progress message) is shown masked.
  await until('both lines', () => lines.some((l) => l.startsWith('stdout says')) && lines.some((l) => l.startsWith('progress says')))
  expect(lines.filter((l) => l.includes('says'))).toEqual(expect.arrayContaining(['stdout says ***', 'progress says ***']))
  expect(lines.join('\n')).not.toContain(held.ANTHROPIC_API_KEY)

  // A key changed in Settings: the provider's agents start again with it, the others do not.
  held.ANTHROPIC_API_KEY = 'sk-ant-replacedInSettings-04'
  expect(supervisor.restartProvider('claude-code')).toEqual(['engineer'])
  await until('a second engineer dump', () => dumps('engineer').length === 2)
  expect(dumps('engineer').map((e) => e.ANTHROPIC_API_KEY).sort()).toEqual(['sk-ant-heldByBaton-supervisor-01', 'sk-ant-replacedInSettings-04'])
  expect(dumps('tester')).toHaveLength(1)
  expect(supervisor.list().find((a) => a.name === 'engineer')?.restarts).toBe(0)
})
