// What people do on agent PRs, read by the sync: reviews (per open agent PR),
// review comments (one repository-wide list, `since` the cursor) and the
// head commit's statuses and check runs. Every read is conditional
// (conditional.ts): an idle repository with open agent PRs still spends no
// rate limit. The reads happen first, the writes in the sync's one
// transaction (`storePrActivity`, no await).
import type { Db } from '../store/open'
import { runState, statusState } from './checks'
import { getOne, listAll, saveSyncState, syncState, type Counter, type Page } from './conditional'
import type { GitHub } from './octokit'

type Row = Record<string, unknown>

export interface AgentPull {
  number: number
  headSha: string
  issue: number | null
}

interface Conditional<T> {
  data: T | null
  etag: string | null
  notModified: boolean
}

interface PullActivity {
  pull: AgentPull
  reviews: Page<Row>
  status: Conditional<{ statuses?: Row[] }>
  /** null: check runs cannot be read with this token (fine-grained without checks:read). */
  runs: Conditional<{ check_runs?: Row[] }> | null
}

export interface PrActivity {
  reviewComments: Page<Row>
  reviewCommentsCursor: string | null
  pulls: PullActivity[]
  /** PRs whose check runs this token may not read (remembered per head). */
  runsRefused: Array<{ number: number; headSha: string }>
}

const status = (error: unknown) => (error as { status?: number }).status

export async function fetchPrActivity(db: Db, octokit: GitHub, repo: { id: number; owner: string; name: string }, agentPulls: AgentPull[], counter: Counter): Promise<PrActivity> {
  const base = { owner: repo.owner, repo: repo.name }
  const rc = syncState(db, repo.id, 'review-comments')
  const reviewComments = await listAll<Row>(
    octokit,
    'GET /repos/{owner}/{repo}/pulls/comments',
    { ...base, sort: 'updated', direction: 'asc', ...(rc.cursor ? { since: rc.cursor } : {}) },
    rc.etag,
    counter
  )
  const pulls: PullActivity[] = []
  const refused: AgentPull[] = []
  for (const pull of agentPulls) {
    const reviewsState = syncState(db, repo.id, `reviews:${pull.number}`)
    const reviews = await listAll<Row>(octokit, 'GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews', { ...base, pull_number: pull.number }, reviewsState.etag, counter)
    // A status list's ETag is for its commit: a new head is asked afresh.
    const statusState_ = syncState(db, repo.id, `status:${pull.number}`)
    const statusAnswer = await getOne<{ statuses?: Row[] }>(
      octokit,
      'GET /repos/{owner}/{repo}/commits/{ref}/status',
      { ...base, ref: pull.headSha, per_page: 100 },
      statusState_.cursor === pull.headSha ? statusState_.etag : null,
      counter
    )
    const runsState = syncState(db, repo.id, `check-runs:${pull.number}`)
    let runs: PullActivity['runs'] = null
    // Refused before for this head (a fine-grained token without checks:read): a refusal counts against the
    // rate limit, so it is asked again only when the head moves.
    if (runsState.cursor !== `none:${pull.headSha}`) {
      try {
        runs = await getOne<{ check_runs?: Row[] }>(
          octokit,
          'GET /repos/{owner}/{repo}/commits/{ref}/check-runs',
          { ...base, ref: pull.headSha, per_page: 100 },
          runsState.cursor === pull.headSha ? runsState.etag : null,
          counter
        )
      } catch (error) {
        // Reading check runs needs `checks:read` on fine-grained tokens: without it, statuses alone.
        if (status(error) !== 403 && status(error) !== 404) throw error
        refused.push(pull)
      }
    }
    pulls.push({ pull, reviews, status: statusAnswer, runs })
  }
  return { reviewComments, reviewCommentsCursor: rc.cursor, pulls, runsRefused: refused.map((p) => ({ number: p.number, headSha: p.headSha })) }
}

const login = (row: Row) => (row.user as { login?: string } | null)?.login ?? 'ghost'
const text = (v: unknown) => (typeof v === 'string' ? v : null)

