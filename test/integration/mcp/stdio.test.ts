// `baton mcp` (issue #14) as an MCP client runs it: a real `baton serve
// --sandbox` in its own process (the local forge, its sample repository,
// builtin agents), and `baton mcp` as a child process spoken to by the MCP
// SDK's own stdio client. Both run from source (tsx), as the CLI tests do.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { paths } from '../../../src/main/data-dir'
import { ToolInputs } from '../../../src/main/mcp/tools'

const REPO = 'baton-sandbox/calc'
const cliArgs = (args: string[]) => ['--import', 'tsx', '-e', `import('./src/main/cli.ts').then(async (m) => { const c = await m.main(${JSON.stringify(args)}); if (c >= 0) process.exit(c) })`]

let dataDir: string
let app: ChildProcess
let client: Client

function data(result: unknown): Record<string, unknown> {
  const r = result as CallToolResult
  expect(r.isError, JSON.stringify(r.content)).toBeFalsy()
  // The text a model reads and the structured answer are the same data.
  expect(JSON.parse((r.content[0] as { text: string }).text)).toEqual(r.structuredContent)
  return r.structuredContent as Record<string, unknown>
}

function errorText(result: unknown): string {
  const r = result as CallToolResult
  expect(r.isError, JSON.stringify(r.content)).toBe(true)
  return (r.content[0] as { text: string }).text
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 300))
  }
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'baton-mcp-stdio-'))
  app = spawn(process.execPath, cliArgs(['serve', '--sandbox', '--port', '0', '--data-dir', dataDir]), {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, BATON_LOG_LEVEL: 'error' }
  })
  let out = ''
  app.stderr?.on('data', (c) => (out += c))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`baton serve did not start in 90 s:\n${out}`)), 90_000)
    app.stdout?.on('data', (c) => {
      out += c
      if (out.includes('Open: ')) {
        clearTimeout(timer)
        resolve()
      }
    })
    app.once('exit', (code) => reject(new Error(`baton serve exited ${code}:\n${out}`)))
  })
  client = new Client({ name: 'baton-test', version: '1.0.0' })
  await client.connect(new StdioClientTransport({ command: process.execPath, args: cliArgs(['mcp', '--data-dir', dataDir]), cwd: process.cwd(), stderr: 'pipe' }))
}, 120_000)

afterAll(async () => {
  await client?.close()
  if (app && app.exitCode === null && app.signalCode === null) {
    const exited = new Promise((r) => app.once('exit', r))
    app.kill('SIGTERM')
    await exited
  }
})

