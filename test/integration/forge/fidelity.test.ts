// The forge never answers 200 without doing what was asked, and takes what
// GitHub takes: a branch name with an unencoded `/`, a repository's name and
// description changed (or a 422 for what it cannot change), every branch
// protection setting kept and answered with all of GitHub's keys, the root
// listed by `contents/`, a file answered raw for GitHub's raw media type, and
// an issue's labels kept in the order given. One test per defect found in
// trials (issue #10).
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Octokit } from '@octokit/rest'
import Database from 'better-sqlite3'
import { createForge } from '../../../src/forge'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TOKENS, baseSeed, conforms, failure, startForge, type TestForge } from './helpers'
import { loadSpec } from './openapi'

let t: TestForge
beforeAll(async () => {
  const seed = baseSeed()
  seed.organizations = [{ login: 'acme', members: ['owner'] }]
  seed.repositories!.push({ owner: 'acme', name: 'site', files: { 'index.html': '<p>hi</p>\n' }, collaborators: { owner: 'admin', alice: 'write' } })
  t = await startForge(seed)
  // A branch named like Baton's: baton/<issue>-<slug>.
  execFileSync('git', ['--git-dir', t.forge.gitDir('owner', 'app'), 'branch', 'baton/3-fix', 'main'])
  execFileSync('git', ['--git-dir', t.forge.gitDir('acme', 'site'), 'branch', 'baton/4-docs', 'main'])
})
afterAll(async () => t?.close())

