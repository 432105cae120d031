import type { AuditEvent } from '../../shared/api'
import type { Db } from './open'

export interface AuditInput {
  kind: string
  message: string
  repoId?: number | null
  issue?: number | null
  taskId?: string | null
  subject?: string | null
  data?: unknown
}

/** Appends to the audit log (never updated, never deleted). */
export function audit(db: Db, event: AuditInput): number {
  const result = db
    .prepare('INSERT INTO events (kind, repo_id, issue, task_id, subject, message, data) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .run(
      event.kind,
      event.repoId ?? null,
      event.issue ?? null,
      event.taskId ?? null,
      event.subject ?? null,
      event.message,
      event.data === undefined ? null : JSON.stringify(event.data)
    )
  return Number(result.lastInsertRowid)
}

export function recentEvents(db: Db, limit: number): AuditEvent[] {
  return db
    .prepare('SELECT id, at, kind, subject, message FROM events ORDER BY id DESC LIMIT ?')
    .all(limit) as AuditEvent[]
}
