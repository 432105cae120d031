// The pipeline engine: turns the mirror of GitHub into tasks for agents, and
// agents' answers into effects on GitHub. GitHub is the truth: a person who
// moves a label or closes an issue while an agent works cancels the stale task
// (reconcile), and the engine follows the person.
//
// Work on one issue runs in order under that issue's lock (`repoId#number`):
// applying an answer, a lost attempt, a reconcile's cancel, a person's answer,
// merge or review, and a task's dispatch (its workspace prepared, then its
// trigger handed to the pool). Issues never wait for each other. Ticks
// coalesce: requests while one is pending join it. GitHub's pacing belongs to
// the GitHub client, and git's to the workspaces, not to this engine.
import type { Settings } from '../../shared/api'
import { AppError } from '../../shared/errors'
import type { Trigger } from '../../shared/protocol/trigger'
import type { EventHub } from '../events'
import type { Logger } from '../log'
import { audit } from '../store/audit'
import type { Db } from '../store/open'
import {
  createTask,
  endAttempt,
  getTask,
  setTaskState,
  startAttempt,
  taskIndex,
  type TaskRow
} from '../store/tasks'
import type { Pipeline } from './definition'
import { stageOf } from './definition'
import { planEffects, type Effect } from './effects'
import { branchFor, instructionsFor } from './instructions'
import type { AgentPool, AgentResult, GitHubPort, RepoRef, WorkspacePort } from './ports'
import { schedule, type ScheduleIssue } from './scheduler'

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
  now?: () => Date
}

interface IssueRow {
  repo_id: number
  number: number
  title: string
  body: string
  state: string
  author: string
  author_association: string
  labels: string
  created_at: string
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

const CODE_ROLES: Record<string, 'read' | 'write' | 'test'> = { architect: 'read', engineer: 'write', tester: 'test' }
const baseRole = (role: string) => role.replace(/-\d+$/, '')
const issueKey = (repoId: number, issue: number) => `${repoId}#${issue}`

export class PipelineEngine {
  private readonly now: () => Date
  /** Everything started and not finished: `idle()` waits for it. */
  private readonly inflight = new Set<Promise<unknown>>()
  /** Per issue: the tail of the work queued for it. */
  private readonly locks = new Map<string, Promise<void>>()
  private tickPending: Promise<void> | null = null
  /** Tasks being dispatched (workspace being prepared), and the agents kept for them. */
  private readonly preparing = new Set<string>()
  private readonly reserved = new Set<string>()
  private readonly adopting = new Set<string>()
  /** Agents whose answer is being applied (or waits to be applied again), with how many. */
  private readonly answering = new Map<string, number>()
  private readonly timings = new Map<string, TaskTiming>()

  constructor(private readonly o: EngineOptions) {
    this.now = o.now ?? (() => new Date())
  }

  /** Counts `work` as in flight until it settles; errors are logged, never lost silently. */
  private track<T>(label: string, work: Promise<T>): Promise<T> {
    this.inflight.add(work)
    work.then(
      () => this.inflight.delete(work),
      (error: unknown) => {
        this.inflight.delete(work)
        // GitHub refusing a person's merge (branch protection, a failing check) is an answer, not a fault.
        if (error instanceof AppError && error.code === 'conflict') this.o.log.warn(`pipeline: ${label} refused: ${error.message}`)
        else this.o.log.error(`pipeline: ${label} failed`, error)
      }
    )
    return work
  }

  /** Runs `work` after the work already queued for the same key (one issue); other keys never wait. */
  private keyed<T>(key: string, label: string, work: () => Promise<T>): Promise<T> {
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

  private taskKey(taskId: string): string {
    const task = getTask(this.o.db, taskId)
    return task ? issueKey(task.repo_id, task.issue) : `task:${taskId}`
  }

  /** Idle agents, less those kept for a dispatch still preparing its workspace, and those whose answer is not applied yet. */
  private idleAgents(): Map<string, string[]> {
    return new Map([...this.o.pool.idle()].map(([role, agents]) => [role, agents.filter((a) => !this.reserved.has(a) && !this.answering.has(a))]))
  }

  /** Per-task timings of the current attempt, newest last (bounded). */
  taskTimings(): ReadonlyMap<string, TaskTiming> {
    return this.timings
  }

  private timeStart(taskId: string): void {
    this.timings.delete(taskId)
    this.timings.set(taskId, { startedAt: performance.now(), effectMs: 0, githubMs: 0, appliedAt: null })
    if (this.timings.size > TIMINGS_KEPT) this.timings.delete(this.timings.keys().next().value as string)
  }

  /** A GitHub or git call made for `taskId`: its duration counts as effect time. */
  private async effect<T>(taskId: string, port: 'github' | 'git', call: () => Promise<T>): Promise<T> {
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

  private repo(repoId: number): RepoRef {
    const row = this.o.db.prepare('SELECT id, owner, name, default_branch FROM repos WHERE id = ?').get(repoId) as
      | { id: number; owner: string; name: string; default_branch: string }
      | undefined
    if (!row) throw new Error(`repository ${repoId} is not connected`)
    return { id: row.id, owner: row.owner, name: row.name, defaultBranch: row.default_branch }
  }

  private issue(repoId: number, number: number): IssueRow | undefined {
    return this.o.db.prepare('SELECT * FROM issues WHERE repo_id = ? AND number = ?').get(repoId, number) as IssueRow | undefined
  }

  // ── scheduling ────────────────────────────────────────────────────────

  /**
   * Schedules soon: every request made before the run starts joins it (many
   * answers applied at once → one run). A run only reads SQLite, creates tasks
   * and starts their dispatches; it never waits for git or GitHub.
   */
  tick(): Promise<void> {
    this.tickPending ??= this.track(
      'tick',
      new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        this.tickPending = null
        this.tickNow()
      })
    )
    return this.tickPending
  }

