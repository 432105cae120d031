// Pull requests: real branches in the bare repository, real diffs and real
// merges. A PR is an issue row (numbers share one sequence) plus a pulls row.
import type { ApiContext, ApiRequest, Router } from '../http/api'
import { HttpError, bodyObject, notFound, optString, paginate, validationFailed } from '../http/api'
import { commitTree, commitsBetween, countCommits, diffFiles, mergeBase, mergeTree, readBranches, rebaseCommits, updateRef } from '../git'
import type { CommitInfo, FileDiff } from '../git'
import { atLeast, isoTime } from '../model'
import type { Model } from '../model'
import { label, repoApiUrl, repoWebUrl, repository, review, reviewComment, simpleUser } from '../shapes'
import type { Urls } from '../shapes'
import type { AccountRow, IssueRow, PullRow, RepoRow, ReviewCommentRow, ReviewRow } from '../store'
import { repoAccess } from './access'
import { mergeBlocker, protectionOf } from './checks'

/** Where a PR's branches point now: live refs while open, the recorded shas once closed. */
async function liveShas(model: Model, repo: RepoRow, issue: IssueRow, pull: PullRow): Promise<{ head: string; base: string }> {
  if (issue.state === 'closed' || pull.merged_at !== null) return { head: pull.head_sha, base: pull.base_sha }
  const refs = await readBranches(model.gitDir(repo))
  return { head: refs.get(pull.head_ref) ?? pull.head_sha, base: refs.get(pull.base_ref) ?? pull.base_sha }
}

function pullOf(req: ApiRequest, ctx: ApiContext, repo: RepoRow): { issue: IssueRow; pull: PullRow } {
  const issue = ctx.model.issue(repo.id, Number(req.params.number))
  const pull = issue ? ctx.model.pull(issue.id) : undefined
  if (!issue || !pull) throw notFound()
  return { issue, pull }
}

function simplePull(issue: IssueRow, pull: PullRow, shas: { head: string; base: string }, repo: RepoRow, model: Model, urls: Urls) {
  const api = repoApiUrl(repo, model, urls)
  const web = repoWebUrl(repo, model, urls)
  const owner = model.account(repo.owner_id)
  const url = `${api}/pulls/${issue.number}`
  const repoJson = repository(repo, model, urls)
  const assignees = model.assignees(issue.id).map((a) => simpleUser(a, urls))
  const branch = (ref: string, sha: string) => ({ label: `${owner.login}:${ref}`, ref, sha, user: simpleUser(owner, urls), repo: repoJson })
  return {
    url,
    id: issue.id,
    node_id: Buffer.from(`0:PullRequest${issue.id}`).toString('base64').replace(/=+$/, ''),
    html_url: `${web}/pull/${issue.number}`,
    diff_url: `${web}/pull/${issue.number}.diff`,
    patch_url: `${web}/pull/${issue.number}.patch`,
    issue_url: `${api}/issues/${issue.number}`,
    commits_url: `${url}/commits`,
    review_comments_url: `${url}/comments`,
    review_comment_url: `${api}/pulls/comments{/number}`,
    comments_url: `${api}/issues/${issue.number}/comments`,
    statuses_url: `${api}/statuses/${shas.head}`,
    number: issue.number,
    state: issue.state,
    locked: issue.locked === 1,
    title: issue.title,
    user: simpleUser(model.account(issue.user_id), urls),
    body: issue.body,
    labels: model.issueLabels(issue.id).map((l) => label(l, api)),
    milestone: null,
    active_lock_reason: null,
    created_at: isoTime(issue.created_at),
    updated_at: isoTime(issue.updated_at),
    closed_at: issue.closed_at === null ? null : isoTime(issue.closed_at),
    merged_at: pull.merged_at === null ? null : isoTime(pull.merged_at),
    merge_commit_sha: pull.merge_commit_sha,
    assignee: assignees[0] ?? null,
    assignees,
    requested_reviewers: [],
    requested_teams: [],
    head: branch(pull.head_ref, shas.head),
    base: branch(pull.base_ref, shas.base),
    _links: {
      self: { href: url },
      html: { href: `${web}/pull/${issue.number}` },
      issue: { href: `${api}/issues/${issue.number}` },
      comments: { href: `${api}/issues/${issue.number}/comments` },
      review_comments: { href: `${url}/comments` },
      review_comment: { href: `${api}/pulls/comments{/number}` },
      commits: { href: `${url}/commits` },
      statuses: { href: `${api}/statuses/${shas.head}` }
    },
    author_association: model.authorAssociation(repo, issue.user_id),
    auto_merge: null,
    draft: pull.draft === 1
  }
}

