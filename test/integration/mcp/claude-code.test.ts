// The real Claude Code CLI as an MCP client of `baton mcp` (issue #14): its
// config names `baton mcp` as in the README, the scripted model endpoint
// answers with a tool_use of `mcp__baton__create_issue`, and the issue lands
// on the sandbox's forge through the running app; the tool's answer goes back
// to the model as its tool_result.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolveClaudeExecutable } from '../../../src/main/agents/providers/claude-code'
import { createCore, type Core } from '../../../src/main/app'
import { createLogger } from '../../../src/main/log'
import { startServer, type Server } from '../../../src/main/serve'
import type { BoardIssue } from '../../../src/shared/api'
import { startScriptedServer, type ScriptTurn, type ScriptedServer } from '../../fixtures/anthropic/scripted-server'

const cliPath = resolveClaudeExecutable({ settings: { provider: 'claude-code', timeLimitSec: 1, maxOutputBytes: 1 }, env: {} })
const TITLE = 'Filed by Claude Code through baton mcp'

type Json = Record<string, unknown>
const blocksOf = (body: unknown): Json[] =>
  (((body as Json).messages ?? []) as Array<{ content: unknown }>).flatMap((m) => (Array.isArray(m.content) ? (m.content as Json[]) : []))

let core: Core
let server: Server
let model: ScriptedServer
let dataDir: string

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'baton-mcp-claude-'))
  const rendererDir = join(dataDir, 'renderer')
  mkdirSync(rendererDir)
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Baton</title>')
  core = await createCore({
    dataDir,
    mode: 'headless',
    sandbox: true,
    // The pipeline's own agents stay off: only the person's Claude Code acts here.
    startAgents: false,
    log: createLogger({ level: 'error' })
  })
  server = await startServer(core, { port: 0, rendererDir })
  // As `baton serve` does (cli.ts): the lock file is how `baton mcp` finds the app.
  core.lock.update({ url: server.url, token: server.token })
  model = await startScriptedServer({
    script: [],
    respond: (_request, body): ScriptTurn => {
      const result = blocksOf(body).find((b) => b.type === 'tool_result')
      if (result) return { kind: 'text', text: 'Filed it.' }
      const tools = ((body.tools ?? []) as Array<{ name: string }>).map((t) => t.name)
      if (!tools.includes('mcp__baton__create_issue')) return { kind: 'text', text: `NO BATON TOOLS: ${tools.join(', ')}` }
      return { kind: 'tools', tools: [{ id: 'toolu_baton_1', name: 'mcp__baton__create_issue', input: { repo: 'baton-sandbox/calc', title: TITLE, body: 'Seen in the app.' } }] }
    }
  })
}, 90_000)

afterAll(async () => {
  await model?.close()
  await server?.close()
  await core?.close()
})

describe.skipIf(!existsSync(cliPath))('Claude Code with baton mcp', () => {
  it('calls mcp__baton__create_issue: the issue is on the forge, and the answer is its tool_result', async () => {
    const home = mkdtempSync(join(existsSync('/var/tmp') ? '/var/tmp' : tmpdir(), 'baton-mcp-claude-home-'))
    const tsx = pathToFileURL(join(process.cwd(), 'node_modules/tsx/dist/loader.mjs')).href
    const cli = pathToFileURL(join(process.cwd(), 'src/main/cli.ts')).href
    const config = join(home, 'mcp.json')
    writeFileSync(
      config,
      JSON.stringify({
        mcpServers: {
          baton: {
            // Claude Code 2.1.197 in -p mode does not wait for a stdio MCP server
            // by default: its first model request went out without the baton tools
            // whenever `baton mcp` (tsx, a loaded machine) took a few seconds to
            // start. `alwaysLoad` makes it wait, up to MCP_CONNECT_TIMEOUT_MS
            // (default 5 s; checked with a server held back 6 s).
            alwaysLoad: true,
            command: process.execPath,
            args: ['--import', tsx, '-e', `import(${JSON.stringify(cli)}).then(async (m) => { const c = await m.main(['mcp', '--data-dir', ${JSON.stringify(dataDir)}]); if (c >= 0) process.exit(c) })`]
          }
        }
      })
    )
    const child = spawn(
      cliPath,
      ['-p', 'File the bug in baton-sandbox/calc.', '--output-format', 'stream-json', '--verbose', '--mcp-config', config, '--strict-mcp-config', '--allowedTools', 'mcp__baton__create_issue'],
      {
        cwd: home,
        env: {
          PATH: process.env.PATH,
          HOME: home,
          XDG_CONFIG_HOME: join(home, '.config'),
          LANG: 'C.UTF-8',
          ANTHROPIC_BASE_URL: model.url,
          ANTHROPIC_API_KEY: 'test-key',
          DISABLE_TELEMETRY: '1',
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
          DISABLE_AUTOUPDATER: '1',
          MCP_TIMEOUT: '60000',
          MCP_CONNECT_TIMEOUT_MS: '60000'
        },
        stdio: ['ignore', 'pipe', 'pipe']
      }
    )
    let out = ''
    child.stdout.on('data', (c) => (out += c))
    child.stderr.on('data', (c) => (out += c))
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    rmSync(home, { recursive: true, force: true })
    expect(code, out).toBe(0)

    const turns = model.agentRequests()
    const offered = ((turns[0]?.body as Json).tools as Array<{ name: string }>).map((t) => t.name)
    expect(offered).toEqual(expect.arrayContaining(['mcp__baton__issue_status', 'mcp__baton__list_tasks', 'mcp__baton__create_issue', 'mcp__baton__who_is_online']))
    const result = blocksOf(turns[1]?.body).find((b) => b.type === 'tool_result' && b.tool_use_id === 'toolu_baton_1')
    expect(result?.is_error, JSON.stringify(result)).toBeFalsy()
    // Claude Code 2.1.197 hands the model the tool's structuredContent (compact JSON) when there is one.
    const content = result?.content
    const text = typeof content === 'string' ? content : ((content as Array<{ text?: string }>)[0]?.text ?? '')
    const answer = JSON.parse(text) as { created: boolean; issue: string; number: number; url: string }
    expect(answer).toMatchObject({ created: true, issue: `baton-sandbox/calc#${answer.number}` })
    const number = answer.number
    expect(number).toBeGreaterThan(5) // after the sandbox's five

    const forge = await fetch(answer.url.replace('/baton-sandbox/calc/issues/', '/api/v3/repos/baton-sandbox/calc/issues/'))
    expect(await forge.json()).toMatchObject({ number, title: TITLE, body: 'Seen in the app.' })
    const board = await core.call('issues.board', { q: TITLE })
    expect(board.ok && (board.data as BoardIssue[]).map((c) => c.number)).toEqual([number])
    expect(JSON.parse(out.trim().split('\n').at(-1) ?? '{}')).toMatchObject({ type: 'result', result: 'Filed it.' })
  }, 120_000)
})
