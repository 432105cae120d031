// What stands between a pull request and its merge: commit statuses, check
// runs, branch protection (required checks and approving reviews) and the
// repository's allowed merge methods — with GitHub's messages when a merge is
// refused, so Baton can tell the person why.
import type { ApiContext, ApiRequest, Router } from '../http/api'
import { HttpError, bodyObject, optString, paginate, validationFailed } from '../http/api'
import { readBranches } from '../git'
import type { Model } from '../model'
import { isoTime } from '../model'
import { nodeId, repoApiUrl, repoWebUrl, repository, simpleUser, type Urls } from '../shapes'
import type { BranchProtectionRow, CheckRunRow, RepoRow, StatusRow } from '../store'
import { repoAccess } from './access'

const STATUS_STATES = ['error', 'failure', 'pending', 'success'] as const
const RUN_STATUSES = ['queued', 'in_progress', 'completed'] as const
const CONCLUSIONS = ['action_required', 'cancelled', 'failure', 'neutral', 'success', 'skipped', 'stale', 'timed_out'] as const

function status(s: StatusRow, repo: RepoRow, model: Model, urls: Urls) {
  const creator = model.account(s.creator_id)
  return {
    url: `${repoApiUrl(repo, model, urls)}/statuses/${s.sha}`,
    avatar_url: simpleUser(creator, urls).avatar_url,
    id: s.id,
    node_id: nodeId('StatusContext', s.id),
    state: s.state,
    description: s.description,
    target_url: s.target_url,
    context: s.context,
    created_at: isoTime(s.created_at),
    updated_at: isoTime(s.updated_at),
    creator: simpleUser(creator, urls)
  }
}

function checkRun(c: CheckRunRow, repo: RepoRow, model: Model, urls: Urls) {
  const api = repoApiUrl(repo, model, urls)
  return {
    id: c.id,
    node_id: nodeId('CheckRun', c.id),
    head_sha: c.head_sha,
    name: c.name,
    external_id: '',
    url: `${api}/check-runs/${c.id}`,
    html_url: `${repoWebUrl(repo, model, urls)}/runs/${c.id}`,
    details_url: c.details_url,
    status: c.status,
    conclusion: c.conclusion,
    started_at: isoTime(c.started_at),
    completed_at: c.completed_at === null ? null : isoTime(c.completed_at),
    output: { title: c.title, summary: c.summary, text: null, annotations_count: 0, annotations_url: `${api}/check-runs/${c.id}/annotations` },
    check_suite: { id: c.id },
    app: null,
    pull_requests: []
  }
}

/** The newest status per context for `sha`, GitHub's order (newest first). */
function latestStatuses(model: Model, repoId: number, sha: string): StatusRow[] {
  const rows = model.db.prepare('SELECT * FROM statuses WHERE repo_id = ? AND sha = ? ORDER BY id DESC').all(repoId, sha) as StatusRow[]
  const seen = new Set<string>()
  return rows.filter((r) => !seen.has(r.context) && seen.add(r.context))
}

function latestRuns(model: Model, repoId: number, sha: string): CheckRunRow[] {
  const rows = model.db.prepare('SELECT * FROM check_runs WHERE repo_id = ? AND head_sha = ? ORDER BY id DESC').all(repoId, sha) as CheckRunRow[]
  const seen = new Set<string>()
  return rows.filter((r) => !seen.has(r.name) && seen.add(r.name))
}

/** GitHub's combined state: failure if any failed or errored, pending if any pending or none, else success. */
function combinedState(rows: StatusRow[]): 'failure' | 'pending' | 'success' {
  if (rows.some((r) => r.state === 'failure' || r.state === 'error')) return 'failure'
  if (rows.length === 0 || rows.some((r) => r.state === 'pending')) return 'pending'
  return 'success'
}

export function protectionOf(model: Model, repoId: number, branch: string): BranchProtectionRow | undefined {
  return model.db.prepare('SELECT * FROM branch_protection WHERE repo_id = ? AND branch = ?').get(repoId, branch) as BranchProtectionRow | undefined
}

/**
 * Why GitHub would refuse to merge into `base` at `headSha` now, in GitHub's
 * words, or null when nothing blocks it. `method` is checked against the
 * repository's allowed merge methods.
 */
