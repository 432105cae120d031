// What each answer cost: tokens and dollars per task and agent.
import type { Db } from './open'

export interface UsageInput {
  at: string
  repoId: number
  issue: number
  taskId: string
  /** The answer it paid for: its attempt and place in the task (the unique key with the task). */
  attempt: number
  answer: number
  agent: string
  provider: string
  model: string | null
  inputTokens: number
  outputTokens: number
  cacheReadTokens: number
  cacheWriteTokens: number
  costUsd: number
}

/**
 * Records an answer's usage once: applying the same answer again (a retried
 * apply, a replay after a crash) finds its row by (task, attempt, answer) and
 * adds nothing. Returns whether it was recorded now.
 */
export function recordUsage(db: Db, u: UsageInput): boolean {
  return (
    db
      .prepare(
        `INSERT INTO usage (at, repo_id, issue, task_id, attempt, answer, agent, provider, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (task_id, attempt, answer) DO NOTHING`
      )
      .run(u.at, u.repoId, u.issue, u.taskId, u.attempt, u.answer, u.agent, u.provider, u.model, u.inputTokens, u.outputTokens, u.cacheReadTokens, u.cacheWriteTokens, u.costUsd).changes > 0
  )
}
