// Issues (which, as on GitHub, include pull requests in lists) and their comments.
import type { ApiContext, ApiRequest, Router } from '../http/api'
import { HttpError, bodyObject, notFound, optString, optStringArray, paginate, validationFailed } from '../http/api'
import { atLeast } from '../model'
import { comment, issue as issueShape } from '../shapes'
import type { CommentRow, IssueRow, RepoRow } from '../store'
import { repoAccess } from './access'

function sinceParam(req: ApiRequest): number | undefined {
  const s = req.query.get('since')
  if (!s) return undefined
  const t = Date.parse(s)
  if (Number.isNaN(t)) throw validationFailed([{ resource: 'Issue', field: 'since', code: 'invalid' }])
  return t
}

function direction(req: ApiRequest, fallback: 'asc' | 'desc'): 1 | -1 {
  const d = req.query.get('direction') ?? fallback
  if (d !== 'asc' && d !== 'desc') throw validationFailed([{ resource: 'Issue', field: 'direction', code: 'invalid' }])
  return d === 'asc' ? 1 : -1
}

function userIds(ctx: ApiContext, repo: RepoRow, logins: string[]): number[] {
  return logins.map((login) => {
    const u = ctx.model.accountByLogin(login)
    if (!u || u.type !== 'User' || ctx.model.permission(repo, u) === 'none')
      throw validationFailed([{ resource: 'Issue', field: 'assignees', code: 'invalid', message: `Could not resolve to a User with the login of '${login}'.` }])
    return u.id
  })
}

