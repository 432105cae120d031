// The issue page's writes through the API's schemas (dispatch) against the
// forge: a comment with the same key posts once and shows as its author's, a
// label change is one write computed against the current labels, close as not
// planned and reopen land on the forge and in the mirror at once, each is
// audited, and bad input changes nothing.
import { Octokit } from '@octokit/rest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { issueHandlers } from '../../../src/main/api/issue-handlers'
import { dispatch, type Handlers } from '../../../src/main/api/dispatch'
import { EventHub } from '../../../src/main/events'
import type { GitHubService } from '../../../src/main/github/service'
import { makeService, setup, TOKENS, type Env } from './helpers'

let env: Env
let s: GitHubService
let repoId: number
let ticks = 0
let owner: Octokit
const base = { owner: 'owner', repo: 'app' }
const call = (method: string, input: unknown) => dispatch(issueHandlers({ db: env.db, events: new EventHub(), github: s, tick: () => void ticks++ }) as unknown as Handlers, method, input)
const writes = () => env.forge.requestLog().filter((e) => e.kind === 'api' && e.method !== 'GET')
const events = (kind: string) => env.db.prepare('SELECT subject, message FROM events WHERE kind = ? ORDER BY id').all(kind) as Array<{ subject: string; message: string }>

beforeAll(async () => {
  env = await setup()
  s = makeService(env)
  await s.signInWithToken(TOKENS.owner)
  repoId = (await s.connect('owner/app')).id
  await s.syncNow(repoId)
  owner = new Octokit({ baseUrl: env.forge.apiUrl, auth: TOKENS.owner })
})
afterAll(() => env.close())

describe('issues.comment', () => {
  it('posts once per key, mirrored, shown as the author (no role), audited', async () => {
    env.forge.clearLog()
    const first = await call('issues.comment', { repoId, issue: 1, body: 'Looks right to me.', key: 'draft_abc12345' })
    expect(first).toMatchObject({ ok: true, data: { commented: true } })
    const again = await call('issues.comment', { repoId, issue: 1, body: 'Looks right to me.', key: 'draft_abc12345' })
    expect(again.ok).toBe(true)
    expect(writes().filter((w) => w.method === 'POST')).toHaveLength(1)
    const on = (await owner.rest.issues.listComments({ ...base, issue_number: 1 })).data.filter((c) => c.body?.startsWith('Looks right to me.'))
    expect(on).toHaveLength(1)
    expect(on[0]!.user?.login).toBe('owner')
    const mirrored = env.db.prepare("SELECT author, body FROM comments WHERE repo_id = ? AND issue = 1 AND body LIKE 'Looks right%'").all(repoId) as Array<{ author: string; body: string }>
    expect(mirrored).toHaveLength(1)
    // The marker names no role: the page shows it as owner's, not an agent's.
    expect(mirrored[0]!.body).not.toMatch(/baton:role=/)
    expect(events('issue.comment').at(-1)).toEqual({ subject: 'owner', message: 'owner commented on #1' })
  })

  it('refuses an empty comment and one over GitHub limit, and posts nothing', async () => {
    env.forge.clearLog()
    const empty = await call('issues.comment', { repoId, issue: 1, body: '   ' })
    expect(empty).toMatchObject({ ok: false, error: { code: 'bad_request', message: expect.stringContaining('body: write something to comment') } })
    const long = await call('issues.comment', { repoId, issue: 1, body: 'x'.repeat(65_001) })
    expect(long).toMatchObject({ ok: false, error: { message: expect.stringContaining('at most 65,000 characters') } })
    const unknown = await call('issues.comment', { repoId, issue: 99, body: 'Hello' })
    expect(unknown).toMatchObject({ ok: false, error: { code: 'not_found' } })
    expect(writes()).toHaveLength(0)
  })
})

