// The REST API over HTTP with real Octokit: users, repositories, labels,
// issues, comments, permissions and releases — every answer checked against
// GitHub's OpenAPI description.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TOKENS, conforms, failure, startForge } from './helpers'
import type { TestForge } from './helpers'
import { loadSpec } from './openapi'

let t: TestForge
beforeAll(async () => {
  loadSpec()
  t = await startForge()
})
afterAll(() => t.close())

const o = { owner: 'owner', repo: 'app' }

describe('users and repositories', () => {
  it('answers GET /user for the token and 401 for an unknown token', async () => {
    const r = await t.octokit(TOKENS.owner).rest.users.getAuthenticated()
    conforms('GET', '/user', r)
    expect(r.data.login).toBe('owner')
    expect(r.headers['x-oauth-scopes']).toBe('repo')
    const reader = await t.octokit(TOKENS.reader).rest.users.getAuthenticated()
    expect(reader.headers['x-oauth-scopes']).toBe('repo, read:org')
    const bad = await failure(t.octokit('nope').rest.users.getAuthenticated())
    expect(bad.status).toBe(401)
    expect(bad.data.message).toBe('Bad credentials')
    expect(bad.data.documentation_url).toMatch(/^https:\/\/docs\.github\.com/)
    conforms('GET', '/user', bad)
    expect((await failure(t.octokit().rest.users.getAuthenticated())).status).toBe(401)
  })

  it('serves a repository with permissions, archived and open issue count', async () => {
    const r = await t.octokit(TOKENS.alice).rest.repos.get(o)
    conforms('GET', '/repos/{owner}/{repo}', r)
    expect(r.data).toMatchObject({ full_name: 'owner/app', private: false, archived: false, default_branch: 'main', open_issues_count: 1 })
    expect(r.data.permissions).toEqual({ admin: false, maintain: false, push: true, triage: true, pull: true })
    expect(r.data.clone_url).toBe(`${t.forge.url}/owner/app.git`)
    const bob = await t.octokit(TOKENS.bob).rest.repos.get(o)
    expect(bob.data.permissions).toMatchObject({ push: false, pull: true })
  })

  it('hides a private repository from those without access (404) and shows it to a reader', async () => {
    const miss = await failure(t.octokit(TOKENS.bob).rest.repos.get({ owner: 'owner', repo: 'secret' }))
    expect(miss.status).toBe(404)
    expect(miss.data.message).toBe('Not Found')
    conforms('GET', '/repos/{owner}/{repo}', miss)
    expect((await failure(t.octokit().rest.repos.get({ owner: 'owner', repo: 'secret' }))).status).toBe(404)
    const r = await t.octokit(TOKENS.reader).rest.repos.get({ owner: 'owner', repo: 'secret' })
    expect(r.data.private).toBe(true)
    expect(r.data.permissions).toMatchObject({ pull: true, push: false })
    // A reader may read but not write.
    const w = await failure(t.octokit(TOKENS.reader).rest.issues.createLabel({ owner: 'owner', repo: 'secret', name: 'x' }))
    expect(w.status).toBe(403)
  })

  it('refuses writes to an archived repository', async () => {
    const r = await t.octokit(TOKENS.alice).rest.repos.get({ owner: 'owner', repo: 'old' })
    expect(r.data.archived).toBe(true)
    const f = await failure(t.octokit(TOKENS.alice).rest.issues.create({ owner: 'owner', repo: 'old', title: 'x' }))
    expect(f.status).toBe(403)
    expect(f.data.message).toBe('Repository was archived so is read-only.')
    conforms('POST', '/repos/{owner}/{repo}/issues', f)
  })

  it("reports a collaborator's permission with GitHub's legacy and role names", async () => {
    const ok = t.octokit(TOKENS.owner)
    const cases = [
      ['owner', 'admin', 'admin'],
      ['alice', 'write', 'write'],
      ['bob', 'read', 'read']
    ] as const
    for (const [username, permission, role] of cases) {
      const r = await ok.rest.repos.getCollaboratorPermissionLevel({ ...o, username })
      conforms('GET', '/repos/{owner}/{repo}/collaborators/{username}/permission', r)
      expect(r.data.permission).toBe(permission)
      expect(r.data.role_name).toBe(role)
    }
    t.forge.setPermission('owner', 'app', 'bob', 'triage')
    const tri = await ok.rest.repos.getCollaboratorPermissionLevel({ ...o, username: 'bob' })
    expect([tri.data.permission, tri.data.role_name]).toEqual(['read', 'triage'])
    t.forge.setPermission('owner', 'app', 'bob', 'none')
    const none = await ok.rest.repos.getCollaboratorPermissionLevel({ owner: 'owner', repo: 'secret', username: 'bob' })
    expect(none.data.permission).toBe('none')
    const missing = await failure(ok.rest.repos.getCollaboratorPermissionLevel({ ...o, username: 'ghost' }))
    expect(missing.status).toBe(404)
  })

  it('answers GET /rate_limit without spending the budget', async () => {
    const a = await t.octokit(TOKENS.reader).rest.rateLimit.get()
    const b = await t.octokit(TOKENS.reader).rest.rateLimit.get()
    conforms('GET', '/rate_limit', b)
    expect(b.data.resources.core.remaining).toBe(a.data.resources.core.remaining)
    expect(b.data.rate.limit).toBe(5000)
  })
})

