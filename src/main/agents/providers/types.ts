// The provider contract: how a role's work is done inside the agent runner.
// The runner (agents/runner.ts) reads a trigger, picks the provider named by the
// role's settings, and writes what the provider returns as the response file.
import type { Trigger } from '../../../shared/protocol/trigger'

export interface Usage {
  inputTokens: number
  outputTokens: number
  cacheReadTokens: number
  cacheWriteTokens: number
  costUsd: number
}

export interface ProviderContext {
  trigger: Trigger
  /** The role's prompt (role.md) with its guardrails. */
  rolePrompt: string
  /** The role's settings as loaded from its folder. */
  settings: {
    provider: string
    model?: string
    permissionMode?: string
    allowedTools?: string[]
    command?: string
    timeLimitSec: number
    maxOutputBytes: number
  }
  /** Working folder: the task's git worktree when the stage touches code. */
  cwd: string
  /** Aborted when main cancels the task or the time limit passes. */
  signal: AbortSignal
  /** Live progress lines for the dashboard (streamed to main). */
  progress(line: string): void
  /** The run's usage so far, as the provider's stream reports it (running totals; main stops a run past a spend budget). */
  usage?(totals: Usage): void
  /** Provider session to resume (an answered REQUEST), when the provider has one. */
  resumeSession?: string
  /** Environment for tools the provider spawns: no GitHub token, no app secret. */
  env: NodeJS.ProcessEnv
  /** A private folder for this attempt's own files (its MCP config), never the worktree; removed when the attempt ends. */
  runDir?: string
}

export interface ProviderResult {
  /** The response body in protocol format (DESIGN.md §5), without or with the TASK line. */
  text: string
  usage?: Usage
  sessionId?: string
}

export type Provider = (ctx: ProviderContext) => Promise<ProviderResult>
