// What a card asks of the person, as data (the board's "Needs you" lane and
// the card's actions key off these fields, never the words): review, an
// answer (with the question's inbox id), an approval, a retry, a spent
// budget; and what blocks it, with the issue or PR it names.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { defaultPipeline } from '../../../src/main/pipeline/definition'
import { schedule } from '../../../src/main/pipeline/scheduler'
import { board, boardChanges, waitOf } from '../../../src/main/store/board'
import { BoardLog } from '../../../src/main/store/board-log'
import { openDatabase, type Db } from '../../../src/main/store/open'

const NOW = '2026-11-30T12:00:00.000Z'
let db: Db
let repoId: number
let waits: Map<string, string>

function addIssue(number: number, labels: string[], body = ''): void {
  db.prepare(`INSERT INTO issues (repo_id, number, title, body, state, author, labels, created_at, updated_at) VALUES (?, ?, ?, ?, 'open', 'mara', ?, ?, ?)`).run(
    repoId,
    number,
    `Issue ${number}`,
    body,
    JSON.stringify(labels),
    NOW,
    NOW
  )
}
function addTask(id: string, issue: number, state: string, result: string | null = null): void {
  db.prepare(`INSERT INTO tasks (id, repo_id, issue, stage, role, agent, state, result, created_at, updated_at) VALUES (?, ?, ?, 'backlog', 'pm', 'pm', ?, ?, ?, ?)`).run(
    id,
    repoId,
    issue,
    state,
    result,
    NOW,
    NOW
  )
}
const cards = () => board(db, {}, { pipeline: () => defaultPipeline, waits, now: () => Date.parse(NOW) })
const card = (n: number) => cards().find((c) => c.number === n)

beforeEach(() => {
  db = openDatabase(join(mkdtempSync(join(tmpdir(), 'baton-needs-')), 'baton.db'))
  repoId = Number(
    db
      .prepare("INSERT INTO repos (key, host, api_url, owner, name, default_branch, connected_at) VALUES ('github.com/acme/w', 'github.com', 'https://api.github.com', 'acme', 'w', 'main', ?)")
      .run(NOW).lastInsertRowid
  )
  waits = new Map()
})
afterEach(() => db.close())

describe('what a card asks of the person', () => {
  it('a card in the review stage says review, not idle; a done one asks nothing', () => {
    addIssue(8, ['needs-review'])
    db.prepare(`INSERT INTO pulls (repo_id, number, issue, title, state, head, base, author, created_at, updated_at) VALUES (?, 9, 8, 'Fix', 'open', 'baton/8-fix', 'main', 'baton', ?, ?)`).run(repoId, NOW, NOW)
    addIssue(10, ['done'])
    expect(card(8)).toMatchObject({ activity: 'idle', needs: 'review', pr: 9, blockedBy: null })
    expect(card(10)?.needs).toBeNull()
  })

  it("a waiting task carries its open question and the inbox item's id", () => {
    addIssue(3, ['backlog'])
    addTask('t_q', 3, 'waiting')
    const id = Number(
      db.prepare(`INSERT INTO requests (kind, repo_id, issue, task_id, agent, question, created_at) VALUES ('request', ?, 3, 't_q', 'pm', 'Which browser?', ?)`).run(repoId, NOW).lastInsertRowid
    )
    expect(card(3)).toMatchObject({ activity: 'waiting', needs: 'answer', request: { id, question: 'Which browser?' }, reason: 'Which browser?' })
    // The same through a delta (the card looked up by its key).
    const log = new BoardLog(db, { waits, pipelineOf: () => defaultPipeline, onChange: () => undefined, tickMs: 0 })
    try {
      const first = boardChanges(db, log, {}, { pipeline: () => defaultPipeline, waits })
      db.prepare("UPDATE issues SET title = 'Renamed' WHERE number = 3").run()
      const delta = boardChanges(db, log, { since: first.version, epoch: first.epoch }, { pipeline: () => defaultPipeline, waits })
      expect(delta.kind === 'delta' && delta.cards[0]?.request).toEqual({ id, question: 'Which browser?' })
    } finally {
      log.stop()
    }
  })

  it('a failed stage asks for a retry', () => {
    addIssue(4, ['backlog'])
    addTask('t_f', 4, 'failed', 'failed 3 times: boom')
    expect(card(4)).toMatchObject({ activity: 'failed', needs: 'retry' })
  })

  it("the scheduler's waits become needs and blockers: approval, budgets, a paused role", () => {
    for (const n of [1, 2, 3, 4, 5]) addIssue(n, ['backlog'])
    waits.set(`${repoId}#1`, 'waits for a maintainer to approve it (label "approved"): the author is not trusted')
    waits.set(`${repoId}#2`, 'budget: $5.20 of $5.00 spent on #2 — waits for a person (raise the budget in Settings → Budgets, or Retry)')
    waits.set(`${repoId}#3`, 'failed 3 times: boom — waits for a person (answer it in the inbox, Retry, or move the label)')
    waits.set(`${repoId}#4`, 'waits: pm is paused (resume it in Agents)')
    waits.set(`${repoId}#5`, 'waits for a free pm')
    expect(cards().map((c) => [c.number, c.activity, c.needs])).toEqual([
      [1, 'waiting', 'approve'],
      [2, 'waiting', 'budget'],
      [3, 'failed', 'retry'],
      [4, 'waiting', 'paused'],
      [5, 'queued', null]
    ])
  })

  it('a card blocked by the one-PR rule names the issue holding the slot and its PR, from the real scheduler', () => {
    addIssue(5, ['needs-testing'])
    addIssue(6, ['ready-for-dev'])
    db.prepare(`INSERT INTO pulls (repo_id, number, issue, title, state, head, base, author, created_at, updated_at) VALUES (?, 8, 5, 'Fix', 'open', 'baton/5-fix', 'main', 'baton', ?, ?)`).run(repoId, NOW, NOW)
    const issue = (number: number, labels: string[]) => ({ repoId, number, labels, body: '', createdAt: NOW, trusted: true, outsideAuthor: false })
    const plan = schedule({
      pipeline: defaultPipeline,
      issues: [issue(5, ['needs-testing']), issue(6, ['ready-for-dev'])],
      busy: new Set([`${repoId}#5`]),
      sideLaneDone: new Set(),
      isClosed: () => false,
      idle: new Map([['engineer', ['engineer']]]),
      parallelPrs: false
    })
    for (const w of plan.waiting) waits.set(`${w.repoId}#${w.issue}`, w.reason)
    expect(card(6)).toMatchObject({ activity: 'blocked', blockedBy: { kind: 'pr-slot', issue: 5, pr: 8 } })
    // Looked up alone (a delta, the issue page) it finds the PR too.
    expect(board(db, { number: 6 }, { pipeline: () => defaultPipeline, waits })[0]?.blockedBy).toEqual({ kind: 'pr-slot', issue: 5, pr: 8 })
  })

  it('a card blocked by other issues names them', () => {
    addIssue(7, ['backlog'], 'Blocked by #1, depends on #4')
    waits.set(`${repoId}#7`, 'blocked by #1, #4')
    expect(card(7)).toMatchObject({ activity: 'blocked', needs: null, blockedBy: { kind: 'issues', issues: [1, 4] } })
    expect(waitOf('waiting for checks: ci/test')).toEqual({ activity: 'blocked', needs: null, blockedBy: { kind: 'checks' } })
  })
})
