// The engine on start: a `running` task whose attempt the files do not hand
// over (its agent's trigger is missing or names another task or attempt, and
// no response answers it) goes back to the queue and is dispatched again as
// the same attempt; one the files do hand over is left to its agent. Running
// it twice changes nothing more.
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
import type { GitHubPort, WorkspacePort } from '../../../src/main/pipeline/ports'
import { createTask, getTask, startAttempt } from '../../../src/main/store/tasks'
import { openDatabase, type Db } from '../../../src/main/store/open'

let db: Db | undefined
afterEach(() => db?.close())

function setup(issues: number[]) {
  db = openDatabase(join(mkdtempSync(join(tmpdir(), 'baton-resume-')), 'baton.db'))
  const at = '2026-01-01T00:00:00.000Z'
  db.prepare("INSERT INTO repos (id, key, host, api_url, owner, name, default_branch, connected_at) VALUES (1, 'github.com/acme/shop', 'github.com', 'https://api.github.com', 'acme', 'shop', 'main', '2026-06-01T00:00:00.000Z')").run()
  for (const n of issues) {
    db.prepare("INSERT INTO issues (repo_id, number, title, body, state, author, author_association, labels, created_at, updated_at) VALUES (1, ?, ?, 'A clear body.', 'open', 'maintainer', 'MEMBER', ?, ?, ?)").run(n, `Issue ${n}`, JSON.stringify(['backlog']), at, at)
  }
  /** What the files say: each agent's trigger and response (task, attempt). */
  const files = { triggers: new Map<string, { task: string; attempt: number }>(), responses: new Map<string, { task: string; attempt: number }>() }
  const dispatched: Trigger[] = []
  const busy = new Set<string>()
  const github: GitHubPort = {
    comment: () => Promise.resolve(),
    setLabels: (_r, _i, add) => Promise.resolve(add),
    ensurePullRequest: () => Promise.resolve(1),
    merge: () => Promise.resolve({ sha: 'abc' }),
    review: () => Promise.resolve(),
    syncNow: () => Promise.resolve(),
    login: () => 'maintainer'
  }
  const workspace: WorkspacePort = { prepare: (_r, t) => Promise.resolve(`/tmp/w/${t.id}`), push: () => Promise.resolve(), release: () => Promise.resolve(), removeIssue: () => Promise.resolve() }
  const held = (m: Map<string, { task: string; attempt: number }>, agent: string, task: string, attempt: number) => m.get(agent)?.task === task && m.get(agent)?.attempt === attempt
  const engine = new PipelineEngine({
    db,
    events: new EventHub(),
    log: createLogger({ level: 'error', write: () => undefined }),
    pool: {
      idle: () => new Map([['pm', ['pm', 'pm-2', 'pm-3'].filter((a) => !busy.has(a))]]),
      roles: () => ['pm'],
      dispatch: (trigger) => {
        busy.add(trigger.agent)
        dispatched.push(trigger)
        files.triggers.set(trigger.agent, { task: trigger.task, attempt: trigger.attempt })
      },
      cancel: () => undefined,
      handedOver: (agent, task, attempt) => held(files.triggers, agent, task, attempt) || held(files.responses, agent, task, attempt)
    },
    github,
    workspace,
    pipeline: () => defaultPipeline,
    settings: () => DEFAULT_SETTINGS,
    waits: new Map()
  })
  /** A task started in SQLite by an earlier main, as dispatch does before writing the trigger. */
  const running = (issue: number, agent: string) => {
    const task = createTask(db!, { repoId: 1, issue, stage: 'backlog', role: 'pm', agent })
    startAttempt(db!, task.id, agent)
    busy.add(agent)
    return task.id
  }
  return { engine, files, dispatched, busy, running }
}

describe('PipelineEngine.resume', () => {
  it('dispatches again, as the same attempt, a running task no file hands over; leaves the others to their agents', async () => {
    const { engine, files, dispatched, busy, running } = setup([1, 2, 3, 4])
    const triggered = running(1, 'pm')
    files.triggers.set('pm', { task: triggered, attempt: 1 })
    const answered = running(2, 'pm-2')
    files.responses.set('pm-2', { task: answered, attempt: 1 })
    // pm-3's trigger is an older task's: the new attempt never reached the file.
    const lost = running(3, 'pm-3')
    files.triggers.set('pm-3', { task: 'an-older-task', attempt: 2 })
    // No trigger at all for #4's agent (the trigger's folder was empty).
    const never = running(4, 'pm-4')
    busy.delete('pm-3')

    await engine.resume()
    await engine.idle()

    expect(getTask(db!, triggered)).toMatchObject({ state: 'running', attempt: 1 })
    expect(getTask(db!, answered)).toMatchObject({ state: 'running', attempt: 1 })
    // #3 went to an idle pm at once (no backoff), with the same attempt number.
    expect(getTask(db!, lost)).toMatchObject({ state: 'running', attempt: 1, agent: 'pm-3' })
    expect(dispatched.map((t) => [t.task, t.attempt])).toEqual([[lost, 1]])
    // #4 waits in the queue, not running: no pm is free for it yet.
    expect(getTask(db!, never)).toMatchObject({ state: 'queued', attempt: 0, not_before: null })
    const events = db!.prepare("SELECT task_id FROM events WHERE kind = 'task.resume' ORDER BY id").all() as Array<{ task_id: string }>
    expect(events.map((e) => e.task_id).sort()).toEqual([lost, never].sort())

    // Again (a second start): the handed-over ones stay, nothing is counted twice.
    await engine.resume()
    await engine.idle()
    expect(getTask(db!, lost)).toMatchObject({ state: 'running', attempt: 1 })
    expect(dispatched).toHaveLength(1)
    expect((db!.prepare("SELECT COUNT(*) AS n FROM events WHERE kind = 'task.resume'").get() as { n: number }).n).toBe(2)

    // An agent comes free: the queued one goes out as attempt 1.
    busy.delete('pm')
    files.triggers.delete('pm')
    db!.prepare("UPDATE tasks SET state = 'applied' WHERE id = ?").run(triggered)
    await engine.tick()
    await engine.idle()
    expect(getTask(db!, never)).toMatchObject({ state: 'running', attempt: 1, agent: 'pm' })
    expect(dispatched.map((t) => [t.task, t.attempt])).toEqual([
      [lost, 1],
      [never, 1]
    ])
  })
})
