// What a Prometheus scrape costs (metrics/registry.ts): one repository with
// 10,000 open issues the scheduler's last pass left waiting, 1,000 queued
// tasks, 50,000 usage rows over eight roles' instances, 12 agents, counters
// with a few hundred series; a real SQLite file. Printed: the scrape's time
// (median and max of 30, after 3 to warm up), the text's size and samples.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AGENT_STATES, Metrics } from '../src/main/metrics/registry'
import { defaultPipeline } from '../src/main/pipeline/definition'
import { openDatabase } from '../src/main/store/open'

const ISSUES = 10_000
const QUEUED = 1_000
const USAGE_ROWS = 50_000
const SCRAPES = 30

export async function benchMetrics(): Promise<Record<string, number | string>> {
  const dir = mkdtempSync(join(tmpdir(), 'baton-bench-metrics-'))
  const db = openDatabase(join(dir, 'baton.db'))
  const now = new Date().toISOString()
  db.prepare("INSERT INTO repos (id, key, host, api_url, owner, name, default_branch, connected_at) VALUES (1, 'github.com/a/b', 'github.com', 'https://api.github.com', 'a', 'b', 'main', '2026-01-01T00:00:00.000Z')").run()
  const stages = defaultPipeline.stages.map((s) => s.label).filter((l) => l !== defaultPipeline.done)
  const priorities = ['priority:urgent', 'priority:normal', 'priority:low', null]
  const reasons = ['waits for a free engineer', 'blocked by #1', 'waits for a maintainer to approve it (label "approved"): the author is not trusted', 'failed 3 times: boom — waits for a person']
  const roles = ['pm', 'architect', 'engineer', 'engineer-2', 'tester', 'tester-2', 'community', 'marketing']
  const issue = db.prepare("INSERT INTO issues (repo_id, number, title, body, state, author, author_association, labels, created_at, updated_at) VALUES (1, ?, 't', '', 'open', 'o', 'MEMBER', ?, ?, ?)")
  const task = db.prepare("INSERT INTO tasks (id, repo_id, issue, stage, role, agent, state, attempt, not_before, created_at, updated_at) VALUES (?, 1, ?, ?, 'engineer', 'engineer', 'queued', 1, ?, ?, ?)")
  const usage = db.prepare('INSERT INTO usage (at, repo_id, issue, task_id, attempt, answer, agent, provider, model, input_tokens, output_tokens, cost_usd) VALUES (?, 1, ?, ?, 1, 1, ?, ?, ?, 1000, 100, 0.0004)')
  const waits = new Map<string, string>()
  db.transaction(() => {
    for (let n = 1; n <= ISSUES; n++) {
      const labels = [stages[n % stages.length], priorities[n % priorities.length]].filter(Boolean)
      issue.run(n, JSON.stringify(labels), now, now)
      if (n > QUEUED) waits.set(`1#${n}`, reasons[n % reasons.length] as string)
    }
    for (let n = 1; n <= QUEUED; n++) task.run(`t_q${n}`, n, stages[n % stages.length], n % 2 ? new Date(Date.now() + 60_000).toISOString() : null, now, now)
    for (let i = 0; i < USAGE_ROWS; i++) usage.run(now, (i % 2000) + 1, `t_${i}`, roles[i % roles.length], 'claude-code', 'claude-sonnet-4-5')
  })()
  const agents = roles.concat(['engineer-3', 'engineer-4', 'tester-3', 'pm-2']).map((name, i) => ({
    name,
    role: name.replace(/-\d+$/, ''),
    state: AGENT_STATES[i % AGENT_STATES.length]!,
    lastHeartbeat: now
  }))
  const metrics = new Metrics({ db, waits, pipeline: () => defaultPipeline, agents: () => agents, rateLimit: () => ({ host: 'api.github.com', limit: 5000, remaining: 4000, resetAt: now }) })
  // Counters as a busy day leaves them: every role and stage started, applied, retried; GitHub by method and class.
  for (const role of roles) for (const stage of stages) for (const event of ['started', 'applied', 'retried'] as const) metrics.task(event, { role, stage })
  for (const method of ['GET', 'POST', 'PATCH', 'PUT', 'DELETE']) for (const status of [200, 304, 404, 500, null]) metrics.githubResponse(method, status)

  let text = ''
  for (let i = 0; i < 3; i++) text = await metrics.text()
  const times: number[] = []
  for (let i = 0; i < SCRAPES; i++) {
    const t0 = performance.now()
    text = await metrics.text()
    times.push(performance.now() - t0)
  }
  times.sort((a, b) => a - b)
  db.close()
  rmSync(dir, { recursive: true, force: true })
  const samples = text.split('\n').filter((l) => l && !l.startsWith('#')).length
  return {
    'scrape, median (ms)': Number(times[Math.floor(times.length / 2)]!.toFixed(1)),
    'scrape, max (ms)': Number(times.at(-1)!.toFixed(1)),
    'exposition size (kB)': Number((Buffer.byteLength(text) / 1024).toFixed(1)),
    'samples in it': samples,
    'waiting issues / queued tasks / usage rows': `${ISSUES - QUEUED} / ${QUEUED} / ${USAGE_ROWS}`
  }
}
