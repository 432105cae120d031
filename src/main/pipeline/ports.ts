// What the pipeline engine needs from the rest of the core, as narrow ports:
// the agent pool (supervisor), GitHub (the client's idempotent writes) and
// the workspaces (git worktrees). Tests and the sandbox plug in the real ones.
import type { Trigger } from '../../shared/protocol/trigger'
import type { AgentAnswer } from './effects'

export interface AgentUsage {
  inputTokens: number
  outputTokens: number
  cacheReadTokens: number
  cacheWriteTokens: number
  costUsd: number
}

export interface AgentResult {
  agent: string
  task: string
  attempt: number
  answer: AgentAnswer
  raw: string
  usage: AgentUsage | null
  sessionId: string | null
  provider: string
  model: string | null
}

export interface AgentPresence {
  agent: string
  role: string
  capabilities: readonly string[]
  priority: number
  /** Heard from, its last heartbeat at most two beats old, and not paused, stopped or crashed. */
  online: boolean
  /** Started and not heard from yet (its first seconds): a fan-out waits for it rather than leave it out. */
  starting?: boolean
  /** The capabilities its role.yml gives it (what a starting instance will advertise). */
  declared?: readonly string[]
}

export interface AgentPool {
  /** Idle instances per role, in preference order. */
  idle(): Map<string, string[]>
  /** Roles whose every instance a person paused. */
  pausedRoles?(): Set<string>
  /** Role names that exist (folders in agents/). */
  roles(): string[]
  /** Every instance, what its last heartbeat advertised and whether it is online (beating, not paused): capability routing reads it. */
  presence?(): AgentPresence[]
  /** A role's capabilities (role.yml): a stage owned by one of them is the role's to move on. */
  capabilitiesOf?(role: string): string[]
  dispatch(trigger: Trigger): void
  cancel(agent: string, task: string): void
  /** Whether the agent's trigger names this attempt, or its response answers it (read from the files; see `PipelineEngine.resume`). */
  handedOver?(agent: string, task: string, attempt: number): boolean
}

export interface RepoRef {
  id: number
  owner: string
  name: string
  defaultBranch: string
}

export interface GitHubPort {
  /** Posts once: a comment carrying `marker` already on the issue is not posted again. Returns the comment's link (when GitHub gave one). */
  comment(repo: RepoRef, issue: number, body: string, marker: string): Promise<string | null | void>
  /** A commit status on `sha`, posted only when the latest of its context differs; whether it posted. */
  setStatus?(repo: RepoRef, sha: string, status: { context: string; state: 'success' | 'failure' | 'pending' | 'error'; description: string; targetUrl: string | null }): Promise<boolean>
  /** Adds and removes labels in as few requests as possible; returns the labels after. */
  setLabels(repo: RepoRef, issue: number, add: string[], remove: string[]): Promise<string[]>
  /** Finds the branch's open PR before opening one; returns its number. */
  ensurePullRequest(repo: RepoRef, head: string, title: string, body: string): Promise<number>
  merge(repo: RepoRef, pr: number, method: 'merge' | 'squash' | 'rebase'): Promise<{ sha: string }>
  review(repo: RepoRef, pr: number, event: 'APPROVE' | 'REQUEST_CHANGES' | 'COMMENT', body: string, comments: Array<{ path: string; line: number; body: string }>): Promise<void>
  /**
   * Files an issue once (a hand-off, pipeline/handoff.ts): an issue Baton's
   * login opened since `since` whose body ends with `marker` is taken instead
   * of a second. Mirrored at once. Returns its number and web address.
   */
  createIssue?(repo: RepoRef, issue: { title: string; body: string; labels: string[] }, marker: string, since: string): Promise<{ number: number; url: string }>
  /**
   * Reads one issue of any repository, connected or not (cross-repository
   * dependencies), with If-None-Match: `issue` is null on a 304. A GitHub
   * refusal throws with its HTTP `status`.
   */
  readIssue?(owner: string, name: string, number: number, etag: string | null): Promise<{ notModified: boolean; etag: string | null; issue: { state: string; stateReason: string | null; title: string; url: string } | null }>
  /** Pulls the latest state of one repository into SQLite now. */
  syncNow(repo: RepoRef): Promise<void>
  /** The signed-in person's login (for answers posted on their behalf). */
  login(): string | null
}

export interface WorkspacePort {
  /**
   * A worktree of its own for one task: `write` checks out the issue's branch
   * (created from the default branch, or from the remote branch after a review
   * loop); `test` checks out the pushed branch; `read` the default branch.
   */
  prepare(repo: RepoRef, task: { id: string; issue: number; branch: string; mode: 'read' | 'write' | 'test' }): Promise<string>
  /**
   * Pushes the task worktree's branch with main's credentials (never the
   * agent's): only when `branch` is the branch that worktree has checked out,
   * a `baton/` branch and not the default branch, with an explicit refspec.
   */
  push(repo: RepoRef, taskId: string, branch: string): Promise<void>
  /** The branch the task's worktree has checked out (null: no worktree, or a detached one). */
  taskBranch?(repo: RepoRef, taskId: string): Promise<string | null>
  /** Removes the task's worktree. */
  release(repo: RepoRef, taskId: string): Promise<void>
  /** Removes every worktree of the issue and its local branch (after merge or close). */
  removeIssue(repo: RepoRef, issue: number): Promise<void>
  /** At start: removes every worktree whose task `keep` does not name (a crash between an answer and its release left it), and git's records of them; the removed paths. */
  removeOrphans?(keep: (taskId: string) => boolean): Promise<string[]>
  /** Deletes one of Baton's `baton/<issue>-…` branches here (freeing any worktree on it) and on the remote when it was pushed: a parallel attempt that lost (attempts.ts). */
  deleteBranch?(repo: RepoRef, branch: string): Promise<{ local: boolean; remote: boolean }>
  /** A pushed `baton/` branch against the default branch (from their merge base): `git diff --stat` and the patch, capped; null when it is not there. */
  branchDiff?(repo: RepoRef, branch: string): Promise<{ stat: string; patch: string; truncated: boolean } | null>
}
