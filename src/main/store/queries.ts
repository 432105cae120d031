// Read models for the dashboard: plain SELECTs over the store.
import type { InboxItem, RepoSummary, UsageSummary } from '../../shared/api'
import type { Db } from './open'

export function listRepos(db: Db): RepoSummary[] {
  const rows = db
    .prepare(
      `SELECT r.id, r.key, r.owner, r.name, r.host, r.default_branch AS defaultBranch, r.private,
              r.connected_at AS connectedAt, r.last_sync_at AS lastSyncAt, r.sync_error AS syncError,
              (SELECT COUNT(*) FROM issues i WHERE i.repo_id = r.id AND i.state = 'open' AND i.is_pull = 0) AS openIssues
       FROM repos r ORDER BY r.owner, r.name`
    )
    .all() as Array<Omit<RepoSummary, 'private'> & { private: number }>
  return rows.map((row) => ({ ...row, private: row.private === 1 }))
}

export function listInbox(db: Db): InboxItem[] {
  return db
    .prepare(
      `SELECT q.id, q.kind, COALESCE(r.owner || '/' || r.name, '') AS repo, q.issue, q.agent, q.question,
              q.created_at AS createdAt
       FROM requests q LEFT JOIN repos r ON r.id = q.repo_id
       WHERE q.answered_at IS NULL ORDER BY q.id DESC`
    )
    .all() as InboxItem[]
}

const RANGE_HOURS = { '24h': 24, '7d': 24 * 7, '30d': 24 * 30 } as const

export function usageSummary(db: Db, range: UsageSummary['range'], now = new Date()): UsageSummary {
  const since = new Date(now.getTime() - RANGE_HOURS[range] * 3_600_000).toISOString()
  const totals = db
    .prepare(
      `SELECT COALESCE(SUM(input_tokens),0) AS inputTokens, COALESCE(SUM(output_tokens),0) AS outputTokens,
              COALESCE(SUM(cache_read_tokens),0) AS cacheReadTokens, COALESCE(SUM(cost_usd),0) AS costUsd,
              COUNT(DISTINCT task_id) AS tasks
       FROM usage WHERE at >= ?`
    )
    .get(since) as UsageSummary['totals']
  const byAgent = db
    .prepare(
      `SELECT agent, SUM(input_tokens) AS inputTokens, SUM(output_tokens) AS outputTokens, SUM(cost_usd) AS costUsd
       FROM usage WHERE at >= ? GROUP BY agent ORDER BY costUsd DESC, agent`
    )
    .all(since) as UsageSummary['byAgent']
  const byDay = db
    .prepare(
      `SELECT substr(at, 1, 10) AS day, SUM(cost_usd) AS costUsd, SUM(input_tokens + output_tokens) AS tokens
       FROM usage WHERE at >= ? GROUP BY day ORDER BY day`
    )
    .all(since) as UsageSummary['byDay']
  return { range, totals, byAgent, byDay }
}
