// Shared set-up for Baton's own agents as MCP clients (issue #14): a forge
// with acme/app (issues #1–#4; #3 and #4 at ready-for-dev unless told) and acme/lib, the
// whole headless core against it (real git, SQLite, agent processes in their
// sandbox) with `baton serve`'s HTTP server, and the Engineer on Claude Code
// — the real CLI, or the executable a test gives — while the other roles
// stay off, so only the Engineer works on #3 and #4.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createCore, type Core } from '../../../src/main/app'
import { createLogger } from '../../../src/main/log'
import { startServer, type Server } from '../../../src/main/serve'
import { startForge, type TestForge } from '../forge/helpers'

export const GITHUB_TOKEN = 'ghp_AgentMcpOwnerSecret0000000000000000001'
export const API_TOKEN = 'baton-api-AgentMcpSecret00000000000000000002'

export interface AgentWorld {
  t: TestForge
  core: Core
  server: Server
  root: string
  home: string
  dataDir: string
  api<T>(method: string, input?: unknown): Promise<T>
  /** Polls `probe` until it gives a value; on a timeout, says what was awaited and the pipeline's state. */
  until<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs?: number): Promise<T>
  state(): string
  close(): Promise<void>
}

export interface AgentWorldOptions {
  /** The Engineer's executable (role.yml `command`); the real Claude Code CLI when absent. */
  command?: string
  engineers?: number
  /** The agents' environment on top of PATH, LANG and HOME (the model endpoint, its key). */
  env?: (home: string) => Record<string, string>
  /** acme/app's issues that start at ready-for-dev (default #3 and #4). */
  ready?: number[]
  /** The Engineer's provider (default claude-code) and model. */
  provider?: 'claude-code' | 'codex'
  model?: string
}

export async function startAgentWorld(options: AgentWorldOptions = {}): Promise<AgentWorld> {
  const ready = new Set(options.ready ?? [3, 4])
  const issue = (title: string, n: number) => ({ title, body: `${title}.`, author: 'acme', labels: ready.has(n) ? ['ready-for-dev'] : [] })
  const t = await startForge({
    users: [{ login: 'acme', token: GITHUB_TOKEN, name: 'Acme Maintainer', email: 'acme@example.test' }],
    repositories: [
      {
        owner: 'acme',
        name: 'app',
        files: { 'README.md': '# app\n', 'package.json': '{"name":"app","private":true,"dependencies":{"lib":"acme/lib"}}\n' },
        issues: [issue('First', 1), issue('Second', 2), issue('Parsing a date crashes the app', 3), issue('Another task', 4)]
      },
      { owner: 'acme', name: 'lib', files: { 'README.md': '# lib\n', 'parse.js': 'exports.parse = (s) => JSON.parse(s)\n' } }
    ]
  })
  const root = mkdtempSync(join(tmpdir(), 'baton-agent-mcp-'))
  // Outside the temporary folder, like the real-CLI pipeline tests' HOME.
  const home = mkdtempSync(join(existsSync('/var/tmp') ? '/var/tmp' : tmpdir(), 'baton-agent-mcp-home-'))
  const agentsDir = join(root, 'agents')
  cpSync(join(process.cwd(), 'agents'), agentsDir, { recursive: true })
  for (const role of ['pm', 'architect', 'engineer', 'tester', 'community', 'marketing']) {
    const file = join(agentsDir, role, 'role.yml')
    if (!existsSync(file)) continue
    let yml = readFileSync(file, 'utf8')
    if (role !== 'engineer') yml = yml.replace(/^instances: \d+$/m, 'instances: 0')
    else {
      yml = yml.replace(/^provider: .*$/m, `provider: ${options.provider ?? 'claude-code'}`).replace(/^instances: \d+$/m, `instances: ${options.engineers ?? 1}`)
      if (options.model) yml = yml.replace(/^model: .*$/m, `model: ${options.model}`)
      if (options.command) yml += `\ncommand: ${JSON.stringify(options.command)}\n`
    }
    writeFileSync(file, yml)
  }
  const dataDir = join(root, 'baton')
  const rendererDir = join(root, 'renderer')
  mkdirSync(rendererDir)
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Baton</title>')
  const core = await createCore({
    dataDir,
    mode: 'headless',
    agentsDir,
    log: createLogger({ level: 'error' }),
    env: {
      PATH: process.env.PATH,
      LANG: 'C.UTF-8',
      HOME: home,
      XDG_CONFIG_HOME: join(home, '.config'),
      BATON_GITHUB_TOKEN: GITHUB_TOKEN,
      BATON_GITHUB_API_URL: t.forge.apiUrl,
      ...options.env?.(home)
    },
    githubTiming: { writeGapMs: 0 },
    runner: { execPath: process.execPath, args: ['--import', 'tsx', join(process.cwd(), 'agents/runner.ts')] },
    agentTiming: { heartbeatMs: 500, stallMs: 60_000, backoffMs: () => 200 }
  })
  const server = await startServer(core, { port: 0, token: API_TOKEN, rendererDir })
  const api = async <T>(method: string, input: unknown = {}): Promise<T> => {
    const result = await core.call(method, input)
    if (!result.ok) throw new Error(`${method}: ${result.error.message}`)
    return result.data as T
  }
  const state = (): string => {
    const rows = (sql: string) => JSON.stringify(core.db.prepare(sql).all())
    return [
      rows('SELECT r.name, i.number, i.state, i.labels FROM issues i JOIN repos r ON r.id = i.repo_id WHERE i.is_pull = 0'),
      rows('SELECT repo_id, issue, stage, role, agent, state, attempt, result FROM tasks ORDER BY rowid'),
      rows('SELECT kind, subject, message FROM events ORDER BY id DESC LIMIT 25')
    ].join('\n')
  }
  const until = async <T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 120_000): Promise<T> => {
    const end = Date.now() + timeoutMs
    for (let i = 0; ; i++) {
      const value = await probe()
      if (value) return value
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; the pipeline's state:\n${state()}`)
      if (i % 8 === 7) for (const r of await api<Array<{ id: number }>>('repos.list')) await api('repos.syncNow', { id: r.id }).catch(() => undefined)
      await new Promise((r) => setTimeout(r, 250))
    }
  }
  return {
    t,
    core,
    server,
    root,
    home,
    dataDir,
    api,
    until,
    state,
    async close() {
      await server.close()
      await core.close()
      await t.close()
      rmSync(root, { recursive: true, force: true })
      rmSync(home, { recursive: true, force: true })
    }
  }
}
