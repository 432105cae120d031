// The scheduler's lease check (issue #14), pure: an issue whose plan touches a
// file another issue's task (or a person) holds a lease on does not start its
// Engineer; the card says which lease it waits for. Main's own lease on the
// plan's files for every Engineer task it starts (dispatch.ts) makes this
// hold even for agents that never call lease_files.
import { firstOverlap } from './lease-globs'

/** The roles whose stages wait for leases and whose tasks main leases the plan's files for: the one that writes code. */
export const LEASE_ROLES: ReadonlySet<string> = new Set(['engineer'])

export interface HeldLease {
  repoId: number
  /** The holder's issue (null: a person's lease). */
  issue: number | null
  pattern: string
  /** `<instance>@<owner/repo>`, or a person's login. */
  holder: string
}

/** Why the issue waits for a lease, or null when no other holder's lease overlaps its plan's files. */
export function leaseWait(issue: { repoId: number; number: number }, files: readonly string[] | undefined, leases: readonly HeldLease[]): string | null {
  if (!files?.length) return null
  const others = leases.filter((l) => l.repoId === issue.repoId && l.issue !== issue.number)
  for (const lease of others) {
    const hit = firstOverlap([lease.pattern], files)
    if (!hit) continue
    const on = hit.file === lease.pattern ? hit.file : `${hit.file} (${lease.pattern})`
    return `waits for a lease on ${on} held by ${lease.holder}${lease.issue !== null ? ` (#${lease.issue})` : ''}`
  }
  return null
}
