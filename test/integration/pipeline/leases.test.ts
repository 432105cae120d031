// File leases in the pipeline (issue #14), on the sandbox: the local forge
// over HTTP, real git, real agent processes; the builtin PM, Architect and
// Tester, and a slow `command` Engineer (test/fixtures/agents/lease-engineer.mjs)
// that never calls lease_files. Parallel PRs are on and there are two
// Engineers, so only the leases main takes on each plan's files keep two
// Engineers whose plans touch src/calc.js apart: each Engineer task's attempts
// (start and end, from SQLite) never overlap another issue's whose plan shares
// a file; the waiting card names the lease. A lease ends when its task's agent
// dies (killed mid-task): the other issue's Engineer starts.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCore, type Core } from '../../../src/main/app'
import { createLogger } from '../../../src/main/log'
import { patternsOverlap } from '../../../src/main/pipeline/lease-globs'
import type { AgentSummary, BoardIssue } from '../../../src/shared/api'
import type { LeaseView } from '../../../src/shared/memory'

const runner = { execPath: process.execPath, args: ['--import', 'tsx', join(process.cwd(), 'agents/runner.ts')] }
let core: Core
/** Every wait reason a card showed while the test ran, by issue. */
const reasons = new Map<number, Set<string>>()
let watching: NodeJS.Timeout | null = null

async function call<T>(method: string, input: unknown = {}): Promise<T> {
  const result = await core.call(method, input)
  if (!result.ok) throw new Error(`${method}: ${result.error.message}`)
  return result.data as T
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false | null> | T | undefined | false | null, seen: () => unknown, timeoutMs = 180_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; it was: ${JSON.stringify(seen())}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

interface Run {
  issue: number
  task: string
  attempt: number
  stage: string
  start: number
  end: number | null
}
/** The Engineer's attempts, from SQLite. */
const engineerRuns = (): Run[] =>
  (
    core.db
      .prepare("SELECT t.issue, t.id AS task, a.attempt, t.stage, a.started_at, a.ended_at FROM attempts a JOIN tasks t ON t.id = a.task_id WHERE t.role = 'engineer' ORDER BY a.started_at")
      .all() as Array<{ issue: number; task: string; attempt: number; stage: string; started_at: string; ended_at: string | null }>
  ).map((r) => ({ issue: r.issue, task: r.task, attempt: r.attempt, stage: r.stage, start: Date.parse(r.started_at), end: r.ended_at ? Date.parse(r.ended_at) : null }))
const planOf = (issue: number): string[] => (core.db.prepare('SELECT path FROM plan_files WHERE repo_id = 1 AND issue = ? ORDER BY path').all(issue) as Array<{ path: string }>).map((r) => r.path)
const shareAFile = (a: number, b: number) => planOf(a).some((x) => planOf(b).some((y) => patternsOverlap(x, y)))
const card = async (n: number) => (await call<BoardIssue[]>('issues.board')).find((c) => c.number === n)
const stageOf = (n: number) => (core.db.prepare('SELECT labels FROM issues WHERE repo_id = 1 AND number = ?').get(n) as { labels: string } | undefined)?.labels ?? '[]'

/** An issue filed at the Architect's stage (a maintainer's, so trusted): the builtin Architect plans it from the code at once. */
async function create(title: string, body: string): Promise<number> {
  const made = await call<{ created: boolean; number: number }>('issues.create', { repoId: 1, title, body, labels: ['needs-architecture'] })
  expect(made.created).toBe(true)
  return made.number
}

/** Pairs of different issues whose Engineer attempts ran at the same time while their plans share a file. */
function overlaps(runs: Run[]): string[] {
  const out: string[] = []
  const now = Date.now()
  for (const a of runs) {
    for (const b of runs) {
      if (a.issue >= b.issue || !shareAFile(a.issue, b.issue)) continue
      if (a.start < (b.end ?? now) && b.start < (a.end ?? now)) out.push(`#${a.issue} ${a.stage}#${a.attempt} [${a.start}, ${a.end}] and #${b.issue} ${b.stage}#${b.attempt} [${b.start}, ${b.end}]`)
    }
  }
  return out
}

beforeAll(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'baton-leases-'))
  // The role folders, with the Engineer switched to the slow command script (two instances, as role.yml has).
  const agentsDir = join(dataDir, 'agents')
  cpSync(join(process.cwd(), 'agents'), agentsDir, { recursive: true })
  const roleYml = join(agentsDir, 'engineer', 'role.yml')
  const fixture = join(process.cwd(), 'test/fixtures/agents/lease-engineer.mjs')
  writeFileSync(roleYml, `${readFileSync(roleYml, 'utf8').replace(/^provider: .*$/m, 'provider: command').replace(/^instances: .*$/m, 'instances: 2')}\ncommand: ${process.execPath} ${fixture}\n`)
  core = await createCore({
    dataDir,
    mode: 'headless',
    sandbox: true,
    runner,
    agentsDir,
    log: createLogger({ level: 'error' }),
    // A lost attempt is tried again after 3 s: long enough for the other issue's Engineer to take the file first.
    agentTiming: { heartbeatMs: 500, stallMs: 60_000, backoffMs: () => 3_000 }
  })
  await call('settings.update', { parallelPrs: true })
  watching = setInterval(() => {
    const result = core.db.prepare('SELECT 1').get() // the database is open: the board can be read
    if (!result) return
    void core.call('issues.board', {}).then((r) => {
      if (!r.ok) return
      for (const c of r.data as BoardIssue[]) if (c.reason) (reasons.get(c.number) ?? reasons.set(c.number, new Set()).get(c.number)!).add(c.reason)
    })
  }, 150)
}, 90_000)