export function issueRoutes(router: Router): void {
  router.add('GET', '/repos/{owner}/{repo}/issues', (req, ctx) => {
    const { repo } = repoAccess(req, ctx)
    const state = req.query.get('state') ?? 'open'
    if (!['open', 'closed', 'all'].includes(state)) throw validationFailed([{ resource: 'Issue', field: 'state', code: 'invalid' }])
    const since = sinceParam(req)
    const sort = req.query.get('sort') ?? 'created'
    if (!['created', 'updated', 'comments'].includes(sort)) throw validationFailed([{ resource: 'Issue', field: 'sort', code: 'invalid' }])
    const dir = direction(req, 'desc')
    let rows = ctx.model.db
      .prepare(
        `SELECT * FROM issues WHERE repo_id = ?${state === 'all' ? '' : ' AND state = ?'}${since === undefined ? '' : ' AND updated_at >= ?'}`
      )
      .all(...([repo.id, ...(state === 'all' ? [] : [state]), ...(since === undefined ? [] : [since])] as unknown[])) as IssueRow[]
    const wanted = (req.query.get('labels') ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean)
    if (wanted.length) {
      rows = rows.filter((i) => {
        const have = new Set(ctx.model.issueLabels(i.id).map((l) => l.name.toLowerCase()))
        return wanted.every((w) => have.has(w))
      })
    }
    const creator = req.query.get('creator')
    if (creator) {
      const u = ctx.model.accountByLogin(creator)
      rows = rows.filter((i) => i.user_id === u?.id)
    }
    const assignee = req.query.get('assignee')
    if (assignee) {
      rows = rows.filter((i) => {
        const a = ctx.model.assignees(i.id)
        return assignee === 'none' ? a.length === 0 : assignee === '*' ? a.length > 0 : a.some((x) => x.login.toLowerCase() === assignee.toLowerCase())
      })
    }
    const key = (i: IssueRow): number => (sort === 'updated' ? i.updated_at : sort === 'comments' ? ctx.model.commentCount(i.id) : i.created_at)
    rows.sort((a, b) => (key(a) - key(b) || a.number - b.number) * dir)
    const { page, headers } = paginate(rows, req, ctx.urls.api)
    return { status: 200, body: page.map((i) => issueShape(i, repo, ctx.model, ctx.urls)), headers }
  })

  router.add('GET', '/repos/{owner}/{repo}/issues/{number}', (req, ctx) => {
    const { repo } = repoAccess(req, ctx)
    const i = ctx.model.issue(repo.id, Number(req.params.number))
    if (!i) throw notFound()
    return { status: 200, body: issueShape(i, repo, ctx.model, ctx.urls) }
  })

  router.add('POST', '/repos/{owner}/{repo}/issues', (req, ctx) => {
    const { repo, permission } = repoAccess(req, ctx, 'read', true)
    const b = bodyObject(req)
    const title = b.title
    if (title === undefined || title === null || title === '')
      throw validationFailed([{ resource: 'Issue', field: 'title', code: 'missing_field' }])
    if (typeof title !== 'string' && typeof title !== 'number') throw validationFailed([{ resource: 'Issue', field: 'title', code: 'invalid' }])
    const body = optString(b, 'body', 'Issue', true)
    // Without triage access GitHub silently drops labels and assignees.
    const canTriage = atLeast(permission, 'triage')
    const labels = canTriage ? optStringArray(b, 'labels', 'Issue') ?? [] : []
    const assigneeLogins = canTriage ? [...(optStringArray(b, 'assignees', 'Issue') ?? []), ...(typeof b.assignee === 'string' ? [b.assignee] : [])] : []
    const created = ctx.model.createIssue(repo, {
      title: String(title),
      body: body ?? null,
      userId: req.viewer!.id,
      labels,
      assignees: userIds(ctx, repo, assigneeLogins)
    })
    return {
      status: 201,
      body: issueShape(created, repo, ctx.model, ctx.urls),
      headers: { location: `${ctx.urls.api}/repos/${req.params.owner}/${req.params.repo}/issues/${created.number}` }
    }
  })

  router.add('PATCH', '/repos/{owner}/{repo}/issues/{number}', (req, ctx) => {
    const { repo, permission } = repoAccess(req, ctx, 'read', true)
    const found = ctx.model.issue(repo.id, Number(req.params.number))
    if (!found) throw notFound()
    const i: IssueRow = found
    const viewer = req.viewer!
    const canTriage = atLeast(permission, 'triage')
    const isAuthor = i.user_id === viewer.id
    if (!canTriage && !isAuthor) throw new HttpError(403, 'Must have triage access to update this issue')
    const b = bodyObject(req)
    const title = optString(b, 'title', 'Issue', true)
    const body = optString(b, 'body', 'Issue', true)
    const state = optString(b, 'state', 'Issue')
    const reason = optString(b, 'state_reason', 'Issue', true)
    if (state !== undefined && state !== 'open' && state !== 'closed') throw validationFailed([{ resource: 'Issue', field: 'state', code: 'invalid' }])
    if (reason !== undefined && reason !== null && !['completed', 'not_planned', 'reopened', 'duplicate'].includes(reason))
      throw validationFailed([{ resource: 'Issue', field: 'state_reason', code: 'invalid' }])
    if (title === null || title === '') throw validationFailed([{ resource: 'Issue', field: 'title', code: 'missing_field' }])
    const labels = optStringArray(b, 'labels', 'Issue')
    const assignees = optStringArray(b, 'assignees', 'Issue')
    ctx.model.db.transaction(() => {
      if (title !== undefined) ctx.model.db.prepare('UPDATE issues SET title = ? WHERE id = ?').run(title, i.id)
      if (body !== undefined) ctx.model.db.prepare('UPDATE issues SET body = ? WHERE id = ?').run(body, i.id)
      if (canTriage && labels !== undefined) ctx.model.setIssueLabels(i, labels)
      if (canTriage && assignees !== undefined) ctx.model.setAssignees(i.id, userIds(ctx, repo, assignees))
      if (state !== undefined && state !== i.state) {
        ctx.model.setIssueState(i, state as 'open' | 'closed', i.is_pull ? null : reason ?? null, viewer.id)
        if (i.is_pull && state === 'closed') ctx.model.db.prepare('UPDATE issues SET state_reason = NULL WHERE id = ?').run(i.id)
      } else if (reason !== undefined && i.state === 'closed') {
        ctx.model.db.prepare('UPDATE issues SET state_reason = ? WHERE id = ?').run(reason, i.id)
      }
      ctx.model.touchIssue(i.id)
    })()
    return { status: 200, body: issueShape(ctx.model.issueById(i.id), repo, ctx.model, ctx.urls) }
  })

  // ── comments ───────────────────────────────────────────────────────────────
  router.add('GET', '/repos/{owner}/{repo}/issues/comments', (req, ctx) => {
    const { repo } = repoAccess(req, ctx)
    const since = sinceParam(req)
    const sort = req.query.get('sort') ?? 'created'
    if (!['created', 'updated'].includes(sort)) throw validationFailed([{ resource: 'IssueComment', field: 'sort', code: 'invalid' }])
    // `direction` is ignored without `sort`, as documented.
    const dir = req.query.get('sort') ? direction(req, 'desc') : 1
    const rows = ctx.model.db
      .prepare(`SELECT c.* FROM comments c JOIN issues i ON i.id = c.issue_id WHERE i.repo_id = ?${since === undefined ? '' : ' AND c.updated_at >= ?'}`)
      .all(...([repo.id, ...(since === undefined ? [] : [since])] as unknown[])) as CommentRow[]
    rows.sort((a, b) => ((sort === 'updated' ? a.updated_at - b.updated_at : a.created_at - b.created_at) || a.id - b.id) * dir)
    const { page, headers } = paginate(rows, req, ctx.urls.api)
    return { status: 200, body: page.map((c) => comment(c, ctx.model.issueById(c.issue_id), repo, ctx.model, ctx.urls)), headers }
  })

  router.add('GET', '/repos/{owner}/{repo}/issues/{number}/comments', (req, ctx) => {
    const { repo } = repoAccess(req, ctx)
    const i = ctx.model.issue(repo.id, Number(req.params.number))
    if (!i) throw notFound()
    const since = sinceParam(req)
    const rows = ctx.model.db
      .prepare(`SELECT * FROM comments WHERE issue_id = ?${since === undefined ? '' : ' AND updated_at >= ?'} ORDER BY id`)
      .all(...([i.id, ...(since === undefined ? [] : [since])] as unknown[])) as CommentRow[]
    const { page, headers } = paginate(rows, req, ctx.urls.api)
    return { status: 200, body: page.map((c) => comment(c, i, repo, ctx.model, ctx.urls)), headers }
  })

  router.add('POST', '/repos/{owner}/{repo}/issues/{number}/comments', (req, ctx) => {
    const { repo, permission } = repoAccess(req, ctx, 'read', true)
    const i = ctx.model.issue(repo.id, Number(req.params.number))
    if (!i) throw notFound()
    if (i.locked && !atLeast(permission, 'write')) throw new HttpError(403, 'Unable to create comment because issue is locked.')
    const body = optString(bodyObject(req), 'body', 'IssueComment')
    if (!body) throw validationFailed([{ resource: 'IssueComment', field: 'body', code: 'missing_field' }])
    const c = ctx.model.createComment(i, req.viewer!.id, body)
    return { status: 201, body: comment(c, i, repo, ctx.model, ctx.urls), headers: { location: `${ctx.urls.api}/repos/${req.params.owner}/${req.params.repo}/issues/comments/${c.id}` } }
  })

  const commentFor = (req: ApiRequest, ctx: ApiContext, edit: boolean) => {
    const { repo, permission } = repoAccess(req, ctx, 'read', edit)
    const c = ctx.model.comment(repo.id, Number(req.params.comment_id))
    if (!c) throw notFound()
    if (edit && c.user_id !== req.viewer!.id && !atLeast(permission, 'write')) throw new HttpError(403, 'Must have write access to edit this comment')
    return { repo, c }
  }

  router.add('GET', '/repos/{owner}/{repo}/issues/comments/{comment_id}', (req, ctx) => {
    const { repo, c } = commentFor(req, ctx, false)
    return { status: 200, body: comment(c, ctx.model.issueById(c.issue_id), repo, ctx.model, ctx.urls) }
  })

  router.add('PATCH', '/repos/{owner}/{repo}/issues/comments/{comment_id}', (req, ctx) => {
    const { repo, c } = commentFor(req, ctx, true)
    const body = optString(bodyObject(req), 'body', 'IssueComment')
    if (!body) throw validationFailed([{ resource: 'IssueComment', field: 'body', code: 'missing_field' }])
    const t = ctx.model.now()
    ctx.model.db.prepare('UPDATE comments SET body = ?, updated_at = ? WHERE id = ?').run(body, t, c.id)
    ctx.model.touchIssue(c.issue_id)
    const updated = ctx.model.comment(repo.id, c.id)!
    return { status: 200, body: comment(updated, ctx.model.issueById(c.issue_id), repo, ctx.model, ctx.urls) }
  })

  router.add('DELETE', '/repos/{owner}/{repo}/issues/comments/{comment_id}', (req, ctx) => {
    const { c } = commentFor(req, ctx, true)
    ctx.model.db.prepare('DELETE FROM comments WHERE id = ?').run(c.id)
    ctx.model.touchIssue(c.issue_id)
    return { status: 204 }
  })
}
