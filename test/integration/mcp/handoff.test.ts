// handoff_to_project and dependencies across repositories (issue #14), end to
// end: the MCP SDK's own client against `/mcp` on a real headless server, the
// local forge over HTTP with acme/app and acme/lib (one owner), olga/lib
// (another owner, acme a collaborator) and acme/tools (never connected), real
// Octokit, real agent processes (the PM a `command` that reports the
// hand-offs its trigger carries: test/fixtures/agents/handoff-pm.mjs). A
// person closes the target on the forge; Baton is restarted mid-wait.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCore, type Core } from '../../../src/main/app'
import { createLogger } from '../../../src/main/log'
import { startServer, type Server } from '../../../src/main/serve'
import type { BoardIssue, Handoff, InboxItem, RepoSummary } from '../../../src/shared/api'
import { startForge, type TestForge } from '../forge/helpers'

const TOKEN = 'mcp-handoff-test-token-0123456789'
const ACME = 'tok-acme'
const OLGA = 'tok-olga'
let t: TestForge
let core: Core
let server: Server
let root: string
let agentsDir: string
const runner = { execPath: process.execPath, args: ['--import', 'tsx', join(process.cwd(), 'agents/runner.ts')] }

async function start(): Promise<void> {
  core = await createCore({
    dataDir: join(root, 'baton'),
    mode: 'headless',
    log: createLogger({ level: 'error' }),
    env: { BATON_GITHUB_TOKEN: ACME, BATON_GITHUB_API_URL: t.forge.apiUrl },
    githubTiming: { writeGapMs: 0 },
    runner,
    agentsDir,
    agentTiming: { heartbeatMs: 500, stallMs: 30_000, backoffMs: () => 200 }
  })
  const rendererDir = join(root, 'renderer')
  server = await startServer(core, { port: 0, token: TOKEN, rendererDir })
}
async function stop(): Promise<void> {
  await server?.close()
  await core?.close()
}

async function api<T>(method: string, input: unknown = {}): Promise<T> {
  const result = await core.call(method, input)
  if (!result.ok) throw new Error(`${method}: ${result.error.message}`)
  return result.data as T
}
async function until<T>(what: string, probe: () => Promise<T | undefined | false>, show: () => Promise<unknown> = async () => '', timeoutMs = 90_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; it was: ${JSON.stringify(await show())}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}
const repoId = async (full: string) => (await api<RepoSummary[]>('repos.list')).find((r) => `${r.owner}/${r.name}` === full)!.id
const card = async (full: string, n: number) => (await api<BoardIssue[]>('issues.board')).find((c) => c.repo === full && c.number === n)
const gh = (token = ACME) => t.octokit(token)
const comments = async (owner: string, repo: string, n: number) => (await gh().rest.issues.listComments({ owner, repo, issue_number: n })).data.map((c) => c.body ?? '')
const sync = async (full: string) => api('repos.syncNow', { id: await repoId(full) })

async function mcp(): Promise<Client> {
  const client = new Client({ name: 'baton-handoff-test', version: '1.0.0' })
  await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${server.port}/mcp`), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } }))
  return client
}
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

/** Opens an issue on the forge as acme and waits until Baton has it in the pipeline's first stage. */
async function openIssue(repo: string, title: string, body = 'From the test.'): Promise<number> {
  const [owner, name] = repo.split('/') as [string, string]
  const made = (await gh().rest.issues.create({ owner, repo: name, title, body })).data.number
  await sync(repo)
  await until(`${repo}#${made} in backlog`, async () => (await card(repo, made))?.stage === 'backlog', async () => card(repo, made))
  return made
}