  private tickNow(): void {
    const { db } = this.o
    const idle = this.idleAgents()
    // Re-dispatch queued tasks first: retries whose backoff passed, answered requests.
    const nowIso = this.now().toISOString()
    const queued = db
      .prepare("SELECT * FROM tasks WHERE state = 'queued' AND (not_before IS NULL OR not_before <= ?) ORDER BY updated_at")
      .all(nowIso) as TaskRow[]
    for (const task of queued) {
      if (this.preparing.has(task.id)) continue
      const free = idle.get(baseRole(task.role)) ?? []
      const agent = task.agent && free.includes(task.agent) ? task.agent : free[0]
      if (!agent) continue
      free.splice(free.indexOf(agent), 1)
      this.startDispatch(task, agent)
    }

    const settings = this.o.settings()
    const repos = db.prepare('SELECT id FROM repos').all() as Array<{ id: number }>
    this.o.waits.clear()
    for (const { id: repoId } of repos) {
      const pipeline = this.o.pipeline(repoId)
      this.adopt(repoId, pipeline)
      // New issues are still taking their entry label: schedule the repository once they all have
      // it (the last one ticks again), so priority and age decide the order, not GitHub's replies.
      if ([...this.adopting].some((key) => key.startsWith(`${repoId}#`))) continue
      const rows = db.prepare("SELECT * FROM issues WHERE repo_id = ? AND is_pull = 0 AND state = 'open'").all(repoId) as IssueRow[]
      const issues: ScheduleIssue[] = rows.map((row) => {
        const labels = JSON.parse(row.labels) as string[]
        // The trust policy is the person's (Settings → Trust): who counts as trusted, and the approval label.
        const collaborator = (settings.trust.associations as readonly string[]).includes(row.author_association)
        return {
          repoId,
          number: row.number,
          labels,
          body: row.body,
          createdAt: row.created_at,
          trusted: collaborator || labels.includes(settings.trust.approvalLabel),
          outsideAuthor: !collaborator
        }
      })
      const finished = (
        db
          .prepare(
            `SELECT i.number FROM issues i WHERE i.repo_id = ? AND i.state = 'closed' AND i.is_pull = 0
             AND EXISTS (SELECT 1 FROM pulls p WHERE p.repo_id = i.repo_id AND p.issue = i.number AND p.merged = 1)`
          )
          .all(repoId) as Array<{ number: number }>
      ).map((r) => ({ repoId, number: r.number }))
      const index = taskIndex(db)
      const plan = schedule({
        pipeline,
        issues,
        busy: index.busy,
        sideLaneDone: index.sideLaneDone,
        isClosed: (r, n) => (db.prepare('SELECT state FROM issues WHERE repo_id = ? AND number = ?').get(r, n) as { state: string } | undefined)?.state === 'closed',
        idle,
        pausedRoles: this.o.pool.pausedRoles?.(),
        parallelPrs: settings.parallelPrs,
        approvalLabel: settings.trust.approvalLabel,
        finished
      })
      for (const wait of plan.waiting) this.o.waits.set(`${wait.repoId}#${wait.issue}`, wait.reason)
      for (const start of plan.start) {
        const task = createTask(db, { repoId: start.repoId, issue: start.issue, stage: start.stage, role: start.role, agent: start.agent })
        audit(db, { kind: 'task.create', repoId, issue: start.issue, taskId: task.id, subject: start.agent, message: `${start.role} takes #${start.issue} (${start.stage})` })
        // Taken: the next repository's plan must not pick the same instance.
        const free = idle.get(baseRole(start.role))
        if (free?.includes(start.agent)) free.splice(free.indexOf(start.agent), 1)
        this.startDispatch(task, start.agent)
      }
    }
    this.o.events.changed('tasks', 'issues', 'agents')
  }