/**
 * Branch protection that requires branches to be up to date (`strict`, with
 * at least one required check: without one GitHub ignores it) holds a PR
 * whose head does not contain the base's head: `mergeable_state: "behind"`.
 */
async function behindBase(model: Model, repo: RepoRow, baseRef: string, shas: { head: string; base: string }): Promise<boolean> {
  const rule = protectionOf(model, repo.id, baseRef)
  if (!rule || rule.strict !== 1 || (JSON.parse(rule.contexts) as string[]).length === 0) return false
  return (await mergeBase(model.gitDir(repo), shas.base, shas.head)) !== shas.base
}

async function fullPull(issue: IssueRow, pull: PullRow, repo: RepoRow, model: Model, urls: Urls) {
  const shas = await liveShas(model, repo, issue, pull)
  const gitDir = model.gitDir(repo)
  const open = issue.state === 'open'
  const base = pull.merge_base_sha ?? (await mergeBase(gitDir, shas.base, shas.head)) ?? shas.base
  const [files, commits, merge, behind] = await Promise.all([
    diffFiles(gitDir, base, shas.head),
    countCommits(gitDir, base, shas.head),
    open ? mergeTree(gitDir, shas.base, shas.head) : Promise.resolve(undefined),
    open ? behindBase(model, repo, pull.base_ref, shas) : Promise.resolve(false)
  ])
  const reviewComments = (model.db.prepare('SELECT count(*) AS n FROM review_comments WHERE pull_id = ?').get(issue.id) as { n: number }).n
  return {
    ...simplePull(issue, pull, shas, repo, model, urls),
    merged: pull.merged_at !== null,
    mergeable: merge ? merge.clean : null,
    rebaseable: merge ? merge.clean : null,
    mergeable_state: merge ? (!merge.clean ? 'dirty' : behind ? 'behind' : mergeBlocker(model, repo, issue.id, pull.base_ref, shas.head) ? 'blocked' : 'clean') : 'unknown',
    merged_by: pull.merged_by_id === null ? null : simpleUser(model.account(pull.merged_by_id), urls),
    comments: model.commentCount(issue.id),
    review_comments: reviewComments,
    maintainer_can_modify: false,
    commits,
    additions: files.reduce((n, f) => n + f.additions, 0),
    deletions: files.reduce((n, f) => n + f.deletions, 0),
    changed_files: files.length
  }
}

/** "owner:branch" or "branch" → branch, for this repository's owner only (the forge has no forks). */
function branchName(value: string, repoOwner: string): string | undefined {
  const i = value.indexOf(':')
  if (i < 0) return value
  return value.slice(0, i).toLowerCase() === repoOwner.toLowerCase() ? value.slice(i + 1) : undefined
}

const closing = /\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\s*:?\s+#(\d+)\b/gi

export function closingReferences(text: string): number[] {
  const out = new Set<number>()
  for (const m of text.matchAll(closing)) out.add(Number(m[1]))
  return [...out]
}

