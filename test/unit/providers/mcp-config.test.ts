// Baton's MCP as each CLI is told about it (providers/mcp-config.ts): Claude
// Code's --mcp-config file (private, alwaysLoad, its tools allowed) and
// Codex's mcp_servers pairs with the token in its environment, never argv —
// checked against the real Codex CLI's reading of them when it is installed.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { claudeArgs } from '../../../src/main/agents/providers/claude-code'
import { codexArgs, resolveCodexExecutable } from '../../../src/main/agents/providers/codex'
import { CLAUDE_MCP_TOOLS, CODEX_MCP_TOKEN_ENV, codexMcpConfig, writeClaudeMcpConfig } from '../../../src/main/agents/providers/mcp-config'
import type { ProviderContext } from '../../../src/main/agents/providers/types'

const mcp = { url: 'http://127.0.0.1:4567/mcp', token: 'bt_task_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG' }
const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

const ctx = (allowedTools?: string[]): ProviderContext =>
  ({
    trigger: { resumeSession: undefined },
    rolePrompt: 'Be the Engineer.',
    cwd: '/nowhere',
    env: {},
    settings: { provider: 'claude-code', timeLimitSec: 60, maxOutputBytes: 1000, allowedTools }
  }) as unknown as ProviderContext

describe('Claude Code', () => {
  it('writes the config 0600 in a 0700 run folder: the server over HTTP with the bearer token, alwaysLoad', () => {
    const root = mkdtempSync(join(tmpdir(), 'baton-mcp-config-'))
    dirs.push(root)
    const file = writeClaudeMcpConfig(join(root, 'runs', 'engineer', 't_1-1'), mcp)
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      mcpServers: { baton: { type: 'http', url: mcp.url, headers: { Authorization: `Bearer ${mcp.token}` }, alwaysLoad: true } }
    })
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(statSync(join(root, 'runs', 'engineer', 't_1-1')).mode & 0o777).toBe(0o700)
  })

  it('passes --mcp-config before the variadic --allowedTools, with mcp__baton__* allowed; no token in argv', () => {
    const args = claudeArgs(ctx(['Edit', 'Bash']), '/run/mcp.json')
    expect(args.slice(-6)).toEqual(['--mcp-config', '/run/mcp.json', '--allowedTools', 'Edit', 'Bash', CLAUDE_MCP_TOOLS])
    expect(claudeArgs(ctx(), '/run/mcp.json').slice(-4)).toEqual(['--mcp-config', '/run/mcp.json', '--allowedTools', 'mcp__baton__*'])
    expect(args.join(' ')).not.toContain(mcp.token)
    // Without Baton's MCP nothing changes.
    expect(claudeArgs(ctx(['Edit']))).not.toContain('--mcp-config')
    expect(claudeArgs(ctx(['Edit']))).not.toContain(CLAUDE_MCP_TOOLS)
  })
})

describe('Codex', () => {
  it('mcp_servers.baton by --config pairs, the token only in the environment', () => {
    const { config, env } = codexMcpConfig(mcp)
    expect(config).toEqual([`mcp_servers.baton.url="${mcp.url}"`, `mcp_servers.baton.bearer_token_env_var="${CODEX_MCP_TOKEN_ENV}"`])
    expect(env).toEqual({ [CODEX_MCP_TOKEN_ENV]: mcp.token })
    const args = codexArgs({ ...ctx(), settings: { provider: 'codex', timeLimitSec: 60, maxOutputBytes: 1000 } } as ProviderContext, config)
    expect(args).toEqual(expect.arrayContaining(['--config', config[0], '--config', config[1]]))
    expect(args.join(' ')).not.toContain(mcp.token)
  })

  const codex = resolveCodexExecutable({ settings: { provider: 'codex', timeLimitSec: 1, maxOutputBytes: 1 }, env: {} })
  it.skipIf(!existsSync(codex))('the real Codex CLI reads them as a Streamable HTTP server with a bearer token from that variable', () => {
    const home = mkdtempSync(join(existsSync('/var/tmp') ? '/var/tmp' : tmpdir(), 'baton-codex-mcp-'))
    dirs.push(home)
    const pairs = codexMcpConfig(mcp).config.flatMap((kv) => ['-c', kv])
    const run = spawnSync(codex, ['mcp', 'get', 'baton', '--json', ...pairs], { env: { PATH: process.env.PATH, HOME: home, CODEX_HOME: home }, encoding: 'utf8', timeout: 60_000 })
    expect(run.status, run.stderr).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({ name: 'baton', enabled: true, transport: { type: 'streamable_http', url: mcp.url, bearer_token_env_var: CODEX_MCP_TOKEN_ENV } })
  }, 60_000)
})