describe('issues.setLabels', () => {
  it('adds and removes in one write against the current labels, mirrored at once', async () => {
    // Someone else added "wontfix" on GitHub since the last sync: it must survive.
    await owner.rest.issues.addLabels({ ...base, issue_number: 1, labels: ['wontfix'] })
    env.forge.clearLog()
    const result = await call('issues.setLabels', { repoId, issue: 1, add: ['docs'], remove: ['bug'] })
    expect(result).toEqual({ ok: true, data: { labels: expect.arrayContaining(['wontfix', 'docs']) } })
    expect((result as { data: { labels: string[] } }).data.labels).not.toContain('bug')
    expect(writes()).toHaveLength(1)
    const onForge = (await owner.rest.issues.get({ ...base, issue_number: 1 })).data.labels.map((l) => (typeof l === 'string' ? l : l.name)).sort()
    expect(onForge).toEqual(['docs', 'wontfix'])
    expect(JSON.parse((env.db.prepare('SELECT labels FROM issues WHERE repo_id = ? AND number = 1').get(repoId) as { labels: string }).labels).sort()).toEqual(['docs', 'wontfix'])
    expect(events('issue.labels').at(-1)?.message).toBe('owner changed the labels of #1: +docs −bug')
    // The same change again: no write.
    env.forge.clearLog()
    await call('issues.setLabels', { repoId, issue: 1, add: ['docs'], remove: ['bug'] })
    expect(writes()).toHaveLength(0)
  })

  it('refuses nothing to do, or a label both added and removed', async () => {
    expect(await call('issues.setLabels', { repoId, issue: 1 })).toMatchObject({ ok: false, error: { message: expect.stringContaining('name a label to add or to remove') } })
    expect(await call('issues.setLabels', { repoId, issue: 1, add: ['x'], remove: ['x'] })).toMatchObject({ ok: false, error: { message: '"x" is both added and removed: name it once.' } })
  })
})

describe('issues.close and issues.reopen', () => {
  it('closes as not planned, then reopens; a repeat is no write; the mirror follows at once', async () => {
    const before = ticks
    const closed = await call('issues.close', { repoId, issue: 2, reason: 'not_planned' })
    expect(closed).toEqual({ ok: true, data: { closed: true, reason: 'not_planned', changed: true } })
    const there = (await owner.rest.issues.get({ ...base, issue_number: 2 })).data
    expect([there.state, there.state_reason]).toEqual(['closed', 'not_planned'])
    expect(env.db.prepare('SELECT state, state_reason FROM issues WHERE repo_id = ? AND number = 2').get(repoId)).toEqual({ state: 'closed', state_reason: 'not_planned' })
    expect(ticks).toBeGreaterThan(before)

    env.forge.clearLog()
    expect(await call('issues.close', { repoId, issue: 2, reason: 'not_planned' })).toMatchObject({ ok: true, data: { changed: false } })
    expect(writes()).toHaveLength(0)

    expect(await call('issues.reopen', { repoId, issue: 2 })).toEqual({ ok: true, data: { reopened: true, changed: true } })
    expect((await owner.rest.issues.get({ ...base, issue_number: 2 })).data.state).toBe('open')
    expect((env.db.prepare('SELECT state FROM issues WHERE repo_id = ? AND number = 2').get(repoId) as { state: string }).state).toBe('open')
    expect(events('issue.close').map((e) => e.message)).toEqual(['owner closed #2 as not planned'])
    expect(events('issue.reopen').map((e) => e.message)).toEqual(['owner reopened #2'])
  })

  it('closing as completed an issue closed as not planned changes the reason', async () => {
    await call('issues.close', { repoId, issue: 2, reason: 'not_planned' })
    expect(await call('issues.close', { repoId, issue: 2 })).toMatchObject({ ok: true, data: { reason: 'completed', changed: true } })
    expect((await owner.rest.issues.get({ ...base, issue_number: 2 })).data.state_reason).toBe('completed')
    expect(await call('issues.close', { repoId, issue: 2, reason: 'later' })).toMatchObject({ ok: false, error: { message: expect.stringContaining('reason is completed or not_planned') } })
  })
})