afterAll(async () => {
  if (watching) clearInterval(watching)
  await core?.close()
})

describe('file leases', { timeout: 300_000 }, () => {
  it('two issues whose plans touch one file never run their Engineers at the same time; the card names the lease', async () => {
    const a = await create('Speed up add', 'The `add` function in `src/calc.js` allocates on every call: make it cheaper.')
    const b = await create('Document add', 'Add a doc comment to `add` in `src/calc.js` saying it does not coerce strings.')
    // Each Engineer has claimed its issue and worked on it (both stages done: on to testing or beyond).
    const past = (n: number) => /needs-testing|needs-review|done/.test(stageOf(n))
    await until('both issues past the Engineer', () => past(a) && past(b), () => ({ a: stageOf(a), b: stageOf(b), runs: engineerRuns(), reasons: Object.fromEntries([...reasons].map(([k, v]) => [k, [...v]])) }))
    expect(planOf(a)).toContain('src/calc.js')
    expect(planOf(b)).toContain('src/calc.js')

    const runs = engineerRuns()
    expect(runs.filter((r) => r.issue === a).length).toBeGreaterThanOrEqual(2)
    expect(runs.filter((r) => r.issue === b).length).toBeGreaterThanOrEqual(2)
    expect(overlaps(runs)).toEqual([])
    // One of a and b waited for the other's lease, and its card said so, naming the file, the holder and its issue.
    const said = [...(reasons.get(a) ?? []), ...(reasons.get(b) ?? [])].filter((r) => r.startsWith('waits for a lease on'))
    expect(said.length, JSON.stringify(Object.fromEntries([...reasons].map(([k, v]) => [k, [...v]])))).toBeGreaterThan(0)
    // (The sandbox's own issues touch src/calc.js too: the holder may be one of them.)
    expect(said[0]).toMatch(/^waits for a lease on \S+ held by engineer(-2)?@baton-sandbox\/calc \(#\d+\)$/)
    // No lease outlives its task.
    await until('no lease left', async () => (await call<LeaseView[]>('leases.list')).length === 0 || null, async () => call('leases.list'))
  })

  it("a lease ends when its task's agent dies: the other issue's Engineer starts", async () => {
    const d = await create('Refactor add, kill me', 'Split `add` in `src/calc.js` into checks and the sum.')
    const e = await create('Test add more', 'Cover `add` in `src/calc.js` with negative numbers.')
    // d's Engineer holds the plan's lease and sleeps; e waits for it.
    const held = await until(
      "d's Engineer holding its plan's lease",
      async () => (await call<LeaseView[]>('leases.list')).find((l) => l.issue === `baton-sandbox/calc#${d}` && l.source === 'plan'),
      () => ({ d: stageOf(d), e: stageOf(e), runs: engineerRuns() })
    )
    expect(planOf(d)).toContain(held.pattern)
    expect(held).toMatchObject({ holder: expect.stringMatching(/^engineer(-2)?@baton-sandbox\/calc$/), expiresAt: null })
    await until(
      `#${e} waiting for the lease`,
      async () => (await card(e))?.reason?.startsWith('waits for a lease on') && (await card(e))?.reason,
      () => ({ e: stageOf(e), reasons: [...(reasons.get(e) ?? [])], plans: { d: planOf(d), e: planOf(e) }, runs: engineerRuns().filter((r) => r.issue >= d) })
    )
    expect((await card(e))?.reason).toContain(`held by ${held.holder} (#${d})`)
    const instance = held.holder.split('@')[0] as string
    const agent = (await call<AgentSummary[]>('agents.list')).find((x) => x.name === instance)
    expect(agent?.task).toBe(held.task)
    process.kill(agent!.pid!, 'SIGKILL')

    // The supervisor loses the attempt: the task goes back to queued, its lease no longer counts, and e's Engineer starts.
    await until(
      `#${e}'s Engineer started after ${instance} died`,
      () => engineerRuns().find((r) => r.issue === e),
      () => ({ leases: core.db.prepare('SELECT * FROM leases').all(), tasks: core.db.prepare('SELECT id, issue, state, attempt FROM tasks WHERE role = ?').all('engineer') })
    )
    const lost = core.db.prepare('SELECT outcome, ended_at FROM attempts WHERE task_id = ? AND attempt = 1').get(held.task) as { outcome: string; ended_at: string }
    expect(lost.outcome).not.toBe('done')
    const eStart = engineerRuns().find((r) => r.issue === e)!.start
    expect(eStart).toBeGreaterThanOrEqual(Date.parse(lost.ended_at))
    expect(overlaps(engineerRuns())).toEqual([])
  })
})
