// A person's change to a role, applied by the supervisor while agents run
// (Settings → Roles): an idle instance restarts with it now, a working one
// after its task; fewer instances stop (a busy one after its task, offered no
// new work meanwhile); more start. A restart for new settings is no crash.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { Supervisor, type RoleSpec } from '../../../src/main/agents/supervisor'
import type { Trigger } from '../../../src/shared/protocol/trigger'

const runner = { execPath: process.execPath, args: ['--import', 'tsx', 'agents/runner.ts'] }
const script = join(process.cwd(), 'test/fixtures/agents/scripted-agent.mjs')
const settings = (instances: number, over: Partial<RoleSpec['settings']> = {}): RoleSpec['settings'] => ({
  provider: 'command',
  command: `${process.execPath} ${script}`,
  model: 'model-a',
  timeLimitSec: 30,
  maxOutputBytes: 100_000,
  instances,
  ...over
})

let seq = 0
const trigger = (agent: string, title: string): Trigger => ({
  v: 1,
  task: `t_cfg${++seq}`,
  attempt: 1,
  agent,
  role: agent.replace(/-\d+$/, ''),
  stage: 'backlog',
  repo: { owner: 'acme', name: 'shop', defaultBranch: 'main' },
  issue: { number: seq, title, body: '', labels: ['backlog'], author: 'a', comments: [] },
  workspace: null,
  instructions: 'do it',
  handoffs: [],
  notes: [],
  deadline: new Date(Date.now() + 30_000).toISOString()
})

const supervisors: Supervisor[] = []
afterEach(async () => {
  await Promise.all(supervisors.splice(0).map((s) => s.stop()))
})
function start(instances: number): Supervisor {
  const s = new Supervisor({
    ipcDir: mkdtempSync(join(tmpdir(), 'baton-ipc-cfg-')),
    roles: [{ name: 'engineer', prompt: 'You are engineer.', settings: settings(instances) }],
    runner,
    heartbeatMs: 200,
    stallMs: 60_000,
    watchdogMs: 100,
    restartDelayMs: () => 100,
    killGraceMs: 500
  })
  supervisors.push(s)
  s.start()
  return s
}
async function until<T>(what: string, probe: () => T | undefined | false, timeout = 30_000): Promise<T> {
  const end = Date.now() + timeout
  for (;;) {
    const v = probe()
    if (v) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
const agent = (s: Supervisor, name: string) => s.list().find((a) => a.name === name)
const idleNames = (s: Supervisor) => s.idle().get('engineer') ?? []

describe('supervisor: a role changed while it runs', () => {
  it('an idle instance restarts with the new model now; a working one after its task, which still answers', async () => {
    const s = start(2)
    await until('both idle', () => idleNames(s).length === 2)
    const pids = new Map(s.list().map((a) => [a.name, a.pid]))
    const busy = trigger('engineer-2', 'slow 2500')
    const answered = new Promise((resolve) => s.on('response', (r) => r.task === busy.task && resolve(r)))
    s.dispatch(busy)

    const steps = s.configureRole('engineer', settings(2, { model: 'model-b' }))
    expect(steps).toEqual([
      { agent: 'engineer', applies: 'now' },
      { agent: 'engineer-2', applies: 'after-task' }
    ])
    // The working instance keeps reporting what it runs with.
    expect(agent(s, 'engineer-2')).toMatchObject({ model: 'model-a', state: 'working', pid: pids.get('engineer-2') })
    await until('engineer restarted', () => agent(s, 'engineer')?.pid !== pids.get('engineer') && idleNames(s).includes('engineer'))
    expect(agent(s, 'engineer')).toMatchObject({ model: 'model-b', restarts: 0 })

    await answered
    await until('engineer-2 restarted after its task', () => agent(s, 'engineer-2')?.pid !== pids.get('engineer-2') && idleNames(s).includes('engineer-2'))
    expect(agent(s, 'engineer-2')).toMatchObject({ model: 'model-b', restarts: 0 })
  }, 60_000)

  it('fewer instances: an idle one stops now, a busy one after its task and gets no new work; more start', async () => {
    const s = start(3)
    await until('three idle', () => idleNames(s).length === 3)
    const busy = trigger('engineer-3', 'slow 2000')
    const answered = new Promise((resolve) => s.on('response', (r) => r.task === busy.task && resolve(r)))
    s.dispatch(busy)
    const steps = s.configureRole('engineer', settings(1))
    expect(steps).toEqual(expect.arrayContaining([
      { agent: 'engineer-2', applies: 'stopped' },
      { agent: 'engineer-3', applies: 'after-task' }
    ]))
    expect(s.list().map((a) => a.name)).toEqual(['engineer', 'engineer-3'])
    await answered
    await until('engineer-3 gone', () => !agent(s, 'engineer-3'))
    expect(idleNames(s)).toEqual(['engineer'])

    expect(s.configureRole('engineer', settings(2))).toEqual([{ agent: 'engineer-2', applies: 'started' }])
    await until('engineer-2 idle again', () => idleNames(s).length === 2)
  }, 60_000)
})
