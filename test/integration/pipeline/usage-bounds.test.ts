// Every number is checked (issue #11): an answer with `USAGE: input_tokens=1e308`
// once could not be applied at all — SQLite's STRICT usage table refused the
// row, the answer was retried as if GitHub had failed, then the inbox blamed
// GitHub and the task stayed running. Now the bad USAGE is kept as text and
// the rest of the answer applies. Real SQLite, the real parser, result mapping
// and engine; GitHub and the workspaces are recording ports.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { DEFAULT_SETTINGS } from '../../../src/shared/api'
import { parseResponse } from '../../../src/shared/protocol/response'
import { toAgentResult } from '../../../src/main/agents/results'
import { EventHub } from '../../../src/main/events'
import { createLogger } from '../../../src/main/log'
import { defaultPipeline } from '../../../src/main/pipeline/definition'
import { PipelineEngine } from '../../../src/main/pipeline/engine'
import type { GitHubPort, WorkspacePort } from '../../../src/main/pipeline/ports'
import { createTask, getTask, startAttempt } from '../../../src/main/store/tasks'
import { openDatabase, type Db } from '../../../src/main/store/open'

let db: Db | undefined
afterEach(() => db?.close())

function setup() {
  db = openDatabase(join(mkdtempSync(join(tmpdir(), 'baton-usage-')), 'baton.db'))
  const at = '2026-01-01T00:00:00.000Z'
  db.prepare("INSERT INTO repos (id, key, host, api_url, owner, name, default_branch, connected_at) VALUES (1, 'github.com/acme/shop', 'github.com', 'https://api.github.com', 'acme', 'shop', 'main', ?)").run(at)
  const comments: string[] = []
  const moves: Array<{ issue: number; add: string[]; remove: string[] }> = []
  const github: GitHubPort = {
    comment: (_r, _i, body) => (comments.push(body), Promise.resolve(null)),
    setLabels: (_r, issue, add, remove) => {
      moves.push({ issue, add, remove })
      const row = db!.prepare('SELECT labels FROM issues WHERE repo_id = 1 AND number = ?').get(issue) as { labels: string }
      const labels = [...(JSON.parse(row.labels) as string[]).filter((l) => !remove.includes(l)), ...add]
      db!.prepare('UPDATE issues SET labels = ? WHERE repo_id = 1 AND number = ?').run(JSON.stringify(labels), issue)
      return Promise.resolve(labels)
    },
    ensurePullRequest: () => Promise.resolve(1),
    merge: () => Promise.resolve({ sha: 'abc' }),
    review: () => Promise.resolve(),
    syncNow: () => Promise.resolve(),
    login: () => 'maintainer'
  }
  const workspace: WorkspacePort = { prepare: (_r, t) => Promise.resolve(`/tmp/w/${t.id}`), push: () => Promise.resolve(), release: () => Promise.resolve(), removeIssue: () => Promise.resolve() }
  const engine = new PipelineEngine({
    db,
    events: new EventHub(),
    log: createLogger({ level: 'error', write: () => undefined }),
    // No free agent: the engine dispatches nothing else while the answers apply.
    pool: { idle: () => new Map(), roles: () => ['pm', 'architect'], dispatch: () => undefined, cancel: () => undefined },
    github,
    workspace,
    pipeline: () => defaultPipeline,
    settings: () => DEFAULT_SETTINGS,
    waits: new Map(),
    // A failed apply is retried quickly here, so the old failure shows within the test.
    backoffMs: () => 5
  })
  /** A PM task on issue `n` at backlog, its attempt 1 running, as dispatch leaves it. */
  const running = (n: number) => {
    db!.prepare("INSERT INTO issues (repo_id, number, title, body, state, author, author_association, labels, created_at, updated_at) VALUES (1, ?, ?, 'A clear body.', 'open', 'maintainer', 'MEMBER', ?, ?, ?)").run(n, `Issue ${n}`, JSON.stringify(['backlog']), at, at)
    const task = createTask(db!, { repoId: 1, issue: n, stage: 'backlog', role: 'pm', agent: 'pm' })
    startAttempt(db!, task.id, 'pm')
    return task.id
  }
  const answer = (task: string, usage: string) => {
    const raw = `TASK: ${task}\nATTEMPT: 1\nDONE: Triaged\nLABEL-UPDATED: backlog --> needs-architecture\nUSAGE: ${usage}\n\nTriaged: a bug, normal priority.\n`
    return engine.handleResult(toAgentResult({ agent: 'pm', task, attempt: 1, parsed: parseResponse(raw), raw }, { provider: 'command', model: null }))
  }
  return { engine, comments, moves, running, answer }
}

const usageRows = (task: string) => db!.prepare('SELECT input_tokens AS input, output_tokens AS output, cost_usd AS cost FROM usage WHERE task_id = ?').all(task)

describe('numbers from an agent', () => {
  it('an answer with USAGE: input_tokens=1e308 is applied (comment posted, label moved), its usage kept as text, no usage row', async () => {
    const { engine, comments, moves, running, answer } = setup()
    const task = running(1)
    await answer(task, 'input_tokens=1e308 output_tokens=12 cost_usd=0.01')
    await engine.idle()

    expect(getTask(db!, task)).toMatchObject({ state: 'applied' })
    expect(comments).toEqual([expect.stringContaining('Triaged: a bug, normal priority.')])
    expect(moves).toEqual([{ issue: 1, add: ['needs-architecture'], remove: ['backlog'] }])
    expect(usageRows(task)).toEqual([])
    // The answer as the agent wrote it, USAGE line and all, is the attempt's record.
    const attempt = db!.prepare('SELECT outcome, response FROM attempts WHERE task_id = ?').get(task) as { outcome: string; response: string }
    expect(attempt.outcome).toBe('done')
    expect(attempt.response).toContain('USAGE: input_tokens=1e308 output_tokens=12 cost_usd=0.01')
    // Nobody is told GitHub failed.
    expect(db!.prepare('SELECT COUNT(*) AS n FROM requests').get()).toEqual({ n: 0 })
    expect(db!.prepare("SELECT COUNT(*) AS n FROM events WHERE kind = 'effect.error'").get()).toEqual({ n: 0 })
  })

  it.each([['input_tokens=-5'], ['input_tokens=1.5'], ['cost_usd=1e300'], ['cost_usd=NaN'], [`output_tokens=${'9'.repeat(30)}`]])('USAGE: %s is kept as text; the answer applies', async (usage) => {
    const { engine, moves, running, answer } = setup()
    const task = running(2)
    await answer(task, usage)
    await engine.idle()
    expect(getTask(db!, task)).toMatchObject({ state: 'applied' })
    expect(moves).toHaveLength(1)
    expect(usageRows(task)).toEqual([])
  })

  it('an in-bound USAGE is recorded once', async () => {
    const { engine, running, answer } = setup()
    const task = running(3)
    await answer(task, 'input_tokens=18211 output_tokens=2380 cost_usd=0.41')
    await engine.idle()
    expect(getTask(db!, task)).toMatchObject({ state: 'applied' })
    expect(usageRows(task)).toEqual([{ input: 18211, output: 2380, cost: 0.41 }])
  })
})
