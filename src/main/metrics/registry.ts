// Baton's Prometheus metrics (issue #15): one prom-client Registry per core —
// never prom-client's global default registry, so two cores in one process
// (tests, a one-shot CLI call beside a server) never mix their numbers.
//
// Two kinds of value. What happens in this process is counted where it
// happens (task transitions from the pipeline, GitHub answers from the
// client's gate, expired claims from the supervisor): counters that start at
// 0 with each start, which Prometheus's rate() reads across restarts. What
// the store already holds (cost and tokens, the queue, the agents, the rate
// limit) is read at scrape time by `collect()` callbacks, so it survives
// restarts and is never counted twice. docs/METRICS.md names every metric;
// test/integration/serve/metrics.test.ts checks the two lists agree.
import { Counter, Gauge, Registry } from 'prom-client'
import type { AgentInfo, AgentState } from '../agents/supervisor'
import { stageOf, type Pipeline } from '../pipeline/definition'
import { priorityOf } from '../pipeline/scheduler'
import { waitOf } from '../store/board'
import type { Db } from '../store/open'
import { openIssueLabels, queuedTasks, usageByAgent } from './store-reads'

/** A task's transitions the pipeline reports (pipeline/dispatch.ts, apply.ts, retry.ts). */
export type TaskEvent = 'started' | 'applied' | 'waiting' | 'retried' | 'failed'

/** What the pipeline engine needs of the metrics: one call per transition. */
export interface TaskMetrics {
  task(event: TaskEvent, task: { role: string; stage: string }): void
}

export interface MetricsSources {
  db: Db
  /** The agent instances the supervisor runs now (none before the runtime starts). */
  agents: () => ReadonlyArray<Pick<AgentInfo, 'name' | 'role' | 'state' | 'lastHeartbeat'>>
  /** The scheduler's last pass: why each issue it did not start waits (`repoId#number` → reason). */
  waits: ReadonlyMap<string, string>
  pipeline: (repoId: number) => Pipeline
  /** GitHub's rate limit as the client last saw it in a response's headers (and the API host it is for), or null before any answer. */
  rateLimit: () => { host: string; limit: number; remaining: number; resetAt: string } | null
  now?: () => number
}

const PREFIX = 'baton_'

/** Every state an agent instance can be in, for the one-hot state gauge (a state missing here fails to compile). */
export const AGENT_STATES = ['starting', 'idle', 'working', 'stalled', 'crashed', 'stopped', 'paused'] as const satisfies readonly AgentState[]
type Exhaustive = Exclude<AgentState, (typeof AGENT_STATES)[number]> extends never ? true : never
const exhaustive: Exhaustive = true
void exhaustive

/** scheduler.ts#priorityOf's ranks (urgent and high share the first), as words. */
const PRIORITY_NAMES = ['urgent', 'normal', 'low'] as const

export const baseRole = (agentOrRole: string): string => agentOrRole.replace(/-\d+$/, '')

/**
 * Why an issue the last pass left waits, in a word fit for a label, from the
 * card's own reading of the reason (store/board.ts#waitOf, the one place the
 * scheduler's words become data): a free agent (`capacity`), another issue,
 * the one-PR rule or checks (`blocked`), a spent failure budget (`failed`),
 * or a person — approval, a spend budget, a paused role (`person`).
 */
export function waitReason(why: string): 'capacity' | 'blocked' | 'person' | 'failed' {
  const { activity } = waitOf(why)
  if (activity === 'queued') return 'capacity'
  if (activity === 'blocked' || activity === 'failed') return activity
  return 'person'
}

/**
 * A lost attempt whose claim expired (the supervisor's watchdog: past the
 * task's time limit, or silent past the stall time), or null for one lost
 * otherwise (a crash, a person's pause or restart). The words are
 * supervisor.ts#checkHealth's.
 */
export function claimExpiry(reason: string): 'deadline' | 'heartbeat' | null {
  if (reason.startsWith('the task ran past its time limit')) return 'deadline'
  if (reason.startsWith('the agent stopped sending heartbeats')) return 'heartbeat'
  return null
}

/** 200 → "2xx"; no answer at all (the network) → "error". */
export function statusClass(status: number | null | undefined): string {
  return typeof status === 'number' && status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'error'
}

