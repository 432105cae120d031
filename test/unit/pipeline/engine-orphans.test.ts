// On start the engine removes orphaned worktrees: those whose task ended
// (applied, cancelled) or is unknown — main stopped between an answer and the
// worktree's release. A task still queued, running, waiting or failed (a
// person's Retry runs it again) keeps its worktree, and the question is asked
// per worktree, so a task started while the sweep runs keeps its new one.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { DEFAULT_SETTINGS } from '../../../src/shared/api'
import { EventHub } from '../../../src/main/events'
import { createLogger } from '../../../src/main/log'
import { defaultPipeline } from '../../../src/main/pipeline/definition'
import { PipelineEngine } from '../../../src/main/pipeline/engine'
import type { GitHubPort, WorkspacePort } from '../../../src/main/pipeline/ports'
import { createTask, setTaskState, type TaskState } from '../../../src/main/store/tasks'
import { openDatabase, type Db } from '../../../src/main/store/open'

let db: Db | undefined
afterEach(() => db?.close())

it('removes the worktrees of ended and unknown tasks at start, keeps every other, and audits what it removed', async () => {
  db = openDatabase(join(mkdtempSync(join(tmpdir(), 'baton-orphans-')), 'baton.db'))
  db.prepare("INSERT INTO repos (id, key, host, api_url, owner, name, default_branch, connected_at) VALUES (1, 'github.com/acme/shop', 'github.com', 'https://api.github.com', 'acme', 'shop', 'main', '2026-06-01T00:00:00.000Z')").run()
  const states: TaskState[] = ['queued', 'running', 'waiting', 'failed', 'applied', 'cancelled']
  const ids = new Map(states.map((state, i) => {
    const task = createTask(db!, { repoId: 1, issue: i + 1, stage: 'backlog', role: 'pm', agent: 'pm' })
    if (state !== 'queued') setTaskState(db!, task.id, state)
    return [state, task.id] as const
  }))
  // The worktrees on disk, as the sweep meets them; one task starts in the middle of it.
  let lateTask = ''
  const asked: Record<string, boolean> = {}
  const workspace: WorkspacePort = {
    prepare: (_r, t) => Promise.resolve(`/tmp/w/${t.id}`),
    push: () => Promise.resolve(),
    release: () => Promise.resolve(),
    removeIssue: () => Promise.resolve(),
    removeOrphans: (keep) => {
      const removed: string[] = []
      for (const [state, id] of ids) if (!(asked[state] = keep(id))) removed.push(`/w/${id}`)
      lateTask = createTask(db!, { repoId: 1, issue: 9, stage: 'backlog', role: 'pm', agent: 'pm' }).id
      if (!(asked.late = keep(lateTask))) removed.push(`/w/${lateTask}`)
      if (!(asked.unknown = keep('t_000000000000'))) removed.push('/w/t_000000000000')
      return Promise.resolve(removed)
    }
  }
  const github: GitHubPort = {
    comment: () => Promise.resolve(),
    setLabels: (_r, _i, add) => Promise.resolve(add),
    ensurePullRequest: () => Promise.resolve(1),
    merge: () => Promise.resolve({ sha: 'abc' }),
    review: () => Promise.resolve(),
    syncNow: () => Promise.resolve(),
    login: () => 'maintainer'
  }
  const engine = new PipelineEngine({
    db,
    events: new EventHub(),
    log: createLogger({ level: 'error', write: () => undefined }),
    pool: { idle: () => new Map(), roles: () => ['pm'], dispatch: () => undefined, cancel: () => undefined, handedOver: () => true },
    github,
    workspace,
    pipeline: () => defaultPipeline,
    settings: () => DEFAULT_SETTINGS,
    waits: new Map()
  })
  await engine.resume()
  expect(asked).toEqual({ queued: true, running: true, waiting: true, failed: true, applied: false, cancelled: false, late: true, unknown: false })
  const events = db.prepare("SELECT message FROM events WHERE kind = 'workspace.orphans'").all() as Array<{ message: string }>
  expect(events.map((e) => e.message)).toEqual([`Removed 3 orphaned worktrees left by a stop: /w/${ids.get('applied')}, /w/${ids.get('cancelled')}, /w/t_000000000000`])
})
