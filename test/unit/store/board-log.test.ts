// The board's delta protocol: the version log names exactly the cards a write
// changed, a client that cannot follow gets the whole board, and a board kept
// by deltas equals a fresh full fetch.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { BoardDelta } from '../../../src/shared/api'
import { applyBoardDelta, type BoardState } from '../../../src/shared/board-delta'
import { EventHub } from '../../../src/main/events'
import { defaultPipeline, type Pipeline } from '../../../src/main/pipeline/definition'
import { board, boardChanges, type BoardContext } from '../../../src/main/store/board'
import { BoardLog } from '../../../src/main/store/board-log'
import { openDatabase, type Db } from '../../../src/main/store/open'

const NOW = '2026-11-30T12:00:00.000Z'
let db: Db
let log: BoardLog
let waits: Map<string, string>
let pipeline: Pipeline
let context: BoardContext
let notified: number
let repoId: number
let clock: number

function addIssue(number: number, labels: string[] = ['backlog'], state = 'open', closedAt: string | null = null, repo = repoId): void {
  db.prepare(
    `INSERT INTO issues (repo_id, number, title, state, author, labels, created_at, updated_at, closed_at) VALUES (?, ?, ?, ?, 'mara', ?, ?, ?, ?)`
  ).run(repo, number, `Issue ${number}`, state, JSON.stringify(labels), NOW, NOW, closedAt)
}
const full = (): BoardDelta => boardChanges(db, log, {}, context)
const since = (s: BoardState): BoardDelta => boardChanges(db, log, { since: s.version, epoch: s.epoch }, context)
const follow = (s: BoardState): BoardState => {
  const next = applyBoardDelta(s, since(s))
  if (!next) throw new Error('out of step')
  return next
}
const start = (): BoardState => applyBoardDelta(null, full()) as BoardState

beforeEach(() => {
  db = openDatabase(join(mkdtempSync(join(tmpdir(), 'baton-board-')), 'baton.db'))
  repoId = Number(
    db
      .prepare("INSERT INTO repos (key, host, api_url, owner, name, default_branch, connected_at) VALUES ('github.com/acme/w', 'github.com', 'https://api.github.com', 'acme', 'w', 'main', ?)")
      .run(NOW).lastInsertRowid
  )
  for (let n = 1; n <= 20; n++) addIssue(n, [['backlog', 'ready-for-dev', 'in-progress'][n % 3] as string])
  waits = new Map()
  pipeline = defaultPipeline
  notified = 0
  clock = Date.parse(NOW)
  log = new BoardLog(db, { waits, pipelineOf: () => pipeline, onChange: () => notified++, tickMs: 0, now: () => clock })
  context = { pipeline: () => pipeline, waits, now: () => clock }
})
afterEach(() => {
  log.stop()
  db.close()
})