  /**
   * Issues opened on GitHub after the repository was connected, with no stage
   * label yet, enter the pipeline at its entry stage. Older issues are left
   * alone: a person brings them in by adding the label.
   */
  private adopt(repoId: number, pipeline: Pipeline): void {
    const { db } = this.o
    const repo = db.prepare('SELECT connected_at FROM repos WHERE id = ?').get(repoId) as { connected_at: string }
    const rows = db
      .prepare("SELECT number, labels, created_at FROM issues WHERE repo_id = ? AND is_pull = 0 AND state = 'open' AND created_at >= ?")
      .all(repoId, repo.connected_at) as Array<{ number: number; labels: string; created_at: string }>
    for (const row of rows) {
      const labels = JSON.parse(row.labels) as string[]
      const key = issueKey(repoId, row.number)
      if (stageOf(pipeline, labels) || this.adopting.has(key)) continue
      this.adopting.add(key)
      // Under the issue's lock, off the tick: a failure is tried again by a later tick.
      this.keyed(key, 'adopt', async () => {
        const current = this.issue(repoId, row.number)
        if (!current || current.state !== 'open' || stageOf(pipeline, JSON.parse(current.labels) as string[])) return
        const after = await this.o.github.setLabels(this.repo(repoId), row.number, [pipeline.entry], [])
        db.prepare('UPDATE issues SET labels = ? WHERE repo_id = ? AND number = ?').run(JSON.stringify(after), repoId, row.number)
        audit(db, { kind: 'stage.move', repoId, issue: row.number, message: `— → ${pipeline.entry} (new issue)` })
        void this.tick()
      })
        .finally(() => this.adopting.delete(key))
        .catch(() => undefined)
    }
  }

  /**
   * Starts a task's dispatch under its issue's lock, outside the tick: the
   * agent is kept for it meanwhile, and no later tick dispatches it again.
   */
  private startDispatch(task: TaskRow, agent: string): void {
    this.preparing.add(task.id)
    this.reserved.add(agent)
    this.timeStart(task.id)
    this.keyed(issueKey(task.repo_id, task.issue), 'dispatch', () => this.dispatch(task.id, agent))
      .finally(() => {
        this.preparing.delete(task.id)
        this.reserved.delete(agent)
      })
      .catch(() => undefined)
  }

  private async dispatch(taskId: string, agent: string): Promise<void> {
    const { db } = this.o
    // Cancelled (a person moved the issue) while it waited for the lock: nothing to do.
    const task = getTask(db, taskId)
    if (!task || task.state !== 'queued') return
    const repo = this.repo(task.repo_id)
    const issue = this.issue(task.repo_id, task.issue)
    if (!issue) {
      setTaskState(db, task.id, 'cancelled', { result: 'the issue is gone' })
      return
    }
    const branch = branchFor(task.issue, issue.title)
    const mode = CODE_ROLES[baseRole(task.role)]
    let workspace: string | null = null
    if (mode) {
      try {
        workspace = await this.effect(task.id, 'git', () => this.o.workspace.prepare(repo, { id: task.id, issue: task.issue, branch, mode }))
      } catch (error) {
        setTaskState(db, task.id, 'failed', { result: `workspace: ${(error as Error).message}` })
        this.toInbox(task, 'failure', `Could not prepare a workspace for #${task.issue}: ${(error as Error).message}`)
        return
      }
    }
    if (getTask(db, task.id)?.state !== 'queued') {
      if (mode) await this.o.workspace.release(repo, task.id).catch(() => undefined)
      return
    }
    const attempt = startAttempt(db, task.id, agent)
    const trigger = this.trigger({ ...task, agent, attempt }, repo, issue, branch, workspace)
    audit(db, { kind: 'task.dispatch', repoId: repo.id, issue: task.issue, taskId: task.id, subject: agent, message: `${agent} starts #${task.issue} (${task.stage}), attempt ${attempt}` })
    this.o.pool.dispatch(trigger)
  }

