// The board's actions where the wait is (issue #13), through the real engine
// over a real SQLite file: Stop cancels the running agent and holds the stage
// for the person (the scheduler starts nothing for it, even a day later; the
// card asks for a Retry, which runs the same task again); Approve adds the
// approval label once, through the label write the pipeline uses, and the
// issue is scheduled next pass.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { DEFAULT_SETTINGS } from '../../../src/shared/api'
import type { Trigger } from '../../../src/shared/protocol/trigger'
import { EventHub } from '../../../src/main/events'
import { createLogger } from '../../../src/main/log'
import { defaultPipeline } from '../../../src/main/pipeline/definition'
import { PipelineEngine } from '../../../src/main/pipeline/engine'
import type { GitHubPort } from '../../../src/main/pipeline/ports'
import { board } from '../../../src/main/store/board'
import { openDatabase, type Db } from '../../../src/main/store/open'

let db: Db | undefined
afterEach(() => db?.close())

function setup(association: string, labels: string[]) {
  db = openDatabase(join(mkdtempSync(join(tmpdir(), 'baton-actions-')), 'baton.db'))
  const at = '2026-07-01T00:00:00.000Z'
  db.prepare("INSERT INTO repos (id, key, host, api_url, owner, name, default_branch, connected_at) VALUES (1, 'github.com/acme/shop', 'github.com', 'https://api.github.com', 'acme', 'shop', 'main', '2026-06-01T00:00:00.000Z')").run()
  db.prepare("INSERT INTO issues (repo_id, number, title, body, state, author, author_association, labels, created_at, updated_at) VALUES (1, 7, 'Fix the thing', 'A clear body.', 'open', 'someone', ?, ?, ?, ?)").run(
    association,
    JSON.stringify(labels),
    at,
    at
  )
  let clock = Date.parse(at)
  const dispatched: Trigger[] = []
  const cancelled: Array<[string, string]> = []
  const labelWrites: Array<{ add: string[]; remove: string[] }> = []
  const busy = new Set<string>()
  const github: GitHubPort = {
    comment: () => Promise.resolve(),
    setLabels: (_r, issue, add, remove) => {
      labelWrites.push({ add, remove })
      const row = db!.prepare('SELECT labels FROM issues WHERE repo_id = 1 AND number = ?').get(issue) as { labels: string }
      const now = (JSON.parse(row.labels) as string[]).filter((l) => !remove.includes(l))
      return Promise.resolve([...now, ...add.filter((l) => !now.includes(l))])
    },
    ensurePullRequest: () => Promise.resolve(1),
    merge: () => Promise.resolve({ sha: 'abc' }),
    review: () => Promise.resolve(),
    syncNow: () => Promise.resolve(),
    login: () => 'maintainer'
  }
  const waits = new Map<string, string>()
  const engine = new PipelineEngine({
    db,
    events: new EventHub(),
    log: createLogger({ level: 'error', write: () => undefined }),
    pool: {
      idle: () => new Map(['pm', 'architect', 'engineer', 'tester'].map((r) => [r, [r].filter((a) => !busy.has(a))])),
      roles: () => ['pm', 'architect', 'engineer', 'tester'],
      dispatch: (trigger) => {
        busy.add(trigger.agent)
        dispatched.push(trigger)
      },
      cancel: (agent, task) => {
        busy.delete(agent)
        cancelled.push([agent, task])
      }
    },
    github,
    workspace: { prepare: (_r, t) => Promise.resolve(`/tmp/w/${t.id}`), push: () => Promise.resolve(), release: () => Promise.resolve(), removeIssue: () => Promise.resolve() },
    pipeline: () => defaultPipeline,
    settings: () => DEFAULT_SETTINGS,
    waits,
    now: () => new Date(clock)
  })
  const step = async (ms = 0) => {
    clock += ms
    await engine.tick()
    await engine.idle()
  }
  const card = () => board(db!, {}, { pipeline: () => defaultPipeline, waits, now: () => clock })[0]!
  const task = () => db!.prepare('SELECT id, state, result FROM tasks ORDER BY created_at DESC, rowid DESC LIMIT 1').get() as { id: string; state: string; result: string | null }
  const audits = (kind: string) => db!.prepare('SELECT subject, message FROM events WHERE kind = ?').all(kind) as Array<{ subject: string; message: string }>
  return { engine, step, card, task, audits, dispatched, cancelled, labelWrites, busy }
}

describe('Stop', () => {
  it('cancels the running agent, holds the stage until Retry, and Retry runs the same task again', async () => {
    const t = setup('MEMBER', ['backlog'])
    await t.step()
    expect(t.dispatched).toHaveLength(1)
    const running = t.task()
    expect(running.state).toBe('running')
    expect(t.card()).toMatchObject({ activity: 'working', needs: null })

    const outcome = await t.engine.stop(1, 7)
    expect(outcome).toEqual({ task: running.id, stage: 'backlog' })
    expect(t.cancelled).toEqual([['pm', running.id]])
    expect(t.task()).toMatchObject({ id: running.id, state: 'failed', result: 'stopped by maintainer (Retry runs it again)' })
    expect(t.audits('task.stop')[0]?.message).toBe("maintainer stopped pm's task on #7 (backlog)")

    // A day of passes later nothing has started again: the stage waits for the person.
    for (let i = 0; i < 24; i++) await t.step(3_600_000)
    expect(t.dispatched).toHaveLength(1)
    expect(t.card()).toMatchObject({ activity: 'failed', needs: 'retry', reason: 'stopped by maintainer (Retry runs it again)' })

    // Nothing running now: a second Stop says so.
    await expect(t.engine.stop(1, 7)).rejects.toMatchObject({ code: 'conflict', message: '#7 has no running task: there is nothing to stop.' })

    await t.engine.retry(1, 7)
    await t.step()
    expect(t.dispatched).toHaveLength(2)
    expect(t.dispatched[1]?.task).toBe(running.id)
    expect(t.task().state).toBe('running')
  })

  it('an unknown issue is not found', async () => {
    const t = setup('MEMBER', ['backlog'])
    await expect(t.engine.stop(1, 99)).rejects.toMatchObject({ code: 'not_found' })
  })
})

describe('Approve', () => {
  it("adds the approval label once; the outsider's issue is scheduled on the next pass", async () => {
    const t = setup('NONE', ['backlog'])
    await t.step()
    expect(t.dispatched).toHaveLength(0)
    expect(t.card()).toMatchObject({ activity: 'waiting', needs: 'approve' })

    expect(await t.engine.approve(1, 7)).toEqual({ label: 'approved', added: true })
    expect(t.labelWrites).toEqual([{ add: ['approved'], remove: [] }])
    expect(t.card().labels).toEqual(['backlog', 'approved'])
    expect(t.audits('issue.approve')).toEqual([{ subject: 'maintainer', message: 'maintainer approved #7 (label "approved"): agents may take it' }])
    await t.step()
    expect(t.dispatched.map((d) => d.role)).toEqual(['pm'])

    // Again: no write, no error.
    expect(await t.engine.approve(1, 7)).toEqual({ label: 'approved', added: false })
    expect(t.labelWrites).toHaveLength(1)
  })
})