export class Metrics implements TaskMetrics {
  readonly registry = new Registry()
  private readonly tasks: Record<TaskEvent, Counter<'role' | 'stage'>>
  private readonly githubRequests: Counter<'method' | 'status'>
  private readonly claimExpirations: Counter<'role' | 'reason'>
  /** What one scrape reads once for several metrics (the usage table for cost and tokens); null between scrapes. */
  private scrape: { usage?: ReturnType<typeof usageByRole> } | null = null

  constructor(private readonly s: MetricsSources) {
    const registers = [this.registry]
    const now = s.now ?? (() => Date.now())
    const usage = () => (this.scrape ? (this.scrape.usage ??= usageByRole(s.db)) : usageByRole(s.db))
    const taskCounter = (event: TaskEvent, help: string) =>
      new Counter({ name: `${PREFIX}tasks_${event}_total`, help, labelNames: ['role', 'stage'] as const, registers })
    this.tasks = {
      started: taskCounter('started', 'Attempts handed to an agent (queued → running), by role and stage.'),
      applied: taskCounter('applied', "Answers applied whose task ended applied (its stage's work done), by role and stage."),
      waiting: taskCounter('waiting', 'Answers applied that asked a person (REQUEST: the task waits), by role and stage.'),
      retried: taskCounter('retried', "Failed attempts queued again after a backoff, within the stage's failure budget, by role and stage."),
      failed: taskCounter('failed', "Tasks that spent their stage's failure budget and wait for a person, by role and stage.")
    }
    this.githubRequests = new Counter({
      name: `${PREFIX}github_requests_total`,
      help: "Requests Baton's GitHub client sent (each retry counts), by method and answer's status class (2xx…5xx, error: no answer).",
      labelNames: ['method', 'status'] as const,
      registers
    })
    this.claimExpirations = new Counter({
      name: `${PREFIX}claim_expirations_total`,
      help: "Attempts the supervisor reclaimed because their claim expired: past the task's time limit (deadline) or no heartbeat within the stall time (heartbeat), by role.",
      labelNames: ['role', 'reason'] as const,
      registers
    })

    new Gauge({
      name: `${PREFIX}queue_depth`,
      help: "Work not running, from the scheduler's last pass: issues it left waiting (reason capacity, blocked, person, failed) and queued tasks (backoff: a retry's time not come; dispatch: due, being handed out), by priority and stage.",
      labelNames: ['priority', 'stage', 'reason'] as const,
      registers,
      collect() {
        this.reset()
        const at = now()
        // One read of the open issues' labels and one set per series: a lookup
        // and an inc per waiting issue cost most of a second at 10,000 (bench/metrics.ts).
        const labelsOf = openIssueLabels(s.db)
        const pipelines = new Map<number, Pipeline>()
        const pipelineOf = (repoId: number): Pipeline => {
          let pipeline = pipelines.get(repoId)
          if (!pipeline) pipelines.set(repoId, (pipeline = s.pipeline(repoId)))
          return pipeline
        }
        const depth = new Map<string, { priority: string; stage: string; reason: string; n: number }>()
        // A task's stage is its own; a waiting issue's is the one its labels name now.
        const count = (key: string, repoId: number, stage: string | null, reason: string) => {
          const labels = labelsOf.get(key)
          if (!labels) return
          const where = stage ?? stageOf(pipelineOf(repoId), labels)?.label
          if (!where) return
          const priority = PRIORITY_NAMES[priorityOf(labels)] ?? 'normal'
          const series = `${priority}\u0000${where}\u0000${reason}`
          const known = depth.get(series)
          if (known) known.n++
          else depth.set(series, { priority, stage: where, reason, n: 1 })
        }
        for (const [key, why] of s.waits) count(key, Number(key.slice(0, key.indexOf('#'))), null, waitReason(why))
        for (const task of queuedTasks(s.db)) {
          const key = `${task.repoId}#${task.issue}`
          // A queued task whose start was put off with a reason (plan-lease.ts) is counted once, by that reason.
          if (s.waits.has(key)) continue
          count(key, task.repoId, task.stage, task.notBefore !== null && Date.parse(task.notBefore) > at ? 'backoff' : 'dispatch')
        }
        for (const d of depth.values()) this.set({ priority: d.priority, stage: d.stage, reason: d.reason }, d.n)
      }
    })

    new Gauge({
      name: `${PREFIX}agent_state`,
      help: 'Each agent instance\'s state, one-hot: 1 for the state it is in, 0 for the others.',
      labelNames: ['agent', 'role', 'state'] as const,
      registers,
      collect() {
        this.reset()
        for (const agent of s.agents()) for (const state of AGENT_STATES) this.set({ agent: agent.name, role: agent.role, state }, agent.state === state ? 1 : 0)
      }
    })
    new Gauge({
      name: `${PREFIX}agent_heartbeat_age_seconds`,
      help: "Seconds since each agent instance's last heartbeat (absent until its first).",
      labelNames: ['agent', 'role'] as const,
      registers,
      collect() {
        this.reset()
        const at = now()
        for (const agent of s.agents()) {
          const beat = agent.lastHeartbeat ? Date.parse(agent.lastHeartbeat) : NaN
          if (Number.isFinite(beat)) this.set({ agent: agent.name, role: agent.role }, Math.max(0, (at - beat) / 1000))
        }
      }
    })

    const rate = (name: string, help: string, value: (r: NonNullable<ReturnType<MetricsSources['rateLimit']>>) => number) =>
      new Gauge({
        name: `${PREFIX}${name}`,
        help,
        // A label, so that before any answer the gauge has no sample (an unlabelled one would read 0: "nothing left").
        labelNames: ['host'] as const,
        registers,
        collect() {
          this.reset()
          const r = s.rateLimit()
          if (r && Number.isFinite(value(r))) this.set({ host: r.host }, value(r))
        }
      })
    rate('github_rate_limit_remaining', "Requests left in GitHub's rate-limit window, from the last answer's x-ratelimit-remaining (absent before any).", (r) => r.remaining)
    rate('github_rate_limit_limit', "The size of GitHub's rate-limit window (x-ratelimit-limit).", (r) => r.limit)
    rate('github_rate_limit_reset_timestamp_seconds', "When GitHub's rate-limit window resets, Unix seconds (x-ratelimit-reset).", (r) => Date.parse(r.resetAt) / 1000)

    // Cost and tokens come from the usage table at each scrape: they survive
    // restarts and count each answer once (store/usage.ts). One GROUP BY a
    // scrape for both.
    new Counter({
      name: `${PREFIX}cost_usd_total`,
      help: 'Dollars the model providers priced, by role (all time, from the usage table).',
      labelNames: ['role'] as const,
      registers,
      collect() {
        this.reset()
        for (const [role, u] of usage()) this.inc({ role }, u.costUsd)
      }
    })
    new Counter({
      name: `${PREFIX}tokens_total`,
      help: 'Tokens the model providers reported, by role and kind (input, output, cache_read, cache_write; all time, from the usage table).',
      labelNames: ['role', 'kind'] as const,
      registers,
      collect() {
        this.reset()
        for (const [role, u] of usage()) {
          this.inc({ role, kind: 'input' }, u.input)
          this.inc({ role, kind: 'output' }, u.output)
          this.inc({ role, kind: 'cache_read' }, u.cacheRead)
          this.inc({ role, kind: 'cache_write' }, u.cacheWrite)
        }
      }
    })
  }