  private trigger(task: TaskRow, repo: RepoRef, issue: IssueRow, branch: string, workspace: string | null): Trigger {
    const { db } = this.o
    // Every comment says who wrote it and whether the trust policy trusts them:
    // an outsider's words on a trusted issue are data, never a patch or an order.
    const trustedAssociations = new Set<string>(this.o.settings().trust.associations)
    const comments = (
      db
        .prepare('SELECT author, author_association, body FROM comments WHERE repo_id = ? AND issue = ? ORDER BY created_at, id')
        .all(task.repo_id, task.issue) as Array<{ author: string; author_association: string; body: string }>
    ).map((c) => ({ author: c.author, body: c.body, association: c.author_association, trusted: trustedAssociations.has(c.author_association) }))
    const notes = db
      .prepare("SELECT role, kind, body FROM notes WHERE repo_id = ? AND issue = ? AND kind != 'handoff' ORDER BY id")
      .all(task.repo_id, task.issue) as Array<{ role: string; kind: string; body: string }>
    const handoffs = (
      db.prepare("SELECT role, body FROM notes WHERE repo_id = ? AND issue = ? AND kind = 'handoff' ORDER BY id").all(task.repo_id, task.issue) as Array<{
        role: string
        body: string
      }>
    ).map((h) => {
      const [to, ...text] = h.body.split('\n')
      return { from: h.role, to: to ?? '', text: text.join('\n') }
    })
    const answer = (
      db.prepare('SELECT answer FROM requests WHERE task_id = ? AND answer IS NOT NULL ORDER BY id DESC LIMIT 1').get(task.id) as { answer: string } | undefined
    )?.answer
    const handoff = task.stage === 'handoff' ? handoffs.filter((h) => h.to === baseRole(task.role)).at(-1)?.text : undefined
    const limit = this.o.timeLimitSec?.(baseRole(task.role)) ?? 900
    return {
      v: 1,
      task: task.id,
      attempt: task.attempt,
      agent: task.agent as string,
      role: baseRole(task.role),
      stage: task.stage,
      repo: { owner: repo.owner, name: repo.name, defaultBranch: repo.defaultBranch },
      issue: {
        number: issue.number,
        title: issue.title,
        body: issue.body,
        labels: JSON.parse(issue.labels) as string[],
        author: issue.author,
        comments
      },
      workspace,
      branch,
      instructions: instructionsFor(task.role, task.stage, { branch, answer, handoff }),
      handoffs,
      notes,
      ...(answer ? { answer } : {}),
      ...(task.session_id ? { resumeSession: task.session_id } : {}),
      deadline: new Date(this.now().getTime() + limit * 1000).toISOString()
    }
  }

  // ── answers ───────────────────────────────────────────────────────────

  handleResult(result: AgentResult, tries = 0): Promise<void> {
    // Until its answer is applied, the agent's response file is the only
    // record of it (a crash replays it on start): the agent gets no new
    // trigger meanwhile, since its next response would overwrite that file.
    if (tries === 0) this.answering.set(result.agent, (this.answering.get(result.agent) ?? 0) + 1)
    const settled = () => {
      const left = (this.answering.get(result.agent) ?? 1) - 1
      if (left > 0) this.answering.set(result.agent, left)
      else this.answering.delete(result.agent)
      void this.tick()
    }
    return this.keyed(this.taskKey(result.task), 'result', () => this.apply(result)).then(settled, (error: unknown) => {
      // GitHub refused or could not be reached mid-way: every effect is safe to
      // repeat, so the same answer is applied again a little later.
      if (tries >= 8) {
        const task = getTask(this.o.db, result.task)
        if (task) this.toInbox(task, 'failure', `Baton could not apply ${result.agent}'s answer on GitHub: ${(error as Error).message}`)
        settled()
        return
      }
      const delay = (this.o.backoffMs ?? ((n: number) => Math.min(1000 * 2 ** n, 60_000)))(tries + 1)
      setTimeout(() => void this.handleResult(result, tries + 1), delay).unref()
    })
  }