describe('the forge does what it answers 200 to', () => {
  it('GET branches/{branch} takes a name with an unencoded "/", as GitHub does', async () => {
    const gh = t.octokit(TOKENS.alice)
    const raw = await gh.request('GET /repos/owner/app/branches/baton/3-fix')
    conforms('GET', '/repos/{owner}/{repo}/branches/{branch}', raw)
    expect(raw.data.name).toBe('baton/3-fix')
    // The encoded form still works, and a protection path is still the protection.
    const encoded = await gh.request('GET /repos/{owner}/{repo}/branches/{branch}', { owner: 'owner', repo: 'app', branch: 'baton/3-fix' })
    expect(encoded.data.commit.sha).toBe(raw.data.commit.sha)
    expect((await failure(t.octokit(TOKENS.owner).request('GET /repos/owner/app/branches/baton/3-fix/protection'))).data.message).toBe('Branch not protected')
    expect((await failure(gh.request('GET /repos/owner/app/branches/baton/nope'))).status).toBe(404)
  })

  it('PATCH /repos/{o}/{r} applies name and description, and refuses with 422 what it cannot change', async () => {
    const gh = t.octokit(TOKENS.owner)
    const patched = await gh.rest.repos.update({ owner: 'owner', repo: 'app', description: 'A tiny app' })
    conforms('PATCH', '/repos/{owner}/{repo}', patched)
    expect((await gh.rest.repos.get({ owner: 'owner', repo: 'app' })).data.description).toBe('A tiny app')

    const refused = await failure(gh.rest.repos.update({ owner: 'owner', repo: 'app', description: 'changed', homepage: 'https://example.test' }))
    expect(refused.status).toBe(422)
    expect(refused.data.errors[0]).toMatchObject({ field: 'homepage' })
    expect((await gh.rest.repos.get({ owner: 'owner', repo: 'app' })).data.description).toBe('A tiny app')

    const renamed = await gh.rest.repos.update({ owner: 'owner', repo: 'secret', name: 'hidden' })
    expect(renamed.data).toMatchObject({ name: 'hidden', full_name: 'owner/hidden' })
    expect((await failure(gh.rest.repos.get({ owner: 'owner', repo: 'secret' }))).status).toBe(404)
    expect(existsSync(t.forge.gitDir('owner', 'hidden'))).toBe(true)
    // Its git history moved with it.
    expect((await gh.rest.repos.getContent({ owner: 'owner', repo: 'hidden', path: 'a.txt' })).status).toBe(200)
    const taken = await failure(gh.rest.repos.update({ owner: 'owner', repo: 'hidden', name: 'app' }))
    expect(taken.status).toBe(422)
    expect(taken.data.errors[0]?.message).toBe('name already exists on this account')
    expect((await failure(gh.rest.repos.update({ owner: 'owner', repo: 'hidden', name: 'no spaces' }))).status).toBe(422)
  })

  it('a branch protection PUT keeps every field given and answers with all of GitHub\'s keys', async () => {
    const gh = t.octokit(TOKENS.owner)
    const o = { owner: 'acme', repo: 'site', branch: 'baton/4-docs' }
    const put = await gh.rest.repos.updateBranchProtection({
      ...o,
      required_status_checks: { strict: true, contexts: [], checks: [{ context: 'ci/test' }, { context: 'lint', app_id: 42 }] },
      enforce_admins: false,
      required_pull_request_reviews: {
        dismiss_stale_reviews: true,
        require_code_owner_reviews: true,
        required_approving_review_count: 2,
        require_last_push_approval: true,
        dismissal_restrictions: { users: ['alice'] },
        bypass_pull_request_allowances: { users: ['owner'] }
      },
      restrictions: { users: ['alice'], teams: [] },
      required_linear_history: true,
      allow_force_pushes: true,
      allow_deletions: true,
      block_creations: true,
      required_conversation_resolution: true,
      lock_branch: true,
      allow_fork_syncing: true
    })
    conforms('PUT', '/repos/{owner}/{repo}/branches/{branch}/protection', put)
    const keys = Object.keys(loadSpec().components.schemas['protected-branch']!.properties!)
    expect(Object.keys(put.data).sort()).toEqual([...keys].sort())
    const d = put.data
    expect(d.required_status_checks).toMatchObject({ strict: true, contexts: ['ci/test', 'lint'], checks: [{ context: 'ci/test', app_id: null }, { context: 'lint', app_id: 42 }] })
    expect(d.enforce_admins?.enabled).toBe(false)
    expect(d.required_pull_request_reviews).toMatchObject({ dismiss_stale_reviews: true, require_code_owner_reviews: true, required_approving_review_count: 2, require_last_push_approval: true })
    expect(d.required_pull_request_reviews?.dismissal_restrictions?.users?.map((u) => u.login)).toEqual(['alice'])
    expect(d.required_pull_request_reviews?.bypass_pull_request_allowances?.users?.map((u) => u.login)).toEqual(['owner'])
    expect(d.restrictions?.users.map((u) => u.login)).toEqual(['alice'])
    for (const flag of ['required_linear_history', 'allow_force_pushes', 'allow_deletions', 'block_creations', 'required_conversation_resolution', 'lock_branch', 'allow_fork_syncing'] as const) {
      expect(d[flag]?.enabled, flag).toBe(true)
    }

    // Read back: the same settings (GET answers GitHub's branch-protection shape).
    const got = await gh.rest.repos.getBranchProtection(o)
    conforms('GET', '/repos/{owner}/{repo}/branches/{branch}/protection', got)
    expect(got.data).toMatchObject({ name: 'baton/4-docs', enforce_admins: { enabled: false }, lock_branch: { enabled: true }, required_status_checks: { strict: true, contexts: ['ci/test', 'lint'] } })

    // Turned off again: the keys for disabled parts go, the flags read false.
    const off = await gh.rest.repos.updateBranchProtection({ ...o, required_status_checks: null, enforce_admins: null, required_pull_request_reviews: null, restrictions: null })
    conforms('PUT', '/repos/{owner}/{repo}/branches/{branch}/protection', off)
    expect(off.data).not.toHaveProperty('required_status_checks')
    expect(off.data).not.toHaveProperty('restrictions')
    expect(off.data.lock_branch?.enabled).toBe(false)

    // What the forge cannot represent is refused, and the rule stays as it was.
    const teams = await failure(gh.rest.repos.updateBranchProtection({ ...o, required_status_checks: null, enforce_admins: true, required_pull_request_reviews: null, restrictions: { users: [], teams: ['core'] } }))
    expect(teams.status).toBe(422)
    const personal = await failure(gh.rest.repos.updateBranchProtection({ owner: 'owner', repo: 'app', branch: 'main', required_status_checks: null, enforce_admins: true, required_pull_request_reviews: null, restrictions: { users: ['alice'], teams: [] } }))
    expect(personal.data.message).toBe('Only organization repositories can have users and team restrictions')
    expect((await gh.rest.repos.getBranchProtection(o)).data.enforce_admins?.enabled).toBe(false)
  })

  it('GET contents/ and contents with an empty path list the root', async () => {
    const gh = t.octokit(TOKENS.alice)
    for (const path of ['/repos/owner/app/contents/', '/repos/owner/app/contents']) {
      const r = await gh.request(`GET ${path}`)
      conforms('GET', '/repos/{owner}/{repo}/contents/{path}', r)
      expect((r.data as Array<{ type: string; path: string }>).map((e) => `${e.type}:${e.path}`), path).toEqual(['file:README.md', 'dir:src'])
    }
    const viaOctokit = await gh.rest.repos.getContent({ owner: 'owner', repo: 'app', path: '' })
    expect(Array.isArray(viaOctokit.data)).toBe(true)
  })

  it('Accept: application/vnd.github.raw (and .raw+json, v3.raw) answers the file\'s own text', async () => {
    const gh = t.octokit(TOKENS.alice)
    for (const accept of ['application/vnd.github.raw', 'application/vnd.github.raw+json', 'application/vnd.github.v3.raw']) {
      const r = await gh.request('GET /repos/{owner}/{repo}/contents/{path}', { owner: 'owner', repo: 'app', path: 'src/index.js', headers: { accept } })
      expect(r.data, accept).toBe('export const one = 1\n')
      expect(r.headers['content-type']).toMatch(/^application\/vnd\.github\.raw/)
    }
    const viaMediaType = await gh.rest.repos.getContent({ owner: 'owner', repo: 'app', path: 'README.md', mediaType: { format: 'raw' } })
    expect(viaMediaType.data).toBe('# app\n')
    // The JSON form is still the default, and its ETag is not the raw one's.
    const json = await gh.rest.repos.getContent({ owner: 'owner', repo: 'app', path: 'README.md' })
    expect(json.data).toMatchObject({ type: 'file', encoding: 'base64' })
    expect(json.headers.etag).not.toBe(viaMediaType.headers.etag)
  })

  it('labels keep the order given: creating an issue, replacing and adding its labels', async () => {
    const gh = t.octokit(TOKENS.owner)
    const o = { owner: 'owner', repo: 'app' }
    const created = await gh.rest.issues.create({ ...o, title: 'Ordered', labels: ['zeta', 'alpha', 'mid'] })
    const names = (labels: Array<string | { name?: string }>) => labels.map((l) => (typeof l === 'string' ? l : l.name))
    expect(names(created.data.labels)).toEqual(['zeta', 'alpha', 'mid'])
    const n = created.data.number
    expect(names((await gh.rest.issues.get({ ...o, issue_number: n })).data.labels)).toEqual(['zeta', 'alpha', 'mid'])
    const set = await gh.rest.issues.setLabels({ ...o, issue_number: n, labels: ['needs-testing', 'bug', 'alpha'] })
    expect(names(set.data)).toEqual(['needs-testing', 'bug', 'alpha'])
    const added = await gh.rest.issues.addLabels({ ...o, issue_number: n, labels: ['urgent', 'bug', 'abc'] })
    expect(names(added.data)).toEqual(['needs-testing', 'bug', 'alpha', 'urgent', 'abc'])
    expect(names((await gh.rest.issues.listLabelsOnIssue({ ...o, issue_number: n })).data)).toEqual(['needs-testing', 'bug', 'alpha', 'urgent', 'abc'])
  })
})