beforeAll(async () => {
  t = await startForge({
    users: [
      { login: 'acme', token: ACME, name: 'Acme Dev' },
      { login: 'olga', token: OLGA }
    ],
    repositories: [
      { owner: 'acme', name: 'app', files: { 'README.md': '# app\n' } },
      { owner: 'acme', name: 'lib', files: { 'README.md': '# lib\n' } },
      { owner: 'olga', name: 'lib', files: { 'README.md': '# olga lib\n' }, collaborators: { acme: 'admin' } },
      { owner: 'acme', name: 'tools', files: { 'README.md': '# tools\n' }, issues: [{ title: 'A tool bug', author: 'acme' }] }
    ]
  })
  root = mkdtempSync(join(tmpdir(), 'baton-handoff-'))
  mkdirSync(join(root, 'renderer'))
  writeFileSync(join(root, 'renderer', 'index.html'), '<!doctype html><title>Baton</title>')
  // agents/ with the PM replaced by the recording command; nobody else takes work.
  agentsDir = join(root, 'agents')
  cpSync(join(process.cwd(), 'agents'), agentsDir, { recursive: true })
  const pm = join(process.cwd(), 'test/fixtures/agents/handoff-pm.mjs')
  writeFileSync(join(agentsDir, 'pm', 'role.yml'), `description: Records hand-offs\nstages: [backlog]\nprovider: command\ncommand: ${JSON.stringify(`${process.execPath} ${pm}`)}\ntimeLimitSec: 60\ninstances: 1\n`)
  await start()
  for (const role of ['architect', 'engineer', 'tester', 'community', 'marketing']) await api('roles.update', { role, instances: 0 })
  for (const remote of ['acme/app', 'acme/lib', 'olga/lib']) await api('repos.connect', { remote })
}, 120_000)
afterAll(async () => {
  await stop()
  await t?.close()
  rmSync(root, { recursive: true, force: true })
})