export function mergeBlocker(model: Model, repo: RepoRow, pullId: number, base: string, headSha: string, method?: string): string | null {
  if (method === 'merge' && !repo.allow_merge_commit) return 'Merge commits are not allowed on this repository.'
  if (method === 'squash' && !repo.allow_squash_merge) return 'Squash merges are not allowed on this repository.'
  if (method === 'rebase' && !repo.allow_rebase_merge) return 'Rebase merges are not allowed on this repository.'
  const rule = protectionOf(model, repo.id, base)
  if (!rule) return null
  if (rule.required_reviews > 0) {
    const reviews = model.db.prepare("SELECT user_id, state FROM reviews WHERE pull_id = ? AND state != 'PENDING' AND state != 'COMMENTED' ORDER BY id").all(pullId) as Array<{
      user_id: number
      state: string
    }>
    const last = new Map<number, string>()
    for (const r of reviews) last.set(r.user_id, r.state)
    const approvals = [...last.entries()].filter(([user, state]) => state === 'APPROVED' && ['write', 'maintain', 'admin'].includes(model.permission(repo, model.account(user)))).length
    if ([...last.values()].includes('CHANGES_REQUESTED')) return 'Changes must be made through a pull request. A reviewer requested changes.'
    if (approvals < rule.required_reviews) {
      return `At least ${rule.required_reviews} approving review${rule.required_reviews === 1 ? ' is' : 's are'} required by reviewers with write access.`
    }
  }
  const contexts = JSON.parse(rule.contexts) as string[]
  if (contexts.length) {
    const statuses = latestStatuses(model, repo.id, headSha)
    const runs = latestRuns(model, repo.id, headSha)
    for (const context of contexts) {
      const s = statuses.find((x) => x.context === context)
      const r = runs.find((x) => x.name === context)
      if (!s && !r) return `Required status check "${context}" is expected.`
      const ok = s ? s.state === 'success' : r!.status === 'completed' && ['success', 'neutral', 'skipped'].includes(r!.conclusion ?? '')
      if (!ok) return `Required status check "${context}" is ${s?.state === 'pending' || (r && r.status !== 'completed') ? 'pending' : 'failing'}.`
    }
  }
  return null
}

