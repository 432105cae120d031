// Read models for the dashboard: plain SELECTs over the store.
import type { Draft, InboxItem, RepoSummary, UsageSummary } from '../../shared/api'
import type { Db } from './open'
import { budgetUse } from './spend'

export function listRepos(db: Db): RepoSummary[] {
  const rows = db
    .prepare(
      `SELECT r.id, r.key, r.owner, r.name, r.host, r.default_branch AS defaultBranch, r.private,
              r.connected_at AS connectedAt, r.last_sync_at AS lastSyncAt, r.sync_error AS syncError, r.merge_method AS mergeMethod, r.checks_wait AS checksWait, r.handoff_approval AS handoffApproval,
              (SELECT COUNT(*) FROM issues i WHERE i.repo_id = r.id AND i.state = 'open' AND i.is_pull = 0) AS openIssues
       FROM repos r ORDER BY r.owner, r.name`
    )
    .all() as Array<Omit<RepoSummary, 'private' | 'handoffApproval'> & { private: number; handoffApproval: number }>
  return rows.map((row) => ({ ...row, private: row.private === 1, handoffApproval: row.handoffApproval === 1 }))
}

export function listInbox(db: Db): InboxItem[] {
  return db
    .prepare(
      `SELECT q.id, q.kind, q.repo_id AS repoId, COALESCE(r.owner || '/' || r.name, '') AS repo, q.issue,
              i.title AS issueTitle, q.agent, q.task_id AS task, q.question, q.created_at AS createdAt,
              (SELECT h.id FROM handoffs h WHERE h.request_id = q.id) AS handoff
       FROM requests q LEFT JOIN repos r ON r.id = q.repo_id
       LEFT JOIN issues i ON i.repo_id = q.repo_id AND i.number = q.issue
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
      `SELECT agent, SUM(input_tokens) AS inputTokens, SUM(output_tokens) AS outputTokens, SUM(cache_read_tokens) AS cacheReadTokens,
              SUM(cost_usd) AS costUsd
       FROM usage WHERE at >= ? GROUP BY agent ORDER BY costUsd DESC, agent`
    )
    .all(since) as UsageSummary['byAgent']
  const byIssue = db
    .prepare(
      `SELECT r.owner || '/' || r.name AS repo, u.issue, COALESCE(i.title, '') AS title,
              SUM(u.input_tokens + u.output_tokens) AS tokens, SUM(u.cost_usd) AS costUsd
       FROM usage u JOIN repos r ON r.id = u.repo_id LEFT JOIN issues i ON i.repo_id = u.repo_id AND i.number = u.issue
       WHERE u.at >= ? AND u.issue IS NOT NULL GROUP BY u.repo_id, u.issue ORDER BY costUsd DESC LIMIT 50`
    )
    .all(since) as UsageSummary['byIssue']
  const byDay = db
    .prepare(
      `SELECT substr(at, 1, 10) AS day, SUM(cost_usd) AS costUsd, SUM(input_tokens + output_tokens) AS tokens
       FROM usage WHERE at >= ? GROUP BY day ORDER BY day`
    )
    .all(since) as UsageSummary['byDay']
  const allInput = totals.inputTokens + totals.cacheReadTokens
  return { range, totals, cacheShare: allInput ? totals.cacheReadTokens / allInput : 0, byAgent, byIssue, byDay, budgets: budgetUse(db, now) }
}

/** Every usage row in the range as CSV (RFC 4180 quoting). */
export function usageCsv(db: Db, range: UsageSummary['range'], now = new Date()): { filename: string; csv: string } {
  const since = new Date(now.getTime() - RANGE_HOURS[range] * 3_600_000).toISOString()
  const rows = db
    .prepare(
      `SELECT u.at, COALESCE(r.owner || '/' || r.name, '') AS repo, u.issue, u.task_id, u.agent, u.provider, u.model,
              u.input_tokens, u.output_tokens, u.cache_read_tokens, u.cache_write_tokens, u.cost_usd
       FROM usage u LEFT JOIN repos r ON r.id = u.repo_id WHERE u.at >= ? ORDER BY u.at`
    )
    .all(since) as Array<Record<string, unknown>>
  const header = ['at', 'repo', 'issue', 'task_id', 'agent', 'provider', 'model', 'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens', 'cost_usd']
  const cell = (value: unknown) => {
    const text = value === null || value === undefined ? '' : String(value)
    return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
  }
  const lines = [header.join(','), ...rows.map((row) => header.map((h) => cell(row[h])).join(','))]
  return { filename: `baton-usage-${range}-${now.toISOString().slice(0, 10)}.csv`, csv: lines.join('\r\n') + '\r\n' }
}

export function listDrafts(db: Db): Draft[] {
  return (
    db
      .prepare(
        `SELECT d.id, d.repo_id AS repoId, r.owner || '/' || r.name AS repo, d.title, d.body, d.labels, d.error, d.created_at AS createdAt
         FROM drafts d JOIN repos r ON r.id = d.repo_id ORDER BY d.id DESC`
      )
      .all() as Array<Omit<Draft, 'labels'> & { labels: string }>
  ).map((d) => ({ ...d, labels: JSON.parse(d.labels) as string[] }))
}
