// The pipeline board's read model: one card per open issue (and recently
// finished ones), with what is happening to it in words.
import type { Activity, BlockedBy, BoardDelta, BoardIssue, ApiParsedInput, NeedsYou } from '../../shared/api'
import { liveAttemptSummaries } from './attempts'
import type { BoardLog, ChangeKey } from './board-log'
import type { Pipeline } from '../pipeline/definition'
import { stageOf } from '../pipeline/definition'
import type { Db } from './open'
import { webBase } from './web-url'

interface Row {
  repo_id: number
  owner: string
  name: string
  api_url: string
  number: number
  title: string
  labels: string
  author: string
  state: string
  updated_at: string
  closed_at: string | null
  state_reason: string | null
  closed_stage: string | null
  task_id: string | null
  task_state: string | null
  task_agent: string | null
  task_updated: string | null
  task_result: string | null
  task_not_before: string | null
  pr: number | null
}

export interface BoardContext {
  pipeline: (repoId: number) => Pipeline
  /** Why an issue waits, from the scheduler's last pass (`repoId#number` → reason). */
  waits: ReadonlyMap<string, string>
  /** Closed issues shown in the final column for this long. */
  doneWindowDays?: number
  /** The clock (tests). */
  now?: () => number
}

export function board(db: Db, filter: ApiParsedInput<'issues.board'> & { number?: number; keys?: readonly ChangeKey[] }, context: BoardContext): BoardIssue[] {
  const now = context.now?.() ?? Date.now()
  const since = new Date(now - (context.doneWindowDays ?? 14) * 86_400_000).toISOString()
  // A few cards (a delta, one issue): each found by its key, its latest task and
  // PR looked up per card. The whole board: the latest task and PR of every
  // issue computed once each, never one scan of pulls per issue (with 2,000
  // pulls and 8,000 tasks that was 11 s for 10,000 issues; this is 0.2 s).
  const few = Boolean(filter.keys || filter.number !== undefined)
  // A card shows the issue's newest task; a fan-out's children answer for their parent (pipeline/fanout.ts), which is the one shown.
  const rows = db
    .prepare(
      `SELECT i.repo_id, r.owner, r.name, r.api_url, i.number, i.title, i.labels, i.author, i.state, i.updated_at, i.closed_at, i.state_reason, i.closed_stage,
              t.id AS task_id, t.state AS task_state, t.agent AS task_agent, t.updated_at AS task_updated, t.result AS task_result, t.not_before AS task_not_before,
              ${few ? '(SELECT p.number FROM pulls p WHERE p.repo_id = i.repo_id AND p.issue = i.number ORDER BY p.number DESC LIMIT 1)' : 'p.pr'} AS pr
       FROM ${filter.keys ? 'json_each(?) k JOIN issues i ON i.repo_id = (k.value ->> 0) AND i.number = (k.value ->> 1)' : 'issues i'}
       JOIN repos r ON r.id = i.repo_id
       ${
         few
           ? 'LEFT JOIN tasks t ON t.rowid = (SELECT t2.rowid FROM tasks t2 WHERE t2.repo_id = i.repo_id AND t2.issue = i.number AND t2.parent_task IS NULL ORDER BY t2.created_at DESC, t2.rowid DESC LIMIT 1)'
           : `LEFT JOIN (SELECT id, repo_id, issue, state, agent, updated_at, result, not_before,
                               ROW_NUMBER() OVER (PARTITION BY repo_id, issue ORDER BY created_at DESC, rowid DESC) AS rn
                        FROM tasks WHERE parent_task IS NULL) t ON t.repo_id = i.repo_id AND t.issue = i.number AND t.rn = 1
              LEFT JOIN (SELECT repo_id, issue, MAX(number) AS pr FROM pulls WHERE issue IS NOT NULL GROUP BY repo_id, issue) p
                ON p.repo_id = i.repo_id AND p.issue = i.number`
       }
       WHERE i.is_pull = 0 AND (i.state = 'open' OR i.closed_at >= ?)
         AND (? IS NULL OR i.repo_id = ?)
         AND (? IS NULL OR i.number = ?)
       ORDER BY i.number, i.repo_id`
    )
    .all(...keysParam(filter.keys), since, filter.repoId ?? null, filter.repoId ?? null, filter.number ?? null, filter.number ?? null) as Row[]

  const q = filter.q?.trim().toLowerCase()
  const nowIso = new Date(now).toISOString()
  // One web address per repository, not one URL parse per card.
  const bases = new Map<number, string>()
  const cards: BoardIssue[] = []
  const lookups = cardLookups(db, few ? null : rows)
  for (const row of rows) {
    const labels = JSON.parse(row.labels) as string[]
    const pipeline = context.pipeline(row.repo_id)
    // Closed as not planned, or ended by its PR closed unmerged (pipeline/closed.ts): no stage, never the done column.
    const ended = row.state_reason === 'not_planned' || row.closed_stage !== null
    const stage = row.state === 'closed' && !ended ? (pipeline.stages.find((s) => s.label === pipeline.done) ?? null) : row.state === 'closed' ? null : stageOf(pipeline, labels)
    let base = bases.get(row.repo_id)
    if (base === undefined) bases.set(row.repo_id, (base = webBase(row.api_url, row.owner, row.name)))
    const card = toCard(row, labels, stage?.label ?? null, stage?.owner ?? null, context, nowIso, base, lookups, stage?.label === pipeline.done)
    if (q && !(card.title.toLowerCase().includes(q) || `#${card.number}`.includes(q) || card.author.toLowerCase().includes(q))) continue
    if (filter.label && !labels.includes(filter.label)) continue
    if (filter.agent && card.agent !== filter.agent && card.owner !== filter.agent) continue
    cards.push(card)
  }
  return cards
}

