// Prometheus metrics (issue #15) over real HTTP: the sandbox pipeline (the
// forge, real Octokit, real git, builtin agent processes, real SQLite) runs
// an issue to its PR, then /metrics is scraped and read with a Prometheus
// text parser, and every number is held against what happened — the
// database, the forge's own request log, the agents. Also: the token, the
// loopback metrics port, `baton metrics` in a child process, and docs/METRICS.md
// naming exactly the metrics the registry exposes.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { createServer as createNetServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCore, type Core } from '../../../src/main/app'
import { createLogger } from '../../../src/main/log'
import { startMetricsServer, type MetricsServer } from '../../../src/main/metrics/http'
import { startServer, type Server } from '../../../src/main/serve'
import { defaultPipeline } from '../../../src/main/pipeline/definition'
import type { BoardIssue } from '../../../src/shared/api'

const TOKEN = 'metrics-test-token-0123456789'
const runner = { execPath: process.execPath, args: ['--import', 'tsx', join(process.cwd(), 'agents/runner.ts')] }
let core: Core
let server: Server
let metricsPort: MetricsServer
let dataDir: string

interface Family {
  name: string
  type: string
  metrics: Array<{ value: string; labels?: Record<string, string> }>
}

function raw(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, headers: { host: `127.0.0.1:${port}`, ...headers }, agent: false }, (res) => {
      let text = ''
      res.on('data', (c) => (text += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }))
    })
    req.on('error', reject)
    req.end()
  })
}

async function scrape(): Promise<Map<string, Family>> {
  const res = await raw(server.port, '/metrics', { authorization: `Bearer ${TOKEN}` })
  expect(res.status, res.body).toBe(200)
  return new Map((parsePrometheusTextFormat(res.body) as Family[]).map((f) => [f.name, f]))
}

