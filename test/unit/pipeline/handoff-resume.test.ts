// A hand-off whose target repository was disconnected while the origin waited
// (pipeline/handoff.ts): the target is then read read-only, as a
// cross-repository dependency is, and the origin still resumes when it closes.
// A real SQLite file; the GitHub port records what it is asked.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DEFAULT_SETTINGS } from '../../../src/shared/api'
import { parseMarker } from '../../../src/shared/marker'
import { EventHub } from '../../../src/main/events'
import { createLogger } from '../../../src/main/log'
import { EngineContext } from '../../../src/main/pipeline/engine-context'
import { REMOTE_TTL_MS } from '../../../src/main/pipeline/cross-deps'
import { handoffHolds, handoffOutcomes, handoffsAfterSync } from '../../../src/main/pipeline/handoff'
import type { GitHubPort } from '../../../src/main/pipeline/ports'
import { getHandoff, insertHandoff, updateHandoff } from '../../../src/main/store/handoffs'
import { openDatabase, type Db } from '../../../src/main/store/open'

let dir: string
let db: Db
let now: number
let ctx: EngineContext
let state: 'open' | 'closed'
const reads: string[] = []
const posted: Array<{ issue: number; body: string; marker: string }> = []

const settle = async () => {
  while (ctx.inflight.size) await Promise.allSettled([...ctx.inflight])
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'baton-handoff-resume-'))
  db = openDatabase(join(dir, 'baton.db'))
  now = Date.parse('2026-12-01T10:00:00Z')
  state = 'open'
  reads.length = 0
  posted.length = 0
  const github = {
    readIssue: async (owner: string, name: string, number: number) => {
      reads.push(`${owner}/${name}#${number}`)
      return { notModified: false, etag: null, issue: { state, stateReason: state === 'closed' ? 'completed' : null, title: 'A lib bug', url: 'https://github.com/acme/lib/issues/7' } }
    },
    comment: async (_repo: unknown, issue: number, body: string, marker: string) => {
      posted.push({ issue, body, marker })
      return null
    },
    login: () => 'olive'
  } as unknown as GitHubPort
  ctx = new EngineContext({
    db,
    events: new EventHub(),
    log: createLogger({ level: 'error' }),
    pool: {} as never,
    github,
    workspace: {} as never,
    pipeline: () => ({}) as never,
    settings: () => DEFAULT_SETTINGS,
    waits: new Map(),
    now: () => new Date(now)
  })
  const repo = db.prepare("INSERT INTO repos (key, host, api_url, owner, name, default_branch, connected_at) VALUES (?, 'github.com', 'https://api.github.com', ?, ?, 'main', '2026-01-01T00:00:00Z')")
  repo.run('github.com/acme/app', 'acme', 'app')
  repo.run('github.com/acme/lib', 'acme', 'lib')
  db.prepare("INSERT INTO issues (repo_id, number, title, state, author, created_at, updated_at) VALUES (1, 3, 'The app bug', 'open', 'olive', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')").run()
  const id = insertHandoff(db, { fromRepoId: 1, fromIssue: 3, toRepoId: 2, toOwner: 'acme', toName: 'lib', title: 'A lib bug', labels: [], state: 'filing', stage: 'backlog', taskId: null, askedBy: 'olive', at: new Date(now).toISOString() })
  updateHandoff(db, id, { state: 'open', to_issue: 7, url: 'https://github.com/acme/lib/issues/7' }, new Date(now).toISOString())
})
afterEach(() => {
  db.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('a hand-off whose target repository was disconnected', () => {
  it('is read read-only (once a minute), and resumes the origin when it closes', async () => {
    db.prepare('DELETE FROM repos WHERE id = 2').run()
    expect(getHandoff(db, 1)).toMatchObject({ to_repo_id: null, to_owner: 'acme', to_name: 'lib', state: 'open' })
    expect(handoffHolds(db).get('1#3')).toBe('waits for acme/lib#7')

    // Still open over there: it keeps waiting; not asked again within the minute.
    await handoffsAfterSync(ctx)
    await settle()
    await handoffsAfterSync(ctx)
    await settle()
    expect(reads).toEqual(['acme/lib#7'])
    expect(getHandoff(db, 1)?.state).toBe('open')

    state = 'closed'
    now += REMOTE_TTL_MS
    await handoffsAfterSync(ctx)
    await settle()
    await handoffsAfterSync(ctx)
    await settle()
    expect(reads).toHaveLength(2)
    expect(getHandoff(db, 1)).toMatchObject({ state: 'closed', state_reason: 'completed' })
    expect(handoffHolds(db).size).toBe(0)
    expect(posted).toHaveLength(1)
    expect(posted[0]!.issue).toBe(3)
    expect(posted[0]!.body).toContain('**acme/lib#7 was closed as completed**')
    expect(parseMarker(posted[0]!.marker)?.fields).toEqual({ task: 'handoff-1', kind: 'handoff-closed' })
    expect(getHandoff(db, 1)?.resumed_at).not.toBeNull()
    expect(handoffOutcomes(db, 1, 3)).toEqual([{ from: 'acme/app#3', to: 'acme/lib#7', text: 'acme/lib#7 ("A lib bug") was closed as completed.', state: 'closed', stateReason: 'completed', url: 'https://github.com/acme/lib/issues/7' }])

    // Told once: another pass posts nothing more.
    await handoffsAfterSync(ctx)
    await settle()
    expect(posted).toHaveLength(1)
  })

  it('a comment GitHub refused is posted at a later pass, and only then is the origin told', async () => {
    // The target (still connected) closed as not planned; the first comment fails.
    db.prepare("INSERT INTO issues (repo_id, number, title, state, state_reason, author, created_at, updated_at) VALUES (2, 7, 'A lib bug', 'closed', 'not_planned', 'olive', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')").run()
    const comment = ctx.o.github.comment
    let fail = true
    ctx.o.github.comment = async (...args) => {
      if (fail) throw new Error('GitHub is down')
      return comment(...args)
    }
    await handoffsAfterSync(ctx)
    await settle()
    expect(getHandoff(db, 1)).toMatchObject({ state: 'closed', state_reason: 'not_planned', resumed_at: null })
    expect(posted).toEqual([])
    fail = false
    await handoffsAfterSync(ctx)
    await settle()
    expect(posted.map((p) => p.body)).toEqual([expect.stringContaining('closed as not planned')])
    expect(getHandoff(db, 1)?.resumed_at).not.toBeNull()
  })
})