/** Only these cards: driven by the keys, each found by the primary key. */
function keysParam(keys: readonly ChangeKey[] | undefined): string[] {
  return keys ? [JSON.stringify(keys.map((k) => [k.repoId, k.number]))] : []
}

/** Cards sent as a delta at most; more changes send the whole board. */
export const MAX_DELTA = 500

/**
 * The board since a version the client has (`issues.boardChanges`): the cards
 * changed since then and the keys of those gone, or the whole board when the
 * client has none, another epoch's, one the log no longer holds, or too many
 * changed.
 */
export function boardChanges(db: Db, log: BoardLog, input: { since?: number; epoch?: string }, context: BoardContext, maxDelta = MAX_DELTA): BoardDelta {
  log.observe()
  // Synchronous on the one connection: the version and the cards are of the same moment.
  const version = log.version()
  const changes = input.since !== undefined && input.epoch === log.epoch ? log.since(input.since, maxDelta) : ({ kind: 'all' } as const)
  if (changes.kind === 'all') return { kind: 'full', epoch: log.epoch, version, cards: board(db, {}, context) }
  const cards = changes.keys.length ? board(db, { keys: changes.keys }, context) : []
  const present = new Set(cards.map((c) => `${c.repoId}#${c.number}`))
  const removed = changes.keys.map((k) => `${k.repoId}#${k.number}`).filter((key) => !present.has(key))
  return { kind: 'delta', epoch: log.epoch, version, from: input.since as number, cards, removed }
}

/** What a card looks up beyond its row: an open question, the PR of the issue holding the one-PR slot. */
interface CardLookups {
  request(taskId: string): { id: number; question: string } | null
  pullOf(repoId: number, issue: number): number | null
  /** "3 attempts: 1 passed, 1 failed, 1 running" while the issue's parallel attempts run (issue #15), else null. */
  attempts(repoId: number, issue: number): string | null
}