/** The samples of a family whose labels include `where`, summed. */
function sum(families: Map<string, Family>, name: string, where: Record<string, string> = {}): number {
  const family = families.get(name)
  if (!family) throw new Error(`${name} is not exposed (have: ${[...families.keys()].join(', ')})`)
  return family.metrics.filter((m) => Object.entries(where).every(([k, v]) => m.labels?.[k] === v)).reduce((n, m) => n + Number(m.value), 0)
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 180_000): Promise<T> {
  const end = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const value = await probe()
      if (value) return value
      last = value
    } catch (error) {
      last = error
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`)
    await new Promise((r) => setTimeout(r, 300))
  }
}

async function card(n: number): Promise<BoardIssue | undefined> {
  const result = await core.call('issues.board', {})
  if (!result.ok) throw new Error(result.error.message)
  return (result.data as BoardIssue[]).find((c) => c.number === n)
}

/** Counts per `role stage` from SQLite. */
function byRoleStage(sql: string): Map<string, number> {
  return new Map((core.db.prepare(sql).all() as Array<{ role: string; stage: string; n: number }>).map((r) => [`${r.role} ${r.stage}`, r.n]))
}
const attemptsStarted = () => byRoleStage('SELECT t.role, t.stage, COUNT(*) AS n FROM attempts a JOIN tasks t ON t.id = a.task_id GROUP BY t.role, t.stage')
const tasksApplied = () => byRoleStage("SELECT role, stage, COUNT(*) AS n FROM tasks WHERE state = 'applied' GROUP BY role, stage")

function perRoleStage(families: Map<string, Family>, name: string): Map<string, number> {
  return new Map((families.get(name)?.metrics ?? []).map((m) => [`${m.labels?.role} ${m.labels?.stage}`, Number(m.value)]))
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'baton-metrics-'))
  const rendererDir = join(dataDir, 'renderer')
  mkdirSync(rendererDir)
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Baton</title>')
  core = await createCore({
    dataDir,
    mode: 'headless',
    sandbox: true,
    runner,
    log: createLogger({ level: 'error' }),
    agentTiming: { heartbeatMs: 500, stallMs: 60_000, backoffMs: () => 200 }
  })
  server = await startServer(core, { port: 0, token: TOKEN, rendererDir })
  // As `baton serve` does: the CLI beside it finds the app through the lock file.
  core.lock.update({ url: server.url, token: server.token })
  metricsPort = await startMetricsServer(core.metrics, { port: 0, log: core.log })
}, 90_000)
afterAll(async () => {
  await metricsPort?.close()
  await server?.close()
  await core?.close()
})

describe('/metrics after the sandbox pipeline ran an issue to its PR', () => {
  it('counts the tasks each role started and applied, as the database records them', async () => {
    await until('#1 at needs-review with its PR', async () => {
      const c = await card(1)
      return c?.stage === 'needs-review' && c.pr
    })
    // The label moves while the Tester's answer is applied; its task ends applied a moment later.
    await until("the Tester's task applied", async () => tasksApplied().has('tester needs-testing') || Promise.reject(new Error(`tasks: ${JSON.stringify(core.db.prepare('SELECT role, stage, state FROM tasks').all())}`)))
    // Work goes on meanwhile (other issues): what SQLite held before the scrape ≤ the counter ≤ what it holds after.
    const startedBefore = attemptsStarted()
    const appliedBefore = tasksApplied()
    const families = await scrape()
    const startedAfter = attemptsStarted()
    const appliedAfter = tasksApplied()
    const started = perRoleStage(families, 'baton_tasks_started_total')
    const applied = perRoleStage(families, 'baton_tasks_applied_total')
    for (const [key, n] of startedAfter) {
      expect(started.get(key) ?? 0, `started ${key}`).toBeGreaterThanOrEqual(startedBefore.get(key) ?? 0)
      expect(started.get(key) ?? 0, `started ${key}`).toBeLessThanOrEqual(n)
    }
    for (const [key, n] of appliedAfter) {
      expect(applied.get(key) ?? 0, `applied ${key}`).toBeGreaterThanOrEqual(appliedBefore.get(key) ?? 0)
      expect(applied.get(key) ?? 0, `applied ${key}`).toBeLessThanOrEqual(n)
    }
    // Nothing counted that the database does not have.
    for (const key of [...started.keys(), ...applied.keys()]) expect(startedAfter.has(key), key).toBe(true)
    // #1 went backlog → needs-architecture → ready-for-dev → in-progress → needs-testing → needs-review.
    for (const role of ['pm', 'architect', 'engineer', 'tester']) expect(sum(families, 'baton_tasks_applied_total', { role }), role).toBeGreaterThan(0)
    expect(sum(families, 'baton_tasks_applied_total', { role: 'tester', stage: 'needs-testing' })).toBeGreaterThan(0)
    expect(families.get('baton_tasks_started_total')?.type).toBe('COUNTER')
  }, 240_000)

  it('reads cost and tokens by role from the usage table', async () => {
    const usage = () =>
      new Map(
        (core.db.prepare("SELECT agent, SUM(cost_usd) AS usd, SUM(input_tokens) AS input, SUM(output_tokens) AS output FROM usage GROUP BY agent").all() as Array<{ agent: string; usd: number; input: number; output: number }>).map(
          (r) => [r.agent.replace(/-\d+$/, ''), r]
        )
      )
    // Usage rows arrive only with applied answers: read until a scrape falls between two equal reads.
    const { families, rows } = await until('a scrape between two equal usage reads', async () => {
      const before = JSON.stringify([...usage()])
      const families = await scrape()
      if (JSON.stringify([...usage()]) !== before) throw new Error('a usage row was added during the scrape')
      return { families, rows: usage() }
    })
    for (const [role, r] of rows) {
      expect(sum(families, 'baton_cost_usd_total', { role })).toBeCloseTo(r.usd, 6)
      expect(sum(families, 'baton_tokens_total', { role, kind: 'input' })).toBe(r.input)
      expect(sum(families, 'baton_tokens_total', { role, kind: 'output' })).toBe(r.output)
    }
    expect(families.get('baton_cost_usd_total')?.type).toBe('COUNTER')
    // And they survive a restart: a second registry over the same database reads the same totals.
    const { Metrics } = await import('../../../src/main/metrics/registry')
    const fresh = new Metrics({ db: core.db, waits: new Map(), pipeline: () => defaultPipeline, agents: () => [], rateLimit: () => null })
    const again = new Map((parsePrometheusTextFormat(await fresh.text()) as Family[]).map((f) => [f.name, f]))
    for (const role of rows.keys()) expect(sum(again, 'baton_tokens_total', { role, kind: 'input' })).toBe(rows.get(role)!.input)
  }, 240_000)

  it("shows each agent's state (one-hot) and heartbeat age", async () => {
    const families = await scrape()
    const agents = core.runtime()!.supervisor.list()
    expect(agents.length).toBeGreaterThanOrEqual(4)
    for (const agent of agents) {
      const states = families.get('baton_agent_state')!.metrics.filter((m) => m.labels?.agent === agent.name)
      expect(states.length, agent.name).toBe(7)
      expect(states.reduce((n, m) => n + Number(m.value), 0), agent.name).toBe(1)
      expect(states.find((m) => m.value === '1')?.labels?.role).toBe(agent.role)
    }
    for (const role of ['pm', 'architect', 'engineer', 'tester']) {
      const ages = families.get('baton_agent_heartbeat_age_seconds')!.metrics.filter((m) => m.labels?.role === role)
      expect(ages.length, role).toBeGreaterThan(0)
      // Heartbeats every 500 ms here; generous for a loaded machine.
      for (const age of ages) expect(Number(age.value)).toBeGreaterThanOrEqual(0)
      expect(Math.min(...ages.map((a) => Number(a.value))), role).toBeLessThan(30)
    }
  })

  it("shows the queue from the scheduler's last pass: an outsider's issue waiting for approval, one blocked by #1", async () => {
    // #4 is an outsider's (waits for a maintainer's approval), #5 depends on #1 (not merged): both in backlog.
    const families = await until('#4 and #5 in the queue', async () => {
      const f = await scrape()
      if (sum(f, 'baton_queue_depth', { stage: 'backlog', reason: 'person' }) >= 1 && sum(f, 'baton_queue_depth', { stage: 'backlog', reason: 'blocked' }) >= 1) return f
      throw new Error(`queue: ${JSON.stringify(f.get('baton_queue_depth')?.metrics)}`)
    })
    expect(families.get('baton_queue_depth')?.type).toBe('GAUGE')
    for (const m of families.get('baton_queue_depth')!.metrics) {
      expect(['urgent', 'normal', 'low']).toContain(m.labels?.priority)
      expect(['capacity', 'blocked', 'person', 'failed', 'backoff', 'dispatch']).toContain(m.labels?.reason)
    }
  }, 240_000)

  it("counts every GitHub request Baton's client sent, as the forge logged them, and the rate limit left", async () => {
    const forge = core.sandbox()!.forge
    // Baton signs in to the sandbox as its maintainer: the forge logs that login for Baton's requests.
    const maintainer = core.github.status().login
    expect(maintainer).toBeTruthy()
    const forgeCounts = () => {
      const counts = new Map<string, number>()
      for (const e of forge.requestLog()) {
        if (e.kind !== 'api' || e.user !== maintainer) continue
        const key = `${e.method} ${Math.floor(e.status / 100)}xx`
        counts.set(key, (counts.get(key) ?? 0) + 1)
      }
      return counts
    }
    // Requests go on (the sync loop): compare at a moment when none is on its way.
    const { families, expected } = await until("the client's counts equal the forge's log", async () => {
      const before = forgeCounts()
      const families = await scrape()
      const after = forgeCounts()
      if (JSON.stringify([...before]) !== JSON.stringify([...after])) throw new Error('requests on their way during the scrape')
      const mine = JSON.stringify([...new Map(families.get('baton_github_requests_total')!.metrics.map((m) => [`${m.labels?.method} ${m.labels?.status}`, Number(m.value)]))].sort())
      const logged = JSON.stringify([...after].sort())
      if (mine !== logged) throw new Error(`the client counted ${mine}, the forge logged ${logged}`)
      return { families, expected: after }
    })
    expect(sum(families, 'baton_github_requests_total', { method: 'GET', status: '2xx' })).toBeGreaterThan(0)
    expect(sum(families, 'baton_github_requests_total', { method: 'POST', status: '2xx' })).toBeGreaterThan(0)
    expect(expected.size).toBeGreaterThan(1)
    const left = sum(families, 'baton_github_rate_limit_remaining')
    const limit = sum(families, 'baton_github_rate_limit_limit')
    expect(limit).toBeGreaterThan(0)
    expect(left).toBeGreaterThanOrEqual(0)
    expect(left).toBeLessThanOrEqual(limit)
    expect(sum(families, 'baton_github_rate_limit_reset_timestamp_seconds') * 1000).toBeGreaterThan(Date.now() - 3_600_000)
  }, 240_000)
})

describe('who may read the metrics', () => {
  it('needs the token (Bearer or the cookie), as the API does; Prometheus text 0.0.4', async () => {
    expect((await raw(server.port, '/metrics')).status).toBe(401)
    expect((await raw(server.port, '/metrics', { authorization: 'Bearer wrong-token' })).status).toBe(401)
    const refused = await raw(server.port, '/metrics', { authorization: 'Bearer wrong-token' })
    expect(refused.body).not.toContain('baton_')
    const ok = await raw(server.port, '/metrics', { authorization: `Bearer ${TOKEN}` })
    expect(ok.status).toBe(200)
    expect(ok.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8')
    expect((await raw(server.port, '/metrics', { cookie: `baton_token=${TOKEN}` })).status).toBe(200)
    expect((await raw(server.port, '/metrics', { cookie: `baton_token=${TOKEN}`, origin: 'http://evil.example' })).status).toBe(403)
    expect((await raw(server.port, '/metrics', { host: `evil.example:${server.port}`, authorization: `Bearer ${TOKEN}` })).status).toBe(421)
    expect((await raw(server.port, '/metrics', { authorization: `Bearer ${TOKEN}` }, 'POST')).status).toBe(405)
  })

  it("a task's MCP token (Baton's own agents) opens /mcp only, never /metrics", async () => {
    const taskToken = core.agentMcp.tokens.mint({ taskId: 't_metrics', attempt: 1, instance: 'engineer', repo: 'baton-sandbox/calc', issue: 1 })
    try {
      expect(core.agentMcp.tokens.resolve(taskToken)).not.toBeNull()
      const res = await raw(server.port, '/metrics', { authorization: `Bearer ${taskToken}` })
      expect(res.status).toBe(401)
      expect(res.body).not.toContain('baton_')
    } finally {
      core.agentMcp.tokens.revoke('t_metrics')
    }
  })

  it('--metrics-port serves the same metrics on loopback without the token, and nothing else', async () => {
    const res = await raw(metricsPort.port, '/metrics')
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8')
    const names = (parsePrometheusTextFormat(res.body) as Family[]).map((f) => f.name).sort()
    expect(names).toEqual([...(await scrape()).keys()].sort())
    expect((await raw(metricsPort.port, '/metrics', { host: `rebind.example:${metricsPort.port}` })).status).toBe(421)
    expect((await raw(metricsPort.port, '/api/app.status')).status).toBe(404)
    expect((await raw(metricsPort.port, '/')).status).toBe(404)
    expect((await raw(metricsPort.port, '/metrics', {}, 'POST')).status).toBe(405)
  })
})

describe('docs/METRICS.md', () => {
  it('names every metric the registry exposes, and no other', async () => {
    const doc = readFileSync(join(process.cwd(), 'docs/METRICS.md'), 'utf8')
    // The reference table's rows: | `baton_…` | type | labels | meaning |
    const documented = [...doc.matchAll(/^\| `(baton_[a-z0-9_]+)` \| (counter|gauge) \|/gm)].map((m) => ({ name: m[1]!, type: m[2]!.toUpperCase() }))
    const exposed = [...(await scrape()).values()].map((f) => ({ name: f.name, type: f.type }))
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name)
    expect(documented.sort(byName)).toEqual(exposed.sort(byName))
    // Every name the page uses elsewhere (PromQL, the Grafana dashboard) is one of them.
    const names = new Set(exposed.map((f) => f.name))
    const dashboard = readFileSync(join(process.cwd(), 'docs/grafana-baton.json'), 'utf8')
    for (const used of new Set([...doc.matchAll(/\b(baton_[a-z0-9_]+)\b/g), ...dashboard.matchAll(/\b(baton_[a-z0-9_]+)\b/g)].map((m) => m[1]!))) {
      expect(names.has(used.replace(/_(bucket|sum|count)$/, '')), `${used} is not a metric`).toBe(true)
    }
    JSON.parse(dashboard)
  })
})

describe('baton metrics', () => {
  const cli = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '-e', `import('./src/main/cli.ts').then(async (m) => { process.exitCode = await m.main(${JSON.stringify(args)}) })`], {
        stdio: ['ignore', 'pipe', 'pipe']
      })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (c) => (stdout += c))
      child.stderr.on('data', (c) => (stderr += c))
      child.on('exit', (code) => resolve({ code, stdout, stderr }))
    })

  it("prints the running app's metrics, through the lock file", async () => {
    const run = await cli(['metrics', '--data-dir', dataDir])
    expect(run.code, run.stderr).toBe(0)
    const families = new Map((parsePrometheusTextFormat(run.stdout) as Family[]).map((f) => [f.name, f]))
    expect(sum(families, 'baton_tasks_applied_total', { role: 'pm' })).toBeGreaterThan(0)
    expect([...families.keys()].sort()).toEqual([...(await scrape()).keys()].sort())
  }, 60_000)

  it('says so when no Baton runs on the data folder, and starts none', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'baton-metrics-none-'))
    const run = await cli(['metrics', '--data-dir', empty])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain(`No Baton is running on ${empty}`)
    expect(run.stdout).toBe('')
    expect(() => readFileSync(join(empty, 'baton.db'))).toThrow()
  }, 60_000)

  it('baton serve --metrics-port 0 prints its loopback address, which answers without the token', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-metrics-serve-'))
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', `import('./src/main/cli.ts').then((m) => m.main(['serve', '--port', '0', '--metrics-port', '0', '--data-dir', ${JSON.stringify(dir)}]))`], {
      stdio: ['ignore', 'pipe', 'pipe']
    })
    try {
      let out = ''
      let err = ''
      child.stdout.on('data', (c) => (out += c))
      child.stderr.on('data', (c) => (err += c))
      await until('the printed address', async () => out.includes('Open: ') || (child.exitCode !== null && Promise.reject(new Error(`exited ${child.exitCode}: ${err}`))), 100_000)
      const url = /Metrics \(no token, 127\.0\.0\.1 only\): (http:\/\/127\.0\.0\.1:(\d+)\/metrics)/.exec(out)
      expect(url, out).not.toBeNull()
      // Printed before the address to open, which stays last.
      expect(out.trimEnd().split('\n').at(-1)).toMatch(/^Open: /)
      const res = await raw(Number(url![2]), '/metrics')
      expect(res.status).toBe(200)
      expect(parsePrometheusTextFormat(res.body).map((f) => f.name)).toContain('baton_tasks_started_total')
    } finally {
      child.kill('SIGTERM')
    }
  }, 120_000)

  it('a --metrics-port in use is named, and the server and data folder are let go', async () => {
    const busy = createNetServer()
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
    const taken = (busy.address() as AddressInfo).port
    const dir = mkdtempSync(join(tmpdir(), 'baton-metrics-busy-'))
    try {
      const run = await cli(['serve', '--port', '0', '--metrics-port', String(taken), '--data-dir', dir])
      expect(run.code, run.stdout).toBe(1)
      expect(run.stderr).toContain(`Port ${taken} on 127.0.0.1 (--metrics-port) is already in use`)
      expect(run.stdout).not.toContain('Open: ')
      // The lock is released: nothing holds the folder.
      expect(existsSync(join(dir, 'baton.lock'))).toBe(false)
    } finally {
      busy.close()
    }
  }, 120_000)

  it('refuses a bad --metrics-port before anything starts', async () => {
    const run = await cli(['serve', '--metrics-port', 'abc', '--data-dir', mkdtempSync(join(tmpdir(), 'baton-metrics-port-'))])
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/--metrics-port expects a number from 0 to 65535, got "abc"/)
  }, 60_000)
})
