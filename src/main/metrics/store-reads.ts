// What the metrics read from SQLite at scrape time (registry.ts): each a
// read-only query, no transaction, nothing kept between scrapes.
import type { Db } from '../store/open'

/** Usage per agent instance, all time (the caller folds instances into roles). */
export function usageByAgent(db: Db): Array<{ agent: string; costUsd: number; input: number; output: number; cacheRead: number; cacheWrite: number }> {
  return db
    .prepare(
      `SELECT agent, SUM(cost_usd) AS costUsd, SUM(input_tokens) AS input, SUM(output_tokens) AS output,
              SUM(cache_read_tokens) AS cacheRead, SUM(cache_write_tokens) AS cacheWrite
       FROM usage GROUP BY agent`
    )
    .all() as Array<{ agent: string; costUsd: number; input: number; output: number; cacheRead: number; cacheWrite: number }>
}

/** Tasks queued and not yet running: a retry waiting for its time, or one being handed out. */
export function queuedTasks(db: Db): Array<{ repoId: number; issue: number; stage: string; notBefore: string | null }> {
  return db.prepare("SELECT repo_id AS repoId, issue, stage, not_before AS notBefore FROM tasks WHERE state = 'queued'").all() as Array<{
    repoId: number
    issue: number
    stage: string
    notBefore: string | null
  }>
}

/** Every open issue's labels, by `repoId#number` (one query a scrape; an unreadable list reads as none). */
export function openIssueLabels(db: Db): Map<string, string[]> {
  const labels = new Map<string, string[]>()
  for (const row of db.prepare("SELECT repo_id AS repoId, number, labels FROM issues WHERE state = 'open'").all() as Array<{ repoId: number; number: number; labels: string }>) {
    let list: unknown = []
    try {
      list = JSON.parse(row.labels)
    } catch {
      /* kept as none */
    }
    labels.set(`${row.repoId}#${row.number}`, Array.isArray(list) ? list.filter((l): l is string => typeof l === 'string') : [])
  }
  return labels
}
