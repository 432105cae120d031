// The metrics registry over a real SQLite file: what it reads at scrape time
// (queue, usage, agents, rate limit), what it counts as told, and the words
// it classifies — read back through a Prometheus text parser.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { afterEach, describe, expect, it } from 'vitest'
import type { AgentInfo } from '../../../src/main/agents/supervisor'
import { claimExpiry, Metrics, statusClass, waitReason, type MetricsSources } from '../../../src/main/metrics/registry'
import { defaultPipeline } from '../../../src/main/pipeline/definition'
import { openDatabase, type Db } from '../../../src/main/store/open'
import { createTask, setTaskState } from '../../../src/main/store/tasks'
import { recordUsage } from '../../../src/main/store/usage'

let db: Db | null = null
afterEach(() => {
  db?.close()
  db = null
})

function setup(over: Partial<MetricsSources> = {}): { db: Db; metrics: Metrics; waits: Map<string, string> } {
  db = openDatabase(join(mkdtempSync(join(tmpdir(), 'baton-metrics-unit-')), 'baton.db'))
  db.prepare("INSERT INTO repos (id, key, host, api_url, owner, name, default_branch, connected_at) VALUES (1, 'github.com/acme/shop', 'github.com', 'https://api.github.com', 'acme', 'shop', 'main', '2026-06-01T00:00:00.000Z')").run()
  const waits = new Map<string, string>()
  const metrics = new Metrics({ db, waits, pipeline: () => defaultPipeline, agents: () => [], rateLimit: () => null, now: () => Date.parse('2026-07-02T12:00:00.000Z'), ...over })
  return { db, metrics, waits }
}

function issue(d: Db, number: number, labels: string[]): void {
  d.prepare("INSERT INTO issues (repo_id, number, title, body, state, author, author_association, labels, created_at, updated_at) VALUES (1, ?, 't', '', 'open', 'm', 'MEMBER', ?, '2026-06-01T00:00:00Z', '2026-06-01T00:00:00Z')").run(number, JSON.stringify(labels))
}

async function families(metrics: Metrics) {
  return new Map(parsePrometheusTextFormat(await metrics.text()).map((f) => [f.name, f]))
}

function samples(f: Awaited<ReturnType<typeof families>>, name: string): Array<[Record<string, string>, number]> {
  return (f.get(name)?.metrics ?? []).map((m) => [m.labels ?? {}, Number(m.value)])
}

