// The authenticated user, repositories and a collaborator's permission.
import type { Router } from '../http/api'
import { HttpError, notFound } from '../http/api'
import { fullRepository, permissionsObject, privateUser, simpleUser } from '../shapes'
import { repoAccess, requireViewer } from './access'

// The legacy `permission` field folds the finer roles into four words.
const legacy = { admin: 'admin', maintain: 'write', write: 'write', triage: 'read', read: 'read', none: 'none' } as const

export function repoRoutes(router: Router): void {
  router.add('GET', '/user', (req, ctx) => ({ status: 200, body: privateUser(requireViewer(req), ctx.model, ctx.urls) }))

  router.add('GET', '/users/{login}', (req, ctx) => {
    const u = ctx.model.accountByLogin(req.params.login!)
    if (!u) throw notFound()
    return { status: 200, body: { ...privateUser(u, ctx.model, ctx.urls) } }
  })

  router.add('GET', '/repos/{owner}/{repo}', (req, ctx) => {
    const { repo } = repoAccess(req, ctx)
    return { status: 200, body: fullRepository(repo, ctx.model, ctx.urls, req.viewer) }
  })

  router.add('GET', '/repos/{owner}/{repo}/collaborators/{username}/permission', (req, ctx) => {
    const { repo } = repoAccess(req, ctx)
    if (!req.viewer) throw new HttpError(401, 'Requires authentication')
    const user = ctx.model.accountByLogin(req.params.username!)
    if (!user) throw notFound()
    // GitHub answers 404 when the user is not a collaborator at all... unless the repository is public (then "read").
    const role = ctx.model.permission(repo, user)
    return {
      status: 200,
      body: {
        permission: legacy[role],
        role_name: role,
        user: { ...simpleUser(user, ctx.urls), permissions: permissionsObject(role), role_name: role }
      }
    }
  })
}
