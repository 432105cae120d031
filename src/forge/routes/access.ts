// Who may see and change a repository: GitHub's answers, including the 404
// (not 403) that hides a private repository from those without access.
import type { ApiContext, ApiRequest } from '../http/api'
import { HttpError, notFound } from '../http/api'
import { atLeast } from '../model'
import type { Permission } from '../seed'
import type { RepoRow } from '../store'

export interface RepoAccess {
  repo: RepoRow
  permission: Permission
}

function scopes(req: ApiRequest): string[] {
  return (req.token?.scopes ?? '').split(',').map((s) => s.trim()).filter(Boolean)
}

/**
 * Loads the repository named in the path. `need` is the role the action
 * requires; `mutation` marks a write (refused on archived repositories and
 * for anonymous callers even when `need` is only read, e.g. opening an issue).
 */
export function repoAccess(req: ApiRequest, ctx: ApiContext, need: Permission = 'read', mutation = need !== 'read'): RepoAccess {
  const repo = ctx.model.repo(req.params.owner ?? '', req.params.repo ?? '')
  if (!repo) throw notFound()
  const permission = ctx.model.permission(repo, req.viewer)
  if (permission === 'none') throw notFound()
  const s = scopes(req)
  // Classic tokens reach private repositories only with the `repo` scope.
  if (repo.private && req.token && !s.includes('repo')) throw notFound()
  if (mutation) {
    if (!req.viewer) throw new HttpError(401, 'Requires authentication')
    if (!s.includes('repo') && !(s.includes('public_repo') && !repo.private))
      throw new HttpError(403, 'Resource not accessible by personal access token', { headers: { 'x-accepted-oauth-scopes': 'repo' } })
    if (repo.archived) throw new HttpError(403, 'Repository was archived so is read-only.')
  }
  if (!atLeast(permission, need)) {
    throw new HttpError(403, need === 'admin' ? 'Must have admin rights to Repository.' : 'Must have push access to repository', {
      documentationUrl: 'https://docs.github.com/rest'
    })
  }
  return { repo, permission }
}

export function requireViewer(req: ApiRequest) {
  if (!req.viewer) throw new HttpError(401, 'Requires authentication')
  return req.viewer
}