describe('the board version log', () => {
  it('a change to one issue sends only that card', async () => {
    const s = start()
    db.prepare("UPDATE issues SET title = 'Renamed' WHERE repo_id = ? AND number = 7").run(repoId)
    const delta = since(s)
    expect(delta.kind).toBe('delta')
    if (delta.kind !== 'delta') return
    expect(delta.cards.map((c) => `${c.repoId}#${c.number}`)).toEqual([`${repoId}#7`])
    expect(delta.cards[0]?.title).toBe('Renamed')
    expect(delta.removed).toEqual([])
    expect(delta.version).toBeGreaterThan(s.version)
    // The write alone asks for a change event (no caller has to).
    await Promise.resolve()
    expect(notified).toBe(1)
  })

  it('a change event names the changed card and the version; the next one only what came after', async () => {
    const hub = new EventHub()
    hub.board = () => log.forEvent()
    const events: unknown[] = []
    hub.subscribe((e) => events.push(e))
    db.prepare("UPDATE issues SET labels = '[\"in-progress\"]' WHERE repo_id = ? AND number = 3").run(repoId)
    db.prepare("INSERT INTO tasks (id, repo_id, issue, stage, role, agent, state, created_at, updated_at) VALUES ('t1', ?, 4, 'in-progress', 'engineer', 'engineer-1', 'running', ?, ?)").run(repoId, NOW, NOW)
    hub.changed('issues', 'tasks')
    await Promise.resolve()
    hub.changed('tasks')
    await Promise.resolve()
    hub.changed('inbox')
    await Promise.resolve()
    expect(events).toEqual([
      { type: 'changed', topics: ['issues', 'tasks'], board: { epoch: log.epoch, version: log.version(), keys: [`${repoId}#3`, `${repoId}#4`] } },
      { type: 'changed', topics: ['tasks'], board: { epoch: log.epoch, version: log.version(), keys: [] } },
      { type: 'changed', topics: ['inbox'], board: { epoch: log.epoch, version: log.version(), keys: [] } }
    ])
  })

  it('logs what a card shows and nothing else: a heartbeat or a body edit is no change', () => {
    db.prepare("INSERT INTO tasks (id, repo_id, issue, stage, role, agent, state, created_at, updated_at) VALUES ('t1', ?, 5, 'in-progress', 'engineer', 'engineer-1', 'running', ?, ?)").run(repoId, NOW, NOW)
    const s = start()
    db.prepare("UPDATE tasks SET heartbeat_at = 'later' WHERE id = 't1'").run()
    db.prepare("UPDATE issues SET body = 'more words' WHERE repo_id = ? AND number = 6").run(repoId)
    expect(log.version()).toBe(s.version)
    db.prepare("UPDATE tasks SET state = 'failed', result = 'boom' WHERE id = 't1'").run()
    const delta = since(s)
    expect(delta.kind === 'delta' && delta.cards.map((c) => [c.number, c.activity, c.reason])).toEqual([[5, 'failed', 'boom']])
  })

  it("names a card changed by an upsert like the mirror's (INSERT … ON CONFLICT DO UPDATE)", () => {
    const s = start()
    db.prepare(
      `INSERT INTO issues (repo_id, number, title, state, author, labels, created_at, updated_at) VALUES (?, 11, 'From GitHub', 'closed', 'mara', '[]', ?, ?)
       ON CONFLICT(repo_id, number) DO UPDATE SET title = excluded.title, state = excluded.state, updated_at = excluded.updated_at, closed_at = excluded.updated_at`
    ).run(repoId, NOW, '2026-11-30T12:05:00.000Z')
    const delta = since(s)
    expect(delta.kind === 'delta' && delta.cards.map((c) => [c.number, c.title, c.activity])).toEqual([[11, 'From GitHub', 'done']])
  })

  it('names a pull request opened for an issue, and an issue gone from the board', () => {
    const s = start()
    db.prepare(
      "INSERT INTO pulls (repo_id, number, issue, title, state, head, base, author, created_at, updated_at) VALUES (?, 50, 8, 'PR', 'open', 'b', 'main', 'bot', ?, ?)"
    ).run(repoId, NOW, NOW)
    db.prepare('DELETE FROM issues WHERE repo_id = ? AND number = 9').run(repoId)
    const delta = since(s)
    expect(delta.kind).toBe('delta')
    if (delta.kind !== 'delta') return
    expect(delta.cards.map((c) => [c.number, c.pr])).toEqual([[8, 50]])
    expect(delta.removed).toEqual([`${repoId}#9`])
  })

  it("names cards whose scheduler wait reason changed, though that is not in SQLite", () => {
    const s = start()
    waits.set(`${repoId}#2`, 'blocked by #1')
    const first = since(s)
    expect(first.kind === 'delta' && first.cards.map((c) => [c.number, c.activity, c.reason])).toEqual([[2, 'blocked', 'blocked by #1']])
    const s2 = applyBoardDelta(s, first) as BoardState
    waits.clear()
    const second = since(s2)
    expect(second.kind === 'delta' && second.cards.map((c) => [c.number, c.activity])).toEqual([[2, 'idle']])
  })

  it('names a closed issue leaving the done window and a retry time that passed', () => {
    addIssue(30, ['done'], 'closed', new Date(clock - 14 * 86_400_000 + 60_000).toISOString())
    db.prepare(
      "INSERT INTO tasks (id, repo_id, issue, stage, role, state, not_before, created_at, updated_at) VALUES ('t2', ?, 10, 'in-progress', 'engineer', 'queued', ?, ?, ?)"
    ).run(repoId, new Date(clock + 30_000).toISOString(), NOW, NOW)
    const s = start()
    expect(s.cards.find((c) => c.number === 30)).toBeDefined()
    expect(s.cards.find((c) => c.number === 10)?.reason).toMatch(/retrying at/)
    clock += 120_000
    const delta = since(s)
    expect(delta.kind).toBe('delta')
    if (delta.kind !== 'delta') return
    expect(delta.removed).toEqual([`${repoId}#30`])
    expect(delta.cards.map((c) => [c.number, c.reason])).toEqual([[10, null]])
  })

  it('a version gap, another epoch or a version from the future answers with the whole board', () => {
    const s = start()
    expect(boardChanges(db, log, { since: s.version, epoch: 'another-run' }, context).kind).toBe('full')
    expect(boardChanges(db, log, { since: s.version + 5, epoch: s.epoch }, context).kind).toBe('full')
    // The log keeps a window: a client behind it cannot be answered with a delta.
    const small = new BoardLog(db, { retain: 3, tickMs: 0 })
    const v0 = small.version()
    for (let i = 0; i < 10; i++) db.prepare('UPDATE issues SET title = ? WHERE repo_id = ? AND number = 1').run(`t${i}`, repoId)
    small.observe()
    expect(small.since(v0)).toEqual({ kind: 'all' })
    expect(small.since(small.version() - 2).kind).toBe('keys')
    small.stop()
  })

  it('too many changes, a renamed repository or a changed pipeline answer with the whole board', async () => {
    let s = start()
    for (let n = 1; n <= 20; n++) db.prepare('UPDATE issues SET title = ? WHERE repo_id = ? AND number = ?').run(`x${n}`, repoId, n)
    expect(boardChanges(db, log, { since: s.version, epoch: s.epoch }, context, 10).kind).toBe('full')
    s = follow(s)
    db.prepare("UPDATE repos SET name = 'widgets' WHERE id = ?").run(repoId)
    const renamed = since(s)
    expect(renamed.kind).toBe('full')
    expect(renamed.kind === 'full' && renamed.cards[0]?.repo).toBe('acme/widgets')
    s = applyBoardDelta(s, renamed) as BoardState
    await Promise.resolve()
    notified = 0
    pipeline = { ...defaultPipeline, stages: defaultPipeline.stages.map((st) => (st.label === 'backlog' ? { ...st, owner: 'architect' } : st)) }
    const moved = since(s)
    expect(moved.kind).toBe('full')
    // Noticed by the log, which asks for a change event.
    await Promise.resolve()
    expect(notified).toBe(1)
    expect(moved.kind === 'full' && moved.cards.find((c) => c.stage === 'backlog')?.owner).toBe('architect')
  })

  it('the board after a sequence of deltas equals a fresh full fetch', () => {
    let s = start()
    // mulberry32: the same sequence on every run.
    let seed = 7
    const rand = (n: number): number => {
      seed = (seed + 0x6d2b79f5) | 0
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
      return (((t ^ (t >>> 14)) >>> 0) % n)
    }
    const stages = ['backlog', 'needs-architecture', 'ready-for-dev', 'in-progress', 'needs-testing', 'needs-review']
    const states = ['queued', 'running', 'waiting', 'failed', 'applied']
    let next = 100
    for (let step = 0; step < 300; step++) {
      const n = 1 + rand(25)
      switch (rand(9)) {
        case 0:
          db.prepare('UPDATE issues SET labels = ? WHERE repo_id = ? AND number = ?').run(JSON.stringify([stages[rand(6)]]), repoId, n)
          break
        case 1:
          db.prepare("INSERT INTO tasks (id, repo_id, issue, stage, role, agent, state, created_at, updated_at) VALUES (?, ?, ?, 'in-progress', 'engineer', 'engineer-1', ?, ?, ?)").run(
            `t${step}`,
            repoId,
            n,
            states[rand(5)],
            new Date(clock + step).toISOString(),
            NOW
          )
          break
        case 2:
          db.prepare('UPDATE tasks SET state = ?, updated_at = ? WHERE issue = ?').run(states[rand(5)], new Date(clock + step).toISOString(), n)
          break
        case 3:
          db.prepare("UPDATE issues SET state = 'closed', closed_at = ? WHERE repo_id = ? AND number = ?").run(NOW, repoId, n)
          break
        case 4:
          db.prepare('DELETE FROM issues WHERE repo_id = ? AND number = ?').run(repoId, n)
          break
        case 5:
          addIssue(next++, [stages[rand(6)] as string])
          break
        case 6:
          if (rand(2)) waits.set(`${repoId}#${n}`, rand(2) ? `blocked by #${n + 1}` : 'waits for a free engineer')
          else waits.delete(`${repoId}#${n}`)
          break
        case 7:
          db.prepare(
            "INSERT INTO pulls (repo_id, number, issue, title, state, head, base, author, created_at, updated_at) VALUES (?, ?, ?, 'PR', 'open', 'b', 'main', 'bot', ?, ?)"
          ).run(repoId, 1000 + step, rand(4) ? n : null, NOW, NOW)
          break
        default:
          db.prepare('UPDATE issues SET title = ?, updated_at = ? WHERE repo_id = ? AND number = ?').run(`Step ${step}`, new Date(clock + step).toISOString(), repoId, n)
      }
      // Deltas after some writes, not all: several changes can pile up between two.
      if (rand(3) === 0) s = follow(s)
    }
    s = follow(s)
    expect([s.cards.some((c) => c.pr !== null), s.cards.some((c) => c.agent !== null)]).toEqual([true, true])
    expect(s.cards).toEqual(board(db, {}, context))
    expect(s.version).toBe(log.version())
  })

  it('unchanged cards keep their identity; a delta out of step is refused', () => {
    const s = start()
    db.prepare("UPDATE issues SET title = 'New' WHERE repo_id = ? AND number = 2").run(repoId)
    const delta = since(s)
    const after = applyBoardDelta(s, delta) as BoardState
    expect(after.cards.filter((c, i) => c !== s.cards[i]).map((c) => c.number)).toEqual([2])
    expect(applyBoardDelta({ ...s, version: s.version - 1 }, delta)).toBeNull()
    expect(applyBoardDelta({ ...s, epoch: 'old' }, delta)).toBeNull()
    expect(applyBoardDelta(null, delta)).toBeNull()
  })
})
