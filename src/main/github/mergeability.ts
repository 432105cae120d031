// Whether each open agent PR still merges, read by the sync: the pulls list
// does not carry `mergeable`, so each open agent PR is asked on its own, with
// If-None-Match (a 304 costs no rate limit; the answer changes when either
// branch moves, since it carries both heads). GitHub computes mergeability
// in the background: `mergeable: null` ("unknown") until it has, so such an
// answer keeps no ETag and is asked again at the next pass.
// The reads happen first, the writes in the sync's one transaction
// (`storeMergeability`, no await).
import type { Db } from '../store/open'
import { getOne, saveSyncState, syncState, type Counter } from './conditional'
import type { GitHub } from './octokit'

export interface MergeabilityAnswer {
  number: number
  data: { mergeable?: boolean | null; mergeable_state?: string; base?: { sha?: string } } | null
  etag: string | null
  notModified: boolean
}

const key = (pr: number) => `pull:${pr}`

export async function fetchMergeability(db: Db, octokit: GitHub, repo: { id: number; owner: string; name: string }, agentPulls: Array<{ number: number }>, counter: Counter): Promise<MergeabilityAnswer[]> {
  const answers: MergeabilityAnswer[] = []
  for (const pull of agentPulls) {
    let answer
    try {
      answer = await getOne<NonNullable<MergeabilityAnswer['data']>>(
        octokit,
        'GET /repos/{owner}/{repo}/pulls/{pull_number}',
        { owner: repo.owner, repo: repo.name, pull_number: pull.number },
        syncState(db, repo.id, key(pull.number)).etag,
        counter
      )
    } catch (error) {
      // Gone since the list was read (a deleted repository's PR, a transfer): the next list says so; the rest of the pass goes on.
      if ((error as { status?: number }).status === 404 || (error as { status?: number }).status === 410) continue
      throw error
    }
    answers.push({ number: pull.number, ...answer })
  }
  return answers
}

/** Writes what `fetchMergeability` read; returns the PR and issue numbers whose mergeability changed. Call inside the sync's transaction. */
export function storeMergeability(db: Db, repoId: number, answers: MergeabilityAnswer[]): number[] {
  const changed: number[] = []
  const update = db.prepare(
    'UPDATE pulls SET mergeable = ?, mergeable_state = ?, base_sha = ? WHERE repo_id = ? AND number = ? AND (mergeable IS NOT ? OR mergeable_state IS NOT ? OR base_sha IS NOT ?)'
  )
  for (const a of answers) {
    if (a.notModified || !a.data) continue
    const mergeable = typeof a.data.mergeable === 'boolean' ? (a.data.mergeable ? 1 : 0) : null
    const state = a.data.mergeable_state ?? null
    const base = a.data.base?.sha ?? null
    if (update.run(mergeable, state, base, repoId, a.number, mergeable, state, base).changes > 0) {
      changed.push(a.number)
      const issue = (db.prepare('SELECT issue FROM pulls WHERE repo_id = ? AND number = ?').get(repoId, a.number) as { issue: number | null } | undefined)?.issue
      if (issue) changed.push(issue)
    }
    // Still being computed: no ETag, so the next pass reads the answer GitHub has by then.
    saveSyncState(db, repoId, key(a.number), mergeable === null ? null : a.etag, null)
  }
  return changed
}
