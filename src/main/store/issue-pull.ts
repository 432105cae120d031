// The pull request that carries an issue, as the mirror knows it: the merged
// one first, else the newest. Marketing's trigger names it (number, title and
// the Engineer's summary in its body) instead of leaning on comment bodies.
import type { Db } from './open'

export interface IssuePull {
  number: number
  title: string
  body: string
  merged: boolean
}

export function pullForIssue(db: Db, repoId: number, issue: number): IssuePull | null {
  const row = db
    .prepare('SELECT number, title, body, merged FROM pulls WHERE repo_id = ? AND issue = ? ORDER BY merged DESC, number DESC LIMIT 1')
    .get(repoId, issue) as { number: number; title: string; body: string; merged: number } | undefined
  return row ? { number: row.number, title: row.title, body: row.body, merged: row.merged === 1 } : null
}