export function pullRoutes(router: Router): void {
  router.add('GET', '/repos/{owner}/{repo}/pulls', async (req, ctx) => {
    const { repo } = repoAccess(req, ctx)
    const state = req.query.get('state') ?? 'open'
    if (!['open', 'closed', 'all'].includes(state)) throw validationFailed([{ resource: 'PullRequest', field: 'state', code: 'invalid' }])
    const owner = ctx.model.account(repo.owner_id).login
    let rows = ctx.model.db
      .prepare(`SELECT i.*, p.head_ref, p.base_ref FROM issues i JOIN pulls p ON p.issue_id = i.id WHERE i.repo_id = ?${state === 'all' ? '' : ' AND i.state = ?'}`)
      .all(...([repo.id, ...(state === 'all' ? [] : [state])] as unknown[])) as (IssueRow & { head_ref: string; base_ref: string })[]
    const head = req.query.get('head')
    if (head) {
      const b = branchName(head, owner)
      rows = rows.filter((r) => b !== undefined && r.head_ref === b)
    }
    const base = req.query.get('base')
    if (base) rows = rows.filter((r) => r.base_ref === base)
    const sort = req.query.get('sort') ?? 'created'
    const dir = (req.query.get('direction') ?? (sort === 'long-running' ? 'asc' : 'desc')) === 'asc' ? 1 : -1
    rows.sort((a, b) => ((sort === 'updated' ? a.updated_at - b.updated_at : a.created_at - b.created_at) || a.number - b.number) * dir)
    const { page, headers } = paginate(rows, req, ctx.urls.api)
    const refs = await readBranches(ctx.model.gitDir(repo))
    const body = page.map((row) => {
      const pull = ctx.model.pull(row.id)!
      const open = row.state === 'open'
      const shas = {
        head: open ? refs.get(pull.head_ref) ?? pull.head_sha : pull.head_sha,
        base: open ? refs.get(pull.base_ref) ?? pull.base_sha : pull.base_sha
      }
      return simplePull(ctx.model.issueById(row.id), pull, shas, repo, ctx.model, ctx.urls)
    })
    return { status: 200, body, headers }
  })

  router.add('GET', '/repos/{owner}/{repo}/pulls/{number}', async (req, ctx) => {
    const { repo } = repoAccess(req, ctx)
    const { issue, pull } = pullOf(req, ctx, repo)
    return { status: 200, body: await fullPull(issue, pull, repo, ctx.model, ctx.urls) }
  })

  router.add('POST', '/repos/{owner}/{repo}/pulls', async (req, ctx) => {
    const { repo } = repoAccess(req, ctx, 'read', true)
    const b = bodyObject(req)
    const title = optString(b, 'title', 'PullRequest')
    const headParam = optString(b, 'head', 'PullRequest')
    const baseParam = optString(b, 'base', 'PullRequest')
    const missing = [
      ...(title ? [] : ['title']),
      ...(headParam ? [] : ['head']),
      ...(baseParam ? [] : ['base'])
    ]
    if (missing.length) throw validationFailed(missing.map((field) => ({ resource: 'PullRequest', field, code: 'missing_field' as const })))
    const owner = ctx.model.account(repo.owner_id).login
    const headRef = branchName(headParam!, owner)
    return ctx.withRepoLock(repo.id, async () => {
      const refs = await readBranches(ctx.model.gitDir(repo))
      const headSha = headRef === undefined ? undefined : refs.get(headRef)
      const baseSha = refs.get(baseParam!)
      if (!headSha) throw validationFailed([{ resource: 'PullRequest', field: 'head', code: 'invalid' }])
      if (!baseSha) throw validationFailed([{ resource: 'PullRequest', field: 'base', code: 'invalid' }])
      const existing = ctx.model.db
        .prepare("SELECT 1 FROM issues i JOIN pulls p ON p.issue_id = i.id WHERE i.repo_id = ? AND i.state = 'open' AND p.head_ref = ? AND p.base_ref = ?")
        .get(repo.id, headRef, baseParam)
      if (existing) throw validationFailed([{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${owner}:${headRef}.` }])
      const gitDir = ctx.model.gitDir(repo)
      if ((await countCommits(gitDir, baseSha, headSha)) === 0)
        throw validationFailed([{ resource: 'PullRequest', code: 'custom', message: `No commits between ${baseParam} and ${headRef}` }])
      const issue = ctx.model.db.transaction(() => {
        const created = ctx.model.createIssue(repo, { title: title!, body: optString(b, 'body', 'PullRequest', true) ?? null, userId: req.viewer!.id, isPull: true })
        ctx.model.db
          .prepare('INSERT INTO pulls (issue_id, head_ref, base_ref, head_sha, base_sha, draft) VALUES (?, ?, ?, ?, ?, ?)')
          .run(created.id, headRef, baseParam, headSha, baseSha, b.draft === true ? 1 : 0)
        return created
      })()
      const body = await fullPull(issue, ctx.model.pull(issue.id)!, repo, ctx.model, ctx.urls)
      return { status: 201, body, headers: { location: body.url } }
    })
  })

  router.add('PATCH', '/repos/{owner}/{repo}/pulls/{number}', async (req, ctx) => {
    const { repo, permission } = repoAccess(req, ctx, 'read', true)
    const { issue, pull } = pullOf(req, ctx, repo)
    if (issue.user_id !== req.viewer!.id && !atLeast(permission, 'write')) throw new HttpError(403, 'Must have push access to update this pull request')
    const b = bodyObject(req)
    const title = optString(b, 'title', 'PullRequest')
    const body = optString(b, 'body', 'PullRequest', true)
    const state = optString(b, 'state', 'PullRequest')
    if (state !== undefined && state !== 'open' && state !== 'closed') throw validationFailed([{ resource: 'PullRequest', field: 'state', code: 'invalid' }])
    if (state && pull.merged_at !== null && state === 'open') throw validationFailed([{ resource: 'PullRequest', field: 'state', code: 'invalid', message: 'state cannot be changed. The pull request has been merged.' }])
    if (state === 'closed' && issue.state === 'open') {
      // Freeze the branch tips, so a closed PR keeps showing what it held.
      const shas = await liveShas(ctx.model, repo, issue, pull)
      ctx.model.db.prepare('UPDATE pulls SET head_sha = ?, base_sha = ? WHERE issue_id = ?').run(shas.head, shas.base, issue.id)
    }
    ctx.model.db.transaction(() => {
      if (title) ctx.model.db.prepare('UPDATE issues SET title = ? WHERE id = ?').run(title, issue.id)
      if (body !== undefined) ctx.model.db.prepare('UPDATE issues SET body = ? WHERE id = ?').run(body, issue.id)
      if (state && state !== issue.state) {
        ctx.model.setIssueState(issue, state as 'open' | 'closed', null, req.viewer!.id)
        ctx.model.db.prepare('UPDATE issues SET state_reason = NULL WHERE id = ?').run(issue.id)
      }
      ctx.model.touchIssue(issue.id)
    })()
    return { status: 200, body: await fullPull(ctx.model.issueById(issue.id), ctx.model.pull(issue.id)!, repo, ctx.model, ctx.urls) }
  })

  router.add('GET', '/repos/{owner}/{repo}/pulls/{number}/files', async (req, ctx) => {
    const { repo } = repoAccess(req, ctx)
    const { issue, pull } = pullOf(req, ctx, repo)
    const shas = await liveShas(ctx.model, repo, issue, pull)
    const gitDir = ctx.model.gitDir(repo)
    const base = pull.merge_base_sha ?? (await mergeBase(gitDir, shas.base, shas.head)) ?? shas.base
    const files = await diffFiles(gitDir, base, shas.head)
    const api = repoApiUrl(repo, ctx.model, ctx.urls)
    const web = repoWebUrl(repo, ctx.model, ctx.urls)
    const { page, headers } = paginate(files, req, ctx.urls.api)
    return {
      status: 200,
      headers,
      body: page.map((f: FileDiff) => ({
        sha: f.sha,
        filename: f.filename,
        status: f.status,
        additions: f.additions,
        deletions: f.deletions,
        changes: f.changes,
        blob_url: `${web}/blob/${shas.head}/${f.filename}`,
        raw_url: `${web}/raw/${shas.head}/${f.filename}`,
        contents_url: `${api}/contents/${f.filename}?ref=${shas.head}`,
        ...(f.patch !== undefined ? { patch: f.patch } : {}),
        ...(f.previous_filename !== undefined ? { previous_filename: f.previous_filename } : {})
      }))
    }
  })

  // A PR's commits, oldest first, as GitHub lists them (it stops at 250; so does this).
  router.add('GET', '/repos/{owner}/{repo}/pulls/{number}/commits', async (req, ctx) => {
    const { repo } = repoAccess(req, ctx)
    const { issue, pull } = pullOf(req, ctx, repo)
    const shas = await liveShas(ctx.model, repo, issue, pull)
    const gitDir = ctx.model.gitDir(repo)
    const base = pull.merge_base_sha ?? (await mergeBase(gitDir, shas.base, shas.head)) ?? shas.base
    const commits = (await commitsBetween(gitDir, base, shas.head)).slice(0, 250)
    const api = repoApiUrl(repo, ctx.model, ctx.urls)
    const web = repoWebUrl(repo, ctx.model, ctx.urls)
    // GitHub links a commit to the account whose e-mail it carries, else leaves it null.
    const byEmail = ctx.model.db.prepare('SELECT * FROM accounts WHERE email IS NOT NULL AND lower(email) = lower(?)')
    const account = (email: string) => {
      const row = byEmail.get(email) as AccountRow | undefined
      return row ? simpleUser(row, ctx.urls) : null
    }
    const { page, headers } = paginate(commits, req, ctx.urls.api)
    return {
      status: 200,
      headers,
      body: page.map((c: CommitInfo) => ({
        sha: c.sha,
        node_id: Buffer.from(`Commit:${c.sha}`).toString('base64'),
        url: `${api}/commits/${c.sha}`,
        html_url: `${web}/commit/${c.sha}`,
        comments_url: `${api}/commits/${c.sha}/comments`,
        commit: {
          url: `${api}/git/commits/${c.sha}`,
          author: c.author,
          committer: c.committer,
          message: c.message,
          comment_count: 0,
          tree: { sha: c.tree, url: `${api}/git/trees/${c.tree}` }
        },
        author: account(c.author.email),
        committer: account(c.committer.email),
        parents: c.parents.map((p) => ({ sha: p, url: `${api}/commits/${p}`, html_url: `${web}/commit/${p}` }))
      }))
    }
  })

  router.add('GET', '/repos/{owner}/{repo}/pulls/{number}/merge', (req, ctx) => {
    const { repo } = repoAccess(req, ctx)
    const { pull } = pullOf(req, ctx, repo)
    if (pull.merged_at === null) throw notFound()
    return { status: 204 }
  })

  router.add('PUT', '/repos/{owner}/{repo}/pulls/{number}/merge', (req, ctx) => {
    const { repo } = repoAccess(req, ctx, 'write')
    return ctx.withRepoLock(repo.id, () => merge(req, ctx, repo))
  })

  // ── reviews ────────────────────────────────────────────────────────────────
  router.add('GET', '/repos/{owner}/{repo}/pulls/{number}/reviews', (req, ctx) => {
    const { repo } = repoAccess(req, ctx)
    const { issue } = pullOf(req, ctx, repo)
    // A pending review is visible only to its author.
    const rows = (ctx.model.db.prepare('SELECT * FROM reviews WHERE pull_id = ? ORDER BY id').all(issue.id) as ReviewRow[]).filter(
      (r) => r.state !== 'PENDING' || r.user_id === req.viewer?.id
    )
    const { page, headers } = paginate(rows, req, ctx.urls.api)
    return { status: 200, body: page.map((r) => review(r, issue.number, repo, ctx.model, ctx.urls)), headers }
  })

  router.add('POST', '/repos/{owner}/{repo}/pulls/{number}/reviews', async (req, ctx) => {
    const { repo } = repoAccess(req, ctx, 'read', true)
    const { issue, pull } = pullOf(req, ctx, repo)
    const b = bodyObject(req)
    const event = optString(b, 'event', 'PullRequestReview') ?? undefined
    const body = optString(b, 'body', 'PullRequestReview', true) ?? ''
    const states: Record<string, string> = { APPROVE: 'APPROVED', REQUEST_CHANGES: 'CHANGES_REQUESTED', COMMENT: 'COMMENTED' }
    if (event !== undefined && !(event in states)) throw validationFailed([{ resource: 'PullRequestReview', field: 'event', code: 'invalid' }])
    const viewer = req.viewer!
    // Review errors come as plain strings (GitHub's validation-error-simple).
    const unprocessable = (message: string) => new HttpError(422, 'Unprocessable Entity', { errors: [message] })
    if (issue.user_id === viewer.id && (event === 'APPROVE' || event === 'REQUEST_CHANGES'))
      throw unprocessable(`Review Can not ${event === 'APPROVE' ? 'approve' : 'request changes on'} your own pull request`)
    const rawComments = b.comments ?? []
    if (!Array.isArray(rawComments)) throw validationFailed([{ resource: 'PullRequestReview', field: 'comments', code: 'invalid' }])
    if ((event === 'REQUEST_CHANGES' || event === 'COMMENT') && !body && rawComments.length === 0)
      throw unprocessable(`Review Body is required for ${event === 'COMMENT' ? 'comment' : 'request changes'} reviews`)
    const shas = await liveShas(ctx.model, repo, issue, pull)
    const commitId = optString(b, 'commit_id', 'PullRequestReview') ?? shas.head
    const gitDir = ctx.model.gitDir(repo)
    const base = pull.merge_base_sha ?? (await mergeBase(gitDir, shas.base, shas.head)) ?? shas.base
    const files = rawComments.length ? await diffFiles(gitDir, base, shas.head) : []
    const comments = rawComments.map((raw, i) => {
      const c = (raw ?? {}) as Record<string, unknown>
      const path = typeof c.path === 'string' ? c.path : undefined
      const text = typeof c.body === 'string' ? c.body : undefined
      const line = typeof c.line === 'number' ? c.line : typeof c.position === 'number' ? c.position : undefined
      const side = c.side === 'LEFT' ? 'LEFT' : 'RIGHT'
      const file = files.find((f) => f.filename === path)
      if (!path || !text) throw validationFailed([{ resource: 'PullRequestReviewComment', field: `comments[${i}]`, code: 'missing_field' }])
      if (!file) throw unprocessable('Path could not be resolved')
      const hunk = line === undefined ? undefined : hunkFor(file.patch ?? '', line, side)
      if (line === undefined || hunk === undefined) throw unprocessable('Line could not be resolved')
      return { path, body: text, line, side, hunk }
    })
    const t = ctx.model.now()
    const id = ctx.model.db.transaction(() => {
      const state = event ? states[event]! : 'PENDING'
      const info = ctx.model.db
        .prepare('INSERT INTO reviews (pull_id, user_id, body, state, commit_id, submitted_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(issue.id, viewer.id, body, state, commitId, event ? t : null)
      const reviewId = Number(info.lastInsertRowid)
      const add = ctx.model.db.prepare(
        'INSERT INTO review_comments (review_id, pull_id, user_id, path, line, side, body, commit_id, diff_hunk, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'
      )
      for (const c of comments) add.run(reviewId, issue.id, viewer.id, c.path, c.line, c.side, c.body, commitId, c.hunk, t, t)
      ctx.model.touchIssue(issue.id)
      return reviewId
    })()
    const row = ctx.model.db.prepare('SELECT * FROM reviews WHERE id = ?').get(id) as ReviewRow
    return { status: 200, body: review(row, issue.number, repo, ctx.model, ctx.urls) }
  })

  router.add('GET', '/repos/{owner}/{repo}/pulls/{number}/comments', (req, ctx) => {
    const { repo } = repoAccess(req, ctx)
    const { issue } = pullOf(req, ctx, repo)
    const rows = ctx.model.db
      .prepare("SELECT c.* FROM review_comments c JOIN reviews r ON r.id = c.review_id WHERE c.pull_id = ? AND (r.state != 'PENDING' OR r.user_id = ?) ORDER BY c.id")
      .all(issue.id, req.viewer?.id ?? -1) as ReviewCommentRow[]
    const { page, headers } = paginate(rows, req, ctx.urls.api)
    return { status: 200, body: page.map((c) => reviewComment(c, issue.number, repo, ctx.model, ctx.urls)), headers }
  })

  // Every PR's review comments at once (GitHub: "List review comments in a repository"), so a sync asks one list, `since` its cursor.
  router.add('GET', '/repos/{owner}/{repo}/pulls/comments', (req, ctx) => {
    const { repo } = repoAccess(req, ctx)
    const s = req.query.get('since')
    const since = s ? Date.parse(s) : undefined
    if (since !== undefined && Number.isNaN(since)) throw validationFailed([{ resource: 'PullRequestReviewComment', field: 'since', code: 'invalid' }])
    const sort = req.query.get('sort') ?? 'created'
    if (!['created', 'updated'].includes(sort)) throw validationFailed([{ resource: 'PullRequestReviewComment', field: 'sort', code: 'invalid' }])
    const d = req.query.get('direction') ?? 'asc'
    if (d !== 'asc' && d !== 'desc') throw validationFailed([{ resource: 'PullRequestReviewComment', field: 'direction', code: 'invalid' }])
    const rows = ctx.model.db
      .prepare(
        `SELECT c.* FROM review_comments c JOIN reviews r ON r.id = c.review_id JOIN issues i ON i.id = c.pull_id
         WHERE i.repo_id = ? AND (r.state != 'PENDING' OR r.user_id = ?)${since === undefined ? '' : ' AND c.updated_at >= ?'}`
      )
      .all(...([repo.id, req.viewer?.id ?? -1, ...(since === undefined ? [] : [since])] as unknown[])) as ReviewCommentRow[]
    const dir = d === 'asc' ? 1 : -1
    rows.sort((a, b) => ((sort === 'updated' ? a.updated_at - b.updated_at : a.created_at - b.created_at) || a.id - b.id) * dir)
    const { page, headers } = paginate(rows, req, ctx.urls.api)
    return { status: 200, body: page.map((c) => reviewComment(c, ctx.model.issueById(c.pull_id).number, repo, ctx.model, ctx.urls)), headers }
  })

  // A single review comment outside a review (GitHub: "Create a review comment"): GitHub files it under a COMMENTED review of its own.
  router.add('POST', '/repos/{owner}/{repo}/pulls/{number}/comments', async (req, ctx) => {
    const { repo } = repoAccess(req, ctx, 'read', true)
    const { issue, pull } = pullOf(req, ctx, repo)
    const b = bodyObject(req)
    const text = optString(b, 'body', 'PullRequestReviewComment')
    const path = optString(b, 'path', 'PullRequestReviewComment')
    const commitId = optString(b, 'commit_id', 'PullRequestReviewComment')
    const missing = [...(text ? [] : ['body']), ...(path ? [] : ['path']), ...(commitId ? [] : ['commit_id'])]
    if (missing.length) throw validationFailed(missing.map((field) => ({ resource: 'PullRequestReviewComment', field, code: 'missing_field' as const })))
    const line = typeof b.line === 'number' ? b.line : undefined
    const side = b.side === 'LEFT' ? 'LEFT' : 'RIGHT'
    const unprocessable = (message: string) => new HttpError(422, 'Validation Failed', { errors: [message] })
    const shas = await liveShas(ctx.model, repo, issue, pull)
    const gitDir = ctx.model.gitDir(repo)
    const base = pull.merge_base_sha ?? (await mergeBase(gitDir, shas.base, shas.head)) ?? shas.base
    const file = (await diffFiles(gitDir, base, shas.head)).find((f) => f.filename === path)
    if (!file) throw unprocessable('path could not be resolved')
    const hunk = line === undefined ? undefined : hunkFor(file.patch ?? '', line, side)
    if (line === undefined || hunk === undefined) throw unprocessable('line could not be resolved')
    const viewer = req.viewer!
    const t = ctx.model.now()
    const id = ctx.model.db.transaction(() => {
      const reviewId = Number(
        ctx.model.db
          .prepare("INSERT INTO reviews (pull_id, user_id, body, state, commit_id, submitted_at) VALUES (?, ?, '', 'COMMENTED', ?, ?)")
          .run(issue.id, viewer.id, commitId, t).lastInsertRowid
      )
      const info = ctx.model.db
        .prepare(
          'INSERT INTO review_comments (review_id, pull_id, user_id, path, line, side, body, commit_id, diff_hunk, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'
        )
        .run(reviewId, issue.id, viewer.id, path, line, side, text, commitId, hunk, t, t)
      ctx.model.touchIssue(issue.id)
      return Number(info.lastInsertRowid)
    })()
    const row = ctx.model.db.prepare('SELECT * FROM review_comments WHERE id = ?').get(id) as ReviewCommentRow
    const body = reviewComment(row, issue.number, repo, ctx.model, ctx.urls)
    return { status: 201, body, headers: { location: body.url } }
  })
}

/** The hunk text up to `line` on the given side, or undefined when the diff does not show that line. */
export function hunkFor(patch: string, line: number, side: 'LEFT' | 'RIGHT'): string | undefined {
  const lines = patch.split('\n')
  let start = -1
  let oldLine = 0
  let newLine = 0
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!
    const h = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(l)
    if (h) {
      start = i
      oldLine = Number(h[1])
      newLine = Number(h[2])
      continue
    }
    if (start < 0) continue
    const kind = l[0]
    const here = kind === '-' ? (side === 'LEFT' ? oldLine : -1) : kind === '+' ? (side === 'RIGHT' ? newLine : -1) : side === 'LEFT' ? oldLine : newLine
    if (here === line) return lines.slice(start, i + 1).join('\n')
    if (kind !== '+') oldLine++
    if (kind !== '-') newLine++
  }
  return undefined
}

async function merge(req: ApiRequest, ctx: ApiContext, repo: RepoRow) {
  const { issue, pull } = pullOf(req, ctx, repo)
  const model = ctx.model
  if (pull.merged_at !== null || issue.state !== 'open') throw new HttpError(405, 'Pull Request is not mergeable')
  const b = bodyObject(req)
  const method = optString(b, 'merge_method', 'PullRequest') ?? 'merge'
  if (!['merge', 'squash', 'rebase'].includes(method)) throw validationFailed([{ resource: 'PullRequest', field: 'merge_method', code: 'invalid' }])
  const gitDir = model.gitDir(repo)
  const refs = await readBranches(gitDir)
  const head = refs.get(pull.head_ref)
  const base = refs.get(pull.base_ref)
  if (!head || !base) throw new HttpError(422, 'Head branch was deleted or base branch is missing')
  const expected = optString(b, 'sha', 'PullRequest')
  if (expected && expected !== head) throw new HttpError(409, 'Head branch was modified. Review and try the merge again.')
  if (await behindBase(model, repo, pull.base_ref, { head, base })) {
    // As GitHub words it for a PR behind a base that requires up-to-date branches.
    const n = (JSON.parse(protectionOf(model, repo.id, pull.base_ref)!.contexts) as string[]).length
    throw new HttpError(405, `${n} of ${n} required status check${n === 1 ? ' is' : 's are'} expected.`)
  }
  const blocked = mergeBlocker(model, repo, issue.id, pull.base_ref, head, method)
  if (blocked) throw new HttpError(405, blocked)
  const viewer = req.viewer!
  const who = { name: viewer.name ?? viewer.login, email: viewer.email ?? `${viewer.id}+${viewer.login}@users.noreply.forge.local`, time: Math.floor(model.now() / 1000) }
  const owner = model.account(repo.owner_id).login
  const title = optString(b, 'commit_title', 'PullRequest')
  const message = optString(b, 'commit_message', 'PullRequest')
  const mb = (await mergeBase(gitDir, base, head)) ?? base
  let sha: string
  if (method === 'rebase') {
    const rebased = await rebaseCommits(gitDir, base, head, who)
    if (!rebased) throw new HttpError(405, 'Merge conflict')
    sha = rebased
  } else {
    const result = await mergeTree(gitDir, base, head)
    if (!result.clean || !result.tree) throw new HttpError(405, 'Merge conflict')
    const text =
      method === 'merge'
        ? `${title ?? `Merge pull request #${issue.number} from ${owner}/${pull.head_ref}`}\n\n${message ?? issue.title}`
        : `${title ?? `${issue.title} (#${issue.number})`}\n\n${message ?? issue.body ?? ''}`
    sha = await commitTree(gitDir, result.tree, method === 'merge' ? [base, head] : [base], text.trimEnd() + '\n', who)
  }
  await updateRef(gitDir, `refs/heads/${pull.base_ref}`, sha, base)
  const t = model.now()
  model.db.transaction(() => {
    model.db
      .prepare('UPDATE pulls SET merged_at = ?, merged_by_id = ?, merge_commit_sha = ?, head_sha = ?, base_sha = ?, merge_base_sha = ? WHERE issue_id = ?')
      .run(t, viewer.id, sha, head, base, mb, issue.id)
    model.db.prepare("UPDATE issues SET state = 'closed', state_reason = NULL, closed_at = ?, closed_by_id = ?, updated_at = ? WHERE id = ?").run(t, viewer.id, t, issue.id)
    // Closing keywords act only for PRs into the default branch, as on GitHub.
    if (pull.base_ref === repo.default_branch) {
      for (const n of closingReferences(`${issue.title}\n${issue.body ?? ''}`)) {
        const target = model.issue(repo.id, n)
        if (target && !target.is_pull && target.state === 'open') model.setIssueState(target, 'closed', 'completed', viewer.id)
      }
    }
    model.touchRepo(repo.id, true)
  })()
  return { status: 200, body: { sha, merged: true, message: 'Pull Request successfully merged' } }
}
