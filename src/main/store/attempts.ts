// Parallel attempts' rows (migration 13): a repository's setting, the groups
// (one per time an issue's Engineer stage ran N attempts) and their runs.
// One function per change, one statement or transaction each.
import { randomBytes } from 'node:crypto'
import { attemptsSummary, type RunState } from '../pipeline/attempt-rules'
import type { Db } from './open'
import { ACTIVE_STATES, getTask } from './tasks'

export type AttemptsPick = 'first' | 'person'

export interface AttemptSettings {
  attempts: number
  pick: AttemptsPick
  /** "provider[:model]" entries the attempts take in turn; empty: the role's own. */
  providers: string[]
}

export const DEFAULT_ATTEMPTS: AttemptSettings = { attempts: 1, pick: 'first', providers: [] }

export function attemptSettings(db: Db, repoId: number): AttemptSettings {
  const row = db.prepare('SELECT attempts, pick, providers FROM attempt_settings WHERE repo_id = ?').get(repoId) as
    | { attempts: number; pick: AttemptsPick; providers: string }
    | undefined
  return row ? { attempts: row.attempts, pick: row.pick, providers: JSON.parse(row.providers) as string[] } : { ...DEFAULT_ATTEMPTS }
}

export function setAttemptSettings(db: Db, repoId: number, s: AttemptSettings): void {
  db.prepare(
    `INSERT INTO attempt_settings (repo_id, attempts, pick, providers) VALUES (?, ?, ?, ?)
     ON CONFLICT (repo_id) DO UPDATE SET attempts = excluded.attempts, pick = excluded.pick, providers = excluded.providers`
  ).run(repoId, s.attempts, s.pick, JSON.stringify(s.providers))
}

export type GroupState = 'running' | 'choosing' | 'picked' | 'failed'

export interface GroupRow {
  id: string
  repo_id: number
  issue: number
  stage: string
  size: number
  pick: AttemptsPick
  state: GroupState
  winner: number | null
  cleaned: number
  created_at: string
  decided_at: string | null
}

export interface RunRow {
  group_id: string
  idx: number
  branch: string
  provider: string | null
  model: string | null
  engineer_task: string
  tester_task: string | null
  pushed: number
  move_to: string | null
  summary: string | null
  body: string | null
  verdict: 'pass' | 'fail' | null
  test_result: string | null
  tested_at: string | null
}

export function createGroup(
  db: Db,
  g: { repoId: number; issue: number; stage: string; pick: AttemptsPick; at: string; runs: Array<{ idx: number; branch: string; provider: string | null; model: string | null; engineerTask: string }> }
): string {
  const id = `g_${randomBytes(6).toString('hex')}`
  db.transaction(() => {
    db.prepare("INSERT INTO parallel_groups (id, repo_id, issue, stage, size, pick, state, created_at) VALUES (?, ?, ?, ?, ?, ?, 'running', ?)").run(
      id,
      g.repoId,
      g.issue,
      g.stage,
      g.runs.length,
      g.pick,
      g.at
    )
    const insert = db.prepare('INSERT INTO parallel_runs (group_id, idx, branch, provider, model, engineer_task) VALUES (?, ?, ?, ?, ?, ?)')
    for (const r of g.runs) insert.run(id, r.idx, r.branch, r.provider, r.model, r.engineerTask)
  })()
  return id
}

export function getGroup(db: Db, id: string): GroupRow | undefined {
  return db.prepare('SELECT * FROM parallel_groups WHERE id = ?').get(id) as GroupRow | undefined
}

export function groupRuns(db: Db, groupId: string): RunRow[] {
  return db.prepare('SELECT * FROM parallel_runs WHERE group_id = ? ORDER BY idx').all(groupId) as RunRow[]
}

/** The run a task belongs to (as its Engineer or its Tester), with its group. */
export function runOfTask(db: Db, taskId: string): { run: RunRow; group: GroupRow; as: 'engineer' | 'tester' } | undefined {
  const run = db.prepare('SELECT * FROM parallel_runs WHERE engineer_task = ? OR tester_task = ?').get(taskId, taskId) as RunRow | undefined
  if (!run) return undefined
  const group = getGroup(db, run.group_id) as GroupRow
  return { run, group, as: run.engineer_task === taskId ? 'engineer' : 'tester' }
}

/** The issue's newest group (null: it never ran attempts). */
export function latestGroup(db: Db, repoId: number, issue: number): GroupRow | undefined {
  return db.prepare('SELECT * FROM parallel_groups WHERE repo_id = ? AND issue = ? ORDER BY created_at DESC, rowid DESC LIMIT 1').get(repoId, issue) as GroupRow | undefined
}

/** Groups with work left: undecided, or decided and not yet cleaned up. */
export function openGroups(db: Db): GroupRow[] {
  return db.prepare('SELECT * FROM parallel_groups WHERE cleaned = 0 ORDER BY created_at').all() as GroupRow[]
}

