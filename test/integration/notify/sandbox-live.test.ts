// The sandbox pipeline with real builtin agents, seen from the person's side
// (issue #12): its REQUESTs and the PR ready for review reach a webhook on
// 127.0.0.1 (BATON_NOTIFY_WEBHOOK) and the desktop hook; every output line of
// an agent is tagged with its task's issue; an agent's last run stays
// visible after it goes idle (a builtin run takes milliseconds).
import { mkdtempSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCore, type Core } from '../../../src/main/app'
import { createLogger } from '../../../src/main/log'
import type { AgentOutputLine, AgentSummary, BoardIssue } from '../../../src/shared/api'
import type { DesktopNotice } from '../../../src/shared/notify'

let core: Core
let server: Server
const hooks: string[] = []
const notices: DesktopNotice[] = []
const runner = { execPath: process.execPath, args: ['--import', 'tsx', join(process.cwd(), 'agents/runner.ts')] }

async function call<T>(method: string, input: unknown = {}): Promise<T> {
  const result = await core.call(method, input)
  if (!result.ok) throw new Error(`${method}: ${result.error.message}`)
  return result.data as T
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 90_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      hooks.push((JSON.parse(body) as { text: string }).text)
      res.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook/secret-part-of-the-url`
  core = await createCore({
    dataDir: mkdtempSync(join(tmpdir(), 'baton-live-')),
    mode: 'headless',
    sandbox: true,
    runner,
    env: { ...process.env, BATON_NOTIFY_WEBHOOK: url },
    log: createLogger({ level: 'error' }),
    agentTiming: { heartbeatMs: 500, stallMs: 30_000, backoffMs: () => 200 }
  })
  core.notifier.onDesktop((n) => notices.push(n))
}, 60_000)

afterAll(async () => {
  await core?.close()
  await new Promise((resolve) => server.close(resolve))
})

describe('live work you can follow', () => {
  it('notifies a REQUEST and a PR ready for review from the real pipeline', async () => {
    expect(await call('notify.webhook')).toMatchObject({ set: true, fromEnv: true, host: expect.stringMatching(/^127\.0\.0\.1:\d+$/) })
    const one = await until('#1 at needs-review', async () => (await call<BoardIssue[]>('issues.board')).find((c) => c.number === 1 && c.stage === 'needs-review'))
    await until('the review notice', () => hooks.find((h) => h.startsWith(`[Baton · Ready for review] PR #${one.pr} for #1 is ready for your review`)))
    const review = notices.find((n) => n.title.includes('is ready for your review'))
    expect(review?.route).toBe(`#/pr/${one.repoId}/${one.pr}`)
    // "Make it better" (#3) has nothing to act on: the PM asks.
    await until('a REQUEST notice', () => hooks.find((h) => h.startsWith('[Baton · Question]') && h.includes('#3')))
    expect(notices.some((n) => n.route === '#/inbox' && n.title.includes('#3'))).toBe(true)
  }, 120_000)

  it("tags each output line with its issue and keeps an idle agent's last run", async () => {
    const pm = await until('the PM idle after a run', async () => (await call<AgentSummary[]>('agents.list')).find((a) => a.name === 'pm' && a.state === 'idle' && a.lastRun !== null))
    expect(pm.lastRun).toMatchObject({ task: expect.stringMatching(/^t_/), repo: 'baton-sandbox/calc', issue: expect.any(Number), repoId: expect.any(Number) })
    const lines = await call<AgentOutputLine[]>('agents.output', { name: 'pm', limit: 500 })
    const tagged = lines.filter((l) => l.task !== null)
    expect(tagged.length).toBeGreaterThan(0)
    // Every line of a task carries that task's issue; the PM triaged several issues.
    expect(tagged.every((l) => l.issue !== null && l.repo === 'baton-sandbox/calc')).toBe(true)
    expect(new Set(tagged.map((l) => l.issue)).size).toBeGreaterThan(1)
    expect(lines.at(-1)?.task === null || lines.filter((l) => l.task === pm.lastRun?.task).length > 0).toBe(true)
    // The architect's run for #1 named its issue on every line.
    const architect = await call<AgentOutputLine[]>('agents.output', { name: 'architect', limit: 500 })
    expect(architect.some((l) => l.issue === 1 && /reading \d+ files/.test(l.line))).toBe(true)
  }, 60_000)
})