describe('baton mcp over stdio', () => {
  it('initializes as baton and lists every tool, each with its input schema', async () => {
    expect(client.getServerVersion()?.name).toBe('baton')
    const { tools } = await client.listTools()
    expect(tools.map((t) => t.name).sort()).toEqual(Object.keys(ToolInputs).sort())
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['create_issue', 'handoff_to_project', 'issue_status', 'list_tasks', 'who_is_online', 'remember', 'recall', 'forget', 'lease_files']))
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]))
    expect(byName.issue_status?.inputSchema).toMatchObject({ type: 'object', required: ['repo', 'number'], properties: { repo: { type: 'string' }, number: { type: 'integer' } } })
    expect(byName.create_issue?.inputSchema).toMatchObject({ required: expect.arrayContaining(['repo', 'title']) })
    expect(byName.issue_status?.annotations?.readOnlyHint).toBe(true)
  })

  it('issue_status and list_tasks answer what the running app knows of an issue', async () => {
    // The builtin PM triages the sandbox's first issue within seconds of the start.
    const tasks = await until('a task on #1', async () => {
      const answer = data(await client.callTool({ name: 'list_tasks', arguments: { repo: REPO, number: 1 } }))
      return (answer.tasks as unknown[]).length > 0 && answer
    })
    const first = (tasks.tasks as Array<Record<string, unknown>>).at(-1)
    expect(first).toMatchObject({ issue: `${REPO}#1`, stage: 'backlog', role: 'pm' })
    expect(typeof first?.id).toBe('string')

    const status = data(await client.callTool({ name: 'issue_status', arguments: { repo: REPO, number: 1 } }))
    expect(status).toMatchObject({ issue: `${REPO}#1`, state: 'open', url: expect.stringContaining('/baton-sandbox/calc/issues/1') })
    expect(typeof status.stage).toBe('string')
    expect(['idle', 'queued', 'working', 'waiting', 'blocked', 'failed']).toContain(status.activity)
    expect(status.task).toMatchObject({ issue: `${REPO}#1` })
    expect(status).toHaveProperty('waitsFor')
    expect(status).toHaveProperty('pr')

    const repoTasks = data(await client.callTool({ name: 'list_tasks', arguments: { repo: REPO, limit: 3 } }))
    expect(repoTasks).toMatchObject({ repo: REPO, issuesOnBoard: 5 })
    const listed = repoTasks.tasks as Array<{ issue: string; updatedAt: string }>
    expect(listed.length).toBeGreaterThan(0)
    expect(listed.length).toBeLessThanOrEqual(3)
    expect(listed.map((t) => t.updatedAt)).toEqual(listed.map((t) => t.updatedAt).sort().reverse())
  }, 90_000)

  it('who_is_online names each agent instance with its presence', async () => {
    const answer = data(await client.callTool({ name: 'who_is_online', arguments: {} }))
    const agents = answer.agents as Array<{ name: string; role: string; presence: string; state: string; issue: string | null }>
    expect(agents.map((a) => a.role)).toEqual(expect.arrayContaining(['pm', 'architect', 'engineer', 'tester']))
    for (const a of agents) {
      expect(a.presence).toBe(a.state === 'working' ? 'busy' : a.state === 'idle' ? 'online' : 'offline')
      if (a.issue) expect(a.issue).toMatch(/^baton-sandbox\/calc#\d+$/)
    }
  })

  it('create_issue files the issue through the app: it is on the forge, on the board, and audited', async () => {
    const made = data(await client.callTool({ name: 'create_issue', arguments: { repo: REPO, title: 'Filed through baton mcp', body: 'A repro:\n\n```\n1 + 1\n```', labels: ['bug'] } }))
    expect(made).toMatchObject({ created: true, issue: `${REPO}#${made.number as number}`, url: expect.stringContaining(`/issues/${made.number as number}`) })
    // Read back from the forge itself, as GitHub would be.
    const forge = await fetch(String(made.url).replace('/baton-sandbox/calc/issues/', '/api/v3/repos/baton-sandbox/calc/issues/'))
    expect(forge.status).toBe(200)
    expect(await forge.json()).toMatchObject({ title: 'Filed through baton mcp', body: 'A repro:\n\n```\n1 + 1\n```', labels: expect.arrayContaining([expect.objectContaining({ name: 'bug' })]) })
    const status = data(await client.callTool({ name: 'issue_status', arguments: { repo: REPO, number: made.number } }))
    expect(status).toMatchObject({ title: 'Filed through baton mcp', state: 'open' })
    // issues.create audited it, as it does for the app's own form (read through the app's API, as the CLI does).
    const lock = JSON.parse(readFileSync(paths.lock(dataDir), 'utf8')) as { url: string; token: string }
    const recent = (await (
      await fetch(`${new URL(lock.url).origin}/api/events.recent`, { method: 'POST', headers: { authorization: `Bearer ${lock.token}`, 'content-type': 'application/json' }, body: '{"limit":100}' })
    ).json()) as { data: Array<{ kind: string; message: string }> }
    expect(recent.data.filter((e) => e.kind === 'issue.create').map((e) => e.message)).toContain(`Created #${made.number as number}: Filed through baton mcp`)
  }, 60_000)

  it('bad input gets a clear error naming the field, and nothing is created', async () => {
    expect(errorText(await client.callTool({ name: 'issue_status', arguments: { repo: 'calc', number: 1 } }))).toMatch(/repo is a repository named owner\/name, e\.g\. acme\/shop at repo/)
    expect(errorText(await client.callTool({ name: 'issue_status', arguments: { repo: REPO, number: 0 } }))).toMatch(/number is an issue number .* at number/)
    expect(errorText(await client.callTool({ name: 'issue_status', arguments: { repo: REPO, number: '1' } }))).toMatch(/number is an issue number/)
    expect(errorText(await client.callTool({ name: 'list_tasks', arguments: { repo: REPO, limit: 1000 } }))).toMatch(/limit is a whole number from 1 to 200/)
    expect(errorText(await client.callTool({ name: 'create_issue', arguments: { repo: REPO, title: '' } }))).toMatch(/title is needed/)
    expect(errorText(await client.callTool({ name: 'create_issue', arguments: { repo: REPO, title: 'x', assignee: 'me' } }))).toMatch(/assignee/)
    expect(errorText(await client.callTool({ name: 'issue_status', arguments: { repo: 'acme/other', number: 1 } }))).toBe(`acme/other is not connected to Baton. Connected: ${REPO}.`)
    // The app's own refusal comes through in its words.
    expect(errorText(await client.callTool({ name: 'issue_status', arguments: { repo: REPO, number: 999 } }))).toMatch(/999/)
    const tasks = data(await client.callTool({ name: 'list_tasks', arguments: { repo: REPO, limit: 200 } }))
    expect(tasks.issuesOnBoard).toBe(6) // the five sample issues and the one created above
  })

  it('when the app stops, a call says so; baton mcp itself stays up for the client', async () => {
    const exited = new Promise((r) => app.once('exit', r))
    app.kill('SIGTERM')
    await exited
    expect(errorText(await client.callTool({ name: 'who_is_online', arguments: {} }))).toMatch(/No Baton is running on .*baton serve --data-dir/)
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(Object.keys(ToolInputs).sort())
  }, 30_000)
})

describe('baton mcp with no app to talk to', () => {
  const mcp = (dir: string) => spawnSync(process.execPath, cliArgs(['mcp', '--data-dir', dir]), { encoding: 'utf8', input: '', timeout: 30_000 })

  it('no Baton running: exits 1 with what to do, prints nothing on stdout, starts no core', () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-mcp-none-'))
    const run = mcp(dir)
    expect(run.status).toBe(1)
    expect(run.stdout).toBe('')
    expect(run.stderr).toBe(`baton: No Baton is running on ${dir}. Start it first (baton serve --data-dir ${dir}), then run baton mcp.\n`)
    expect(readdirSync(dir)).toEqual([]) // no database, no lock: nothing was started
  })

  it('the desktop app holds the folder but its local API is not up (no URL in its lock yet): says so', () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-mcp-desktop-'))
    // A live pid (this test's), as the desktop app's lock is before its loopback server listens: no url, no token.
    writeFileSync(paths.lock(dir), JSON.stringify({ pid: process.pid, mode: 'desktop', startedAt: new Date().toISOString() }), { mode: 0o600 })
    const run = mcp(dir)
    expect(run.status).toBe(1)
    expect(run.stderr).toMatch(new RegExp(`The Baton desktop app \\(pid ${process.pid}\\) holds .*its local API is not up: it is still starting, or it could not start`))
  })

  it('an unknown flag is named with the usage, exit 2', () => {
    const run = spawnSync(process.execPath, cliArgs(['mcp', '--prot']), { encoding: 'utf8', timeout: 30_000 })
    expect(run.status).toBe(2)
    expect(run.stderr).toMatch(/baton mcp: Unknown option '--prot'/)
  })
})