export function setRunTester(db: Db, groupId: string, idx: number, testerTask: string): void {
  db.prepare('UPDATE parallel_runs SET tester_task = ? WHERE group_id = ? AND idx = ?').run(testerTask, groupId, idx)
}

export function setRunAnswer(db: Db, groupId: string, idx: number, a: { pushed: boolean; moveTo: string | null; summary: string; body: string }): void {
  db.prepare('UPDATE parallel_runs SET pushed = ?, move_to = ?, summary = ?, body = ? WHERE group_id = ? AND idx = ?').run(a.pushed ? 1 : 0, a.moveTo, a.summary, a.body, groupId, idx)
}

/**
 * The Tester's verdict on an attempt's branch. With `pick: first`, the first
 * pass wins: the group takes it as its winner in the same transaction, so two
 * passes applied one after the other cannot both win.
 */
export function setRunVerdict(db: Db, groupId: string, idx: number, v: { verdict: 'pass' | 'fail'; result: string; at: string }): boolean {
  return db.transaction(() => {
    db.prepare('UPDATE parallel_runs SET verdict = ?, test_result = ?, tested_at = ? WHERE group_id = ? AND idx = ?').run(v.verdict, v.result, v.at, groupId, idx)
    if (v.verdict !== 'pass') return false
    return (
      db.prepare("UPDATE parallel_groups SET state = 'picked', winner = ?, decided_at = ? WHERE id = ? AND pick = 'first' AND state = 'running' AND winner IS NULL").run(idx, v.at, groupId)
        .changes > 0
    )
  })()
}

/** A person's pick (`pick: person`): only a passed attempt, only while the group is undecided. */
export function pickRun(db: Db, groupId: string, idx: number, at: string): boolean {
  return (
    db.prepare("UPDATE parallel_groups SET state = 'picked', winner = ?, decided_at = ? WHERE id = ? AND state IN ('running', 'choosing') AND winner IS NULL").run(idx, at, groupId).changes > 0
  )
}

export function setGroupState(db: Db, groupId: string, state: GroupState, at: string): void {
  db.prepare('UPDATE parallel_groups SET state = ?, decided_at = COALESCE(decided_at, ?) WHERE id = ?').run(state, at, groupId)
}

export function markCleaned(db: Db, groupId: string): void {
  db.prepare('UPDATE parallel_groups SET cleaned = 1 WHERE id = ?').run(groupId)
}

/** One attempt's state, from its tasks and the Tester's verdict. */
export function runState(db: Db, run: RunRow): RunState {
  const eng = getTask(db, run.engineer_task)
  if (!eng || eng.state === 'cancelled') return 'stopped'
  if (ACTIVE_STATES.includes(eng.state)) return 'working'
  if (eng.state !== 'applied' || !run.pushed) return 'failed'
  if (run.verdict === 'pass') return 'passed'
  if (run.verdict === 'fail') return 'failed'
  const tester = run.tester_task ? getTask(db, run.tester_task) : undefined
  if (!tester || ACTIVE_STATES.includes(tester.state)) return 'testing'
  return tester.state === 'cancelled' ? 'stopped' : 'failed'
}

/** What each attempt cost (its Engineer's and its Tester's answers). */
export function runCost(db: Db, run: RunRow): number {
  const row = db.prepare('SELECT COALESCE(SUM(cost_usd), 0) AS usd FROM usage WHERE task_id IN (?, ?)').get(run.engineer_task, run.tester_task ?? '') as { usd: number }
  return row.usd
}

export interface AttemptView {
  index: number
  branch: string
  provider: string | null
  model: string | null
  state: RunState
  summary: string | null
  testResult: string | null
  costUsd: number
}

/** The issue's newest group, as the issue page and the card show it (null: it never ran attempts). */
export function issueAttempts(db: Db, repoId: number, issue: number): { group: string; state: GroupRow['state']; pick: GroupRow['pick']; winner: number | null; summary: string; attempts: AttemptView[] } | null {
  const group = latestGroup(db, repoId, issue)
  if (!group) return null
  const runs = groupRuns(db, group.id)
  const states = runs.map((r) => runState(db, r))
  return {
    group: group.id,
    state: group.state,
    pick: group.pick,
    winner: group.winner,
    summary: attemptsSummary(states),
    attempts: runs.map((r, i) => ({ index: r.idx, branch: r.branch, provider: r.provider, model: r.model, state: states[i]!, summary: r.summary, testResult: r.test_result, costUsd: runCost(db, r) }))
  }
}

/** Per `repoId#issue`, the summary of each undecided group (the board's cards say it while the attempts run). */
export function liveAttemptSummaries(db: Db): Map<string, string> {
  const out = new Map<string, string>()
  for (const g of db.prepare("SELECT id, repo_id, issue FROM parallel_groups WHERE state IN ('running', 'choosing')").all() as Array<{ id: string; repo_id: number; issue: number }>) {
    out.set(`${g.repo_id}#${g.issue}`, attemptsSummary(groupRuns(db, g.id).map((r) => runState(db, r))))
  }
  return out
}
