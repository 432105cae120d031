// What each answer cost: tokens and dollars per task and agent.
import type { Db } from './open'

export interface UsageInput {
  at: string
  repoId: number
  issue: number
  taskId: string
  agent: string
  provider: string
  model: string | null
  inputTokens: number
  outputTokens: number
  cacheReadTokens: number
  cacheWriteTokens: number
  costUsd: number
}

export function recordUsage(db: Db, u: UsageInput): void {
  db.prepare(
    `INSERT INTO usage (at, repo_id, issue, task_id, agent, provider, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
  ).run(u.at, u.repoId, u.issue, u.taskId, u.agent, u.provider, u.model, u.inputTokens, u.outputTokens, u.cacheReadTokens, u.cacheWriteTokens, u.costUsd)
}
