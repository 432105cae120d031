// `/mcp` on the headless server (issue #14): the MCP SDK's own Streamable
// HTTP client against the real server and a real sandbox core (the local
// forge, its sample repository, builtin agents), over HTTP on 127.0.0.1.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCore, type Core } from '../../../src/main/app'
import { createLogger } from '../../../src/main/log'
import { startServer, type Server } from '../../../src/main/serve'

const TOKEN = 'mcp-http-test-token-0123456789'
let core: Core
let server: Server
let endpoint: URL

async function connect(headers: Record<string, string>): Promise<Client> {
  const client = new Client({ name: 'baton-test', version: '1.0.0' })
  await client.connect(new StreamableHTTPClientTransport(endpoint, { requestInit: { headers } }))
  return client
}

function data(result: unknown): Record<string, unknown> {
  const r = result as CallToolResult
  expect(r.isError, JSON.stringify(r.content)).toBeFalsy()
  return r.structuredContent as Record<string, unknown>
}

function errorText(result: unknown): string {
  const r = result as CallToolResult
  expect(r.isError).toBe(true)
  return (r.content[0] as { text: string }).text
}

beforeAll(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'baton-mcp-http-'))
  const rendererDir = join(dataDir, 'renderer')
  mkdirSync(rendererDir)
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Baton</title>')
  core = await createCore({
    dataDir,
    mode: 'headless',
    sandbox: true,
    runner: { execPath: process.execPath, args: ['--import', 'tsx', join(process.cwd(), 'agents/runner.ts')] },
    log: createLogger({ level: 'error' })
  })
  server = await startServer(core, { port: 0, token: TOKEN, rendererDir })
  endpoint = new URL(`http://127.0.0.1:${server.port}/mcp`)
}, 90_000)

afterAll(async () => {
  await server?.close()
  await core?.close()
})

describe('/mcp over Streamable HTTP', () => {
  it('with the token: initialize, the four tools, each answers from the running core', async () => {
    const client = await connect({ authorization: `Bearer ${TOKEN}` })
    try {
      expect(client.getServerVersion()?.name).toBe('baton')
      const { tools } = await client.listTools()
      expect(tools.map((t) => t.name).sort()).toEqual(expect.arrayContaining(['create_issue', 'handoff_to_project', 'issue_status', 'list_tasks', 'who_is_online']))
      const status = tools.find((t) => t.name === 'issue_status')
      expect(status?.inputSchema).toMatchObject({ type: 'object', required: ['repo', 'number'] })

      const status1 = data(await client.callTool({ name: 'issue_status', arguments: { repo: 'baton-sandbox/calc', number: 1 } }))
      expect(status1).toMatchObject({ issue: 'baton-sandbox/calc#1', state: 'open' })
      expect(typeof status1.stage).toBe('string')

      const online = data(await client.callTool({ name: 'who_is_online', arguments: {} }))
      const agents = online.agents as Array<{ name: string; role: string; presence: string }>
      expect(agents.map((a) => a.role)).toEqual(expect.arrayContaining(['pm', 'architect', 'engineer', 'tester']))
      for (const a of agents) expect(['online', 'busy', 'offline']).toContain(a.presence)

      const tasks = data(await client.callTool({ name: 'list_tasks', arguments: { repo: 'baton-sandbox/calc' } }))
      expect(tasks).toMatchObject({ repo: 'baton-sandbox/calc' })
      expect(Array.isArray(tasks.tasks)).toBe(true)

      const made = data(await client.callTool({ name: 'create_issue', arguments: { repo: 'baton-sandbox/calc', title: 'Filed over HTTP MCP', body: 'From /mcp.' } }))
      expect(made).toMatchObject({ created: true })
      // issues.create audited it, as it does for the app's own form.
      const audit = await core.call('events.recent', { limit: 50 })
      expect(audit.ok && (audit.data as Array<{ kind: string; message: string }>).some((e) => e.kind === 'issue.create' && e.message.includes('Filed over HTTP MCP'))).toBe(true)

      // Bad input: the schema's own words, naming the field.
      expect(errorText(await client.callTool({ name: 'issue_status', arguments: { repo: 'calc', number: 1 } }))).toMatch(/repo is a repository named owner\/name.*at repo/)
      expect(errorText(await client.callTool({ name: 'create_issue', arguments: { repo: 'baton-sandbox/calc', title: '  ' } }))).toMatch(/title is needed/)
      expect(errorText(await client.callTool({ name: 'issue_status', arguments: { repo: 'someone/else', number: 1 } }))).toMatch(/someone\/else is not connected to Baton\. Connected: baton-sandbox\/calc/)
    } finally {
      await client.close()
    }
  }, 60_000)

  it('without the token, or with a wrong one: 401, no tool runs', async () => {
    // The SDK's StreamableHTTPError carries the HTTP status as its code.
    await expect(connect({})).rejects.toMatchObject({ code: 401, message: expect.stringContaining('Missing or wrong Baton token') })
    await expect(connect({ authorization: 'Bearer wrong-token' })).rejects.toMatchObject({ code: 401 })
    const raw = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'create_issue', arguments: { repo: 'baton-sandbox/calc', title: 'Must not exist' } } })
    })
    expect(raw.status).toBe(401)
    const audit = await core.call('events.recent', { limit: 50 })
    expect(audit.ok && (audit.data as Array<{ message: string }>).some((e) => e.message.includes('Must not exist'))).toBe(false)
  })

  it('refuses what is not an MCP exchange: another origin, GET, a body that is not JSON, one over 1 MB', async () => {
    const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }
    expect((await fetch(endpoint, { method: 'POST', headers: { ...auth, origin: 'http://evil.example' }, body: '{}' })).status).toBe(403)
    const get = await fetch(endpoint, { headers: auth })
    expect(get.status).toBe(405)
    expect(get.headers.get('allow')).toBe('POST')
    const bad = await fetch(endpoint, { method: 'POST', headers: auth, body: '{not json' })
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { error: { code: number } }).error.code).toBe(-32700)
    expect((await fetch(endpoint, { method: 'POST', headers: auth, body: `"${'x'.repeat(1024 * 1024 + 10)}"` })).status).toBe(413)
  })
})