function cardLookups(db: Db, all: readonly Row[] | null): CardLookups {
  let request: { get(taskId: string): unknown } | null = null
  let pull: { get(repoId: number, issue: number): unknown } | null = null
  // The whole board has every open issue's PR in its rows already: no query per card.
  const pulls = all ? new Map(all.map((r) => [`${r.repo_id}#${r.number}`, r.pr])) : null
  // A few groups at most run at once: read once per board, on the first card that asks.
  let attempts: Map<string, string> | null = null
  return {
    attempts(repoId, issue) {
      attempts ??= liveAttemptSummaries(db)
      return attempts.get(`${repoId}#${issue}`) ?? null
    },
    request(taskId) {
      request ??= db.prepare('SELECT id, question FROM requests WHERE task_id = ? AND answered_at IS NULL ORDER BY id DESC LIMIT 1')
      return (request.get(taskId) as { id: number; question: string } | undefined) ?? null
    },
    pullOf(repoId, issue) {
      const known = pulls?.get(`${repoId}#${issue}`)
      if (known !== undefined) return known
      pull ??= db.prepare('SELECT MAX(number) AS pr FROM pulls WHERE repo_id = ? AND issue = ?')
      return (pull.get(repoId, issue) as { pr: number | null } | undefined)?.pr ?? null
    }
  }
}

function toCard(
  row: Row,
  labels: string[],
  stage: string | null,
  owner: string | null,
  context: BoardContext,
  nowIso: string,
  base: string,
  lookups: CardLookups,
  final: boolean
): BoardIssue {
  const key = `${row.repo_id}#${row.number}`
  let activity: Activity = 'idle'
  let reason: string | null = null
  let since = row.updated_at
  let agent: string | null = null
  let needs: NeedsYou | null = null
  let blockedBy: BlockedBy | null = null
  let request: BoardIssue['request'] = null
  if (row.state === 'closed') {
    // Closed as not planned, or ended by its PR closed unmerged (the pipeline removed its stage): closed, never done.
    activity = row.state_reason === 'not_planned' || row.closed_stage ? 'closed' : 'done'
    since = row.closed_at ?? row.updated_at
  } else if (row.closed_stage && !stage) {
    // Open, but its agent PR was closed without a merge: the pipeline ended it (reopen the PR to go on).
    activity = 'closed'
    reason = `its pull request was closed without a merge (was at ${row.closed_stage})`
  } else if (row.task_state === 'running') {
    activity = 'working'
    agent = row.task_agent
    since = row.task_updated ?? since
    reason = lookups.attempts(row.repo_id, row.number)
  } else if (row.task_state === 'queued') {
    activity = 'queued'
    agent = row.task_agent
    since = row.task_updated ?? since
    reason = lookups.attempts(row.repo_id, row.number)
    if (row.task_not_before && row.task_not_before > nowIso) reason = `retrying at ${row.task_not_before.slice(11, 19)} UTC`
    // Queued, but its Engineer waits for another issue's lease on its plan's files (pipeline/plan-lease.ts): the card names it.
    const leased = context.waits.get(key)
    if (leased?.startsWith('waits for a lease on ')) {
      activity = 'blocked'
      reason = leased
    }
  } else if (row.task_state === 'waiting') {
    activity = 'waiting'
    agent = row.task_agent
    since = row.task_updated ?? since
    reason = 'waiting for a person (see the inbox)'
    needs = 'answer'
    request = row.task_id ? lookups.request(row.task_id) : null
    if (request) reason = request.question
  } else if (row.task_state === 'failed') {
    activity = 'failed'
    since = row.task_updated ?? since
    reason = row.task_result ?? 'failed'
    needs = 'retry'
  } else if (context.waits.has(key)) {
    const why = context.waits.get(key) as string
    const wait = waitOf(why)
    activity = wait.activity
    needs = wait.needs
    reason = why
    if (wait.blockedBy?.kind === 'pr-slot') blockedBy = { ...wait.blockedBy, pr: lookups.pullOf(row.repo_id, wait.blockedBy.issue) }
    else blockedBy = wait.blockedBy
  } else if (stage && !owner && !final) {
    // A person's stage (the review): the card says what to do, not "Idle".
    needs = 'review'
  }
  return {
    repoId: row.repo_id,
    repo: `${row.owner}/${row.name}`,
    number: row.number,
    title: row.title,
    stage,
    labels,
    author: row.author,
    owner,
    agent,
    activity,
    reason,
    since,
    updatedAt: row.updated_at,
    pr: row.pr,
    url: `${base}/issues/${row.number}`,
    needs,
    blockedBy,
    request
  }
}

