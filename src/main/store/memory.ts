// Scoped memory (issue #14, migration 11): one text per (scope, key), with an
// optional expiry. An expired entry is never read (every query says so) and
// is swept by `sweepMemory`. Who may read or write a scope is decided before
// these run (memory/scope.ts).
import type { MemoryEntry } from '../../shared/memory'
import type { Db } from './open'

interface Row {
  scope: string
  key: string
  text: string
  author: string
  created_at: string
  updated_at: string
  expires_at: string | null
}

const entry = (r: Row): MemoryEntry => ({ scope: r.scope, key: r.key, text: r.text, author: r.author, createdAt: r.created_at, updatedAt: r.updated_at, expiresAt: r.expires_at, source: 'memory' })

/** Remembers (or replaces) the text under its key; `created` is false when the key was there. */
export function putMemory(
  db: Db,
  e: { scope: string; key: string; text: string; author: string; repoId: number | null; issue: number | null; at: string; expiresAt: string | null }
): { created: boolean } {
  return db.transaction(() => {
    // An expired entry under the key is gone, whatever it held.
    const live = db.prepare('SELECT 1 FROM memory WHERE scope = ? AND key = ? AND (expires_at IS NULL OR expires_at > ?)').get(e.scope, e.key, e.at)
    db.prepare(
      `INSERT INTO memory (scope, key, text, author, repo_id, issue, created_at, updated_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (scope, key) DO UPDATE SET text = excluded.text, author = excluded.author, updated_at = excluded.updated_at, expires_at = excluded.expires_at,
         created_at = CASE WHEN memory.expires_at IS NOT NULL AND memory.expires_at <= excluded.updated_at THEN excluded.created_at ELSE memory.created_at END`
    ).run(e.scope, e.key, e.text, e.author, e.repoId, e.issue, e.at, e.at, e.expiresAt)
    return { created: !live }
  })()
}

const likeEscape = (s: string) => s.replace(/[\\%_]/g, '\\$&')

/** Live entries of a scope, newest change first: one key, keys with a prefix, or those whose key or text holds `query` (any case). */
export function readMemory(db: Db, q: { scope: string; key?: string; prefix?: string; query?: string; limit: number; now: string }): MemoryEntry[] {
  const where = ['scope = ?', '(expires_at IS NULL OR expires_at > ?)']
  const args: unknown[] = [q.scope, q.now]
  if (q.key !== undefined) {
    where.push('key = ?')
    args.push(q.key)
  }
  if (q.prefix) {
    where.push("key LIKE ? ESCAPE '\\'")
    args.push(`${likeEscape(q.prefix)}%`)
  }
  if (q.query) {
    where.push('(instr(lower(key), lower(?)) > 0 OR instr(lower(text), lower(?)) > 0)')
    args.push(q.query, q.query)
  }
  args.push(q.limit)
  return (db.prepare(`SELECT * FROM memory WHERE ${where.join(' AND ')} ORDER BY updated_at DESC, id DESC LIMIT ?`).all(...args) as Row[]).map(entry)
}

/** Forgets one entry; false when there was none (or only an expired one). */
export function deleteMemory(db: Db, scope: string, key: string, now: string): boolean {
  return db.transaction(() => {
    const live = db.prepare('SELECT 1 FROM memory WHERE scope = ? AND key = ? AND (expires_at IS NULL OR expires_at > ?)').get(scope, key, now)
    db.prepare('DELETE FROM memory WHERE scope = ? AND key = ?').run(scope, key)
    return Boolean(live)
  })()
}

/** Removes expired entries; how many. */
export function sweepMemory(db: Db, now: string): number {
  return db.prepare('DELETE FROM memory WHERE expires_at IS NOT NULL AND expires_at <= ?').run(now).changes
}

/** The issue scope's live entries, oldest first (the issue page's Notes panel). */
export function issueMemory(db: Db, repoId: number, issue: number, now: string): MemoryEntry[] {
  return (
    db.prepare("SELECT * FROM memory WHERE repo_id = ? AND issue = ? AND scope LIKE 'issue:%' AND (expires_at IS NULL OR expires_at > ?) ORDER BY created_at, id").all(repoId, issue, now) as Row[]
  ).map(entry)
}