describe('labels', () => {
  it('lists, gets, creates, updates and deletes labels', async () => {
    const ok = t.octokit(TOKENS.alice)
    const list = await ok.rest.issues.listLabelsForRepo(o)
    conforms('GET', '/repos/{owner}/{repo}/labels', list)
    expect(list.data.map((l) => l.name)).toEqual(['bug'])
    const created = await ok.rest.issues.createLabel({ ...o, name: 'needs-review', color: '0E8A16', description: 'Waiting for a person' })
    conforms('POST', '/repos/{owner}/{repo}/labels', created)
    expect(created.status).toBe(201)
    expect(created.data).toMatchObject({ name: 'needs-review', color: '0e8a16', description: 'Waiting for a person', default: false })
    const dup = await failure(ok.rest.issues.createLabel({ ...o, name: 'Needs-Review' }))
    expect(dup.status).toBe(422)
    expect(dup.data.errors[0]).toMatchObject({ resource: 'Label', field: 'name', code: 'already_exists' })
    conforms('POST', '/repos/{owner}/{repo}/labels', dup)
    const got = await ok.rest.issues.getLabel({ ...o, name: 'needs-review' })
    conforms('GET', '/repos/{owner}/{repo}/labels/{name}', got)
    const updated = await ok.rest.issues.updateLabel({ ...o, name: 'needs-review', new_name: 'review', color: 'ffffff' })
    conforms('PATCH', '/repos/{owner}/{repo}/labels/{name}', updated)
    expect(updated.data).toMatchObject({ name: 'review', color: 'ffffff', description: 'Waiting for a person' })
    const del = await ok.rest.issues.deleteLabel({ ...o, name: 'review' })
    expect(del.status).toBe(204)
    expect((await failure(ok.rest.issues.getLabel({ ...o, name: 'review' }))).status).toBe(404)
    // Someone without push access cannot manage labels.
    expect((await failure(t.octokit(TOKENS.bob).rest.issues.createLabel({ ...o, name: 'x' }))).status).toBe(403)
  })
})

