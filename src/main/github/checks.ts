// What a pull request's head commit reports (commit statuses and check runs,
// folded into one list with one overall state), and which merge methods the
// repository allows — read for the PR review screen.
import type { MergeMethod, PrCheck, PrChecks } from '../../shared/api'
import type { GitHub } from './octokit'

/** Commit statuses (newest per context) and check runs (newest per name) on `sha`. */
export async function prChecks(octokit: GitHub, owner: string, repo: string, sha: string): Promise<PrChecks> {
  const [combined, runs] = await Promise.all([
    octokit.rest.repos.getCombinedStatusForRef({ owner, repo, ref: sha, per_page: 100 }),
    // Reading check runs needs `checks:read` on fine-grained tokens: without it, statuses alone.
    octokit.rest.checks.listForRef({ owner, repo, ref: sha, per_page: 100 }).catch((error: { status?: number }) => {
      if (error.status === 403 || error.status === 404) return null
      throw error
    })
  ])
  const items: PrCheck[] = combined.data.statuses.map((s) => ({
    name: s.context,
    kind: 'status',
    state: statusState(s.state),
    description: s.description ?? null,
    url: s.target_url ?? null
  }))
  const seen = new Set<string>()
  for (const run of runs?.data.check_runs ?? []) {
    if (seen.has(run.name)) continue
    seen.add(run.name)
    items.push({
      name: run.name,
      kind: 'check-run',
      state: runState(run.status, run.conclusion),
      description: run.output?.title ?? run.output?.summary ?? null,
      url: run.details_url ?? run.html_url ?? null
    })
  }
  return { state: overall(items), items }
}

/** A commit status's state as one of Baton's: error and failure are both a failure. */
export function statusState(state: string): PrCheck['state'] {
  return state === 'success' ? 'success' : state === 'pending' ? 'pending' : 'failure'
}

export function runState(status: string, conclusion: string | null): PrCheck['state'] {
  if (status !== 'completed') return 'pending'
  if (conclusion === 'success') return 'success'
  if (conclusion === 'neutral' || conclusion === 'skipped') return 'neutral'
  return 'failure'
}

function overall(items: PrCheck[]): PrChecks['state'] {
  if (items.length === 0) return 'none'
  if (items.some((i) => i.state === 'failure')) return 'failure'
  if (items.some((i) => i.state === 'pending')) return 'pending'
  return 'success'
}

/** The repository's allowed merge methods; GitHub omits the flags for readers, when all are shown. */
export function allowedMergeMethods(repo: { allow_merge_commit?: boolean; allow_squash_merge?: boolean; allow_rebase_merge?: boolean }): MergeMethod[] {
  const out: MergeMethod[] = []
  if (repo.allow_merge_commit !== false) out.push('merge')
  if (repo.allow_squash_merge !== false) out.push('squash')
  if (repo.allow_rebase_merge !== false) out.push('rebase')
  return out.length ? out : ['merge']
}
