// An issue an agent files through its task's token is the agent's words
// (pipeline/agent-filed.ts): GitHub names the app's login as its author, so
// without the mark an outsider's text an agent was talked into filing would
// come back as a maintainer's issue. Marked, it waits for a person's approval
// label; it may not choose that label or a stage; and a cross-owner hand-off
// the person approved in Baton files with the approval label.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { DEFAULT_SETTINGS } from '../../../src/shared/api'
import { EventHub } from '../../../src/main/events'
import { createLogger } from '../../../src/main/log'
import { checkAgentLabels, filedByAgent, markFiledBy } from '../../../src/main/pipeline/agent-filed'
import { defaultPipeline } from '../../../src/main/pipeline/definition'
import { EngineContext } from '../../../src/main/pipeline/engine-context'
import { approveHandoff, createHandoff } from '../../../src/main/pipeline/handoff'
import type { GitHubPort } from '../../../src/main/pipeline/ports'
import { schedule, type ScheduleIssue } from '../../../src/main/pipeline/scheduler'
import { openDatabase, type Db } from '../../../src/main/store/open'

describe('the mark', () => {
  it('names the agent, reads back, and keeps within GitHub’s limit', () => {
    const body = markFiledBy('Seen in the app.\n', 'engineer@acme/app')
    expect(body).toBe('Seen in the app.\n\n<!-- baton:filed-by=engineer@acme/app -->')
    expect(filedByAgent(body)).toBe('engineer@acme/app')
    expect(markFiledBy('', 'engineer-2@acme/app')).toBe('<!-- baton:filed-by=engineer-2@acme/app -->')
    // A name cannot close the comment or add a field.
    expect(markFiledBy('x', 'eng --> <b>@a/b')).toBe('x\n\n<!-- baton:filed-by=eng--b@a/b -->')
    expect(filedByAgent('A person wrote this.')).toBeNull()
    expect(() => markFiledBy('x'.repeat(65_530), 'engineer@acme/app')).toThrow(/65,5\d\d characters with the mark of the agent that files it; GitHub takes at most 65,536/)
  })

  it('refuses the approval label and stage labels, any case; other labels pass', () => {
    const stages = defaultPipeline.stages.map((s) => s.label)
    expect(() => checkAgentLabels(['bug', 'priority:high'], stages, 'approved', 'engineer@acme/app')).not.toThrow()
    expect(() => checkAgentLabels(['Approved'], stages, 'approved', 'engineer@acme/app')).toThrow(/engineer@acme\/app may not give an issue it files the label "Approved"/)
    expect(() => checkAgentLabels(['bug', 'ready-for-dev', 'IN-PROGRESS'], stages, 'approved', 'e@a/b')).toThrow(/the labels "ready-for-dev", "IN-PROGRESS": it starts at the pipeline's entry/)
  })
})

describe('the scheduler', () => {
  const issue = (extra: Partial<ScheduleIssue>): ScheduleIssue => ({ repoId: 1, number: 5, labels: ['backlog'], body: '', createdAt: '2026-01-01T00:00:00Z', trusted: false, outsideAuthor: false, ...extra })
  const run = (i: ScheduleIssue) =>
    schedule({ pipeline: defaultPipeline, issues: [i], busy: new Set(), sideLaneDone: new Set(), isClosed: () => false, idle: new Map([['pm', ['pm']]]), parallelPrs: false, approvalLabel: 'approved' })

  it("holds an agent's issue, saying who filed it, until it is approved", () => {
    const held = run(issue({ filedBy: 'engineer@acme/app' }))
    expect(held.start).toEqual([])
    expect(held.waiting).toEqual([{ repoId: 1, issue: 5, reason: 'waits for a maintainer to approve it (label "approved"): filed by engineer@acme/app, an agent' }])
    expect(run(issue({ filedBy: 'engineer@acme/app', trusted: true, labels: ['backlog', 'approved'] })).start).toEqual([expect.objectContaining({ issue: 5, role: 'pm' })])
  })
})

describe('a hand-off an agent asks for', () => {
  let dir: string
  let db: Db
  afterEach(() => {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  })

  function world() {
    dir = mkdtempSync(join(tmpdir(), 'baton-agent-filed-'))
    db = openDatabase(join(dir, 'baton.db'))
    const filed: Array<{ repo: string; body: string; labels: string[] }> = []
    const github = {
      createIssue: async (repo: { owner: string; name: string }, issue: { body: string; labels: string[] }) => {
        filed.push({ repo: `${repo.owner}/${repo.name}`, body: issue.body, labels: issue.labels })
        return { number: filed.length, url: `https://github.com/${repo.owner}/${repo.name}/issues/${filed.length}` }
      },
      comment: async () => null,
      syncNow: async () => undefined,
      login: () => 'olive'
    } as unknown as GitHubPort
    const ctx = new EngineContext({
      db,
      events: new EventHub(),
      log: createLogger({ level: 'error', write: () => undefined }),
      pool: { idle: () => new Map(), roles: () => [], dispatch: () => undefined, cancel: () => undefined } as never,
      github,
      workspace: {} as never,
      pipeline: () => defaultPipeline,
      settings: () => DEFAULT_SETTINGS,
      waits: new Map(),
      tick: () => Promise.resolve()
    } as never)
    const repo = db.prepare("INSERT INTO repos (key, host, api_url, owner, name, default_branch, connected_at) VALUES (?, 'github.com', 'https://api.github.com', ?, ?, 'main', '2026-01-01T00:00:00Z')")
    repo.run('github.com/acme/app', 'acme', 'app')
    repo.run('github.com/acme/lib', 'acme', 'lib')
    repo.run('github.com/olga/lib', 'olga', 'lib')
    db.prepare("INSERT INTO issues (repo_id, number, title, state, author, labels, created_at, updated_at) VALUES (1, 3, 'The app bug', 'open', 'olive', '[\"in-progress\"]', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')").run()
    return { ctx, filed }
  }
  const input = (toRepoId: number, labels: string[] = []) => ({ repoId: 1, issue: 3, toRepoId, title: 'parse() throws on dates', summary: 'parse("2026-12-01") throws.', labels, hypotheses: [] })

  it('into its own owner’s repository: filed at once, marked, at the entry stage only', async () => {
    const { ctx, filed } = world()
    await createHandoff(ctx, input(2, ['bug']), 'olive', 'engineer@acme/app')
    expect(filed).toHaveLength(1)
    expect(filed[0]!.labels).toEqual(['backlog', 'bug'])
    expect(filedByAgent(filed[0]!.body)).toBe('engineer@acme/app')
    await expect(createHandoff(ctx, { ...input(2, ['approved']), title: 'Another' }, 'olive', 'engineer@acme/app')).rejects.toThrow(/may not give an issue it files the label "approved"/)
  })

  it("into another owner's: the person's approval in Baton is their word for it, so it files with the approval label", async () => {
    const { ctx, filed } = world()
    const asked = await createHandoff(ctx, input(3), 'olive', 'engineer@acme/app')
    expect(filed).toEqual([])
    await approveHandoff(ctx, asked.id, 'olive')
    expect(filed).toHaveLength(1)
    expect(filed[0]!.labels).toEqual(['backlog', 'approved'])
    expect(filedByAgent(filed[0]!.body)).toBe('engineer@acme/app')
  })

  it("a person's hand-off (the app's token) carries no mark and keeps its labels", async () => {
    const { ctx, filed } = world()
    await createHandoff(ctx, input(2, ['ready-for-dev']), 'olive')
    expect(filed[0]!.labels).toEqual(['ready-for-dev'])
    expect(filedByAgent(filed[0]!.body)).toBeNull()
  })
})
