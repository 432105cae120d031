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
//
// This class is the facade: each state change lives in its own module
// (tick.ts, dispatch.ts, apply.ts, retry.ts, reconcile.ts, resume.ts,
// person-*.ts), sharing one EngineContext (engine-context.ts).
import { handleResult } from './apply'
import { attemptDiff, pickAttempt } from './attempts'
import { liveUsage, type LiveUsageReport } from './budget-gate'
import { EngineContext, type EngineOptions, type TaskTiming } from './engine-context'
import { conflictsOnGitHub } from './github-conflicts'
import { fromGitHub } from './github-signals'
import { answer } from './person-answer'
import { merge } from './person-merge'
import { retryStage, type RetryOutcome } from './person-retry'
import { approveIssue, type ApproveOutcome } from './person-approve'
import { stopTask, type StopOutcome } from './person-stop'
import { requestChanges } from './person-review'
import type { AgentResult } from './ports'
import { reconcile } from './reconcile'
import { resume } from './resume'
import { attemptLost } from './retry'
import { runTick } from './tick'
import { approveHandoff, createHandoff, handoffsAfterSync, refuseHandoff, type HandoffInput } from './handoff'
import type { Handoff } from '../../shared/api'

export type { EngineOptions, RetryOutcome, TaskTiming }

export class PipelineEngine {
  private readonly ctx: EngineContext
  private tickPending: Promise<void> | null = null

  constructor(o: EngineOptions) {
    this.ctx = new EngineContext(o)
    this.ctx.tick = () => this.tick()
  }

  /** Per-task timings of the current attempt, newest last (bounded). */
  taskTimings(): ReadonlyMap<string, TaskTiming> {
    return this.ctx.timings
  }

  /**
   * Schedules soon: every request made before the run starts joins it (many
   * answers applied at once → one run). A run only reads SQLite, creates tasks
   * and starts their dispatches; it never waits for git or GitHub.
   */
  tick(): Promise<void> {
    this.tickPending ??= this.ctx.track(
      'tick',
      new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        this.tickPending = null
        runTick(this.ctx)
      })
    )
    return this.tickPending
  }

  /** An agent's answer: applied under its issue's lock, again later if GitHub fails mid-way. */
  handleResult(result: AgentResult): Promise<void> {
    return handleResult(this.ctx, result)
  }

  /** On start, after the supervisor has read the files: attempts no agent was handed go back to the queue (resume.ts). */
  resume(): Promise<void> {
    // And hand-offs whose target closed, or whose comment or filing failed, while Baton was stopped (handoff.ts).
    return Promise.all([resume(this.ctx), handoffsAfterSync(this.ctx)]).then(() => undefined)
  }

  /** The supervisor gave up on an attempt (crash, hang, timeout): retry or ask a person. */
  attemptLost(taskId: string, attempt: number, reason: string): Promise<void> {
    return attemptLost(this.ctx, taskId, attempt, reason)
  }

  /** A running attempt's usage so far: past a spend budget the agent is stopped (budget-gate.ts). */
  liveUsage(report: LiveUsageReport): void {
    liveUsage(this.ctx, report)
  }

  /** After a sync: tasks whose issue a person moved or closed are cancelled. */
  reconcile(): Promise<void> {
    // Also: agent PRs that no longer merge go back to the Engineer (github-conflicts.ts).
    // And hand-offs whose target closed resume their origin (handoff.ts).
    return Promise.all([reconcile(this.ctx), conflictsOnGitHub(this.ctx), handoffsAfterSync(this.ctx)]).then(() => undefined)
  }

  /** After a sync: trusted comments answering the inbox, reviews and failing checks on agent PRs (github-signals.ts). */
  fromGitHub(): Promise<void> {
    return fromGitHub(this.ctx)
  }

  answer(requestId: number, text: string): Promise<void> {
    return answer(this.ctx, requestId, text)
  }

  merge(repoId: number, pr: number, method: 'merge' | 'squash' | 'rebase'): Promise<{ sha: string }> {
    return merge(this.ctx, repoId, pr, method)
  }

  requestChanges(repoId: number, pr: number, body: string, comments: Array<{ path: string; line: number; body: string }>): Promise<void> {
    return requestChanges(this.ctx, repoId, pr, body, comments)
  }

  /** A person's Retry: the issue's stage gets one more failure budget and its failed task runs again (person-retry.ts). */
  retry(repoId: number, issue: number, who: string | null = null): Promise<RetryOutcome> {
    return retryStage(this.ctx, repoId, issue, who)
  }

  /** A maintainer approves an outsider's issue: the approval label added (person-approve.ts). */
  approve(repoId: number, issue: number, who: string | null = null): Promise<ApproveOutcome> {
    return approveIssue(this.ctx, repoId, issue, who)
  }

  /** A person stops the issue's task: the agent cancelled, the stage held until Retry (person-stop.ts). */
  stop(repoId: number, issue: number, who: string | null = null): Promise<StopOutcome> {
    return stopTask(this.ctx, repoId, issue, who)
  }

  /** Hands the issue's work to another project: an issue filed there (or the person asked first), the origin waiting for it (handoff.ts). */
  handoff(input: HandoffInput, askedBy: string | null = null, filedBy: string | null = null): Promise<Handoff> {
    return createHandoff(this.ctx, input, askedBy, filedBy)
  }

  /** The person approves a hand-off into another owner's repository: filed now. */
  approveHandoff(id: number, who: string | null = null): Promise<Handoff> {
    return approveHandoff(this.ctx, id, who)
  }

  /** The person refuses it: the origin resumes with the outcome `refused`. */
  refuseHandoff(id: number, who: string | null = null, reason: string | null = null): Promise<Handoff> {
    return refuseHandoff(this.ctx, id, who, reason)
  }

  /** A person picks which passed attempt becomes the PR (`pick: person`; attempts.ts). */
  pickAttempt(repoId: number, issue: number, index: number, who: string | null = null): Promise<{ group: string; attempt: number }> {
    return pickAttempt(this.ctx, repoId, issue, index, who)
  }

  /** One attempt's diff against the default branch, while its branch is there (attempts.ts). */
  attemptDiff(repoId: number, issue: number, index: number): Promise<{ stat: string; patch: string; truncated: boolean } | null> {
    return attemptDiff(this.ctx, repoId, issue, index)
  }

  /** Waits until no work is in flight, including the work that work starts (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.ctx.inflight.size > 0) await Promise.allSettled([...this.ctx.inflight])
  }
}