  task(event: TaskEvent, task: { role: string; stage: string }): void {
    this.tasks[event].inc({ role: baseRole(task.role), stage: task.stage })
  }

  /** One answer (or none: `status` null) the GitHub client saw. */
  githubResponse(method: string, status: number | null): void {
    this.githubRequests.inc({ method: method.toUpperCase(), status: statusClass(status) })
  }

  /** The supervisor gave up on an attempt; only an expired claim counts. */
  attemptLost(agent: string, reason: string): void {
    const expiry = claimExpiry(reason)
    if (expiry) this.claimExpirations.inc({ role: baseRole(agent), reason: expiry })
  }

  /** The exposition text (Prometheus text format 0.0.4). */
  async text(): Promise<string> {
    this.scrape = {}
    try {
      return await this.registry.metrics()
    } finally {
      this.scrape = null
    }
  }

  get contentType(): string {
    return this.registry.contentType
  }
}

function usageByRole(db: Db): Map<string, { costUsd: number; input: number; output: number; cacheRead: number; cacheWrite: number }> {
  const roles = new Map<string, { costUsd: number; input: number; output: number; cacheRead: number; cacheWrite: number }>()
  for (const row of usageByAgent(db)) {
    const role = baseRole(row.agent)
    const u = roles.get(role) ?? { costUsd: 0, input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }
    u.costUsd += row.costUsd
    u.input += row.input
    u.output += row.output
    u.cacheRead += row.cacheRead
    u.cacheWrite += row.cacheWrite
    roles.set(role, u)
  }
  return roles
}