describe('issues', () => {
  it('creates, gets, updates and closes an issue; updated_at moves', async () => {
    const ok = t.octokit(TOKENS.alice)
    const created = await ok.rest.issues.create({ ...o, title: 'Add login', body: 'Please', labels: ['backlog'], assignees: ['alice'] })
    conforms('POST', '/repos/{owner}/{repo}/issues', created)
    expect(created.status).toBe(201)
    expect(created.data.labels.map((l) => (typeof l === 'string' ? l : l.name))).toEqual(['backlog'])
    expect(created.data.author_association).toBe('COLLABORATOR')
    expect(created.data.assignees?.map((a) => a.login)).toEqual(['alice'])
    const n = created.data.number
    const got = await ok.rest.issues.get({ ...o, issue_number: n })
    conforms('GET', '/repos/{owner}/{repo}/issues/{issue_number}', got)
    expect(got.data.pull_request).toBeUndefined()
    const closed = await ok.rest.issues.update({ ...o, issue_number: n, state: 'closed', state_reason: 'not_planned', title: 'Add login (later)' })
    conforms('PATCH', '/repos/{owner}/{repo}/issues/{issue_number}', closed)
    expect(closed.data).toMatchObject({ state: 'closed', state_reason: 'not_planned', title: 'Add login (later)' })
    expect(closed.data.closed_at).not.toBeNull()
    expect(closed.data.closed_by?.login).toBe('alice')
    const reopened = await ok.rest.issues.update({ ...o, issue_number: n, state: 'open' })
    expect(reopened.data).toMatchObject({ state: 'open', state_reason: 'reopened', closed_at: null })
    const missing = await failure(ok.rest.issues.create({ ...o, title: '' }))
    expect(missing.status).toBe(422)
    expect(missing.data.errors[0]).toMatchObject({ field: 'title', code: 'missing_field' })
    expect((await failure(ok.rest.issues.get({ ...o, issue_number: 999 }))).status).toBe(404)
  })

  it('drops labels from a person without triage access, and lets an author but no one else edit', async () => {
    const bob = t.octokit(TOKENS.bob)
    const created = await bob.rest.issues.create({ ...o, title: 'Crash', labels: ['bug'] })
    expect(created.data.labels).toEqual([])
    expect(created.data.author_association).toBe('NONE')
    const edited = await bob.rest.issues.update({ ...o, issue_number: created.data.number, body: 'More detail' })
    expect(edited.data.body).toBe('More detail')
    const other = await failure(bob.rest.issues.update({ ...o, issue_number: 1, title: 'hijack' }))
    expect(other.status).toBe(403)
    expect((await failure(t.octokit().rest.issues.create({ ...o, title: 'anon' }))).status).toBe(401)
  })

  it('adds, sets and removes labels on an issue', async () => {
    const ok = t.octokit(TOKENS.owner)
    const { data: issue } = await ok.rest.issues.create({ ...o, title: 'Labels' })
    const n = issue.number
    const added = await ok.rest.issues.addLabels({ ...o, issue_number: n, labels: ['backlog', 'bug'] })
    conforms('POST', '/repos/{owner}/{repo}/issues/{issue_number}/labels', added)
    expect(added.data.map((l) => l.name)).toEqual(['backlog', 'bug'])
    const set = await ok.rest.issues.setLabels({ ...o, issue_number: n, labels: ['needs-architecture'] })
    conforms('PUT', '/repos/{owner}/{repo}/issues/{issue_number}/labels', set)
    expect(set.data.map((l) => l.name)).toEqual(['needs-architecture'])
    const listed = await ok.rest.issues.listLabelsOnIssue({ ...o, issue_number: n })
    conforms('GET', '/repos/{owner}/{repo}/issues/{issue_number}/labels', listed)
    const removed = await ok.rest.issues.removeLabel({ ...o, issue_number: n, name: 'needs-architecture' })
    conforms('DELETE', '/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}', removed)
    expect(removed.data).toEqual([])
    const gone = await failure(ok.rest.issues.removeLabel({ ...o, issue_number: n, name: 'needs-architecture' }))
    expect(gone.status).toBe(404)
    expect(gone.data.message).toBe('Label does not exist')
    // Labels added to an issue that the repository lacks are created, as GitHub does.
    expect((await ok.rest.issues.getLabel({ ...o, name: 'needs-architecture' })).data.color).toBe('ededed')
    expect((await failure(t.octokit(TOKENS.bob).rest.issues.addLabels({ ...o, issue_number: n, labels: ['x'] }))).status).toBe(403)
  })

  it('lists issues with state, labels, since, sort, direction and pages', async () => {
    const ok = t.octokit(TOKENS.owner)
    const before = await ok.rest.issues.listForRepo({ ...o, state: 'all', per_page: 100 })
    conforms('GET', '/repos/{owner}/{repo}/issues', before)
    const open = await ok.rest.issues.listForRepo({ ...o })
    expect(open.data.every((i) => i.state === 'open')).toBe(true)
    const bugs = await ok.rest.issues.listForRepo({ ...o, labels: 'bug', state: 'all' })
    expect(bugs.data.length).toBeGreaterThan(0)
    expect(bugs.data.every((i) => i.labels.some((l) => (typeof l === 'string' ? l : l.name) === 'bug'))).toBe(true)
    const asc = await ok.rest.issues.listForRepo({ ...o, state: 'all', sort: 'created', direction: 'asc' })
    const numbers = asc.data.map((i) => i.number)
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b))
    const future = new Date(Date.now() + 3_600_000).toISOString()
    expect((await ok.rest.issues.listForRepo({ ...o, state: 'all', since: future })).data).toEqual([])
    const page = await ok.rest.issues.listForRepo({ ...o, state: 'all', per_page: 2, page: 1 })
    expect(page.data).toHaveLength(2)
    expect(page.headers.link).toContain('rel="next"')
    expect(page.headers.link).toContain('rel="last"')
    const all = await ok.paginate(ok.rest.issues.listForRepo, { ...o, state: 'all', per_page: 2 })
    expect(all.map((i) => i.number).sort()).toEqual(before.data.map((i) => i.number).sort())
  })
})

