// Per-task MCP tokens for Baton's own agents (issue #14): two Engineer
// attempts (acme/app#3 and #4) each get `/mcp`'s address and a token of their
// own in their Claude Code config — here a stand-in CLI that records what it
// was given and waits to be stopped. With the MCP SDK's own client: a token
// acts on its own issue and is refused on the other task's, `/api` and the
// pages refuse it, every call is audited under the agent's name, and once the
// attempt ends (a person stops it) the token opens nothing.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BoardIssue, RepoSummary } from '../../../src/shared/api'
import { API_TOKEN, GITHUB_TOKEN, startAgentWorld, type AgentWorld } from './agent-world'

interface Seen {
  issue: number
  args: string[]
  configPath: string
  config: { mcpServers: { baton: { type: string; url: string; headers: { Authorization: string }; alwaysLoad: boolean } } }
  env: { MCP_CONNECT_TIMEOUT_MS?: string; tokenVars: string[] }
}

let w: AgentWorld
let seenDir: string
const seen = new Map<number, Seen>()
let repos: RepoSummary[]

/** Stands in for Claude Code: records its argv, its MCP config and its issue (from the prompt on stdin), then waits to be stopped. */
function fakeClaude(dir: string): string {
  const file = join(dir, 'fake-claude.mjs')
  writeFileSync(
    file,
    `#!${process.execPath}
import { readFileSync, writeFileSync } from 'node:fs'
const args = process.argv.slice(2)
let input = ''
process.stdin.on('data', (c) => (input += c))
process.stdin.on('end', () => {
  const at = args.indexOf('--mcp-config')
  const configPath = at >= 0 ? args[at + 1] : null
  const config = configPath ? JSON.parse(readFileSync(configPath, 'utf8')) : null
  const issue = Number(/working on issue #(\\d+)/.exec(input)?.[1] ?? 0)
  const env = { MCP_CONNECT_TIMEOUT_MS: process.env.MCP_CONNECT_TIMEOUT_MS, tokenVars: Object.keys(process.env).filter((k) => /TOKEN/.test(k)) }
  writeFileSync(${JSON.stringify(join(dir, 'seen'))} + '/' + issue + '.json', JSON.stringify({ issue, args, configPath, config, env }))
})
setInterval(() => {}, 1000)
`
  )
  chmodSync(file, 0o755)
  return file
}

async function client(token: string): Promise<Client> {
  const c = new Client({ name: 'task-token-test', version: '1.0.0' })
  await c.connect(new StreamableHTTPClientTransport(new URL(seen.get(3)!.config.mcpServers.baton.url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }))
  return c
}

const tokenOf = (issue: number): string => seen.get(issue)!.config.mcpServers.baton.headers.Authorization.slice('Bearer '.length)

function errorText(result: unknown): string {
  const r = result as CallToolResult
  expect(r.isError, JSON.stringify(r)).toBe(true)
  return (r.content[0] as { text: string }).text
}

function data(result: unknown): Record<string, unknown> {
  const r = result as CallToolResult
  expect(r.isError, JSON.stringify(r.content)).toBeFalsy()
  return r.structuredContent as Record<string, unknown>
}

/** A bare JSON-RPC initialize over HTTP: the status says whether the token opens /mcp at all. */
async function initializeStatus(token: string | null): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${w.server.port}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } })
  })
  await res.text()
  return res.status
}