describe('handoff_to_project', { timeout: 300_000 }, () => {
  it('files the issue in acme/lib with the context and a back-link; the origin is linked, waits (across a restart) and resumes with the outcome when a person closes it', async () => {
    // The PM does not take the origin before the hand-off: it has no instance yet.
    await api('roles.update', { role: 'pm', instances: 0 })
    const origin = await openIssue('acme/app', 'Export crashes on a trailing comma')
    const client = await mcp()
    const made = data(
      await client.callTool({
        name: 'handoff_to_project',
        arguments: {
          from: `acme/app#${origin}`,
          to: 'acme/lib',
          title: 'parse() drops the last field',
          summary: 'acme/app crashes exporting a CSV whose line ends with a comma: **parse()** returns one field too few.',
          repro: '1. `parse("a,b,")`\n2. two fields come back, three expected',
          logs: 'TypeError: fields[2] is undefined\n    at exportRow (app/export.js:41)\n```',
          diffs: '--- a/parse.js\n+++ b/parse.js\n@@ -3 +3 @@\n-  return line.split(",").filter(Boolean)\n+  return line.split(",")',
          hypotheses: ['filter(Boolean) drops the empty last field']
        }
      })
    )
    await client.close()
    expect(made).toMatchObject({ state: 'open', from: `acme/app#${origin}`, to: 'acme/lib', issue: 'acme/lib#1', number: 1, waits: `acme/app#${origin} waits for acme/lib#1` })

    // On the forge: the issue in acme/lib, by the app's token user, with every part and the back-link.
    const target = (await gh().rest.issues.get({ owner: 'acme', repo: 'lib', issue_number: 1 })).data
    expect(target.user?.login).toBe('acme')
    expect(target.title).toBe('parse() drops the last field')
    expect(target.body).toContain(`Handed off from acme/app#${origin}`)
    expect(target.body).toContain('## Reproduction\n\n1. `parse("a,b,")`')
    expect(target.body).toContain('````text\nTypeError: fields[2] is undefined') // the log's own ``` cannot close its block
    expect(target.body).toContain('```diff\n--- a/parse.js')
    expect(target.body).toContain('## Hypotheses\n\n1. filter(Boolean) drops the empty last field')
    expect(target.labels.map((l) => (typeof l === 'string' ? l : l.name))).toEqual(['backlog'])
    // The origin's comment links it.
    expect((await comments('acme', 'app', origin)).some((c) => c.includes('**Handed off to acme/lib#1**') && c.includes('/acme/lib/issues/1'))).toBe(true)
    // Audited like issue.create, and as the hand-off.
    const audit = await api<Array<{ kind: string; message: string }>>('events.recent', { limit: 100 })
    expect(audit.some((e) => e.kind === 'issue.create' && e.message.includes('parse() drops the last field') && e.message.includes(`acme/app#${origin}`))).toBe(true)
    expect(audit.some((e) => e.kind === 'handoff.create')).toBe(true)

    // The origin waits: on its card and in issue_status, even with a PM free; acme/lib#1 itself is worked on.
    await api('roles.update', { role: 'pm', instances: 1 })
    await until('acme/lib#1 triaged', async () => (await card('acme/lib', 1))?.stage === 'needs-architecture', async () => card('acme/lib', 1))
    const waiting = await until('the origin waits', async () => {
      const c = await card('acme/app', origin)
      return c?.reason === 'waits for acme/lib#1' ? c : undefined
    }, async () => card('acme/app', origin))
    expect(waiting).toMatchObject({ stage: 'backlog', activity: 'blocked', blockedBy: { kind: 'issues', issues: [], elsewhere: ['acme/lib#1'] } })
    const status = await mcp()
    expect(data(await status.callTool({ name: 'issue_status', arguments: { repo: 'acme/app', number: origin } }))).toMatchObject({ waitsFor: 'waits for acme/lib#1' })
    await status.close()
    expect((await api<{ tasks: unknown[] }>('issues.detail', { repoId: await repoId('acme/app'), number: origin })).tasks).toEqual([])

    // Restarted in the middle: the wait is still there (SQLite), and nothing starts on the origin.
    await stop()
    await start()
    await until('the wait after the restart', async () => (await card('acme/app', origin))?.reason === 'waits for acme/lib#1', async () => card('acme/app', origin))
    expect((await api<{ tasks: unknown[] }>('issues.detail', { repoId: await repoId('acme/app'), number: origin })).tasks).toEqual([])

    // A person closes acme/lib#1 on the forge; the sync sees it; the origin resumes.
    await gh().rest.issues.update({ owner: 'acme', repo: 'lib', issue_number: 1, state: 'closed', state_reason: 'completed' })
    await sync('acme/lib')
    // The PM's comment (its answer's body): what its trigger's `handoffs` carried.
    const resumed = await until('the resumed task’s comment', async () => (await comments('acme', 'app', origin)).find((c) => c.includes('Resumed with:')), async () => comments('acme', 'app', origin))
    const outcome = JSON.parse(resumed.split('Resumed with: ')[1]!.split('\n')[0]!) as Array<Record<string, unknown>>
    expect(outcome).toEqual([
      expect.objectContaining({ from: `acme/app#${origin}`, to: 'acme/lib#1', state: 'closed', stateReason: 'completed', url: expect.stringContaining('/acme/lib/issues/1') })
    ])
    expect((await comments('acme', 'app', origin)).some((c) => c.includes('**acme/lib#1 was closed as completed**'))).toBe(true)
    await until('the origin moved on', async () => (await card('acme/app', origin))?.stage === 'needs-architecture', async () => card('acme/app', origin))
    const list = await api<Handoff[]>('handoffs.list', { repoId: await repoId('acme/app'), issue: origin })
    expect(list[0]).toMatchObject({ state: 'closed', stateReason: 'completed', issue: 'acme/lib#1' })
  })

  it("into another owner's repository: waits for the person's approval; approved it is filed, refused the origin resumes with refused; the setting turns it off", async () => {
    await api('roles.update', { role: 'pm', instances: 0 })
    const approved = await openIssue('acme/app', 'Needs olga’s lib')
    const refused = await openIssue('acme/app', 'Also olga’s, but no')
    const client = await mcp()
    const ask = (from: number, title: string) => client.callTool({ name: 'handoff_to_project', arguments: { from: `acme/app#${from}`, to: 'olga/lib', title, summary: 'It breaks over there.' } })
    const first = data(await ask(approved, 'Please fix A'))
    expect(first).toMatchObject({ state: 'approval', issue: null, waits: `acme/app#${approved} waits for the person's approval to hand off to olga/lib` })
    const second = data(await ask(refused, 'Please fix B'))
    // Nothing filed yet; the cards say what they wait for; the inbox asks.
    expect((await gh(OLGA).rest.issues.listForRepo({ owner: 'olga', repo: 'lib', state: 'all' })).data).toEqual([])
    await until('the approval wait', async () => (await card('acme/app', approved))?.reason === 'waits for your approval to hand off to olga/lib', async () => card('acme/app', approved))
    expect((await card('acme/app', approved))?.activity).toBe('waiting')
    const items = await api<InboxItem[]>('inbox.list')
    const item = items.find((i) => i.kind === 'handoff' && i.issue === approved)
    expect(item?.question).toContain('Hand off acme/app#')
    expect(item?.handoff).toBe(first.handoff)
    // An inbox answer in words is refused: a hand-off is approved or refused.
    expect((await core.call('inbox.answer', { id: item!.id, answer: 'sure' })).ok).toBe(false)

    const filed = await api<Handoff>('handoffs.approve', { id: first.handoff })
    expect(filed).toMatchObject({ state: 'open', issue: 'olga/lib#1' })
    const there = (await gh(OLGA).rest.issues.get({ owner: 'olga', repo: 'lib', issue_number: 1 })).data
    expect(there.body).toContain(`Handed off from acme/app#${approved}`)
    await until('waits for olga/lib#1', async () => (await card('acme/app', approved))?.reason === 'waits for olga/lib#1', async () => card('acme/app', approved))
    expect((await api<InboxItem[]>('inbox.list')).some((i) => i.id === item!.id)).toBe(false)

    await api('roles.update', { role: 'pm', instances: 1 })
    const no = await api<Handoff>('handoffs.refuse', { id: second.handoff, reason: 'not a lib bug' })
    expect(no).toMatchObject({ state: 'refused', stateReason: 'not a lib bug', issue: null })
    expect((await comments('acme', 'app', refused)).some((c) => c.includes('The hand-off to olga/lib was refused** by @acme: not a lib bug'))).toBe(true)
    const resumed = await until('the refused origin resumes', async () => (await comments('acme', 'app', refused)).find((c) => c.includes('Resumed with:')), async () => card('acme/app', refused))
    expect(resumed).toContain('"state":"refused"')
    expect((await gh(OLGA).rest.issues.listForRepo({ owner: 'olga', repo: 'lib', state: 'all' })).data.map((i) => i.number)).toEqual([1])
    // Deciding twice is a conflict, not a second filing.
    expect((await core.call('handoffs.approve', { id: second.handoff })).ok).toBe(false)

    // Turned off for acme/app: filed at once.
    const repo = await api<RepoSummary>('repos.setHandoffApproval', { id: await repoId('acme/app'), required: false })
    expect(repo.handoffApproval).toBe(false)
    await api('roles.update', { role: 'pm', instances: 0 })
    const direct = await openIssue('acme/app', 'Straight to olga')
    expect(data(await ask(direct, 'Please fix C'))).toMatchObject({ state: 'open', issue: 'olga/lib#2' })
    await client.close()
  })

  it('handed off by the agent working on it: its DONE with no move spends no budget, the origin waits, and its stage runs again once the target closes', async () => {
    await api('roles.update', { role: 'pm', instances: 1 })
    const [owner, repo] = ['acme', 'app']
    const origin = (await gh().rest.issues.create({ owner, repo, title: '[slow] Found a lib bug mid-task' })).data.number
    await sync('acme/app')
    await until('the PM at work on it', async () => (await card('acme/app', origin))?.activity === 'working', async () => card('acme/app', origin))
    const client = await mcp()
    const made = data(await client.callTool({ name: 'handoff_to_project', arguments: { from: `acme/app#${origin}`, to: 'acme/lib', title: 'Mid-task bug', summary: 'Found while working on the app.' } }))
    await client.close()
    const target = made.number as number
    // The agent's answer lands (DONE, no move): applied, not a failed attempt; the card says what it waits for.
    const detail = await until('the task applied', async () => {
      const d = await api<{ tasks: Array<{ state: string; attempt: number }> }>('issues.detail', { repoId: await repoId('acme/app'), number: origin })
      return d.tasks.length === 1 && d.tasks[0]!.state === 'applied' ? d : undefined
    }, async () => api('issues.detail', { repoId: await repoId('acme/app'), number: origin }))
    expect(detail.tasks[0]!.attempt).toBe(1)
    await until('the wait', async () => (await card('acme/app', origin))?.reason === `waits for acme/lib#${target}`, async () => card('acme/app', origin))
    await gh().rest.issues.update({ owner: 'acme', repo: 'lib', issue_number: target, state: 'closed', state_reason: 'not_planned' })
    await sync('acme/lib')
    const resumed = await until('the stage again, with the outcome', async () => (await comments(owner, repo, origin)).find((c) => c.includes('Resumed with:')), async () => comments(owner, repo, origin))
    expect(resumed).toContain(`"to":"acme/lib#${target}"`)
    expect(resumed).toContain('"stateReason":"not_planned"')
    expect((await comments(owner, repo, origin)).some((c) => c.includes(`**acme/lib#${target} was closed as not planned**`))).toBe(true)
  })

  it('GitHub failing while it files: the hand-off is kept and the origin waits; the same call again files it once', async () => {
    await api('roles.update', { role: 'pm', instances: 0 })
    const origin = await openIssue('acme/app', 'Filed on a bad day')
    const args = { from: `acme/app#${origin}`, to: 'acme/lib', title: 'Bad-day bug', summary: 'GitHub answered 500 the first time.' }
    t.forge.faults.inject({ kind: 'error', status: 500, method: 'POST', path: '/repos/acme/lib/issues$', count: 1 })
    const client = await mcp()
    expect(errorText(await client.callTool({ name: 'handoff_to_project', arguments: args }))).toMatch(/GitHub did not take the hand-off to acme\/lib: .*Baton keeps it \(hand-off \d+\) and tries again after the next sync/)
    await until('the filing wait', async () => (await card('acme/app', origin))?.reason === 'waits to hand off to acme/lib (filing the issue there)', async () => card('acme/app', origin))
    const made = data(await client.callTool({ name: 'handoff_to_project', arguments: args }))
    await client.close()
    expect(made).toMatchObject({ state: 'open', issue: expect.stringMatching(/^acme\/lib#\d+$/) })
    const onForge = (await gh().rest.issues.listForRepo({ owner: 'acme', repo: 'lib', state: 'all' })).data.filter((i) => i.title === 'Bad-day bug')
    expect(onForge.map((i) => i.number)).toEqual([made.number])
    await until('waits for it', async () => (await card('acme/app', origin))?.reason === `waits for ${made.issue as string}`, async () => card('acme/app', origin))
  })

  it('errors: a repository not connected (naming the connected ones), an unknown origin, bad input — nothing filed', async () => {
    const client = await mcp()
    const before = (await gh().rest.issues.listForRepo({ owner: 'acme', repo: 'lib', state: 'all' })).data.length
    const base = { from: 'acme/app#1', to: 'acme/lib', title: 'x', summary: 'y' }
    expect(errorText(await client.callTool({ name: 'handoff_to_project', arguments: { ...base, to: 'acme/tools' } }))).toMatch(
      /acme\/tools is not connected to Baton\. Connected: acme\/app, acme\/lib, olga\/lib/
    )
    expect(errorText(await client.callTool({ name: 'handoff_to_project', arguments: { ...base, from: 'acme/app#999' } }))).toMatch(/acme\/app#999 is not known to Baton/)
    expect(errorText(await client.callTool({ name: 'handoff_to_project', arguments: { ...base, from: 'acme/app' } }))).toMatch(/from is the origin issue, as owner\/repo#n/)
    expect(errorText(await client.callTool({ name: 'handoff_to_project', arguments: { ...base, summary: '  ' } }))).toMatch(/summary is needed/)
    expect(errorText(await client.callTool({ name: 'handoff_to_project', arguments: { ...base, extra: 1 } }))).toMatch(/extra|Unrecognized/i)
    expect(errorText(await client.callTool({ name: 'handoff_to_project', arguments: { ...base, to: 'acme/app' } }))).toMatch(/another repository/)
    expect(errorText(await client.callTool({ name: 'handoff_to_project', arguments: { ...base, logs: 'x'.repeat(30_001) } }))).toMatch(/logs is at most 30,000 characters/)
    // Past the hand-off cap (acme/app#1 handed off once already): refused, a person decides.
    await api('settings.update', { handoffCap: 1 })
    expect(errorText(await client.callTool({ name: 'handoff_to_project', arguments: base }))).toMatch(/acme\/app#1 has handed off 1 time, the cap \(Settings: hand-off cap 1\)/)
    await api('settings.update', { handoffCap: 5 })
    // Each part within its own limit, the whole past GitHub's: said before anything is recorded.
    const long = { ...base, summary: 's'.repeat(20_000), repro: 'r'.repeat(20_000), logs: 'l'.repeat(30_000) }
    expect(errorText(await client.callTool({ name: 'handoff_to_project', arguments: long }))).toMatch(/issue body would be 70,\d{3} characters; GitHub takes at most 65,536/)
    await client.close()
    expect((await gh().rest.issues.listForRepo({ owner: 'acme', repo: 'lib', state: 'all' })).data.length).toBe(before)
    expect((await api<Handoff[]>('handoffs.list', {})).filter((h) => h.title === 'x')).toEqual([])
  })
})

describe('dependencies across repositories', { timeout: 180_000 }, () => {
  it("blocked by a connected repository's issue (from the mirror) and an unconnected one's (read-only, at most once a minute), or one that cannot be read", async () => {
    // No PM: the blockers are named before capacity is.
    await api('roles.update', { role: 'pm', instances: 0 })
    const lib = await openIssue('acme/lib', 'A lib issue to wait for')
    const blocked = await openIssue('acme/app', 'Waits for others', `Blocked by acme/lib#${lib} and depends on acme/tools#1, acme/nope#9.`)
    const words = `blocked by acme/lib#${lib}, acme/tools#1, acme/nope#9 (cannot read it: 404)`
    const c = await until('the cross-repository wait', async () => {
      const x = await card('acme/app', blocked)
      return x?.reason === words ? x : undefined
    }, async () => card('acme/app', blocked))
    expect(c).toMatchObject({ activity: 'blocked', blockedBy: { kind: 'issues', issues: [], elsewhere: [`acme/lib#${lib}`, 'acme/tools#1', 'acme/nope#9'] } })
    // acme/tools is never connected: read with GET issues/1, and not again on the ticks that follow within the minute.
    const reads = () => t.forge.requestLog().filter((r) => r.method === 'GET' && r.path.includes('/repos/acme/tools/issues/1')).length
    expect(reads()).toBe(1)
    // Each setting change schedules again: five more passes, each reading the dependency's state.
    for (let i = 0; i < 5; i++) {
      await api('repos.setHandoffApproval', { id: await repoId('acme/app'), required: i % 2 === 0 })
      await new Promise((r) => setTimeout(r, 100))
    }
    expect((await card('acme/app', blocked))?.reason).toBe(words)
    expect(reads()).toBe(1)

    // acme/lib is connected: closing its issue unblocks that part at the next sync.
    await gh().rest.issues.update({ owner: 'acme', repo: 'lib', issue_number: lib, state: 'closed' })
    await sync('acme/lib')
    await until('acme/lib no longer named', async () => (await card('acme/app', blocked))?.reason === 'blocked by acme/tools#1, acme/nope#9 (cannot read it: 404)', async () => card('acme/app', blocked))
  })
})