async function resolveRef(req: ApiRequest, ctx: ApiContext, repo: RepoRow): Promise<string> {
  const ref = req.params.ref ?? ''
  if (/^[0-9a-f]{40}$/.test(ref)) return ref
  const branches = await readBranches(ctx.model.gitDir(repo))
  const sha = branches.get(ref.replace(/^(refs\/)?heads\//, ''))
  if (!sha) throw new HttpError(422, `No commit found for SHA: ${ref}`)
  return sha
}

export function checkRoutes(router: Router): void {
  router.add('POST', '/repos/{owner}/{repo}/statuses/{sha}', (req, ctx) => {
    const { repo } = repoAccess(req, ctx, 'write')
    const sha = req.params.sha ?? ''
    if (!/^[0-9a-f]{40}$/.test(sha)) throw new HttpError(422, `No commit found for SHA: ${sha}`)
    const b = bodyObject(req)
    const state = optString(b, 'state', 'Status')
    if (!state || !(STATUS_STATES as readonly string[]).includes(state)) throw validationFailed([{ resource: 'Status', field: 'state', code: 'invalid' }])
    const context = optString(b, 'context', 'Status') ?? 'default'
    const t = ctx.model.now()
    const id = Number(
      ctx.model.db
        .prepare('INSERT INTO statuses (repo_id, sha, state, context, description, target_url, creator_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(repo.id, sha, state, context, optString(b, 'description', 'Status', true) ?? null, optString(b, 'target_url', 'Status', true) ?? null, req.viewer!.id, t, t)
        .lastInsertRowid
    )
    ctx.model.touchRepo(repo.id)
    const row = ctx.model.db.prepare('SELECT * FROM statuses WHERE id = ?').get(id) as StatusRow
    return { status: 201, body: status(row, repo, ctx.model, ctx.urls) }
  })

  router.add('GET', '/repos/{owner}/{repo}/commits/{ref}/statuses', async (req, ctx) => {
    const { repo } = repoAccess(req, ctx)
    const sha = await resolveRef(req, ctx, repo)
    const rows = ctx.model.db.prepare('SELECT * FROM statuses WHERE repo_id = ? AND sha = ? ORDER BY id DESC').all(repo.id, sha) as StatusRow[]
    const { page, headers } = paginate(rows, req, ctx.urls.api)
    return { status: 200, body: page.map((s) => status(s, repo, ctx.model, ctx.urls)), headers }
  })

  router.add('GET', '/repos/{owner}/{repo}/commits/{ref}/status', async (req, ctx) => {
    const { repo } = repoAccess(req, ctx)
    const sha = await resolveRef(req, ctx, repo)
    const rows = latestStatuses(ctx.model, repo.id, sha)
    const api = repoApiUrl(repo, ctx.model, ctx.urls)
    return {
      status: 200,
      body: {
        state: combinedState(rows),
        statuses: rows.map((s) => {
          const { creator: _creator, ...simple } = status(s, repo, ctx.model, ctx.urls)
          return simple
        }),
        sha,
        total_count: rows.length,
        repository: repository(repo, ctx.model, ctx.urls),
        commit_url: `${api}/commits/${sha}`,
        url: `${api}/commits/${sha}/status`
      }
    }
  })

  // On GitHub only a GitHub App may create check runs; the forge lets any writer, for tests.
  router.add('POST', '/repos/{owner}/{repo}/check-runs', (req, ctx) => {
    const { repo } = repoAccess(req, ctx, 'write')
    const b = bodyObject(req)
    const name = optString(b, 'name', 'CheckRun')
    const head = optString(b, 'head_sha', 'CheckRun')
    if (!name) throw validationFailed([{ resource: 'CheckRun', field: 'name', code: 'missing_field' }])
    if (!head || !/^[0-9a-f]{40}$/.test(head)) throw validationFailed([{ resource: 'CheckRun', field: 'head_sha', code: 'invalid' }])
    const conclusion = optString(b, 'conclusion', 'CheckRun') ?? null
    if (conclusion && !(CONCLUSIONS as readonly string[]).includes(conclusion)) throw validationFailed([{ resource: 'CheckRun', field: 'conclusion', code: 'invalid' }])
    const runStatus = optString(b, 'status', 'CheckRun') ?? (conclusion ? 'completed' : 'queued')
    if (!(RUN_STATUSES as readonly string[]).includes(runStatus)) throw validationFailed([{ resource: 'CheckRun', field: 'status', code: 'invalid' }])
    if (runStatus === 'completed' && !conclusion) throw validationFailed([{ resource: 'CheckRun', field: 'conclusion', code: 'missing_field' }])
    const output = (typeof b.output === 'object' && b.output ? b.output : {}) as Record<string, unknown>
    const t = ctx.model.now()
    const id = Number(
      ctx.model.db
        .prepare('INSERT INTO check_runs (repo_id, head_sha, name, status, conclusion, details_url, title, summary, started_at, completed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(
          repo.id,
          head,
          name,
          runStatus,
          conclusion,
          optString(b, 'details_url', 'CheckRun') ?? null,
          typeof output.title === 'string' ? output.title : null,
          typeof output.summary === 'string' ? output.summary : null,
          t,
          runStatus === 'completed' ? t : null
        ).lastInsertRowid
    )
    ctx.model.touchRepo(repo.id)
    const row = ctx.model.db.prepare('SELECT * FROM check_runs WHERE id = ?').get(id) as CheckRunRow
    return { status: 201, body: checkRun(row, repo, ctx.model, ctx.urls) }
  })

  router.add('GET', '/repos/{owner}/{repo}/commits/{ref}/check-runs', async (req, ctx) => {
    const { repo } = repoAccess(req, ctx)
    const sha = await resolveRef(req, ctx, repo)
    const rows = ctx.model.db.prepare('SELECT * FROM check_runs WHERE repo_id = ? AND head_sha = ? ORDER BY id DESC').all(repo.id, sha) as CheckRunRow[]
    const { page, headers } = paginate(rows, req, ctx.urls.api)
    return { status: 200, body: { total_count: rows.length, check_runs: page.map((c) => checkRun(c, repo, ctx.model, ctx.urls)) }, headers }
  })
}