beforeAll(async () => {
  const { mkdtempSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const dir = mkdtempSync(join(tmpdir(), 'baton-fake-claude-'))
  seenDir = join(dir, 'seen')
  mkdirSync(seenDir)
  w = await startAgentWorld({ command: fakeClaude(dir), engineers: 2 })
  // Both issues at once: by default a repository's second Engineer waits for the first one's pull request.
  await w.api('settings.update', { parallelPrs: true })
  await w.api('repos.connect', { remote: 'acme/app' })
  await w.api('repos.connect', { remote: 'acme/lib' })
  repos = await w.api<RepoSummary[]>('repos.list')
  await w.until('both Engineers running with their MCP config', () => {
    for (const name of readdirSync(seenDir)) seen.set(Number(name.replace('.json', '')), JSON.parse(readFileSync(join(seenDir, name), 'utf8')) as Seen)
    return seen.has(3) && seen.has(4)
  })
}, 180_000)

afterAll(async () => {
  await w?.close()
})

describe("a task's MCP token", () => {
  it('reaches the CLI as its --mcp-config: the server URL, its own token (never the app or GitHub token), alwaysLoad, its tools allowed', () => {
    const a = seen.get(3)!
    const b = seen.get(4)!
    expect(a.config.mcpServers.baton).toMatchObject({ type: 'http', url: `http://127.0.0.1:${w.server.port}/mcp`, alwaysLoad: true })
    expect(tokenOf(3)).toMatch(/^bt_task_/)
    expect(tokenOf(3)).not.toBe(tokenOf(4))
    for (const token of [tokenOf(3), tokenOf(4)]) {
      expect(token).not.toBe(API_TOKEN)
      expect(token).not.toBe(GITHUB_TOKEN)
    }
    expect(a.args.slice(a.args.indexOf('--allowedTools'))).toContain('mcp__baton__*')
    expect(a.args.indexOf('--mcp-config')).toBeLessThan(a.args.indexOf('--allowedTools'))
    expect(a.args.join(' ')).not.toContain(tokenOf(3))
    expect(a.env.MCP_CONNECT_TIMEOUT_MS).toBe('30000')
    expect(a.env.tokenVars).toEqual([])
    // The config is the attempt's own: not in its worktree, and (in the sandbox) not on the host at all.
    expect(a.configPath).not.toContain(join(w.dataDir, 'workspaces'))
    expect(a.configPath).toContain(join(w.dataDir, 'runs'))
    expect(a.configPath).not.toBe(b.configPath)
    const isolation = w.core.call('app.status', {}).then((r) => (r.ok ? (r.data as { isolation: { kind: string } }).isolation.kind : 'unknown'))
    return isolation.then((kind) => {
      if (kind === 'bubblewrap') expect(existsSync(a.configPath)).toBe(false)
    })
  })

  it('acts on its own issue, is refused on the other task\'s issue with a clear message, and each call is audited under the agent\'s name', async () => {
    const a = await client(tokenOf(3))
    try {
      const names = (await a.listTools()).tools.map((t) => t.name)
      expect(names).toEqual(expect.arrayContaining(['issue_status', 'list_tasks', 'create_issue']))
      const status = data(await a.callTool({ name: 'issue_status', arguments: { repo: 'acme/app', number: 3 } }))
      expect(status).toMatchObject({ issue: 'acme/app#3', state: 'open' })
      // Agents are named <instance>@<owner/repo> in every answer.
      const instance = (status.task as { instance: string }).instance
      expect(status.task).toMatchObject({ agent: `${instance}@acme/app` })
      expect(instance).toMatch(/^engineer(-2)?$/)
      const tasks = data(await a.callTool({ name: 'list_tasks', arguments: { repo: 'acme/app', number: 3 } }))
      expect((tasks.tasks as Array<{ agent: string }>)[0]).toMatchObject({ agent: `${instance}@acme/app` })
      const online = data(await a.callTool({ name: 'who_is_online', arguments: {} }))
      expect((online.agents as Array<{ name: string; agent: string | null }>).find((x) => x.name === instance)).toMatchObject({ agent: `${instance}@acme/app` })

      expect(errorText(await a.callTool({ name: 'issue_status', arguments: { repo: 'acme/app', number: 4 } }))).toBe(
        "Refused: this task's token acts on acme/app#3 only, not acme/app#4."
      )
      expect(errorText(await a.callTool({ name: 'list_tasks', arguments: { repo: 'acme/app' } }))).toMatch(/acts on acme\/app#3 only: give number: 3/)
      // Filing from another issue is refused before anything reaches GitHub.
      expect(errorText(await a.callTool({ name: 'create_issue', arguments: { repo: 'acme/lib', title: 'Not mine', from: 'acme/app#4' } }))).toMatch(
        /acts on acme\/app#3 only, not from acme\/app#4/
      )
      expect(errorText(await a.callTool({ name: 'create_issue', arguments: { repo: 'acme/lib', title: 'No origin' } }))).toMatch(/give from: "acme\/app#3"/)
      const lib = (await w.t.octokit(GITHUB_TOKEN).rest.issues.listForRepo({ owner: 'acme', repo: 'lib', state: 'all' })).data
      expect(lib).toEqual([])

      // From its own issue it files, linked back.
      const made = data(await a.callTool({ name: 'create_issue', arguments: { repo: 'acme/lib', title: 'parse() throws on dates', body: 'Seen in the app.', from: 'acme/app#3' } }))
      const onForge = (await w.t.octokit(GITHUB_TOKEN).rest.issues.get({ owner: 'acme', repo: 'lib', issue_number: made.number as number })).data
      // GitHub names the app's login as its author (a trusted association); the mark says whose words they are.
      expect(onForge.body).toBe(`Seen in the app.\n\nFiled from acme/app#3.\n\n<!-- baton:filed-by=${instance}@acme/app -->`)
      expect(onForge.author_association).toBe('OWNER')
      expect(onForge.labels.map((l) => (typeof l === 'string' ? l : l.name))).toEqual(['backlog'])
      // An agent's issue is untrusted until a person approves it: nothing runs on it, and the card says why.
      const libRepo = repos.find((r) => r.name === 'lib')!
      await w.api('repos.syncNow', { id: libRepo.id })
      await w.until('the filed issue waits for approval', async () => {
        const card = (await w.api<BoardIssue[]>('issues.board')).find((c) => c.repo === 'acme/lib' && c.number === made.number)
        return card?.reason === `waits for a maintainer to approve it (label "approved"): filed by ${instance}@acme/app, an agent`
      }, 30_000)
      expect(w.core.db.prepare('SELECT COUNT(*) AS n FROM tasks WHERE repo_id = ? AND issue = ?').get(libRepo.id, made.number)).toEqual({ n: 0 })
      // Nor may it give itself the approval, or a stage past triage.
      for (const labels of [['approved'], ['ready-for-dev'], ['bug', 'In-Progress']]) {
        expect(errorText(await a.callTool({ name: 'create_issue', arguments: { repo: 'acme/lib', title: 'Skip the line', from: 'acme/app#3', labels } }))).toMatch(
          /may not give an issue it files the label.*it starts at the pipeline's entry and waits for a person's "approved" label/
        )
      }
      expect((await w.t.octokit(GITHUB_TOKEN).rest.issues.listForRepo({ owner: 'acme', repo: 'lib', state: 'all' })).data).toHaveLength(1)
    } finally {
      await a.close()
    }
    const agent = w.core.db.prepare("SELECT agent FROM tasks WHERE issue = 3 AND repo_id = ? AND state = 'running'").get(repos.find((r) => r.name === 'app')!.id) as { agent: string }
    const rows = w.core.db.prepare("SELECT kind, subject, message FROM events WHERE kind IN ('mcp.call', 'mcp.refused') AND subject = ? ORDER BY id").all(`${agent.agent}@acme/app`) as Array<{
      kind: string
      message: string
    }>
    // The label refusals are the API's, after the token's policy let the call through: audited as calls.
    expect(rows.map((r) => r.kind)).toEqual(['mcp.call', 'mcp.call', 'mcp.call', 'mcp.refused', 'mcp.refused', 'mcp.refused', 'mcp.refused', 'mcp.call', 'mcp.call', 'mcp.call', 'mcp.call'])
    expect(rows[3]!.message).toBe(`${agent.agent}@acme/app was refused issue_status: this task's token acts on acme/app#3 only, not acme/app#4`)
  })

  it('opens /mcp only: the API, the pages and the cookie exchange refuse it; no token, no access', async () => {
    const token = tokenOf(3)
    const base = `http://127.0.0.1:${w.server.port}`
    const api = await fetch(`${base}/api/app.status`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' })
    expect(api.status).toBe(401)
    expect(await api.json()).toMatchObject({ ok: false, error: { code: 'unauthorized' } })
    expect((await fetch(`${base}/`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401)
    const exchange = await fetch(`${base}/?token=${encodeURIComponent(token)}`, { redirect: 'manual' })
    expect(exchange.status).toBe(401)
    expect(exchange.headers.get('set-cookie')).toBeNull()
    expect(await initializeStatus(null)).toBe(401)
    expect(await initializeStatus('bt_task_not-a-token-anyone-was-given-0000000000')).toBe(401)
    expect(await initializeStatus(token)).toBe(200)
  })

  it('is dead once its attempt ends, while the other task\'s still works', async () => {
    const app = repos.find((r) => r.name === 'app')!
    await w.api('tasks.stop', { repoId: app.id, issue: 3 })
    expect(await initializeStatus(tokenOf(3))).toBe(401)
    const b = await client(tokenOf(4))
    try {
      expect(data(await b.callTool({ name: 'issue_status', arguments: { repo: 'acme/app', number: 4 } }))).toMatchObject({ issue: 'acme/app#4' })
      expect(errorText(await b.callTool({ name: 'issue_status', arguments: { repo: 'acme/app', number: 3 } }))).toMatch(/acts on acme\/app#4 only/)
    } finally {
      await b.close()
    }
    // Baton stopping ends every token.
    expect(w.core.agentMcp.tokens.size).toBe(1)
    await w.server.close()
    expect(w.core.agentMcp.tokens.size).toBe(0)
  })
})
