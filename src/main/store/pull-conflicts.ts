// Agent PRs that GitHub says cannot merge until their branch is updated
// (migration 8): conflicts with the base (`dirty`), or behind a base whose
// protection requires up-to-date branches (`behind`); and the branch updates
// the pipeline asked for, once per (PR, head, base) — kept in `signals`
// (migration 7) with kind `conflict`.
import type { Db } from './open'

export interface ConflictedPull {
  number: number
  issue: number
  head: string
  headSha: string
  baseSha: string
  /** GitHub's `mergeable_state`: `dirty` (or null with `mergeable: false`) or `behind`. */
  state: string | null
}

/** Open agent PRs (a `baton/` head that closes an issue) that conflict with their base (`mergeable` false, `dirty`) or are `behind` it. */
export function conflictedPulls(db: Db, repoId: number): ConflictedPull[] {
  return db
    .prepare(
      `SELECT number, issue, head, head_sha AS headSha, base_sha AS baseSha, mergeable_state AS state FROM pulls
       WHERE repo_id = ? AND state = 'open' AND merged = 0 AND head LIKE 'baton/%' AND issue IS NOT NULL
         AND head_sha IS NOT NULL AND base_sha IS NOT NULL AND (mergeable = 0 OR mergeable_state IN ('dirty', 'behind'))
       ORDER BY number`
    )
    .all(repoId) as ConflictedPull[]
}

export const conflictKey = (pull: { number: number; headSha: string; baseSha: string }): string => `${pull.number}:${pull.headSha}:${pull.baseSha}`

export function conflictHandled(db: Db, repoId: number, key: string): boolean {
  return db.prepare("SELECT 1 FROM signals WHERE repo_id = ? AND kind = 'conflict' AND key = ?").get(repoId, key) !== undefined
}

export function markConflictHandled(db: Db, repoId: number, key: string, issue: number, at: string): void {
  db.prepare("INSERT OR IGNORE INTO signals (repo_id, kind, key, issue, handled_at) VALUES (?, 'conflict', ?, ?, ?)").run(repoId, key, issue, at)
}
