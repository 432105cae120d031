// The engine's locks are per issue: a slow workspace or a slow GitHub write
// for one issue never delays another issue's answer, while work on the same
// issue stays in order (a reconcile waits for the answer being applied).
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
import type { AgentResult, GitHubPort, RepoRef, WorkspacePort } from '../../../src/main/pipeline/ports'
import { getTask } from '../../../src/main/store/tasks'
import { openDatabase, type Db } from '../../../src/main/store/open'

interface Gate {
  promise: Promise<void>
  open: () => void
}
function gate(): Gate {
  let open!: () => void
  const promise = new Promise<void>((resolve) => (open = resolve))
  return { promise, open }
}

const until = async (what: string, probe: () => boolean, ms = 5000) => {
  const end = Date.now() + ms
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

let db: Db | undefined
afterEach(() => db?.close())

/** One repository, issues at the given stages, agents idle unless dispatched. */
function setup(stages: Record<number, string>, agents: Record<string, string[]>) {
  db = openDatabase(join(mkdtempSync(join(tmpdir(), 'baton-engine-')), 'baton.db'))
  const at = '2026-01-01T00:00:00.000Z'
  db.prepare("INSERT INTO repos (id, key, host, api_url, owner, name, default_branch, connected_at) VALUES (1, 'github.com/acme/shop', 'github.com', 'https://api.github.com', 'acme', 'shop', 'main', '2026-06-01T00:00:00.000Z')").run()
  for (const [number, stage] of Object.entries(stages)) {
    db.prepare("INSERT INTO issues (repo_id, number, title, body, state, author, author_association, labels, created_at, updated_at) VALUES (1, ?, ?, 'A clear body.', 'open', 'maintainer', 'MEMBER', ?, ?, ?)").run(
      Number(number),
      `Issue ${number}`,
      JSON.stringify([stage]),
      at,
      at
    )
  }
  const log: string[] = []
  const triggers: Trigger[] = []
  const cancelled: string[] = []
  const busy = new Set<string>()
  /** Per issue: a gate the next call of that kind waits on. */
  const slow = { prepare: new Map<number, Gate>(), comment: new Map<number, Gate>() }
  const github: GitHubPort = {
    async comment(_repo: RepoRef, issue: number) {
      log.push(`comment #${issue} start`)
      await slow.comment.get(issue)?.promise
      log.push(`comment #${issue} end`)
    },
    async setLabels(_repo: RepoRef, issue: number, add: string[], remove: string[]) {
      log.push(`labels #${issue}`)
      const row = db!.prepare('SELECT labels FROM issues WHERE repo_id = 1 AND number = ?').get(issue) as { labels: string }
      return [...(JSON.parse(row.labels) as string[]).filter((l) => !remove.includes(l)), ...add.filter((l) => !remove.includes(l))]
    },
    ensurePullRequest: () => Promise.resolve(1),
    merge: () => Promise.resolve({ sha: 'abc' }),
    review: () => Promise.resolve(),
    syncNow: () => Promise.resolve(),
    login: () => 'maintainer'
  }
  const workspace: WorkspacePort = {
    async prepare(_repo, task) {
      log.push(`prepare #${task.issue} start`)
      await slow.prepare.get(task.issue)?.promise
      log.push(`prepare #${task.issue} end`)
      return `/tmp/worktrees/${task.id}`
    },
    push: () => Promise.resolve(),
    release: () => Promise.resolve(),
    removeIssue: () => Promise.resolve()
  }
  const engine = new PipelineEngine({
    db,
    events: new EventHub(),
    log: createLogger({ level: 'error', write: () => undefined }),
    pool: {
      idle: () => new Map(Object.entries(agents).map(([role, names]) => [role, names.filter((n) => !busy.has(n))])),
      roles: () => ['pm', 'architect', 'engineer', 'tester'],
      dispatch: (trigger) => {
        busy.add(trigger.agent)
        triggers.push(trigger)
        log.push(`dispatch #${trigger.issue.number}`)
      },
      cancel: (agent, task) => {
        busy.delete(agent)
        cancelled.push(task)
      }
    },
    github,
    workspace,
    pipeline: () => defaultPipeline,
    settings: () => DEFAULT_SETTINGS,
    waits: new Map()
  })
  /** The agent's DONE answer for the trigger of `issue`, moving it on. */
  const answer = (issue: number, from: string, to: string): AgentResult => {
    const trigger = triggers.find((t) => t.issue.number === issue)
    if (!trigger) throw new Error(`no trigger for #${issue}`)
    busy.delete(trigger.agent)
    return {
      agent: trigger.agent,
      task: trigger.task,
      attempt: trigger.attempt,
      answer: { status: 'done', text: `done with #${issue}`, move: { from, to }, branch: null, handoffs: [], labels: [], body: `Notes on #${issue}.` },
      raw: `TASK: ${trigger.task}\nDONE: done with #${issue}\n`,
      usage: null,
      sessionId: null,
      provider: 'builtin',
      model: null
    }
  }
  const taskOf = (issue: number) => getTask(db!, triggers.find((t) => t.issue.number === issue)?.task ?? '')
  const stage = (issue: number) => JSON.parse((db!.prepare('SELECT labels FROM issues WHERE repo_id = 1 AND number = ?').get(issue) as { labels: string }).labels) as string[]
  return { engine, log, triggers, cancelled, slow, answer, taskOf, stage }
}

describe('PipelineEngine locks', () => {
  it("a slow workspace prepare for one issue does not delay applying another issue's answer", async () => {
    const t = setup({ 1: 'needs-architecture', 2: 'backlog' }, { architect: ['architect'], pm: ['pm'] })
    const prepare = gate()
    t.slow.prepare.set(1, prepare)
    await t.engine.tick()
    await until("#2's trigger", () => t.triggers.some((x) => x.issue.number === 2))
    expect(t.log).toContain('prepare #1 start')

    await t.engine.handleResult(t.answer(2, 'backlog', 'needs-architecture'))
    expect(t.taskOf(2)?.state).toBe('applied')
    expect(t.stage(2)).toEqual(['needs-architecture'])
    // #1 is still preparing: no trigger yet, and its architect is not given to #2's next stage.
    expect(t.log).not.toContain('prepare #1 end')
    expect(t.triggers.filter((x) => x.issue.number === 1)).toEqual([])
    await new Promise((r) => setTimeout(r, 20))
    expect(t.triggers.filter((x) => x.agent === 'architect')).toEqual([])

    prepare.open()
    await t.engine.idle()
    const one = t.triggers.filter((x) => x.issue.number === 1)
    expect(one).toHaveLength(1)
    expect(one[0]?.workspace).toMatch(/worktrees/)
    expect(t.log.indexOf('prepare #1 end')).toBeLessThan(t.log.indexOf('dispatch #1'))
  })

  it('a slow GitHub write for one issue does not delay another; a reconcile of the same issue waits for it', async () => {
    const t = setup({ 1: 'backlog', 2: 'backlog' }, { pm: ['pm', 'pm-2'] })
    await t.engine.tick()
    await t.engine.idle()
    expect(t.triggers.map((x) => x.issue.number).sort()).toEqual([1, 2])
    const comment = gate()
    t.slow.comment.set(1, comment)

    const first = t.engine.handleResult(t.answer(1, 'backlog', 'needs-architecture'))
    await until("#1's comment in flight", () => t.log.includes('comment #1 start'))
    // A person moves #1 on GitHub while its answer is being applied; the sync reconciles.
    db!.prepare("UPDATE issues SET labels = '[\"ready-for-dev\"]' WHERE repo_id = 1 AND number = 1").run()
    const reconciled = t.engine.reconcile()

    await t.engine.handleResult(t.answer(2, 'backlog', 'needs-architecture'))
    expect(t.taskOf(2)?.state).toBe('applied')
    expect(t.stage(2)).toEqual(['needs-architecture'])
    // #1's answer is still mid-way, and the reconcile has not touched its task.
    expect(t.log).not.toContain('comment #1 end')
    expect(t.taskOf(1)?.state).toBe('running')
    expect(t.cancelled).toEqual([])

    comment.open()
    await first
    await reconciled
    await t.engine.idle()
    // The answer was applied to the end, then the reconcile found nothing running to cancel.
    expect(t.taskOf(1)?.state).toBe('applied')
    expect(t.log.indexOf('comment #1 end')).toBeLessThan(t.log.indexOf('labels #1'))
    expect(t.cancelled).toEqual([])
    expect(t.log.indexOf('labels #2')).toBeLessThan(t.log.indexOf('comment #1 end'))
  })

  it("an agent gets no new trigger until its answer is applied: its response file is the answer's only record", async () => {
    const t = setup({ 1: 'backlog', 2: 'backlog' }, { pm: ['pm'] })
    await t.engine.tick()
    await t.engine.idle()
    expect(t.triggers).toHaveLength(1)
    const first = t.triggers[0]!.issue.number
    const other = first === 1 ? 2 : 1
    const comment = gate()
    t.slow.comment.set(first, comment)

    const applying = t.engine.handleResult(t.answer(first, 'backlog', 'needs-architecture'))
    await until(`#${first}'s comment in flight`, () => t.log.includes(`comment #${first} start`))
    // The pool says pm is idle; the engine still keeps it until the answer is applied.
    await t.engine.tick()
    await new Promise((r) => setTimeout(r, 20))
    expect(t.triggers).toHaveLength(1)

    comment.open()
    await applying
    await t.engine.idle()
    expect(t.taskOf(first)?.state).toBe('applied')
    expect(t.triggers.map((x) => x.issue.number)).toEqual([first, other])
  })
})
