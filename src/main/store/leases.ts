// File leases (issue #14, migration 11). A task's lease counts only while the
// attempt that took it runs or waits for a person: the query joins tasks, so
// applied, failed, cancelled, stopped or a lost attempt (the supervisor lost
// its agent: the task is queued again or failed) ends it at once, with no
// hook to forget. A person's lease (no task) lasts until its TTL or release.
// `sweepLeases` deletes what no longer counts.
import type { LeaseView } from '../../shared/memory'
import type { Db } from './open'

interface Row {
  id: number
  repo_id: number
  owner: string
  name: string
  pattern: string
  task_id: string | null
  attempt: number | null
  holder: string
  issue: number | null
  source: 'plan' | 'tool'
  reason: string | null
  created_at: string
  expires_at: string | null
}

export interface LeaseRow extends LeaseView {
  repoId: number
  issueNumber: number | null
}

const LIVE = `(l.expires_at IS NULL OR l.expires_at > @now)
  AND (l.task_id IS NULL OR EXISTS (SELECT 1 FROM tasks t WHERE t.id = l.task_id AND t.state IN ('running', 'waiting') AND t.attempt = l.attempt))`

const view = (r: Row): LeaseRow => ({
  id: r.id,
  repoId: r.repo_id,
  repo: `${r.owner}/${r.name}`,
  pattern: r.pattern,
  holder: r.holder,
  issue: r.issue !== null ? `${r.owner}/${r.name}#${r.issue}` : null,
  issueNumber: r.issue,
  task: r.task_id,
  source: r.source,
  reason: r.reason,
  createdAt: r.created_at,
  expiresAt: r.expires_at
})

/** Live leases, of one repository or all, oldest first. */
export function liveLeases(db: Db, now: string, repoId?: number): LeaseRow[] {
  const rows = db
    .prepare(
      `SELECT l.*, r.owner, r.name FROM leases l JOIN repos r ON r.id = l.repo_id WHERE ${LIVE} ${repoId === undefined ? '' : 'AND l.repo_id = @repo'} ORDER BY l.created_at, l.id`
    )
    .all({ now, repo: repoId ?? null }) as Row[]
  return rows.map(view)
}

export interface NewLease {
  repoId: number
  pattern: string
  taskId: string | null
  attempt: number | null
  holder: string
  issue: number | null
  source: 'plan' | 'tool'
  reason: string | null
  at: string
  expiresAt: string | null
}

/** Takes (or renews) a lease: the holder's same pattern in the repository is replaced. */
export function putLease(db: Db, lease: NewLease): number {
  return db.transaction(() => {
    db.prepare('DELETE FROM leases WHERE repo_id = ? AND pattern = ? AND holder = ? AND task_id IS ? AND source = ?').run(lease.repoId, lease.pattern, lease.holder, lease.taskId, lease.source)
    return Number(
      db
        .prepare('INSERT INTO leases (repo_id, pattern, task_id, attempt, holder, issue, source, reason, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(lease.repoId, lease.pattern, lease.taskId, lease.attempt, lease.holder, lease.issue, lease.source, lease.reason, lease.at, lease.expiresAt).lastInsertRowid
    )
  })()
}

/** Releases a holder's lease_files leases in a repository (only `patterns`, when given; never main's plan lease); how many. */
export function deleteLeases(db: Db, q: { repoId: number; holder: string; taskId: string | null; patterns?: readonly string[] }): number {
  const patterns = q.patterns?.length ? ` AND pattern IN (${q.patterns.map(() => '?').join(',')})` : ''
  return db.prepare(`DELETE FROM leases WHERE repo_id = ? AND holder = ? AND task_id IS ? AND source = 'tool'${patterns}`).run(q.repoId, q.holder, q.taskId, ...(q.patterns ?? [])).changes
}

/** Removes leases that no longer count (expired, or their task's attempt ended); how many. */
export function sweepLeases(db: Db, now: string): number {
  return db.prepare(`DELETE FROM leases AS l WHERE NOT (${LIVE})`).run({ now }).changes
}

/** The files an issue's plan names (plan_files), replaced whole. */
export function setPlanFiles(db: Db, repoId: number, issue: number, files: readonly string[]): void {
  db.transaction(() => {
    db.prepare('DELETE FROM plan_files WHERE repo_id = ? AND issue = ?').run(repoId, issue)
    const add = db.prepare('INSERT OR IGNORE INTO plan_files (repo_id, issue, path) VALUES (?, ?, ?)')
    for (const file of files) add.run(repoId, issue, file)
  })()
}

export function planFiles(db: Db, repoId: number, issue: number): string[] {
  return (db.prepare('SELECT path FROM plan_files WHERE repo_id = ? AND issue = ? ORDER BY path').all(repoId, issue) as Array<{ path: string }>).map((r) => r.path)
}

/** Every issue's plan files in a repository, keyed by issue number (one query a scheduling pass). */
export function repoPlanFiles(db: Db, repoId: number): Map<number, string[]> {
  const out = new Map<number, string[]>()
  for (const r of db.prepare('SELECT issue, path FROM plan_files WHERE repo_id = ? ORDER BY issue, path').all(repoId) as Array<{ issue: number; path: string }>) {
    const list = out.get(r.issue) ?? []
    list.push(r.path)
    out.set(r.issue, list)
  }
  return out
}
