// The task counters where the pipeline counts them (dispatch.ts, apply.ts,
// retry.ts): a real PipelineEngine over a real SQLite file with the core's
// Metrics, and agents that answer in memory. A PM that always fails spends
// its stage's budget (started 3, retried 2, failed 1); an Architect that
// finishes is applied once; an Engineer that asks a person counts as waiting.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { afterEach, expect, it } from 'vitest'
import { DEFAULT_SETTINGS } from '../../../src/shared/api'
import type { Trigger } from '../../../src/shared/protocol/trigger'
import { EventHub } from '../../../src/main/events'
import { createLogger } from '../../../src/main/log'
import { Metrics } from '../../../src/main/metrics/registry'
import { defaultPipeline } from '../../../src/main/pipeline/definition'
import type { AgentAnswer } from '../../../src/main/pipeline/effects'
import { PipelineEngine } from '../../../src/main/pipeline/engine'
import type { GitHubPort, WorkspacePort } from '../../../src/main/pipeline/ports'
import { openDatabase, type Db } from '../../../src/main/store/open'

let db: Db | undefined
afterEach(() => db?.close())

it('counts started, applied, waiting, retried and failed by role and stage as the engine moves tasks', async () => {
  db = openDatabase(join(mkdtempSync(join(tmpdir(), 'baton-metrics-engine-')), 'baton.db'))
  const at = '2026-01-01T00:00:00.000Z'
  db.prepare("INSERT INTO repos (id, key, host, api_url, owner, name, default_branch, connected_at) VALUES (1, 'github.com/acme/shop', 'github.com', 'https://api.github.com', 'acme', 'shop', 'main', '2026-06-01T00:00:00.000Z')").run()
  const issue = db.prepare("INSERT INTO issues (repo_id, number, title, body, state, author, author_association, labels, created_at, updated_at) VALUES (1, ?, ?, 'A clear body.', 'open', 'maintainer', 'MEMBER', ?, ?, ?)")
  issue.run(7, 'Triage me', JSON.stringify(['backlog']), at, at)
  issue.run(8, 'Plan me', JSON.stringify(['needs-architecture']), at, at)
  issue.run(9, 'Build me', JSON.stringify(['in-progress']), at, at)
  const waits = new Map<string, string>()
  const metrics = new Metrics({ db, waits, pipeline: () => defaultPipeline, agents: () => [], rateLimit: () => null })
  const pending: Trigger[] = []
  const busy = new Set<string>()
  const github: GitHubPort = {
    comment: () => Promise.resolve(),
    setLabels: (_r, n, add, remove) => {
      const row = db!.prepare('SELECT labels FROM issues WHERE repo_id = 1 AND number = ?').get(n) as { labels: string }
      return Promise.resolve([...(JSON.parse(row.labels) as string[]).filter((l) => !remove.includes(l)), ...add.filter((l) => !remove.includes(l))])
    },
    ensurePullRequest: () => Promise.resolve(1),
    merge: () => Promise.resolve({ sha: 'abc' }),
    review: () => Promise.resolve(),
    syncNow: () => Promise.resolve(),
    login: () => 'maintainer'
  }
  const workspace: WorkspacePort = { prepare: (_r, t) => Promise.resolve(`/tmp/w/${t.id}`), push: () => Promise.resolve(), release: () => Promise.resolve(), removeIssue: () => Promise.resolve() }
  const engine = new PipelineEngine({
    db,
    events: new EventHub(),
    log: createLogger({ level: 'error', write: () => undefined }),
    pool: {
      idle: () => new Map(['pm', 'architect', 'engineer', 'tester'].map((r) => [r, [r].filter((a) => !busy.has(a))])),
      roles: () => ['pm', 'architect', 'engineer', 'tester'],
      dispatch: (trigger) => {
        busy.add(trigger.agent)
        pending.push(trigger)
      },
      cancel: (agent) => busy.delete(agent)
    },
    github,
    workspace,
    pipeline: () => defaultPipeline,
    settings: () => DEFAULT_SETTINGS,
    waits,
    backoffMs: () => 0,
    metrics
  })
  const answerOf = (trigger: Trigger): AgentAnswer => {
    const base = { branch: null, handoffs: [], labels: [], body: 'Notes.' }
    if (trigger.role === 'pm') return { ...base, status: 'error', text: 'the model is overloaded', move: null }
    if (trigger.role === 'engineer') return { ...base, status: 'request', text: 'Which date format?', move: null }
    return { ...base, status: 'done', text: 'planned', move: { from: trigger.stage, to: 'ready-for-dev' } }
  }
  // Tick and answer until nothing more is handed out (a retry is due at once: no backoff).
  for (let round = 0; round < 20; round++) {
    await engine.tick()
    await engine.idle()
    if (!pending.length) break
    while (pending.length) {
      const trigger = pending.shift()!
      busy.delete(trigger.agent)
      await engine.handleResult({ agent: trigger.agent, task: trigger.task, attempt: trigger.attempt, answer: answerOf(trigger), raw: `TASK: ${trigger.task}\n`, usage: null, sessionId: null, provider: 'builtin', model: null })
    }
    await engine.idle()
  }
  const families = new Map(parsePrometheusTextFormat(await metrics.text()).map((f) => [f.name, f]))
  const counts = (name: string) => new Map((families.get(name)?.metrics ?? []).map((m) => [`${m.labels?.role} ${m.labels?.stage}`, Number(m.value)]))
  expect(counts('baton_tasks_started_total')).toEqual(new Map([['pm backlog', 3], ['architect needs-architecture', 1], ['engineer in-progress', 1]]))
  expect(counts('baton_tasks_retried_total')).toEqual(new Map([['pm backlog', 2]]))
  expect(counts('baton_tasks_failed_total')).toEqual(new Map([['pm backlog', 1]]))
  expect(counts('baton_tasks_applied_total')).toEqual(new Map([['architect needs-architecture', 1]]))
  expect(counts('baton_tasks_waiting_total')).toEqual(new Map([['engineer in-progress', 1]]))
  // And the database agrees: three PM attempts, its task failed; the Architect's applied; the Engineer's waiting.
  expect(db.prepare("SELECT role, state, attempt FROM tasks ORDER BY role").all()).toEqual([
    { role: 'architect', state: 'applied', attempt: 1 },
    { role: 'engineer', state: 'waiting', attempt: 1 },
    { role: 'pm', state: 'failed', attempt: 3 }
  ])
  // The failed PM stage holds #7 with its reason: the queue shows it as failed (the last pass's waits).
  expect((families.get('baton_queue_depth')?.metrics ?? []).find((m) => m.labels?.reason === 'failed')?.labels).toMatchObject({ stage: 'backlog' })
})
