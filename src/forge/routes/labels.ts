// Repository labels and the labels on an issue.
import type { ApiContext, ApiRequest, Router } from '../http/api'
import { HttpError, bodyObject, notFound, optString, paginate, validationFailed } from '../http/api'
import { label, repoApiUrl } from '../shapes'
import { repoAccess } from './access'

const color = /^[0-9a-fA-F]{6}$/

function checkColor(value: string | null | undefined): string | undefined {
  if (value === undefined || value === null) return undefined
  const c = value.replace(/^#/, '')
  if (!color.test(c)) throw validationFailed([{ resource: 'Label', field: 'color', code: 'invalid' }])
  return c.toLowerCase()
}

/** GitHub accepts `["a","b"]`, `{ labels: ["a"] }` and `{ labels: [{ name: "a" }] }`. */
function labelNames(req: ApiRequest): string[] {
  const b = req.body
  const list = Array.isArray(b) ? b : b && typeof b === 'object' ? (b as { labels?: unknown }).labels : undefined
  if (list === undefined || list === null) return []
  if (!Array.isArray(list)) throw validationFailed([{ resource: 'Label', field: 'labels', code: 'invalid' }])
  return list.map((x) => {
    if (typeof x === 'string') return x
    if (x && typeof x === 'object' && typeof (x as { name?: unknown }).name === 'string') return (x as { name: string }).name
    throw validationFailed([{ resource: 'Label', field: 'labels', code: 'invalid' }])
  })
}

function issueOf(req: ApiRequest, ctx: ApiContext, need: 'read' | 'triage') {
  const { repo } = repoAccess(req, ctx, need)
  const issue = ctx.model.issue(repo.id, Number(req.params.number))
  if (!issue) throw notFound()
  return { repo, issue }
}

export function labelRoutes(router: Router): void {
  router.add('GET', '/repos/{owner}/{repo}/labels', (req, ctx) => {
    const { repo } = repoAccess(req, ctx)
    const api = repoApiUrl(repo, ctx.model, ctx.urls)
    const { page, headers } = paginate(ctx.model.labels(repo.id), req, ctx.urls.api)
    return { status: 200, body: page.map((l) => label(l, api)), headers }
  })

  router.add('GET', '/repos/{owner}/{repo}/labels/{name}', (req, ctx) => {
    const { repo } = repoAccess(req, ctx)
    const l = ctx.model.label(repo.id, req.params.name!)
    if (!l) throw notFound()
    return { status: 200, body: label(l, repoApiUrl(repo, ctx.model, ctx.urls)) }
  })

  router.add('POST', '/repos/{owner}/{repo}/labels', (req, ctx) => {
    const { repo } = repoAccess(req, ctx, 'write')
    const b = bodyObject(req)
    const name = optString(b, 'name', 'Label')
    if (!name) throw validationFailed([{ resource: 'Label', field: 'name', code: 'missing_field' }])
    const c = checkColor(optString(b, 'color', 'Label')) ?? 'ededed'
    if (ctx.model.label(repo.id, name)) throw validationFailed([{ resource: 'Label', field: 'name', code: 'already_exists' }])
    const l = ctx.model.createLabel(repo.id, name, c, optString(b, 'description', 'Label', true) ?? null)
    return { status: 201, body: label(l, repoApiUrl(repo, ctx.model, ctx.urls)) }
  })

  router.add('PATCH', '/repos/{owner}/{repo}/labels/{name}', (req, ctx) => {
    const { repo } = repoAccess(req, ctx, 'write')
    const l = ctx.model.label(repo.id, req.params.name!)
    if (!l) throw notFound()
    const b = bodyObject(req)
    const newName = optString(b, 'new_name', 'Label') ?? optString(b, 'name', 'Label')
    if (newName !== undefined && newName !== null) {
      if (newName === '') throw validationFailed([{ resource: 'Label', field: 'name', code: 'invalid' }])
      const other = ctx.model.label(repo.id, newName)
      if (other && other.id !== l.id) throw validationFailed([{ resource: 'Label', field: 'name', code: 'already_exists' }])
    }
    const c = checkColor(optString(b, 'color', 'Label'))
    const description = optString(b, 'description', 'Label', true)
    ctx.model.db
      .prepare('UPDATE labels SET name = ?, color = ?, description = ? WHERE id = ?')
      .run(newName ?? l.name, c ?? l.color, description === undefined ? l.description : description, l.id)
    // Issues carrying the label changed too, as a syncing client sees them.
    ctx.model.db.prepare('UPDATE issues SET updated_at = ? WHERE id IN (SELECT issue_id FROM issue_labels WHERE label_id = ?)').run(ctx.model.now(), l.id)
    const updated = ctx.model.label(repo.id, newName ?? l.name)!
    return { status: 200, body: label(updated, repoApiUrl(repo, ctx.model, ctx.urls)) }
  })

  router.add('DELETE', '/repos/{owner}/{repo}/labels/{name}', (req, ctx) => {
    const { repo } = repoAccess(req, ctx, 'write')
    const l = ctx.model.label(repo.id, req.params.name!)
    if (!l) throw notFound()
    ctx.model.db.prepare('UPDATE issues SET updated_at = ? WHERE id IN (SELECT issue_id FROM issue_labels WHERE label_id = ?)').run(ctx.model.now(), l.id)
    ctx.model.db.prepare('DELETE FROM labels WHERE id = ?').run(l.id)
    return { status: 204 }
  })

  router.add('GET', '/repos/{owner}/{repo}/issues/{number}/labels', (req, ctx) => {
    const { repo, issue } = issueOf(req, ctx, 'read')
    const api = repoApiUrl(repo, ctx.model, ctx.urls)
    const { page, headers } = paginate(ctx.model.issueLabels(issue.id), req, ctx.urls.api)
    return { status: 200, body: page.map((l) => label(l, api)), headers }
  })

  const setOrAdd = (replace: boolean) => (req: ApiRequest, ctx: ApiContext) => {
    const { repo, issue } = issueOf(req, ctx, 'triage')
    const names = labelNames(req)
    if (replace) ctx.model.setIssueLabels(issue, names)
    else ctx.model.addIssueLabels(issue, names)
    const api = repoApiUrl(repo, ctx.model, ctx.urls)
    return { status: 200, body: ctx.model.issueLabels(issue.id).map((l) => label(l, api)) }
  }
  router.add('POST', '/repos/{owner}/{repo}/issues/{number}/labels', setOrAdd(false))
  router.add('PUT', '/repos/{owner}/{repo}/issues/{number}/labels', setOrAdd(true))

  router.add('DELETE', '/repos/{owner}/{repo}/issues/{number}/labels/{name}', (req, ctx) => {
    const { repo, issue } = issueOf(req, ctx, 'triage')
    const l = ctx.model.label(repo.id, req.params.name!)
    const removed = l ? ctx.model.db.prepare('DELETE FROM issue_labels WHERE issue_id = ? AND label_id = ?').run(issue.id, l.id).changes : 0
    if (!removed) throw new HttpError(404, 'Label does not exist')
    ctx.model.touchIssue(issue.id)
    const api = repoApiUrl(repo, ctx.model, ctx.urls)
    return { status: 200, body: ctx.model.issueLabels(issue.id).map((x) => label(x, api)) }
  })

  router.add('DELETE', '/repos/{owner}/{repo}/issues/{number}/labels', (req, ctx) => {
    const { issue } = issueOf(req, ctx, 'triage')
    ctx.model.setIssueLabels(issue, [])
    return { status: 204 }
  })
}
