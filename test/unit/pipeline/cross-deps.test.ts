// Dependencies on other repositories' issues (pipeline/cross-deps.ts), with
// time moved rather than waited for: a real SQLite file, a GitHub port that
// counts its reads. A connected repository's issue is read from the mirror;
// another's is asked at most once a minute, with its ETag, never waited for.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DEFAULT_SETTINGS } from '../../../src/shared/api'
import { EventHub } from '../../../src/main/events'
import { createLogger } from '../../../src/main/log'
import { EngineContext } from '../../../src/main/pipeline/engine-context'
import { elsewhereState, REMOTE_TTL_MS } from '../../../src/main/pipeline/cross-deps'
import type { GitHubPort } from '../../../src/main/pipeline/ports'
import { openDatabase, type Db } from '../../../src/main/store/open'

type Answer = Awaited<ReturnType<NonNullable<GitHubPort['readIssue']>>>

let dir: string
let db: Db
let now: number
let reads: Array<{ ref: string; etag: string | null }>
let next: (etag: string | null) => Promise<Answer>
let ticks: number
let ctx: EngineContext

const lib = { owner: 'other', name: 'lib', number: 7 }
const settle = async () => {
  while (ctx.inflight.size) await Promise.allSettled([...ctx.inflight])
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'baton-cross-deps-'))
  db = openDatabase(join(dir, 'baton.db'))
  now = Date.parse('2026-12-01T10:00:00Z')
  reads = []
  ticks = 0
  const github = {
    readIssue: (owner: string, name: string, number: number, etag: string | null) => {
      reads.push({ ref: `${owner}/${name}#${number}`, etag })
      return next(etag)
    }
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
  ctx.tick = async () => {
    ticks++
  }
})
afterEach(() => {
  db.close()
  rmSync(dir, { recursive: true, force: true })
})

const open = (etag: string): Answer => ({ notModified: false, etag, issue: { state: 'open', stateReason: null, title: 'A lib bug', url: 'https://github.com/other/lib/issues/7' } })

describe('an issue in a repository that is not connected', () => {
  it('is read once, then not again within a minute; after it, with If-None-Match (a 304 keeps what it knew); a close unblocks and schedules again', async () => {
    next = async () => open('"e1"')
    expect(elsewhereState(ctx, lib)).toEqual({ closed: false, note: 'looking it up' })
    // A second pass before the answer: no second request in flight.
    elsewhereState(ctx, lib)
    await settle()
    expect(reads).toEqual([{ ref: 'other/lib#7', etag: null }])
    expect(ticks).toBe(1)
    for (let i = 0; i < 20; i++) {
      now += 2_000
      expect(elsewhereState(ctx, lib)).toEqual({ closed: false, note: null })
    }
    await settle()
    expect(reads).toHaveLength(1)

    now += REMOTE_TTL_MS
    next = async () => ({ notModified: true, etag: '"e1"', issue: null })
    elsewhereState(ctx, lib)
    await settle()
    expect(reads[1]).toEqual({ ref: 'other/lib#7', etag: '"e1"' })
    expect(elsewhereState(ctx, lib)).toEqual({ closed: false, note: null })
    expect(ticks).toBe(1) // nothing changed

    now += REMOTE_TTL_MS
    next = async () => ({ notModified: false, etag: '"e2"', issue: { state: 'closed', stateReason: 'completed', title: 'A lib bug', url: 'x' } })
    elsewhereState(ctx, lib)
    await settle()
    expect(elsewhereState(ctx, lib)).toEqual({ closed: true, note: null })
    expect(ticks).toBe(2)
  })

  it('one that cannot be read says why, waits, and is asked again (without an ETag) a minute later', async () => {
    next = async () => {
      throw Object.assign(new Error('Not Found'), { status: 404 })
    }
    elsewhereState(ctx, lib)
    await settle()
    expect(elsewhereState(ctx, lib)).toEqual({ closed: false, note: 'cannot read it: 404' })
    now += REMOTE_TTL_MS - 1
    elsewhereState(ctx, lib)
    await settle()
    expect(reads).toHaveLength(1)
    now += 1
    next = async () => open('"e3"')
    elsewhereState(ctx, lib)
    await settle()
    expect(reads[1]).toEqual({ ref: 'other/lib#7', etag: null })
    expect(elsewhereState(ctx, lib)).toEqual({ closed: false, note: null })
  })
})

describe('an issue in a connected repository', () => {
  it('comes from the mirror, never from GitHub', async () => {
    next = async () => open('"never"')
    db.prepare("INSERT INTO repos (id, key, host, api_url, owner, name, default_branch, connected_at) VALUES (2, 'github.com/other/lib', 'github.com', 'https://api.github.com', 'other', 'lib', 'main', '2026-01-01T00:00:00Z')").run()
    expect(elsewhereState(ctx, { owner: 'Other', name: 'LIB', number: 7 })).toEqual({ closed: false, note: 'not synced yet' })
    db.prepare("INSERT INTO issues (repo_id, number, title, state, author, created_at, updated_at) VALUES (2, 7, 'A lib bug', 'closed', 'olga', '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z')").run()
    expect(elsewhereState(ctx, lib)).toEqual({ closed: true, note: null })
    await settle()
    expect(reads).toEqual([])
  })
})
