// remember / recall / forget / lease_files / release_files over `/mcp`
// (issue #14): the MCP SDK's own Streamable HTTP client, with the app's token
// (a person), against the real server and a sandbox core (the local forge,
// its sample repository, builtin agents). Each tool's success and its errors,
// private memory refused to others, TTL expiry; and the same methods through
// the API boundary as an agent (the caller `/mcp` passes for a task's token).
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { IssueDetail } from '../../../src/shared/api'
import { dispatch } from '../../../src/main/api/dispatch'
import { createCore, type Core } from '../../../src/main/app'
import { createLogger } from '../../../src/main/log'
import type { Caller } from '../../../src/main/memory/scope'
import { startServer, type Server } from '../../../src/main/serve'
import { addNote } from '../../../src/main/store/notes'

const TOKEN = 'mcp-memory-test-token-0123456789'
const REPO = 'baton-sandbox/calc'
let core: Core
let server: Server
let client: Client

function data(result: unknown): Record<string, unknown> {
  const r = result as CallToolResult
  expect(r.isError, JSON.stringify(r.content)).toBeFalsy()
  return r.structuredContent as Record<string, unknown>
}

function errorText(result: unknown): string {
  const r = result as CallToolResult
  expect(r.isError, JSON.stringify(r.content)).toBe(true)
  return (r.content[0] as { text: string }).text
}

const call = (name: string, args: Record<string, unknown>) => client.callTool({ name, arguments: args })