/** Writes what `fetchPrActivity` read; returns the PR and issue numbers that changed. Call inside the sync's transaction. */
export function storePrActivity(db: Db, repoId: number, activity: PrActivity): number[] {
  const changed = new Set<number>()
  const issueOf = (pull: number) => (db.prepare('SELECT issue FROM pulls WHERE repo_id = ? AND number = ?').get(repoId, pull) as { issue: number | null } | undefined)?.issue ?? null
  const touch = (pull: number, issue: number | null = issueOf(pull)) => {
    changed.add(pull)
    if (issue) changed.add(issue)
  }

  if (!activity.reviewComments.notModified) {
    let cursor = activity.reviewCommentsCursor
    const upsert = db.prepare(
      `INSERT INTO review_comments (repo_id, id, pull, review_id, author, author_association, path, line, body, html_url, commit_id, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(repo_id, id) DO UPDATE SET body = excluded.body, line = excluded.line, author_association = excluded.author_association, updated_at = excluded.updated_at
       WHERE review_comments.updated_at != excluded.updated_at OR review_comments.body != excluded.body`
    )
    for (const c of activity.reviewComments.data) {
      const pull = Number(/\/pulls\/(\d+)$/.exec(String(c.pull_request_url ?? ''))?.[1] ?? 0)
      if (!pull) continue
      const line = typeof c.line === 'number' ? c.line : typeof c.original_line === 'number' ? c.original_line : null
      const result = upsert.run(
        repoId,
        c.id,
        pull,
        typeof c.pull_request_review_id === 'number' ? c.pull_request_review_id : null,
        login(c),
        String(c.author_association ?? 'NONE'),
        String(c.path ?? ''),
        line,
        String(c.body ?? ''),
        text(c.html_url),
        text(c.commit_id),
        String(c.created_at),
        String(c.updated_at)
      )
      if (result.changes > 0) touch(pull)
      if (!cursor || String(c.updated_at) > cursor) cursor = String(c.updated_at)
    }
    saveSyncState(db, repoId, 'review-comments', activity.reviewComments.etag, cursor)
  }

  const upsertReview = db.prepare(
    `INSERT INTO reviews (repo_id, id, pull, author, author_association, state, body, html_url, commit_id, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(repo_id, id) DO UPDATE SET state = excluded.state, body = excluded.body, author_association = excluded.author_association, submitted_at = excluded.submitted_at
     WHERE reviews.state != excluded.state OR reviews.body != excluded.body OR reviews.submitted_at IS NOT excluded.submitted_at`
  )
  const heads: string[] = []
  for (const { pull, reviews, status: statusAnswer, runs } of activity.pulls) {
    heads.push(pull.headSha)
    if (!reviews.notModified) {
      for (const r of reviews.data) {
        if (r.state === 'PENDING') continue
        const result = upsertReview.run(repoId, r.id, pull.number, login(r), String(r.author_association ?? 'NONE'), String(r.state), String(r.body ?? ''), text(r.html_url), text(r.commit_id), text(r.submitted_at))
        if (result.changes > 0) touch(pull.number, pull.issue)
      }
      saveSyncState(db, repoId, `reviews:${pull.number}`, reviews.etag, null)
    }
    if (!statusAnswer.notModified && statusAnswer.data) {
      const items = (statusAnswer.data.statuses ?? []).map((s) => ({
        name: String(s.context ?? 'default'),
        state: statusState(String(s.state)),
        description: text(s.description),
        url: text(s.target_url)
      }))
      if (replaceChecks(db, repoId, pull.headSha, 'status', items)) touch(pull.number, pull.issue)
      saveSyncState(db, repoId, `status:${pull.number}`, statusAnswer.etag, pull.headSha)
    }
    if (runs && !runs.notModified && runs.data) {
      const seen = new Set<string>()
      const items = []
      // Newest first: the first run of each name is the one that counts.
      for (const run of runs.data.check_runs ?? []) {
        const name = String(run.name)
        if (seen.has(name)) continue
        seen.add(name)
        const output = (run.output ?? {}) as { title?: string | null; summary?: string | null }
        items.push({ name, state: runState(String(run.status), (run.conclusion as string | null) ?? null), description: output.title ?? output.summary ?? null, url: text(run.details_url) ?? text(run.html_url) })
      }
      if (replaceChecks(db, repoId, pull.headSha, 'check-run', items)) touch(pull.number, pull.issue)
      saveSyncState(db, repoId, `check-runs:${pull.number}`, runs.etag, pull.headSha)
    }
  }
  for (const p of activity.runsRefused) saveSyncState(db, repoId, `check-runs:${p.number}`, null, `none:${p.headSha}`)
  // Only the heads of open agent PRs matter: older commits' checks go.
  db.prepare(`DELETE FROM checks WHERE repo_id = ? AND sha NOT IN (${heads.map(() => '?').join(', ')})`).run(repoId, ...heads)
  return [...changed]
}

/** Replaces the checks of one kind on `sha`; whether anything differs. */
function replaceChecks(db: Db, repoId: number, sha: string, kind: 'status' | 'check-run', items: Array<{ name: string; state: string; description: string | null; url: string | null }>): boolean {
  const before = db.prepare('SELECT name, state, description, url FROM checks WHERE repo_id = ? AND sha = ? AND kind = ? ORDER BY name').all(repoId, sha, kind)
  const after = [...items].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  if (JSON.stringify(before) === JSON.stringify(after)) return false
  db.prepare('DELETE FROM checks WHERE repo_id = ? AND sha = ? AND kind = ?').run(repoId, sha, kind)
  const insert = db.prepare('INSERT OR REPLACE INTO checks (repo_id, sha, kind, name, state, description, url) VALUES (?, ?, ?, ?, ?, ?, ?)')
  for (const i of after) insert.run(repoId, sha, kind, i.name, i.state, i.description, i.url)
  return true
}
