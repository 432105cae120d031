// The authenticated user, repositories (read, and the settings a PATCH may
// change) and a collaborator's permission.
import { existsSync, renameSync } from 'node:fs'
import type { Router } from '../http/api'
import { HttpError, bodyObject, notFound, optString, validationFailed } from '../http/api'
import { fullRepository, permissionsObject, privateUser, simpleUser } from '../shapes'
import { repoAccess, requireViewer } from './access'

// The legacy `permission` field folds the finer roles into four words.
const legacy = { admin: 'admin', maintain: 'write', write: 'write', triage: 'read', read: 'read', none: 'none' } as const

// What `PATCH /repos/{o}/{r}` applies. Any other field GitHub knows is
// refused with 422 rather than answered 200 and ignored.
const PATCHABLE = ['name', 'description', 'allow_merge_commit', 'allow_squash_merge', 'allow_rebase_merge'] as const
const MERGE_FLAGS = ['allow_merge_commit', 'allow_squash_merge', 'allow_rebase_merge'] as const
// GitHub's repository names: letters, digits, `.`, `-`, `_`; not `.` or `..`.
const REPO_NAME = /^(?!\.{1,2}$)[A-Za-z0-9._-]{1,100}$/

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

  router.add('PATCH', '/repos/{owner}/{repo}', async (req, ctx) => {
    const { repo } = repoAccess(req, ctx, 'admin')
    const b = bodyObject(req)
    const unsupported = Object.keys(b).filter((k) => !(PATCHABLE as readonly string[]).includes(k))
    if (unsupported.length) {
      throw validationFailed(unsupported.map((field) => ({ resource: 'Repository', field, code: 'custom' as const, message: `The forge cannot change "${field}" (it applies ${PATCHABLE.join(', ')})` })))
    }
    const flags: Partial<Record<(typeof MERGE_FLAGS)[number], boolean>> = {}
    for (const f of MERGE_FLAGS) {
      const v = b[f]
      if (v === undefined) continue
      if (typeof v !== 'boolean') throw validationFailed([{ resource: 'Repository', field: f, code: 'invalid' }])
      flags[f] = v
    }
    const next = {
      allow_merge_commit: flags.allow_merge_commit ?? repo.allow_merge_commit !== 0,
      allow_squash_merge: flags.allow_squash_merge ?? repo.allow_squash_merge !== 0,
      allow_rebase_merge: flags.allow_rebase_merge ?? repo.allow_rebase_merge !== 0
    }
    if (!next.allow_merge_commit && !next.allow_squash_merge && !next.allow_rebase_merge) {
      throw new HttpError(422, 'Sorry, you need to allow at least one merge strategy. (no_merge_method)')
    }
    const description = optString(b, 'description', 'Repository', true)
    const name = optString(b, 'name', 'Repository') ?? undefined
    if (name !== undefined && !REPO_NAME.test(name)) throw validationFailed([{ resource: 'Repository', field: 'name', code: 'invalid', message: `"${name}" is not a valid repository name` }])
    const renamed = name !== undefined && name !== repo.name
    if (renamed) {
      const other = ctx.model.repo(ctx.model.account(repo.owner_id).login, name)
      if (other && other.id !== repo.id) throw validationFailed([{ resource: 'Repository', field: 'name', code: 'custom', message: 'name already exists on this account' }])
    }
    const apply = () =>
      ctx.model.db
        .prepare('UPDATE repos SET name = ?, description = ?, allow_merge_commit = ?, allow_squash_merge = ?, allow_rebase_merge = ? WHERE id = ?')
        .run(
          renamed ? name : repo.name,
          description === undefined ? repo.description : description,
          Number(next.allow_merge_commit),
          Number(next.allow_squash_merge),
          Number(next.allow_rebase_merge),
          repo.id
        )
    if (renamed) {
      // The bare repository is named after the repository: it moves too, under
      // the repository's lock so no merge is writing into it meanwhile.
      await ctx.withRepoLock(repo.id, async () => {
        const from = ctx.model.gitDir(repo)
        const to = ctx.model.gitDir({ ...repo, name })
        if (from !== to) {
          if (existsSync(to)) throw validationFailed([{ resource: 'Repository', field: 'name', code: 'custom', message: 'name already exists on this account' }])
          renameSync(from, to)
        }
        try {
          apply()
        } catch (error) {
          if (from !== to) renameSync(to, from)
          throw error
        }
      })
    } else apply()
    ctx.model.touchRepo(repo.id)
    return { status: 200, body: fullRepository(ctx.model.repoById(repo.id), ctx.model, ctx.urls, req.viewer) }
  })
}