describe('comments', () => {
  it('lists with since, creates, updates and deletes comments; the issue moves', async () => {
    const ok = t.octokit(TOKENS.alice)
    const list = await ok.rest.issues.listComments({ ...o, issue_number: 1 })
    conforms('GET', '/repos/{owner}/{repo}/issues/{issue_number}/comments', list)
    expect(list.data.map((c) => [c.user?.login, c.body, c.author_association])).toEqual([['owner', 'Thanks', 'OWNER']])
    const before = (await ok.rest.issues.get({ ...o, issue_number: 1 })).data.updated_at
    await new Promise((r) => setTimeout(r, 1100)) // timestamps have GitHub's one-second grain
    const created = await ok.rest.issues.createComment({ ...o, issue_number: 1, body: 'On it' })
    conforms('POST', '/repos/{owner}/{repo}/issues/{issue_number}/comments', created)
    expect(created.status).toBe(201)
    const after = (await ok.rest.issues.get({ ...o, issue_number: 1 })).data
    expect(Date.parse(after.updated_at)).toBeGreaterThan(Date.parse(before))
    expect(after.comments).toBe(2)
    const since = await ok.rest.issues.listComments({ ...o, issue_number: 1, since: created.data.created_at })
    expect(since.data.map((c) => c.body)).toEqual(['On it'])
    const repoWide = await ok.rest.issues.listCommentsForRepo({ ...o, since: created.data.created_at })
    conforms('GET', '/repos/{owner}/{repo}/issues/comments', repoWide)
    expect(repoWide.data.map((c) => c.id)).toContain(created.data.id)
    const got = await ok.rest.issues.getComment({ ...o, comment_id: created.data.id })
    conforms('GET', '/repos/{owner}/{repo}/issues/comments/{comment_id}', got)
    const updated = await ok.rest.issues.updateComment({ ...o, comment_id: created.data.id, body: 'Done' })
    conforms('PATCH', '/repos/{owner}/{repo}/issues/comments/{comment_id}', updated)
    expect(updated.data.body).toBe('Done')
    expect((await failure(t.octokit(TOKENS.bob).rest.issues.updateComment({ ...o, comment_id: created.data.id, body: 'x' }))).status).toBe(403)
    expect((await ok.rest.issues.deleteComment({ ...o, comment_id: created.data.id })).status).toBe(204)
    expect((await failure(ok.rest.issues.getComment({ ...o, comment_id: created.data.id }))).status).toBe(404)
    const empty = await failure(ok.rest.issues.createComment({ ...o, issue_number: 1, body: '' }))
    expect(empty.status).toBe(422)
  })
})

describe('releases', () => {
  it('creates a release that tags the default branch, and lists it', async () => {
    const ok = t.octokit(TOKENS.owner)
    const created = await ok.rest.repos.createRelease({ ...o, tag_name: 'v1.0.0', name: 'One', body: 'First release' })
    conforms('POST', '/repos/{owner}/{repo}/releases', created)
    expect(created.status).toBe(201)
    expect(created.data).toMatchObject({ tag_name: 'v1.0.0', target_commitish: 'main', draft: false, name: 'One' })
    const list = await ok.rest.repos.listReleases(o)
    conforms('GET', '/repos/{owner}/{repo}/releases', list)
    expect(list.data.map((r) => r.tag_name)).toEqual(['v1.0.0'])
    expect((await failure(ok.rest.repos.createRelease({ ...o, tag_name: 'v1.0.0' }))).status).toBe(422)
    expect((await failure(t.octokit(TOKENS.bob).rest.repos.createRelease({ ...o, tag_name: 'v2' }))).status).toBe(403)
  })
})