describe('the metrics registry', () => {
  it("counts the queue from the scheduler's last pass and the queued tasks, by priority, stage and reason", async () => {
    const { db, metrics, waits } = setup()
    issue(db, 1, ['backlog', 'priority:high'])
    issue(db, 2, ['backlog'])
    issue(db, 3, ['ready-for-dev', 'priority:low'])
    issue(db, 4, ['needs-testing'])
    issue(db, 5, ['in-progress'])
    waits.set('1#1', 'waits for a free pm')
    waits.set('1#2', 'blocked by #1')
    waits.set('1#3', 'waits for a maintainer to approve it (label "approved"): the author is not trusted')
    waits.set('1#99', 'waits for a free pm') // no longer in the mirror: not counted
    // A retry whose time has not come, and one due now.
    const later = createTask(db, { repoId: 1, issue: 4, stage: 'needs-testing', role: 'tester', agent: 'tester' })
    setTaskState(db, later.id, 'queued', { notBefore: '2026-07-02T12:05:00.000Z' })
    createTask(db, { repoId: 1, issue: 5, stage: 'in-progress', role: 'engineer', agent: 'engineer' })
    const f = await families(metrics)
    expect(samples(f, 'baton_queue_depth').sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual(
      [
        [{ priority: 'urgent', stage: 'backlog', reason: 'capacity' }, 1],
        [{ priority: 'normal', stage: 'backlog', reason: 'blocked' }, 1],
        [{ priority: 'low', stage: 'ready-for-dev', reason: 'person' }, 1],
        [{ priority: 'normal', stage: 'needs-testing', reason: 'backoff' }, 1],
        [{ priority: 'normal', stage: 'in-progress', reason: 'dispatch' }, 1]
      ].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))
    )
    // The next pass changed its mind: the gauge follows, nothing is left over.
    waits.clear()
    db.prepare("UPDATE tasks SET state = 'running'").run()
    expect(samples(await families(metrics), 'baton_queue_depth')).toEqual([])
  })

  it('reads cost and tokens by role from the usage table, instances folded into their role', async () => {
    const { db, metrics } = setup()
    const use = (agent: string, answer: number, usd: number, input: number, output: number) =>
      recordUsage(db, { at: '2026-07-02T10:00:00.000Z', repoId: 1, issue: 1, taskId: 't_1', attempt: 1, answer, agent, provider: 'claude-code', model: null, inputTokens: input, outputTokens: output, cacheReadTokens: 7, cacheWriteTokens: 0, costUsd: usd })
    use('engineer', 1, 0.25, 1000, 200)
    use('engineer-2', 2, 0.5, 3000, 400)
    use('pm', 3, 0, 50, 5)
    const f = await families(metrics)
    expect(f.get('baton_cost_usd_total')?.type).toBe('COUNTER')
    expect(new Map(samples(f, 'baton_cost_usd_total').map(([l, v]) => [l.role, v]))).toEqual(new Map([['engineer', 0.75], ['pm', 0]]))
    const tokens = new Map(samples(f, 'baton_tokens_total').map(([l, v]) => [`${l.role} ${l.kind}`, v]))
    expect(tokens.get('engineer input')).toBe(4000)
    expect(tokens.get('engineer output')).toBe(600)
    expect(tokens.get('engineer cache_read')).toBe(14)
    expect(tokens.get('pm input')).toBe(50)
    // Read again at each scrape: a new row shows, nothing is counted twice.
    use('pm', 4, 0.1, 10, 1)
    const again = new Map(samples(await families(metrics), 'baton_cost_usd_total').map(([l, v]) => [l.role, v]))
    expect(again.get('pm')).toBeCloseTo(0.1, 9)
    expect(again.get('engineer')).toBe(0.75)
  })

  it("shows each agent's state one-hot and its heartbeat age; no rate-limit sample before GitHub answered", async () => {
    const agents: Array<Pick<AgentInfo, 'name' | 'role' | 'state' | 'lastHeartbeat'>> = [
      { name: 'engineer', role: 'engineer', state: 'working', lastHeartbeat: '2026-07-02T11:59:58.000Z' },
      { name: 'engineer-2', role: 'engineer', state: 'starting', lastHeartbeat: null }
    ]
    let rate: ReturnType<MetricsSources['rateLimit']> = null
    const { metrics } = setup({ agents: () => agents, rateLimit: () => rate })
    let f = await families(metrics)
    const state = samples(f, 'baton_agent_state')
    expect(state.filter(([l]) => l.agent === 'engineer')).toHaveLength(7)
    expect(state.filter(([, v]) => v === 1).map(([l]) => `${l.agent} ${l.state}`).sort()).toEqual(['engineer working', 'engineer-2 starting'])
    expect(samples(f, 'baton_agent_heartbeat_age_seconds')).toEqual([[{ agent: 'engineer', role: 'engineer' }, 2]])
    expect(samples(f, 'baton_github_rate_limit_remaining')).toEqual([])
    rate = { host: 'api.github.com', limit: 5000, remaining: 4321, resetAt: '2026-07-02T12:30:00.000Z' }
    f = await families(metrics)
    expect(samples(f, 'baton_github_rate_limit_remaining')).toEqual([[{ host: 'api.github.com' }, 4321]])
    expect(samples(f, 'baton_github_rate_limit_limit')).toEqual([[{ host: 'api.github.com' }, 5000]])
    expect(samples(f, 'baton_github_rate_limit_reset_timestamp_seconds')).toEqual([[{ host: 'api.github.com' }, Date.parse('2026-07-02T12:30:00.000Z') / 1000]])
  })

  it('counts task transitions, GitHub answers by status class and expired claims as told', async () => {
    const { metrics } = setup()
    metrics.task('started', { role: 'engineer-2', stage: 'in-progress' })
    metrics.task('started', { role: 'engineer', stage: 'in-progress' })
    metrics.task('retried', { role: 'tester', stage: 'needs-testing' })
    metrics.githubResponse('get', 200)
    metrics.githubResponse('GET', 304)
    metrics.githubResponse('POST', null)
    metrics.attemptLost('tester-3', 'the task ran past its time limit')
    metrics.attemptLost('pm', 'the agent stopped sending heartbeats for 16 s')
    metrics.attemptLost('pm', 'the agent crashed (exit code 1)')
    const f = await families(metrics)
    expect(samples(f, 'baton_tasks_started_total')).toEqual([[{ role: 'engineer', stage: 'in-progress' }, 2]])
    expect(samples(f, 'baton_tasks_retried_total')).toEqual([[{ role: 'tester', stage: 'needs-testing' }, 1]])
    expect(samples(f, 'baton_tasks_failed_total')).toEqual([])
    expect(new Map(samples(f, 'baton_github_requests_total').map(([l, v]) => [`${l.method} ${l.status}`, v]))).toEqual(new Map([['GET 2xx', 1], ['GET 3xx', 1], ['POST error', 1]]))
    expect(new Map(samples(f, 'baton_claim_expirations_total').map(([l, v]) => [`${l.role} ${l.reason}`, v]))).toEqual(new Map([['tester deadline', 1], ['pm heartbeat', 1]]))
  })

  it('keeps each core apart: two registries never share a number', async () => {
    const a = setup().metrics
    const b = new Metrics({ db: db!, waits: new Map(), pipeline: () => defaultPipeline, agents: () => [], rateLimit: () => null })
    a.task('applied', { role: 'pm', stage: 'backlog' })
    expect(samples(await families(a), 'baton_tasks_applied_total')).toEqual([[{ role: 'pm', stage: 'backlog' }, 1]])
    expect(samples(await families(b), 'baton_tasks_applied_total')).toEqual([])
  })

  it('names waits, expiries and status classes in a few words', () => {
    expect(waitReason('waits for a free engineer')).toBe('capacity')
    expect(waitReason('waits for the open agent pull request to be merged (one at a time: #5 holds it)')).toBe('blocked')
    expect(waitReason('waiting for checks: ci/test')).toBe('blocked')
    expect(waitReason('failed 3 times: boom — waits for a person (answer it in the inbox, Retry, or move the label)')).toBe('failed')
    expect(waitReason('budget: $5.20 of $5.00 spent on #12')).toBe('person')
    expect(waitReason('waits: pm is paused (resume it in Agents)')).toBe('person')
    expect(claimExpiry('the agent was paused by a person')).toBeNull()
    expect(statusClass(503)).toBe('5xx')
    expect(statusClass(null)).toBe('error')
    expect(statusClass(0)).toBe('error')
  })
})
