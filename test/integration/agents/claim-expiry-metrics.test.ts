// Claim expirations in the metrics, from a real supervisor's watchdog: a hung
// agent past its task's deadline, and a runner frozen (SIGSTOP) past the stall
// time, each reclaimed and counted by reason; a crash is lost but no expiry.
// The supervisor's `lost` events reach Metrics.attemptLost as runtime.ts wires
// them, and the agents' states are read at scrape as the core reads them.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { afterEach, expect, it } from 'vitest'
import { Supervisor, type RoleSpec } from '../../../src/main/agents/supervisor'
import { Metrics } from '../../../src/main/metrics/registry'
import { defaultPipeline } from '../../../src/main/pipeline/definition'
import { openDatabase, type Db } from '../../../src/main/store/open'
import type { Trigger } from '../../../src/shared/protocol/trigger'

const runner = { execPath: process.execPath, args: ['--import', 'tsx', 'agents/runner.ts'] }
const script = join(process.cwd(), 'test/fixtures/agents/scripted-agent.mjs')
const role = (name: string): RoleSpec => ({
  name,
  prompt: `You are ${name}.`,
  settings: { provider: 'command', command: `${process.execPath} ${script}`, timeLimitSec: 30, maxOutputBytes: 100_000, instances: 1 }
})

let supervisor: Supervisor | null = null
let db: Db | null = null
afterEach(async () => {
  await supervisor?.stop()
  db?.close()
  supervisor = null
  db = null
})

let seq = 0
function trigger(agent: string, title: string, deadlineMs: number): Trigger {
  seq++
  return {
    v: 1,
    task: `t_claim${seq}`,
    attempt: 1,
    agent,
    role: agent,
    stage: 'needs-testing',
    repo: { owner: 'acme', name: 'shop', defaultBranch: 'main' },
    issue: { number: seq, title, body: '', labels: ['needs-testing'], author: 'a', comments: [] },
    workspace: null,
    instructions: 'do it',
    handoffs: [],
    notes: [],
    deadline: new Date(Date.now() + deadlineMs).toISOString()
  }
}

async function until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(supervisor?.list())}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

async function expirations(metrics: Metrics): Promise<Map<string, number>> {
  const family = parsePrometheusTextFormat(await metrics.text()).find((f) => f.name === 'baton_claim_expirations_total')
  return new Map((family?.metrics ?? []).map((m) => [`${m.labels?.role} ${m.labels?.reason}`, Number(m.value)]))
}

it('counts a deadline and a stalled heartbeat as claim expirations, not a crash', async () => {
  db = openDatabase(join(mkdtempSync(join(tmpdir(), 'baton-claims-')), 'baton.db'))
  const s = new Supervisor({
    ipcDir: mkdtempSync(join(tmpdir(), 'baton-ipc-')),
    roles: [role('tester')],
    runner,
    heartbeatMs: 200,
    stallMs: 5_000,
    graceMs: 200,
    watchdogMs: 100,
    restartDelayMs: () => 100,
    killGraceMs: 300
  })
  supervisor = s
  const metrics = new Metrics({ db, waits: new Map(), pipeline: () => defaultPipeline, agents: () => s.list(), rateLimit: () => null })
  const lost: string[] = []
  // As runtime.ts does with every lost attempt.
  s.on('lost', (l) => {
    lost.push(l.reason)
    metrics.attemptLost(l.agent, l.reason)
  })
  s.start()
  const idle = () => until('the tester idle', () => s.list()[0]?.state === 'idle')
  await idle()

  // A hung agent: reclaimed past its deadline.
  s.dispatch(trigger('tester', 'hang', 600))
  await until('the deadline reclaim', () => lost.length === 1)
  expect(await expirations(metrics)).toEqual(new Map([['tester deadline', 1]]))
  await idle()

  // A runner that stops beating (frozen): reclaimed past the stall time, seen stalled meanwhile.
  s.dispatch(trigger('tester', 'hang', 60_000))
  await until('the tester working', () => s.list()[0]?.state === 'working')
  const pid = s.list()[0]!.pid!
  process.kill(pid, 'SIGSTOP')
  await until('the heartbeat reclaim', () => lost.length === 2)
  expect(lost[1]).toMatch(/stopped sending heartbeats/)
  expect(await expirations(metrics)).toEqual(new Map([['tester deadline', 1], ['tester heartbeat', 1]]))
  // Its process is gone (SIGKILL reaches a stopped one); a new runner takes its place.
  await until('a new runner', () => s.list()[0]?.state === 'idle' && s.list()[0]?.pid !== pid)

  // A crash loses the attempt without an expired claim.
  s.dispatch(trigger('tester', 'hang', 60_000))
  await until('the tester working again', () => s.list()[0]?.state === 'working')
  process.kill(s.list()[0]!.pid!, 'SIGKILL')
  await until('the crash', () => lost.length === 3)
  expect(lost[2]).toMatch(/crashed/)
  expect(await expirations(metrics)).toEqual(new Map([['tester deadline', 1], ['tester heartbeat', 1]]))
  // The state gauge saw it: one state at a time.
  const state = parsePrometheusTextFormat(await metrics.text()).find((f) => f.name === 'baton_agent_state')!
  expect(state.metrics.filter((m) => m.value === '1')).toHaveLength(1)
}, 120_000)