describe('a data folder from an older forge', () => {
  it('a version-2 database (protection without its settings) is brought forward: its rules read as before, and new PUTs keep every setting', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'forge-v2-'))
    try {
      const first = await createForge({ dataDir, seed: baseSeed() })
      await first.close()
      // What a version-2 forge left: a rule with the merge guard's columns only.
      const db = new Database(join(dataDir, 'forge.sqlite'))
      db.exec('ALTER TABLE branch_protection DROP COLUMN settings')
      db.prepare("INSERT INTO branch_protection (repo_id, branch, contexts, strict, required_reviews) VALUES ((SELECT id FROM repos WHERE name = 'app'), ?, ?, 1, 1)").run('main', JSON.stringify(['ci/test']))
      db.pragma('user_version = 2')
      db.close()

      const forge = await createForge({ dataDir })
      try {
        const gh = new Octokit({ baseUrl: forge.apiUrl, auth: TOKENS.owner, request: { retries: 0 } })
        const o = { owner: 'owner', repo: 'app', branch: 'main' }
        const old = await gh.rest.repos.getBranchProtection(o)
        conforms('GET', '/repos/{owner}/{repo}/branches/{branch}/protection', old)
        expect(old.data).toMatchObject({ required_status_checks: { strict: true, contexts: ['ci/test'] }, required_pull_request_reviews: { required_approving_review_count: 1 }, enforce_admins: { enabled: true } })
        const put = await gh.rest.repos.updateBranchProtection({ ...o, required_status_checks: null, enforce_admins: false, required_pull_request_reviews: null, restrictions: null, lock_branch: true })
        expect(put.data.lock_branch?.enabled).toBe(true)
        expect(forge.db.pragma('user_version', { simple: true })).toBe(3)
      } finally {
        await forge.close()
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