  private async apply(result: AgentResult): Promise<void> {
    const { db } = this.o
    const task = getTask(db, result.task)
    if (!task || task.state !== 'running' || task.attempt !== result.attempt) {
      // A response for a task that is no longer current: recorded, ignored (DESIGN.md §5).
      audit(db, {
        kind: 'response.stale',
        taskId: result.task,
        repoId: task?.repo_id,
        issue: task?.issue,
        subject: result.agent,
        message: `Ignored a stale response from ${result.agent} (task ${result.task}, attempt ${result.attempt})`,
        data: { raw: result.raw.slice(0, 4000) }
      })
      return
    }
    if (result.usage) {
      db.prepare(
        `INSERT INTO usage (at, repo_id, issue, task_id, agent, provider, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
      ).run(
        this.now().toISOString(),
        task.repo_id,
        task.issue,
        task.id,
        result.agent,
        result.provider,
        result.model,
        result.usage.inputTokens,
        result.usage.outputTokens,
        result.usage.cacheReadTokens,
        result.usage.cacheWriteTokens,
        result.usage.costUsd
      )
    }
    endAttempt(db, task.id, task.attempt, result.answer.status, result.raw)
    const repo = this.repo(task.repo_id)
    const issue = this.issue(task.repo_id, task.issue)
    if (!issue) return setTaskState(db, task.id, 'cancelled', { result: 'the issue is gone' })
    const labels = JSON.parse(issue.labels) as string[]
    const pipeline = this.o.pipeline(task.repo_id)
    const settings = this.o.settings()

    if (result.answer.status === 'error') {
      await this.retryOrFail(task, result.answer.text)
      return
    }

    const testPlan =
      (db.prepare("SELECT body FROM notes WHERE repo_id = ? AND issue = ? AND kind = 'plan' ORDER BY id DESC LIMIT 1").get(task.repo_id, task.issue) as { body: string } | undefined)?.body
        .split(/^## Test plan\s*$/m)[1]
        ?.trim() ?? null
    const plan = planEffects(result.answer, {
      pipeline,
      taskId: task.id,
      role: task.role,
      taskStage: task.stage,
      currentStage: stageOf(pipeline, labels)?.label ?? null,
      issue: { number: issue.number, title: issue.title, labels },
      handoffsSoFar: (db.prepare("SELECT COUNT(*) AS n FROM notes WHERE repo_id = ? AND issue = ? AND kind = 'handoff'").get(task.repo_id, task.issue) as { n: number }).n,
      handoffCap: settings.handoffCap,
      loopsSoFar: (db.prepare("SELECT COUNT(*) AS n FROM events WHERE repo_id = ? AND issue = ? AND kind = 'stage.loop'").get(task.repo_id, task.issue) as { n: number }).n,
      loopCap: settings.loopCap,
      roles: this.o.pool.roles(),
      testPlan,
      approvalLabel: settings.trust.approvalLabel,
      taskBranch: (await this.o.workspace.taskBranch?.(repo, task.id).catch(() => null)) ?? branchFor(task.issue, issue.title),
      defaultBranch: repo.defaultBranch
    })
    for (const reason of plan.refused) {
      audit(db, { kind: 'effect.refused', repoId: repo.id, issue: task.issue, taskId: task.id, subject: result.agent, message: reason })
    }
    try {
      for (const effect of plan.effects) await this.applyEffect(effect, task, repo, result)
    } catch (error) {
      // GitHub refused or was unreachable: the task stays running and the same
      // response is applied again later — every effect is safe to repeat.
      audit(db, { kind: 'effect.error', repoId: repo.id, issue: task.issue, taskId: task.id, message: `Applying ${result.agent}'s answer failed: ${(error as Error).message}` })
      throw error
    }
    if (result.sessionId) db.prepare('UPDATE tasks SET session_id = ? WHERE id = ?').run(result.sessionId, task.id)
    setTaskState(db, task.id, plan.outcome === 'waiting' ? 'waiting' : 'applied', { result: result.answer.text })
    const timing = this.timings.get(task.id)
    if (timing) timing.appliedAt = performance.now()
    // Off the issue's lock: the workspaces run git for a repository in call order, so
    // the issue's next prepare still comes after this release.
    if (plan.outcome !== 'waiting' && CODE_ROLES[baseRole(task.role)]) void this.track('release', this.o.workspace.release(repo, task.id).catch(() => undefined))
    audit(db, { kind: `task.${plan.outcome}`, repoId: repo.id, issue: task.issue, taskId: task.id, subject: result.agent, message: `${result.agent}: ${result.answer.text}` })
    this.o.events.changed('tasks', 'issues', 'inbox', 'usage', 'events', 'agents')
    void this.tick()
  }

  private async applyEffect(effect: Effect, task: TaskRow, repo: RepoRef, result: AgentResult): Promise<void> {
    const { db } = this.o
    switch (effect.kind) {
      case 'comment':
        await this.effect(task.id, 'github', () => this.o.github.comment(repo, task.issue, effect.body, effect.marker))
        return
      case 'note': {
        const exists = db.prepare('SELECT 1 FROM notes WHERE repo_id = ? AND issue = ? AND kind = ? AND body = ?').get(repo.id, task.issue, effect.noteKind, effect.body)
        if (!exists) {
          db.prepare('INSERT INTO notes (repo_id, issue, role, kind, body, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(
            repo.id,
            task.issue,
            baseRole(task.role),
            effect.noteKind,
            effect.body,
            this.now().toISOString()
          )
        }
        return
      }
      case 'labels': {
        const after = await this.effect(task.id, 'github', () => this.o.github.setLabels(repo, task.issue, effect.add, effect.remove))
        db.prepare('UPDATE issues SET labels = ? WHERE repo_id = ? AND number = ?').run(JSON.stringify(after), repo.id, task.issue)
        const pipeline = this.o.pipeline(repo.id)
        const to = effect.add.find((l) => pipeline.stages.some((s) => s.label === l))
        const from = effect.remove.find((l) => pipeline.stages.some((s) => s.label === l))
        if (to && from) {
          audit(db, { kind: 'stage.move', repoId: repo.id, issue: task.issue, taskId: task.id, subject: result.agent, message: `${from} → ${to}`, data: { from, to } })
          const toIndex = pipeline.stages.findIndex((s) => s.label === to)
          const toStage = pipeline.stages[toIndex]
          // A loop is a move back to the Engineer, not the Architect's hand-over.
          if (toStage?.owner === 'engineer' && toIndex < pipeline.stages.findIndex((s) => s.label === from)) {
            audit(db, { kind: 'stage.loop', repoId: repo.id, issue: task.issue, taskId: task.id, message: `#${task.issue} back to the Engineer` })
          }
        }
        return
      }
      case 'push':
        await this.effect(task.id, 'git', () => this.o.workspace.push(repo, task.id, effect.branch))
        return
      case 'pull-request': {
        const number = await this.effect(task.id, 'github', () => this.o.github.ensurePullRequest(repo, effect.branch, effect.title, effect.body))
        audit(db, { kind: 'pr.open', repoId: repo.id, issue: task.issue, taskId: task.id, message: `PR #${number} for #${task.issue}` })
        return
      }
      case 'handoff': {
        db.prepare('INSERT INTO notes (repo_id, issue, role, kind, body, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(
          repo.id,
          task.issue,
          baseRole(task.role),
          'handoff',
          `${effect.role}\n${effect.text}`,
          this.now().toISOString()
        )
        const agent = this.o.pool.idle().get(effect.role)?.[0] ?? effect.role
        createTask(db, { repoId: repo.id, issue: task.issue, stage: 'handoff', role: effect.role, agent })
        return
      }
      case 'request':
        this.toInbox(task, 'request', effect.question)
        return
      case 'failure':
        this.toInbox(task, 'failure', effect.message)
        return
    }
  }

  private toInbox(task: TaskRow, kind: 'request' | 'failure', question: string): void {
    const { db } = this.o
    const exists = db.prepare('SELECT 1 FROM requests WHERE task_id = ? AND question = ? AND answered_at IS NULL').get(task.id, question)
    if (!exists) {
      db.prepare('INSERT INTO requests (kind, repo_id, issue, task_id, agent, question, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
        kind,
        task.repo_id,
        task.issue,
        task.id,
        task.agent,
        question,
        this.now().toISOString()
      )
    }
    this.o.events.emit({
      type: 'notify',
      kind,
      title: kind === 'request' ? `${task.agent ?? 'An agent'} asks about #${task.issue}` : `#${task.issue} needs you`,
      body: question
    })
    this.o.events.changed('inbox')
  }

  private async retryOrFail(task: TaskRow, reason: string): Promise<void> {
    const { db } = this.o
    const max = this.o.maxAttempts ?? 3
    if (task.attempt < max) {
      const delay = (this.o.backoffMs ?? ((n: number) => Math.min(10_000 * 2 ** (n - 1), 600_000)))(task.attempt)
      setTaskState(db, task.id, 'queued', { result: reason, notBefore: new Date(this.now().getTime() + delay).toISOString() })
      audit(db, { kind: 'task.retry', repoId: task.repo_id, issue: task.issue, taskId: task.id, message: `Attempt ${task.attempt} failed (${reason}); retrying in ${Math.round(delay / 1000)} s` })
    } else {
      setTaskState(db, task.id, 'failed', { result: reason })
      this.toInbox(task, 'failure', `${task.agent ?? task.role} could not finish #${task.issue} after ${task.attempt} attempts: ${reason}`)
      audit(db, { kind: 'task.failed', repoId: task.repo_id, issue: task.issue, taskId: task.id, message: reason })
    }
    this.o.events.changed('tasks', 'issues', 'inbox')
  }

  /**
   * On start, after the supervisor has read the files: a `running` task whose
   * attempt the files do not hand over — its agent's trigger is missing or
   * names another task or attempt, and no response answers it — was started in
   * SQLite by a main that stopped before writing the trigger. No agent will
   * ever answer it, so it goes back to the queue at once, to be dispatched
   * again as the same attempt (the number is given back: no agent saw it, so it
   * counts against no retry, and waits no backoff). One transaction, decided
   * again under the issue's lock: stopping again midway leaves it running, and
   * the next start does the same.
   */
  resume(): Promise<void> {
    const { db, pool } = this.o
    const handedOver = pool.handedOver
    if (!handedOver) return Promise.resolve()
    const running = db.prepare("SELECT * FROM tasks WHERE state = 'running'").all() as TaskRow[]
    const work = running.map((t) =>
      this.keyed(issueKey(t.repo_id, t.issue), 'resume', async () => {
        const task = getTask(db, t.id)
        if (!task || task.state !== 'running' || this.preparing.has(task.id)) return
        if (task.agent && handedOver.call(pool, task.agent, task.id, task.attempt)) return
        const reason = `main stopped before handing attempt ${task.attempt} to ${task.agent ?? 'its agent'}`
        db.transaction(() => {
          endAttempt(db, task.id, task.attempt, 'lost', null, reason)
          db.prepare("UPDATE tasks SET state = 'queued', attempt = attempt - 1, not_before = NULL, updated_at = ? WHERE id = ? AND state = 'running' AND attempt = ?").run(
            this.now().toISOString(),
            task.id,
            task.attempt
          )
        })()
        audit(db, { kind: 'task.resume', repoId: task.repo_id, issue: task.issue, taskId: task.id, subject: task.agent, message: `${reason}: dispatching it again` })
      })
    )
    return this.track(
      'resume',
      Promise.all(work).then(() => {
        if (work.length > 0) this.o.events.changed('tasks', 'agents')
        void this.tick()
      })
    )
  }

  /** The supervisor gave up on an attempt (crash, hang, timeout): retry or ask a person. */
  attemptLost(taskId: string, attempt: number, reason: string): Promise<void> {
    return this.keyed(this.taskKey(taskId), 'attempt-lost', async () => {
      const task = getTask(this.o.db, taskId)
      if (!task || task.state !== 'running' || task.attempt !== attempt) return
      endAttempt(this.o.db, taskId, attempt, 'lost', null, reason)
      await this.retryOrFail(task, reason)
    })
  }

  // ── GitHub is the truth ──────────────────────────────────────────────

  /** Why an active task no longer matches its issue on GitHub, or null. */
  private staleBecause(task: TaskRow): string | null {
    const issue = this.issue(task.repo_id, task.issue)
    const pipeline = this.o.pipeline(task.repo_id)
    const sideLane = task.stage === 'handoff' || task.stage === 'community' || task.stage === pipeline.done
    if (!issue) return 'the issue is gone'
    if (issue.state === 'closed' && task.stage !== pipeline.done) return `#${task.issue} was closed`
    if (sideLane) return null
    const stage = stageOf(pipeline, JSON.parse(issue.labels) as string[])?.label ?? null
    return stage !== task.stage ? `a person moved #${task.issue} to ${stage ?? 'no stage'}` : null
  }

  /**
   * After a sync: tasks whose issue left their stage, or closed, are
   * cancelled — each under its issue's lock, so never in the middle of
   * applying that issue's answer, and decided again once the lock is held.
   */
  reconcile(): Promise<void> {
    const { db } = this.o
    const active = db.prepare("SELECT * FROM tasks WHERE state IN ('queued', 'running', 'waiting')").all() as TaskRow[]
    const stale = new Map(active.filter((t) => this.staleBecause(t)).map((t) => [issueKey(t.repo_id, t.issue), t]))
    const work = [...stale].map(([key, t]) => this.keyed(key, 'reconcile', () => this.cancelStale(t.repo_id, t.issue)))
    return this.track(
      'reconcile',
      Promise.all(work).then(() => {
        this.o.events.changed('tasks', 'issues', 'inbox', 'agents')
        void this.tick()
      })
    )
  }

  private async cancelStale(repoId: number, number: number): Promise<void> {
    const { db } = this.o
    const active = db.prepare("SELECT * FROM tasks WHERE repo_id = ? AND issue = ? AND state IN ('queued', 'running', 'waiting')").all(repoId, number) as TaskRow[]
    for (const task of active) {
      const why = this.staleBecause(task)
      if (!why) continue
      const issue = this.issue(task.repo_id, task.issue)
      if (task.state === 'running' && task.agent) this.o.pool.cancel(task.agent, task.id)
      setTaskState(db, task.id, 'cancelled', { result: why })
      db.prepare("UPDATE requests SET answered_at = ?, answer = '(cancelled)' WHERE task_id = ? AND answered_at IS NULL").run(this.now().toISOString(), task.id)
      const repo = this.repo(task.repo_id)
      if (CODE_ROLES[baseRole(task.role)]) await this.o.workspace.release(repo, task.id).catch(() => undefined)
      if (issue?.state === 'closed') await this.o.workspace.removeIssue(repo, task.issue).catch(() => undefined)
      audit(db, { kind: 'task.cancelled', repoId: task.repo_id, issue: task.issue, taskId: task.id, message: `Cancelled ${task.role}'s task: ${why}` })
    }
  }

  // ── people ────────────────────────────────────────────────────────────

  /** The lock of the issue a PR closes (its own when it closes none). */
  private pullKey(repoId: number, pr: number): string {
    const row = this.o.db.prepare('SELECT issue FROM pulls WHERE repo_id = ? AND number = ?').get(repoId, pr) as { issue: number | null } | undefined
    return row?.issue ? issueKey(repoId, row.issue) : `pr:${repoId}#${pr}`
  }

  answer(requestId: number, text: string): Promise<void> {
    const row = this.o.db.prepare('SELECT task_id, repo_id, issue FROM requests WHERE id = ?').get(requestId) as
      | { task_id: string | null; repo_id: number | null; issue: number | null }
      | undefined
    const key = row?.repo_id && row.issue ? issueKey(row.repo_id, row.issue) : row?.task_id ? this.taskKey(row.task_id) : `request:${requestId}`
    return this.keyed(key, 'answer', async () => {
      const { db } = this.o
      const request = db.prepare('SELECT * FROM requests WHERE id = ?').get(requestId) as
        | { id: number; task_id: string | null; repo_id: number | null; issue: number | null; answered_at: string | null; kind: string }
        | undefined
      if (!request) throw new Error(`no inbox item ${requestId}`)
      if (request.answered_at) return
      if (request.repo_id && request.issue) {
        const who = this.o.github.login() ?? 'a maintainer'
        await this.o.github.comment(
          this.repo(request.repo_id),
          request.issue,
          `**Answer from @${who}** · via Baton\n\n${text}\n\n<!-- baton:answer=${request.id} -->`,
          `<!-- baton:answer=${request.id} -->`
        )
      }
      db.prepare('UPDATE requests SET answer = ?, answered_at = ? WHERE id = ?').run(text, this.now().toISOString(), requestId)
      const task = request.task_id ? getTask(db, request.task_id) : undefined
      if (task && (task.state === 'waiting' || task.state === 'failed')) {
        // The same task resumes (and the same provider session where there is one).
        db.prepare("UPDATE tasks SET state = 'queued', not_before = NULL, attempt = CASE WHEN state = 'failed' THEN 0 ELSE attempt END, updated_at = ? WHERE id = ?").run(
          this.now().toISOString(),
          task.id
        )
      }
      audit(db, { kind: 'inbox.answer', repoId: request.repo_id, issue: request.issue, taskId: request.task_id, message: 'A person answered' })
      this.o.events.changed('inbox', 'tasks', 'issues')
      void this.tick()
    })
  }

  merge(repoId: number, pr: number, method: 'merge' | 'squash' | 'rebase'): Promise<{ sha: string }> {
    return this.keyed(this.pullKey(repoId, pr), 'merge', async () => {
      const { db } = this.o
      const repo = this.repo(repoId)
      const row = db.prepare('SELECT issue FROM pulls WHERE repo_id = ? AND number = ?').get(repoId, pr) as { issue: number | null } | undefined
      const result = await this.o.github.merge(repo, pr, method)
      const issue = row?.issue
      if (issue) {
        const pipeline = this.o.pipeline(repoId)
        const current = this.issue(repoId, issue)
        const stage = current ? stageOf(pipeline, JSON.parse(current.labels) as string[])?.label : null
        const after = await this.o.github.setLabels(repo, issue, [pipeline.done], stage && stage !== pipeline.done ? [stage] : [])
        db.prepare('UPDATE issues SET labels = ? WHERE repo_id = ? AND number = ?').run(JSON.stringify(after), repoId, issue)
        audit(db, { kind: 'stage.move', repoId, issue, message: `${stage ?? '—'} → ${pipeline.done} (merged by a person)` })
        await this.o.workspace.removeIssue(repo, issue).catch(() => undefined)
      }
      audit(db, { kind: 'pr.merge', repoId, issue: issue ?? null, message: `PR #${pr} merged (${method})` })
      await this.o.github.syncNow(repo)
      this.o.events.changed('issues', 'tasks', 'events')
      void this.tick()
      return result
    })
  }

  requestChanges(repoId: number, pr: number, body: string, comments: Array<{ path: string; line: number; body: string }>): Promise<void> {
    return this.keyed(this.pullKey(repoId, pr), 'request-changes', async () => {
      const { db } = this.o
      const repo = this.repo(repoId)
      await this.o.github.review(repo, pr, 'REQUEST_CHANGES', body, comments)
      const row = db.prepare('SELECT issue FROM pulls WHERE repo_id = ? AND number = ?').get(repoId, pr) as { issue: number | null } | undefined
      if (row?.issue) {
        const pipeline = this.o.pipeline(repoId)
        const back = pipeline.stages.find((s) => s.owner === 'engineer')?.label
        const current = this.issue(repoId, row.issue)
        const stage = current ? stageOf(pipeline, JSON.parse(current.labels) as string[])?.label : null
        const review = [body, ...comments.map((c) => `- \`${c.path}:${c.line}\` ${c.body}`)].join('\n')
        db.prepare('INSERT INTO notes (repo_id, issue, role, kind, body, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(repoId, row.issue, 'person', 'review', review, this.now().toISOString())
        if (back && stage !== back) {
          const after = await this.o.github.setLabels(repo, row.issue, [back], stage ? [stage] : [])
          db.prepare('UPDATE issues SET labels = ? WHERE repo_id = ? AND number = ?').run(JSON.stringify(after), repoId, row.issue)
          audit(db, { kind: 'stage.move', repoId, issue: row.issue, message: `${stage ?? '—'} → ${back} (changes requested)` })
          audit(db, { kind: 'stage.loop', repoId, issue: row.issue, message: `#${row.issue} back to the Engineer (review)` })
        }
      }
      this.o.events.changed('issues', 'tasks', 'events')
      void this.tick()
    })
  }

  /** Waits until no work is in flight, including the work that work starts (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight])
  }
}