/** Polls until `check` holds, saying what it last saw when it never does. */
async function until<T>(read: () => Promise<T>, check: (value: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs
  let last = await read()
  while (!check(last)) {
    if (Date.now() > end) throw new Error(`${what}: still ${JSON.stringify(last)}`)
    await new Promise((r) => setTimeout(r, 100))
    last = await read()
  }
  return last
}

beforeAll(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'baton-mcp-memory-'))
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
  client = new Client({ name: 'baton-memory-test', version: '1.0.0' })
  await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${server.port}/mcp`), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } }))
}, 90_000)

afterAll(async () => {
  await client?.close()
  await server?.close()
  await core?.close()
})

describe('memory over /mcp', () => {
  it('lists the tools with their schemas', async () => {
    const { tools } = await client.listTools()
    const names = tools.map((t) => t.name)
    for (const name of ['remember', 'recall', 'forget', 'lease_files', 'release_files']) expect(names).toContain(name)
    expect(tools.find((t) => t.name === 'remember')?.inputSchema).toMatchObject({ type: 'object', required: ['scope', 'key', 'text'] })
    expect(tools.find((t) => t.name === 'lease_files')?.inputSchema).toMatchObject({ required: ['paths', 'ttlSec'] })
  })

  it("remember, recall, forget: the issue's memory beside its notes, on the issue page, audited", async () => {
    expect(data(await call('remember', { scope: `issue:${REPO}#1`, key: 'decision', text: 'Keep add() pure: callers rely on it.' }))).toEqual({
      scope: `issue:${REPO}#1`,
      key: 'decision',
      created: true,
      expiresAt: null
    })
    expect(data(await call('remember', { scope: `issue:${REPO}#1`, key: 'decision', text: 'Keep add() pure.' })).created).toBe(false)
    const recalled = data(await call('recall', { scope: `issue:${REPO}#1`, key: 'decision' }))
    expect(recalled.entries).toEqual([expect.objectContaining({ key: 'decision', text: 'Keep add() pure.', author: 'maintainer', source: 'memory', expiresAt: null })])
    // The issue's notes are its scope too (what a role's answer left, written as the engine writes it).
    addNote(core.db, { repoId: 1, issue: 1, role: 'architect', kind: 'plan', body: '## Affected files\n- `src/calc.js` — defines add', at: new Date().toISOString() })
    const notes = data(await call('recall', { scope: `issue:${REPO}#1`, prefix: 'note/' })).entries as Array<Record<string, unknown>>
    expect(notes).toContainEqual(expect.objectContaining({ key: expect.stringMatching(/^note\/plan\/\d+$/), source: 'note', author: 'architect', text: expect.stringContaining('src/calc.js') }))
    const detail = await core.call('issues.detail', { repoId: 1, number: 1 })
    expect(detail.ok && (detail.data as IssueDetail).memory).toEqual([expect.objectContaining({ scope: `issue:${REPO}#1`, key: 'decision', author: 'maintainer' })])

    expect(data(await call('forget', { scope: `issue:${REPO}#1`, key: 'decision' }))).toMatchObject({ forgotten: true })
    expect(data(await call('forget', { scope: `issue:${REPO}#1`, key: 'decision' }))).toMatchObject({ forgotten: false })
    expect(data(await call('recall', { scope: `issue:${REPO}#1`, key: 'decision' })).entries).toEqual([])
    const events = await core.call('events.recent', { limit: 200 })
    const kinds = events.ok ? (events.data as Array<{ kind: string; message: string }>).filter((e) => e.kind.startsWith('memory.')).map((e) => e.message) : []
    expect(kinds).toEqual(expect.arrayContaining([`maintainer remembered decision in issue:${REPO}#1`, `maintainer forgot decision in issue:${REPO}#1`]))
  }, 60_000)

  it('bad input and refusals, in words that name the field', async () => {
    expect(errorText(await call('remember', { scope: 'team:calc', key: 'k', text: 't' }))).toMatch(/"team:calc" is not a scope: a scope is issue:owner\/repo#n, repo:owner\/repo, agent:/)
    expect(errorText(await call('remember', { scope: `repo:${REPO}`, key: 'has space', text: 't' }))).toMatch(/key is 1 to 200 letters.*key/)
    expect(errorText(await call('remember', { scope: `repo:${REPO}`, key: 'k', text: 't', ttlSec: 0 }))).toMatch(/ttlSec is a whole number of seconds/)
    expect(errorText(await call('remember', { scope: `repo:${REPO}`, key: 'k', text: 't', colour: 'red' }))).toMatch(/colour|Unrecognized/i)
    expect(errorText(await call('recall', { scope: 'repo:someone/else' }))).toMatch(/someone\/else is not connected to Baton\. Connected: baton-sandbox\/calc/)
    expect(errorText(await call('recall', { scope: `issue:${REPO}#999` }))).toMatch(/Issue #999 is not known to Baton/)
    expect(errorText(await call('recall', { scope: `repo:${REPO}`, limit: 1000 }))).toMatch(/limit is a whole number from 1 to 200/)
    expect(errorText(await call('forget', { scope: `issue:${REPO}#1`, key: 'note/plan/1' }))).toMatch(/one of the issue's notes/)
    // A person reads an agent's public memory but does not write it, and never touches its private memory.
    expect(errorText(await call('remember', { scope: `agent:engineer@${REPO}`, key: 'k', text: 'spoofed' }))).toMatch(/written only by engineer@baton-sandbox\/calc/)
    expect(errorText(await call('recall', { scope: `private:engineer@${REPO}` }))).toMatch(/private to engineer@baton-sandbox\/calc: only that agent reads it/)
    expect(errorText(await call('forget', { scope: `private:engineer@${REPO}`, key: 'k' }))).toMatch(/only that agent writes it/)
  })

  it('private memory is its owner\'s alone (the API with an agent as caller, as /mcp calls for a task\'s token)', async () => {
    const engineer: Caller = { kind: 'agent', name: `engineer@${REPO}`, taskId: 't_x', repoId: 1, issue: 1 }
    const tester: Caller = { kind: 'agent', name: `tester@${REPO}`, taskId: 't_y', repoId: 1, issue: 2 }
    const as = (caller: Caller, method: string, input: unknown) => dispatch(core.handlers, method, input, core.log, caller)
    expect(await as(engineer, 'memory.remember', { scope: `private:engineer@${REPO}`, key: 'hunch', text: 'the off-by-one is in sum()' })).toMatchObject({ ok: true })
    expect(await as(engineer, 'memory.remember', { scope: `agent:engineer@${REPO}`, key: 'status', text: 'on #1' })).toMatchObject({ ok: true })
    expect(await as(engineer, 'memory.recall', { scope: `private:engineer@${REPO}` })).toMatchObject({ ok: true, data: { entries: [expect.objectContaining({ text: 'the off-by-one is in sum()' })] } })
    expect(await as(tester, 'memory.recall', { scope: `private:engineer@${REPO}` })).toMatchObject({ ok: false, error: { code: 'forbidden', message: expect.stringMatching(/private to engineer@/) } })
    expect(await as(tester, 'memory.forget', { scope: `private:engineer@${REPO}`, key: 'hunch' })).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    // All read an agent's public memory; the person too, over MCP.
    expect(await as(tester, 'memory.recall', { scope: `agent:engineer@${REPO}` })).toMatchObject({ ok: true, data: { entries: [expect.objectContaining({ text: 'on #1', author: `engineer@${REPO}` })] } })
    expect(data(await call('recall', { scope: `agent:engineer@${REPO}` })).entries).toEqual([expect.objectContaining({ key: 'status' })])
    expect(errorText(await call('recall', { scope: `private:engineer@${REPO}` }))).toMatch(/only that agent reads it/)
  })

  it('TTL: an entry is returned until it expires, then never again', async () => {
    const made = data(await call('remember', { scope: `repo:${REPO}`, key: 'flaky', text: 'test/calc.test.js times out under load', ttlSec: 6 }))
    const expires = Date.parse(made.expiresAt as string)
    expect(expires - Date.now()).toBeGreaterThan(0)
    // A loaded machine may take a while per call: before the expiry (read after the answer) it is there.
    const early = data(await call('recall', { scope: `repo:${REPO}`, key: 'flaky' })).entries as unknown[]
    if (Date.now() < expires) expect(early).toHaveLength(1)
    await until(
      async () => (data(await call('recall', { scope: `repo:${REPO}`, query: 'times out' })).entries as unknown[]).length,
      (n) => n === 0,
      'the expired entry in recall'
    )
    expect(Date.now()).toBeGreaterThanOrEqual(expires)
    expect(data(await call('forget', { scope: `repo:${REPO}`, key: 'flaky' })).forgotten).toBe(false)
    expect((core.db.prepare("SELECT COUNT(*) AS n FROM memory WHERE key = 'flaky'").get() as { n: number }).n).toBe(0)
    // An entry nobody recalls is swept too: the scheduling pass removes it.
    data(await call('remember', { scope: `repo:${REPO}`, key: 'unread', text: 'nobody asks for this', ttlSec: 1 }))
    await until(
      async () => (core.db.prepare("SELECT COUNT(*) AS n FROM memory WHERE key = 'unread'").get() as { n: number }).n,
      (n) => n === 0,
      'the unread expired entry in the memory table'
    )
  }, 40_000)

  it("lease_files and release_files: a person's lease in a named repository, an overlapping one refused naming it", async () => {
    expect(errorText(await call('lease_files', { paths: ['src/calc.js'], ttlSec: 60 }))).toMatch(/repo is needed: a person names the repository/)
    expect(errorText(await call('lease_files', { paths: ['/etc/passwd'], ttlSec: 60, repo: REPO }))).toMatch(/absolute: give a path inside the repository/)
    expect(errorText(await call('lease_files', { paths: [], ttlSec: 60, repo: REPO }))).toMatch(/paths is a list of 1 to 50 paths/)
    expect(errorText(await call('lease_files', { paths: ['src/x.js'], ttlSec: 100_000, repo: REPO }))).toMatch(/ttlSec is a whole number of seconds from 1 to 86,400/)
    const taken = data(await call('lease_files', { paths: ['docs/**'], ttlSec: 120, repo: REPO, reason: 'rewriting the docs' }))
    expect(taken).toMatchObject({ granted: [{ pattern: 'docs/**', holder: 'maintainer', issue: null, source: 'tool', reason: 'rewriting the docs' }], refused: [] })
    // An agent's overlapping ask is refused, naming the person's lease. (A task of its own, running, that no agent is handed: nothing dispatches it.)
    const at = new Date().toISOString()
    core.db.prepare("INSERT INTO tasks (id, repo_id, issue, stage, role, agent, state, attempt, created_at, updated_at) VALUES ('t_lease', 1, 2, 'in-progress', 'engineer', 'engineer-9', 'running', 1, ?, ?)").run(at, at)
    const engineer: Caller = { kind: 'agent', name: `engineer-9@${REPO}`, taskId: 't_lease', repoId: 1, issue: 2 }
    const clash = await dispatch(core.handlers, 'leases.take', { paths: ['docs/api.md', 'src/extra.js'], ttlSec: 60 }, core.log, engineer)
    expect(clash).toMatchObject({ ok: true, data: { granted: [{ pattern: 'src/extra.js' }], refused: [{ pattern: 'docs/api.md', heldBy: { pattern: 'docs/**', holder: 'maintainer' } }] } })
    expect(data(await call('release_files', { repo: REPO }))).toEqual({ released: 1 })
    expect(data(await call('release_files', { repo: REPO }))).toEqual({ released: 0 })
    // The task's lease ends with its attempt.
    core.db.prepare("UPDATE tasks SET state = 'cancelled' WHERE id = 't_lease'").run()
    expect(await core.call('leases.list', { repo: REPO })).toEqual({ ok: true, data: [] })
  })

  it("with a task's token: the tools act as its agent — its private memory, its lease held by its task — and the token dies with the attempt", async () => {
    // A running task at the issue's own stage (a reconcile cancels one whose issue is elsewhere), for an instance that does not exist: nothing dispatches it.
    const at = new Date().toISOString()
    const detail = await core.call('issues.detail', { repoId: 1, number: 3 })
    const stage = (detail.ok && (detail.data as IssueDetail).stage) || 'backlog'
    core.db.prepare("INSERT INTO tasks (id, repo_id, issue, stage, role, agent, state, attempt, created_at, updated_at) VALUES ('t_token', 1, 3, ?, 'engineer', 'engineer-8', 'running', 1, ?, ?)").run(stage, at, at)
    const token = core.agentMcp.tokens.mint({ taskId: 't_token', attempt: 1, instance: 'engineer-8', repo: REPO, issue: 3 })
    const agent = new Client({ name: 'baton-agent', version: '1.0.0' })
    await agent.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${server.port}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }))
    try {
      const me = `engineer-8@${REPO}`
      const run = (name: string, args: Record<string, unknown>) => agent.callTool({ name, arguments: args })
      expect(data(await run('remember', { scope: `private:${me}`, key: 'hunch', text: 'sum() skips the last item' }))).toMatchObject({ created: true })
      expect(data(await run('recall', { scope: `private:${me}` })).entries).toEqual([expect.objectContaining({ author: me, text: 'sum() skips the last item' })])
      expect(data(await run('remember', { scope: `issue:${REPO}#3`, key: 'progress', text: 'half done' })).created).toBe(true)
      // The person cannot read it; the issue's memory names the agent.
      expect(errorText(await call('recall', { scope: `private:${me}` }))).toMatch(/only that agent reads it/)
      expect(data(await call('recall', { scope: `issue:${REPO}#3`, key: 'progress' })).entries).toEqual([expect.objectContaining({ author: me })])
      const lease = data(await run('lease_files', { paths: ['src/calc.js'], ttlSec: 300, reason: 'fixing sum' }))
      expect(lease).toMatchObject({ granted: [{ pattern: 'src/calc.js', holder: me, issue: `${REPO}#3`, task: 't_token' }], refused: [] })
      // The attempt ends: its lease with it, and its token no longer acts.
      core.db.prepare("UPDATE tasks SET state = 'applied' WHERE id = 't_token'").run()
      expect(await core.call('leases.list', { repo: REPO })).toEqual({ ok: true, data: [] })
      expect(errorText(await run('recall', { scope: `private:${me}` }))).toMatch(/Task t_token \(attempt 1\) no longer runs/)
    } finally {
      await agent.close()
    }
  }, 40_000)

  it('who_is_online names every instance per connected project, with its heartbeat age', async () => {
    const online = data(await call('who_is_online', {}))
    const projects = online.projects as Array<{ repo: string; agents: Array<{ name: string; presence: string; heartbeatAgeSec: number | null }> }>
    expect(projects.map((p) => p.repo)).toEqual([REPO])
    const names = projects[0]!.agents.map((a) => a.name)
    expect(names).toEqual(expect.arrayContaining([`pm@${REPO}`, `architect@${REPO}`, `engineer@${REPO}`, `tester@${REPO}`]))
    for (const a of projects[0]!.agents) {
      expect(['online', 'busy', 'offline']).toContain(a.presence)
      if (a.heartbeatAgeSec !== null) expect(a.heartbeatAgeSec).toBeGreaterThanOrEqual(0)
    }
    await until(
      async () => ((data(await call('who_is_online', {})).projects as typeof projects)[0]!.agents.find((a) => a.name === `pm@${REPO}`)?.heartbeatAgeSec ?? null),
      (age) => age !== null && age < 60,
      "pm's heartbeat age"
    )
  }, 40_000)
})