/** What a scheduler wait means for the card: its activity, what it asks of the person, what holds it. */
export interface WaitMeaning {
  activity: Activity
  needs: NeedsYou | null
  blockedBy: BlockedBy | null
}

/**
 * The one place the scheduler's wait reasons (scheduler.ts, and the holds
 * tick.ts gives it: a spent failure budget, check-wait.ts, budget-gate.ts)
 * become data: held by another issue, the one-PR-at-a-time rule or the PR's
 * checks (blocked), by capacity (queued), or by a person (waiting, and what
 * the person is to do). The renderer keys off `needs` and `blockedBy`, never
 * the words.
 */
export function waitOf(why: string): WaitMeaning {
  if (why.startsWith('blocked by')) return { activity: 'blocked', needs: null, blockedBy: issuesIn(why) }
  // A hand-off to another project (pipeline/handoff.ts): filed and open, or waiting for the person's approval.
  if (/^waits for [^\s/]+\/[^\s#]+#\d+/.test(why)) return { activity: 'blocked', needs: null, blockedBy: issuesIn(why) }
  if (why.startsWith('waits for your approval to hand off')) return { activity: 'waiting', needs: null, blockedBy: null }
  if (why.startsWith('waits to hand off')) return { activity: 'blocked', needs: null, blockedBy: null }
  if (why.startsWith('waits for the open agent pull request')) {
    const holder = /#(\d+) holds it/.exec(why)
    return { activity: 'blocked', needs: null, blockedBy: holder ? { kind: 'pr-slot', issue: Number(holder[1]), pr: null } : null }
  }
  // An Engineer whose plan's files another issue's task holds (pipeline/lease-wait.ts): the reason names the lease.
  if (why.startsWith('waits for a lease on ')) return { activity: 'blocked', needs: null, blockedBy: null }
  if (why.startsWith('waits for a free ')) return { activity: 'queued', needs: null, blockedBy: null }
  // Parallel attempts that passed, a person to pick one (pipeline/attempts.ts attemptHolds).
  if (/^\d+ attempts?: .* — waits for a person to pick/.test(why)) return { activity: 'waiting', needs: 'pick', blockedBy: null }
  // The PR's checks, not a person (pipeline/check-wait.ts).
  if (why.startsWith('waiting for checks')) return { activity: 'blocked', needs: null, blockedBy: { kind: 'checks' } }
  if (why.startsWith('waits for a maintainer to approve')) return { activity: 'waiting', needs: 'approve', blockedBy: null }
  // A spent failure budget (tick.ts heldStages, retry.ts spentMessage).
  if (/^failed \d+ times?:/.test(why)) return { activity: 'failed', needs: 'retry', blockedBy: null }
  // A spent spend budget (pipeline/spend.ts breachMessage).
  if (why.startsWith('budget:')) return { activity: 'waiting', needs: 'budget', blockedBy: null }
  if (/^waits: .* is paused/.test(why)) return { activity: 'waiting', needs: 'paused', blockedBy: null }
  return { activity: 'waiting', needs: null, blockedBy: null }
}

/** `#3` of this repository, and `owner/name#7` of others (cross-repository dependencies and hand-offs, issue #14). */
function issuesIn(why: string): BlockedBy {
  const issues = [...why.matchAll(/(?:^|[\s,(])#(\d+)/g)].map((m) => Number(m[1]))
  const elsewhere = [...why.matchAll(/([A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+#\d+)/g)].map((m) => m[1] as string)
  return elsewhere.length ? { kind: 'issues', issues, elsewhere } : { kind: 'issues', issues }
}

/** The card's activity for a scheduler wait (see `waitOf`). */
export function activityOfWait(why: string): Activity {
  return waitOf(why).activity
}
