// The whole pipeline on the sandbox: the local forge over HTTP, real Octokit,
// real git, real agent processes with the builtin provider, real SQLite.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCore, type Core } from '../../../src/main/app'
import { createLogger } from '../../../src/main/log'
import { calcFiles } from '../../../src/forge/sandbox/project'
import { SANDBOX_TOKENS } from '../../../src/forge/sandbox/index'
import type { BoardIssue, InboxItem, IssueDetail } from '../../../src/shared/api'
import { Octokit } from '@octokit/rest'

let core: Core
const runner = { execPath: process.execPath, args: ['--import', 'tsx', join(process.cwd(), 'agents/runner.ts')] }

async function call<T>(method: string, input: unknown = {}): Promise<T> {
  const result = await core.call(method, input)
  if (!result.ok) throw new Error(`${method}: ${result.error.message}`)
  return result.data as T
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 90_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

const board = () => call<BoardIssue[]>('issues.board')
const card = async (n: number) => (await board()).find((c) => c.number === n)

beforeAll(async () => {
  core = await createCore({
    dataDir: mkdtempSync(join(tmpdir(), 'baton-pipeline-')),
    mode: 'headless',
    sandbox: true,
    runner,
    log: createLogger({ level: 'error' }),
    agentTiming: { heartbeatMs: 500, stallMs: 30_000, backoffMs: () => 200 }
  })
}, 60_000)
afterAll(async () => {
  await core?.close()
})

describe('the sandbox pipeline', () => {
  it('carries each seeded issue to review, the inbox, or its waiting state with the reason', async () => {
    await until('#1 at needs-review', async () => (await card(1))?.stage === 'needs-review')
    const one = (await card(1)) as BoardIssue
    expect(one.pr).toBeGreaterThan(0)
    const four = await until('#4 waiting for approval', async () => {
      const c = await card(4)
      return c?.reason?.includes('approve') ? c : undefined
    })
    expect(four.stage).toBe('backlog')
    const five = await until('#5 blocked by #1', async () => {
      const c = await card(5)
      return c?.activity === 'blocked' ? c : undefined
    })
    expect(five.reason).toBe('blocked by #1')
    // One agent PR at a time: #2 waits for #1's to be merged.
    const two = await card(2)
    expect(two?.reason ?? '').toMatch(/one at a time|a person|inbox/)
  })

  it('the PR carries the real diff, the Tester passed it, and a person merges it: the issue is done', async () => {
    const one = (await card(1)) as BoardIssue
    const pr = await call<{ files: Array<{ filename: string; patch: string | null }>; testReport: { passed: boolean } | null; body: string }>('prs.detail', {
      repoId: one.repoId,
      number: one.pr
    })
    expect(pr.body).toMatch(/^Closes #1/)
    expect(pr.files.map((f) => f.filename)).toEqual(expect.arrayContaining(['src/index.js']))
    expect(pr.testReport?.passed).toBe(true)
    await call('prs.merge', { repoId: one.repoId, number: one.pr })
    const done = await until('#1 done', async () => {
      const c = await card(1)
      return c?.activity === 'done' ? c : undefined
    })
    expect(done.stage).toBe('done')
    // #5 was blocked by #1: it moves now.
    await until('#5 leaves backlog', async () => {
      const c = await card(5)
      return c && c.stage !== 'backlog' && c.activity !== 'blocked'
    })
  })

  it("once #1 is done, Marketing's note names the issue and its merged PR with the Engineer's summary line, and pastes no comment", async () => {
    const one = (await card(1)) as BoardIssue
    const pr = await call<{ body: string }>('prs.detail', { repoId: one.repoId, number: one.pr })
    const summary = /## Summary\n\n(.+)/.exec(pr.body)?.[1]
    expect(summary).toBeTruthy()
    const gh = new Octokit({ baseUrl: core.sandbox()!.forge.apiUrl, auth: SANDBOX_TOKENS.maintainer })
    const note = await until('Marketing on #1', async () => {
      const comments = await gh.rest.issues.listComments({ owner: 'baton-sandbox', repo: 'calc', issue_number: 1, per_page: 100 })
      return comments.data.find((c) => c.body?.startsWith('**Marketing**'))?.body
    })
    expect(note).toContain(`### Added\n- Add a power function (#1, #${one.pr})\n`)
    expect(note).toContain(`New in baton-sandbox/calc: add a power function (#1, #${one.pr}). ${summary}`)
    expect(note).not.toMatch(/## (Implementation|Triage|Test report|Summary)/)
  })

  it("a person's label change on GitHub cancels the waiting task and the pipeline follows the person", async () => {
    const request = await until('#3 asks for more', async () => (await call<InboxItem[]>('inbox.list')).find((i) => i.issue === 3 && i.kind === 'request'))
    expect(request.question).toMatch(/too thin/)
    const gh = new Octokit({ baseUrl: core.sandbox()!.forge.apiUrl, auth: SANDBOX_TOKENS.maintainer })
    await gh.rest.issues.setLabels({ owner: 'baton-sandbox', repo: 'calc', issue_number: 3, labels: ['needs-architecture'] })
    await call('repos.syncNow', { id: (await card(3))!.repoId })
    const detail = await until('#3 planned by the Architect', async () => {
      const d = await call<IssueDetail>('issues.detail', { repoId: (await card(3))!.repoId, number: 3 })
      return d.tasks.some((t) => t.role === 'architect') ? d : undefined
    })
    expect(detail.tasks.find((t) => t.role === 'pm')?.state).toBe('cancelled')
    expect((await call<InboxItem[]>('inbox.list')).some((i) => i.id === request.id)).toBe(false)
  })

  it('a Tester fail goes back to the Engineer, who asks; the answer carries a fix and the work reaches review', async () => {
    const ask = await until(
      '#2 engineer asks after the failed tests',
      async () => (await call<InboxItem[]>('inbox.list')).find((i) => i.issue === 2 && i.agent?.startsWith('engineer')),
      120_000
    )
    expect(ask.question).toMatch(/tests failed/i)
    const fixed = (calcFiles['src/strings.js'] as string).replace('text[0].toUpperCase() + text.slice(1)', "text === '' ? '' : text[0].toUpperCase() + text.slice(1)")
    await call('inbox.answer', { id: ask.id, answer: `Here is the corrected file:\n\n\`\`\`src/strings.js\n${fixed}\`\`\`` })
    await until('#2 at needs-review', async () => (await card(2))?.stage === 'needs-review', 120_000)
    // Both of that Engineer task's answers reached GitHub, each under its own marker:
    // the REQUEST, and the implementation after the person's answer (DESIGN.md §7).
    const gh = new Octokit({ baseUrl: core.sandbox()!.forge.apiUrl, auth: SANDBOX_TOKENS.maintainer })
    const comments = (await gh.rest.issues.listComments({ owner: 'baton-sandbox', repo: 'calc', issue_number: 2, per_page: 100 })).data.map((c) => c.body ?? '')
    const task = ask.task as string
    const mine = comments.filter((b) => b.includes(`baton:task=${task} `) && !b.includes('baton:role=person'))
    expect(mine.map((b) => /baton:answer=(\d+)/.exec(b)?.[1])).toEqual(['1', '2'])
    expect(mine[0]).toMatch(/tests failed/i)
    expect(mine[1]).toMatch(/^\*\*Engineer\*\* · via Baton/)
    // And between them, the person's answer posted through Baton.
    const answer = comments.findIndex((b) => b.includes(`baton:task=${task} baton:request=${ask.id} baton:role=person`))
    expect(comments.indexOf(mine[0]!)).toBeLessThan(answer)
    expect(answer).toBeLessThan(comments.indexOf(mine[1]!))
  })

  it('no comment was posted twice and each PR is one PR', async () => {
    const forge = core.sandbox()!.forge
    const comments = forge.db.prepare('SELECT body FROM comments').all() as Array<{ body: string }>
    // A marker names one answer (task, attempt, place); a task that asked and then finished has two.
    const markers = comments.map((c) => /<!-- baton:task=[^>]*-->/.exec(c.body)?.[0]).filter(Boolean)
    expect(markers.length).toBeGreaterThan(5)
    expect(new Set(markers).size).toBe(markers.length)
    const pulls = forge.db.prepare('SELECT head_ref AS head FROM pulls').all() as Array<{ head: string }>
    expect(new Set(pulls.map((p) => p.head)).size).toBe(pulls.length)
  })
})
