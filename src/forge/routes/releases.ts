// Releases: list and create (a published release tags its target commit).
import type { Router } from '../http/api'
import { bodyObject, optString, paginate, validationFailed } from '../http/api'
import { createTag, readBranches, revParse } from '../git'
import { release } from '../shapes'
import type { ReleaseRow } from '../store'
import { repoAccess } from './access'

export function releaseRoutes(router: Router): void {
  router.add('GET', '/repos/{owner}/{repo}/releases', (req, ctx) => {
    const { repo, permission } = repoAccess(req, ctx)
    // Drafts are visible only to those who can push.
    const rows = (ctx.model.db.prepare('SELECT * FROM releases WHERE repo_id = ? ORDER BY created_at DESC, id DESC').all(repo.id) as ReleaseRow[]).filter(
      (r) => !r.draft || ['write', 'maintain', 'admin'].includes(permission)
    )
    const { page, headers } = paginate(rows, req, ctx.urls.api)
    return { status: 200, body: page.map((r) => release(r, repo, ctx.model, ctx.urls)), headers }
  })

  router.add('POST', '/repos/{owner}/{repo}/releases', async (req, ctx) => {
    const { repo } = repoAccess(req, ctx, 'write')
    const b = bodyObject(req)
    const tag = optString(b, 'tag_name', 'Release')
    if (!tag) throw validationFailed([{ resource: 'Release', field: 'tag_name', code: 'missing_field' }])
    if (ctx.model.db.prepare('SELECT 1 FROM releases WHERE repo_id = ? AND tag_name = ?').get(repo.id, tag))
      throw validationFailed([{ resource: 'Release', field: 'tag_name', code: 'already_exists' }])
    const target = optString(b, 'target_commitish', 'Release') ?? repo.default_branch
    const draft = b.draft === true
    const gitDir = ctx.model.gitDir(repo)
    if (!draft) {
      const existing = await revParse(gitDir, `refs/tags/${tag}`)
      if (!existing) {
        const refs = await readBranches(gitDir)
        const sha = refs.get(target) ?? (/^[0-9a-f]{40}$/.test(target) ? await revParse(gitDir, target) : undefined)
        if (!sha) throw validationFailed([{ resource: 'Release', field: 'target_commitish', code: 'invalid' }])
        await createTag(gitDir, tag, sha)
      }
    }
    const t = ctx.model.now()
    const info = ctx.model.db
      .prepare('INSERT INTO releases (repo_id, tag_name, target_commitish, name, body, draft, prerelease, author_id, created_at, published_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(repo.id, tag, target, optString(b, 'name', 'Release', true) ?? null, optString(b, 'body', 'Release', true) ?? null, draft ? 1 : 0, b.prerelease === true ? 1 : 0, req.viewer!.id, t, draft ? null : t)
    const row = ctx.model.db.prepare('SELECT * FROM releases WHERE id = ?').get(Number(info.lastInsertRowid)) as ReleaseRow
    return { status: 201, body: release(row, repo, ctx.model, ctx.urls) }
  })
}
