// What every state change of the engine shares: its options (ports, clock),
// the per-issue locks, the work in flight, the agents kept for a dispatch or
// an answer, and the per-task timings. The state changes themselves live in
// one module each (dispatch.ts, apply.ts, retry.ts, reconcile.ts, resume.ts,
// person-*.ts); PipelineEngine (engine.ts) is the facade over them.
import type { Settings } from '../../shared/api'
import { AppError } from '../../shared/errors'
import type { EventHub } from '../events'
import type { Logger } from '../log'
import type { Db } from '../store/open'
import { issueRow, repoRow, type IssueRow } from '../store/pipeline-issues'
import { getTask } from '../store/tasks'
import type { Pipeline } from './definition'
import type { AgentPool, GitHubPort, RepoRef, WorkspacePort } from './ports'
import type { TaskMetrics } from '../metrics/registry'

export type { IssueRow }

export interface EngineOptions {
  db: Db
  events: EventHub
  log: Logger
  pool: AgentPool
  github: GitHubPort
  workspace: WorkspacePort
  pipeline: (repoId: number) => Pipeline
  settings: () => Settings
  /** Shared with the board: why an issue waits (`repoId#number` → reason). */
  waits: Map<string, string>
  /** Time limit per role, for the trigger's deadline. */
  timeLimitSec?: (role: string) => number
  /** Attempts for an agent's ERROR before a person is asked; backoff base. */
  maxAttempts?: number
  backoffMs?: (attempt: number) => number
  /** Prometheus counters of task transitions (metrics/registry.ts): started, applied, waiting, retried, failed. */
  metrics?: TaskMetrics
  now?: () => Date
}

/** Where one attempt's time went, measured in main (the benchmark reads it). */
export interface TaskTiming {
  /** performance.now() when the tick handed the task to its dispatch (before the issue's lock and the workspace). */
  startedAt: number
  /** Time spent inside GitHubPort / WorkspacePort calls on behalf of this attempt (the ports' own pacing and locks included). */
  effectMs: number
  /** Of which inside GitHubPort calls; the rest is git (WorkspacePort). */
  githubMs: number
  /** performance.now() when the answer was applied (the task left `running`). */
  appliedAt: number | null
}

const TIMINGS_KEPT = 10_000

/** Roles that work in a worktree, and how. */
export const CODE_ROLES: Record<string, 'read' | 'write' | 'test'> = { architect: 'read', engineer: 'write', tester: 'test' }
export const baseRole = (role: string): string => role.replace(/-\d+$/, '')
export const issueKey = (repoId: number, issue: number): string => `${repoId}#${issue}`

export class EngineContext {
  readonly now: () => Date
  /** Everything started and not finished: `idle()` waits for it. */
  readonly inflight = new Set<Promise<unknown>>()
  /** Per issue: the tail of the work queued for it. */
  private readonly locks = new Map<string, Promise<void>>()
  /** Tasks being dispatched (workspace being prepared), and the agents kept for them. */
  readonly preparing = new Set<string>()
  readonly reserved = new Set<string>()
  /** Issues taking their entry label. */
  readonly adopting = new Set<string>()
  /** Agents whose answer is being applied (or waits to be applied again), with how many. */
  readonly answering = new Map<string, number>()
  readonly timings = new Map<string, TaskTiming>()
  /** Asks for a scheduling run (the facade's coalesced tick). */
  tick: () => Promise<void> = () => Promise.resolve()

  constructor(readonly o: EngineOptions) {
    this.now = o.now ?? (() => new Date())
  }

  get db(): Db {
    return this.o.db
  }

  /** Counts `work` as in flight until it settles; errors are logged, never lost silently. */
  track<T>(label: string, work: Promise<T>): Promise<T> {
    this.inflight.add(work)
    work.then(
      () => this.inflight.delete(work),
      (error: unknown) => {
        this.inflight.delete(work)
        // GitHub refusing a person's merge (branch protection, a failing check), or a person's Retry of
        // something that is not there, is an answer to the person, not a fault.
        if (error instanceof AppError && (error.code === 'conflict' || error.code === 'not_found')) this.o.log.warn(`pipeline: ${label} refused: ${error.message}`)
        else this.o.log.error(`pipeline: ${label} failed`, error)
      }
    )
    return work
  }

  /** Runs `work` after the work already queued for the same key (one issue); other keys never wait. */
  keyed<T>(key: string, label: string, work: () => Promise<T>): Promise<T> {
    const run = (this.locks.get(key) ?? Promise.resolve()).then(work)
    const tail = run.then(
      () => undefined,
      () => undefined
    )
    this.locks.set(key, tail)
    void tail.then(() => {
      if (this.locks.get(key) === tail) this.locks.delete(key)
    })
    return this.track(label, run)
  }

  /** The lock of the task's issue. */
  taskKey(taskId: string): string {
    const task = getTask(this.o.db, taskId)
    return task ? issueKey(task.repo_id, task.issue) : `task:${taskId}`
  }

  /** Idle agents, less those kept for a dispatch still preparing its workspace, and those whose answer is not applied yet. */
  idleAgents(): Map<string, string[]> {
    return new Map([...this.o.pool.idle()].map(([role, agents]) => [role, agents.filter((a) => !this.reserved.has(a) && !this.answering.has(a))]))
  }

  timeStart(taskId: string): void {
    this.timings.delete(taskId)
    this.timings.set(taskId, { startedAt: performance.now(), effectMs: 0, githubMs: 0, appliedAt: null })
    if (this.timings.size > TIMINGS_KEPT) this.timings.delete(this.timings.keys().next().value as string)
  }

  /** A GitHub or git call made for `taskId`: its duration counts as effect time. */
  async effect<T>(taskId: string, port: 'github' | 'git', call: () => Promise<T>): Promise<T> {
    const t0 = performance.now()
    try {
      return await call()
    } finally {
      const timing = this.timings.get(taskId)
      if (timing) {
        timing.effectMs += performance.now() - t0
        if (port === 'github') timing.githubMs += performance.now() - t0
      }
    }
  }

  repo(repoId: number): RepoRef {
    const row = repoRow(this.o.db, repoId)
    if (!row) throw new Error(`repository ${repoId} is not connected`)
    return { id: row.id, owner: row.owner, name: row.name, defaultBranch: row.default_branch }
  }

  issue(repoId: number, number: number): IssueRow | undefined {
    return issueRow(this.o.db, repoId, number)
  }
}
