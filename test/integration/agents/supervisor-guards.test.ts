// What main does with a response file an agent got wrong, written straight
// into the ipc folder as a misbehaving agent would: too big, no TASK line, an
// old attempt. Real runner processes, real files.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ipcPaths, writeAtomic } from '../../../src/main/agents/file-ipc'
import { Supervisor, type AgentResponse, type RoleSpec, type SupervisorEvents } from '../../../src/main/agents/supervisor'
import type { Trigger } from '../../../src/shared/protocol/trigger'

const runner = { execPath: process.execPath, args: ['--import', 'tsx', 'agents/runner.ts'] }
const script = join(process.cwd(), 'test/fixtures/agents/scripted-agent.mjs')
const role: RoleSpec = {
  name: 'pm',
  prompt: 'You are pm.',
  settings: { provider: 'command', command: `${process.execPath} ${script}`, timeLimitSec: 30, maxOutputBytes: 20_000, instances: 1 }
}

let seq = 0
const trigger = (title: string, over: Partial<Trigger> = {}): Trigger => ({
  v: 1,
  task: `t_guard${++seq}`,
  attempt: 1,
  agent: 'pm',
  role: 'pm',
  stage: 'backlog',
  repo: { owner: 'acme', name: 'shop', defaultBranch: 'main' },
  issue: { number: seq, title, body: '', labels: ['backlog'], author: 'a', comments: [] },
  workspace: null,
  instructions: '',
  handoffs: [],
  notes: [],
  deadline: new Date(Date.now() + 30_000).toISOString(),
  ...over
})

const running: Supervisor[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()))
})

async function started() {
  const ipcDir = mkdtempSync(join(tmpdir(), 'baton-guard-'))
  const s = new Supervisor({ ipcDir, roles: [role], runner, heartbeatMs: 200, watchdogMs: 100, stallMs: 10_000 })
  running.push(s)
  s.start()
  const until = Date.now() + 20_000
  while (!s.idle().get('pm')?.length) {
    if (Date.now() > until) throw new Error('pm not idle')
    await new Promise((r) => setTimeout(r, 50))
  }
  // One round trip first: the runner has booted and is watching its trigger.
  const warm = next(s, 'response')
  s.dispatch(trigger('echo'))
  await warm
  return { s, response: ipcPaths(ipcDir).response('pm') }
}

const next = <K extends keyof SupervisorEvents>(s: Supervisor, event: K) =>
  new Promise<SupervisorEvents[K][0]>((resolve) => s.once(event, ((e: SupervisorEvents[K][0]) => resolve(e)) as never))

describe('supervisor guards', () => {
  it('an oversized response file becomes an ERROR for its task without main reading it all; the agent carries on', async () => {
    const { s, response } = await started()
    const t = trigger('slow 2000')
    s.dispatch(t)
    await new Promise((r) => setTimeout(r, 300)) // the agent has picked it up
    const got = next(s, 'response')
    writeAtomic(response, `TASK: ${t.task}\nATTEMPT: 1\nDONE: big\n\n${'x'.repeat(5_000_000)}\n`)
    const r = (await got) as AgentResponse
    expect(r).toMatchObject({ task: t.task, attempt: 1 })
    expect(r.parsed.status).toBe('error')
    expect(r.parsed.statusText).toMatch(/5000\d+ bytes, over the 20000-byte cap of pm/)
    expect(r.raw.length).toBeLessThan(5000)
    expect(s.list()[0]).toMatchObject({ state: 'idle', task: null })
    // The agent's own late answer for the same attempt is recorded as stale, not applied twice.
    const stale = next(s, 'stale')
    expect(await stale).toMatchObject({ task: t.task, attempt: 1, reason: expect.stringContaining('already answered') })
    const ok = next(s, 'response')
    s.dispatch(trigger('echo'))
    expect(((await ok) as AgentResponse).parsed.status).toBe('done')
  })

  it('a response with no TASK line is an ERROR for the task the agent holds', async () => {
    const { s, response } = await started()
    const t = trigger('slow 2000')
    s.dispatch(t)
    await new Promise((r) => setTimeout(r, 300))
    const got = next(s, 'response')
    writeAtomic(response, 'I am confused\n')
    const r = (await got) as AgentResponse
    expect(r).toMatchObject({ task: t.task, attempt: 1 })
    expect(r.parsed).toMatchObject({ status: 'error', statusText: expect.stringContaining('no TASK line'), raw: 'I am confused\n' })
  })

  it('a response for an attempt that was cancelled is recorded as stale, never reported as an answer', async () => {
    const { s } = await started()
    const responses: AgentResponse[] = []
    s.on('response', (r) => responses.push(r))
    const t = trigger('slow 800')
    s.dispatch(t)
    await new Promise((r) => setTimeout(r, 200))
    const stale = next(s, 'stale')
    s.cancel('pm', t.task)
    expect(await stale).toMatchObject({ agent: 'pm', task: t.task, attempt: 1 })
    expect(responses).toEqual([])
  })
})
