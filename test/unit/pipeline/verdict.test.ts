// The Tester's verdict (verdict.ts): which way its move went, a status
// description GitHub takes (one line, at most 140 characters), and a PR copy
// marker that is Baton's yet never the issue comment's.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DEFAULT_SETTINGS } from '../../../src/shared/api'
import { AppError } from '../../../src/shared/errors'
import { EventHub } from '../../../src/main/events'
import { createLogger } from '../../../src/main/log'
import { EngineContext } from '../../../src/main/pipeline/engine-context'
import type { GitHubPort } from '../../../src/main/pipeline/ports'
import { openDatabase } from '../../../src/main/store/open'
import type { TaskRow } from '../../../src/main/store/tasks'
import { parseMarker, sameMarker } from '../../../src/shared/marker'
import { defaultPipeline } from '../../../src/main/pipeline/definition'
import { marker } from '../../../src/main/pipeline/effects'
import { prCopyMarker, publishVerdict, statusDescription, verdictOf } from '../../../src/main/pipeline/verdict'

describe('the verdict', () => {
  it('is success for a move on, failure for a move back, nothing without a stage move', () => {
    expect(verdictOf(defaultPipeline, [{ kind: 'labels', add: ['needs-review'], remove: ['needs-testing'] }])).toBe('success')
    expect(verdictOf(defaultPipeline, [{ kind: 'labels', add: ['ready-for-dev'], remove: ['needs-testing'] }])).toBe('failure')
    expect(verdictOf(defaultPipeline, [{ kind: 'labels', add: ['bug'], remove: [] }])).toBeNull()
    expect(verdictOf(defaultPipeline, [])).toBeNull()
  })

  it('describes itself in one line of at most 140 characters, without terminal colours', () => {
    expect(statusDescription('\u001b[32mAll 3 tests passed\u001b[0m\n  in 0.1 s')).toBe('All 3 tests passed in 0.1 s')
    const long = statusDescription('x'.repeat(500))
    expect(long).toHaveLength(140)
    expect(long.endsWith('…')).toBe(true)
  })

  it("marks the PR copy as Baton's, apart from the issue comment's marker", () => {
    const issue = marker('t_1', 'tester', { attempt: 2, answer: 1 })
    const copy = prCopyMarker(issue)
    const a = parseMarker(`report\n\n${issue}`)
    const b = parseMarker(`report\n\n${copy}`)
    expect(b).toMatchObject({ task: 't_1', role: 'tester', fields: { copy: 'pr', attempt: '2', answer: '1' } })
    expect(sameMarker(a!, b!)).toBe(false)
    expect(copy).not.toMatch(/^<!-- baton:task=/)
  })
})

describe('publishing it', () => {
  const setup = (setStatus: GitHubPort['setStatus']) => {
    const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'baton-verdict-')), 'baton.db'))
    db.prepare("INSERT INTO repos (id, key, host, api_url, owner, name, default_branch, connected_at) VALUES (1, 'h/o/r', 'h', 'https://h/api/v3', 'o', 'r', 'main', 'now')").run()
    db.prepare("INSERT INTO pulls (repo_id, number, issue, title, state, head, base, head_sha, author, created_at, updated_at) VALUES (1, 9, 3, 'T', 'open', 'baton/3-t', 'main', ?, 'o', 'now', 'now')").run('c'.repeat(40))
    const posted: string[] = []
    const github = { comment: async (_r: unknown, n: number, body: string) => void posted.push(`#${n} ${body}`), setStatus, login: () => 'o' } as unknown as GitHubPort
    const ctx = new EngineContext({ db, events: new EventHub(), log: createLogger({ level: 'error' }), pool: {} as never, github, workspace: {} as never, pipeline: () => defaultPipeline, settings: () => DEFAULT_SETTINGS, waits: new Map() })
    const task = { id: 't_1', repo_id: 1, issue: 3, role: 'tester', stage: 'needs-testing' } as TaskRow
    const repo = { id: 1, owner: 'o', name: 'r', defaultBranch: 'main' }
    const effects = [
      { kind: 'comment' as const, body: `Report\n\n${marker('t_1', 'tester')}`, marker: marker('t_1', 'tester') },
      { kind: 'labels' as const, add: ['needs-review'], remove: ['needs-testing'] }
    ]
    const result = { agent: 'tester', task: 't_1', attempt: 1, answer: { status: 'done', text: 'All passed', move: null, branch: null, handoffs: [], labels: [], body: 'Report' }, raw: '', usage: null, sessionId: null, provider: 'x', model: null } as never
    return { db, ctx, task, repo, effects, result, posted }
  }

  it('a token that may not write statuses does not hold the answer: it is said once, and the rest applies', async () => {
    const s = setup(async () => {
      throw new AppError('forbidden', 'GitHub refused publishing baton/tester: Resource not accessible by personal access token')
    })
    await publishVerdict(s.ctx, s.task, s.repo, s.effects, s.result)
    expect(s.posted).toHaveLength(1)
    expect(s.posted[0]).toMatch(/^#9 Report/)
    expect(s.db.prepare("SELECT message FROM events WHERE kind = 'verdict.refused'").all()).toEqual([{ message: expect.stringContaining('Resource not accessible') }])
  })

  it('GitHub unreachable is thrown, so the answer is applied again later', async () => {
    const s = setup(async () => {
      throw new AppError('offline', 'GitHub could not be reached')
    })
    await expect(publishVerdict(s.ctx, s.task, s.repo, s.effects, s.result)).rejects.toThrow(/could not be reached/)
  })
})
