// Hand-offs to other projects (issue #14, DESIGN.md §11): an agent working on
// acme/app#3 that finds the bug is acme/lib's files an issue there with the
// whole context (`handoff_to_project` → `handoffs.create`); acme/app#3 gets a
// comment linking it and waits ("waits for acme/lib#7") until the sync sees
// acme/lib#7 closed, then its stage's task runs again with the outcome in its
// trigger (`handoffs`, DESIGN.md §5) and a comment says so.
//
// Into a repository of another owner a hand-off waits for the person first
// (an inbox item of kind `handoff`; repos.setHandoffApproval turns it off for
// an origin repository): nothing is filed until approved; refused, the origin
// gets a comment and resumes with the outcome `refused`.
//
// Every step is safe to repeat and survives a restart: the row (migration 10)
// is written before GitHub is asked, the issue is filed with a marker that a
// second try finds (GitHubPort.createIssue), each comment has its own marker,
// and a step GitHub failed is tried again after a sync (handoffsAfterSync).
// Each runs under the origin issue's lock.
import type { ApiParsedInput, Handoff } from '../../shared/api'
import { AppError } from '../../shared/errors'
import type { Trigger } from '../../shared/protocol/trigger'
import { audit } from '../store/audit'
import {
  getHandoff,
  handoffApproval,
  insertHandoff,
  issueHandoffs,
  pendingHandoffs,
  setHandoffBody,
  unannounced,
  updateHandoff,
  type HandoffRow
} from '../store/handoffs'
import type { Db } from '../store/open'
import { repoRow } from '../store/pipeline-issues'
import { tasksForIssue } from '../store/tasks'
import { stageOf } from './definition'
import { issueKey, type EngineContext } from './engine-context'
import { closedComment, filedComment, handoffBody, handoffMarker, MAX_BODY, refusedComment } from './handoff-body'
import type { RepoRef } from './ports'
import { elsewhereState } from './cross-deps'
import { checkAgentLabels, filedByAgent } from './agent-filed'

export type HandoffInput = ApiParsedInput<'handoffs.create'>

/** A filing GitHub refused is tried again after a sync, at most this often. */
const REFILE_MS = 60_000

const full = (r: { owner: string; name: string }) => `${r.owner}/${r.name}`

function connectedNames(db: Db): string {
  const names = (db.prepare('SELECT owner, name FROM repos ORDER BY owner, name').all() as Array<{ owner: string; name: string }>).map(full)
  return names.join(', ') || 'none'
}

export function handoffView(db: Db, row: HandoffRow): Handoff {
  const from = repoRow(db, row.from_repo_id)
  const to = `${row.to_owner}/${row.to_name}`
  return {
    id: row.id,
    from: `${from ? full(from) : `repository ${row.from_repo_id}`}#${row.from_issue}`,
    to,
    issue: row.to_issue ? `${to}#${row.to_issue}` : null,
    number: row.to_issue,
    url: row.url,
    title: row.title,
    state: row.state,
    stateReason: row.state_reason,
    createdAt: row.created_at,
    resolvedAt: row.resolved_at
  }
}

/** Why the origin waits, in the scheduler's words (store/board.ts#waitOf reads them). */
export function waitWords(row: HandoffRow): string {
  const to = `${row.to_owner}/${row.to_name}`
  if (row.state === 'approval') return `waits for your approval to hand off to ${to}`
  if (row.state === 'filing') return `waits to hand off to ${to} (filing the issue there)`
  return `waits for ${to}#${row.to_issue as number}`
}

/** Origins waiting for a hand-off (`repoId#number` → why), for the scheduler and the due tasks in tick.ts. */
export function handoffHolds(db: Db, repoId?: number): Map<string, string> {
  const holds = new Map<string, string>()
  for (const row of pendingHandoffs(db, repoId)) {
    const key = issueKey(row.from_repo_id, row.from_issue)
    // Several at once: the card says each.
    const words = waitWords(row)
    holds.set(key, holds.has(key) ? `${holds.get(key) as string}; ${words.replace(/^waits (for )?/, '')}` : words)
  }
  return holds
}

/** The trigger's `handoffs` entries for an origin's outcomes (DESIGN.md §5): what each hand-off came to. */
export function handoffOutcomes(db: Db, repoId: number, issue: number): Trigger['handoffs'] {
  const from = repoRow(db, repoId)
  return issueHandoffs(db, repoId, issue)
    .filter((h) => h.state === 'closed' || h.state === 'refused')
    .map((h) => {
      const target = h.to_issue ? `${h.to_owner}/${h.to_name}#${h.to_issue}` : `${h.to_owner}/${h.to_name}`
      const said =
        h.state === 'refused'
          ? `The hand-off "${h.title}" to ${target} was refused${h.state_reason ? `: ${h.state_reason}` : ''}; nothing was filed there.`
          : `${target} ("${h.title}") was closed${h.state_reason === 'not_planned' ? ' as not planned' : ' as completed'}.`
      return { from: `${from ? full(from) : repoId}#${issue}`, to: target, text: said, state: h.state as 'closed' | 'refused', stateReason: h.state_reason, url: h.url }
    })
}

function refOf(db: Db, repoId: number): RepoRef & { row: NonNullable<ReturnType<typeof repoRow>> } {
  const row = repoRow(db, repoId)
  if (!row) throw new AppError('not_found', `No connected repository with id ${repoId}. Connected: ${connectedNames(db)}.`)
  return { id: row.id, owner: row.owner, name: row.name, defaultBranch: row.default_branch, row }
}

/**
 * `handoffs.create`: checks the origin and the target, records the hand-off,
 * then files it now — or, into another owner's repository, opens an inbox
 * item and files it once the person approves. The same hand-off asked again
 * while pending (a client's retry) is the one already recorded.
 */
export function createHandoff(ctx: EngineContext, input: HandoffInput, askedBy: string | null, filedBy: string | null = null): Promise<Handoff> {
  const { db } = ctx
  // Checked before the lock (a refusal is an answer to the caller, not the engine's fault).
  const origin = refOf(db, input.repoId)
  const target = refOf(db, input.toRepoId)
  if (target.id === origin.id) throw new AppError('bad_request', `A hand-off goes to another repository; ${full(target)} is the origin's own (use create_issue there).`)
  const from = `${full(origin)}#${input.issue}`
  const context = { from, filedBy, summary: input.summary, repro: input.repro, logs: input.logs, diffs: input.diffs, hypotheses: input.hypotheses }
  // With the longest id the marker can carry.
  const length = handoffBody(2 ** 31 - 1, context).length
  if (length > MAX_BODY) {
    throw new AppError('bad_request', `The hand-off's issue body would be ${length.toLocaleString('en-US')} characters; GitHub takes at most ${MAX_BODY.toLocaleString('en-US')}. Shorten the logs or diffs.`)
  }
  return ctx.keyed(issueKey(input.repoId, input.issue), 'handoff', async () => {
    const issue = ctx.issue(input.repoId, input.issue)
    if (!issue || (issue as { is_pull?: number }).is_pull === 1) {
      throw new AppError('not_found', `${from} is not known to Baton (not synced yet, a pull request, or not an issue of ${full(origin)}).`)
    }
    if (issue.state !== 'open') throw new AppError('conflict', `${from} is closed: only an open issue hands work off (it would never resume).`)

    const again = pendingHandoffs(db, origin.id).find((h) => h.from_issue === input.issue && h.to_repo_id === target.id && h.title === input.title)
    if (again) {
      if (again.state === 'filing') await file(ctx, again.id)
      return handoffView(db, getHandoff(db, again.id) as HandoffRow)
    }

    // Capped like a role's hand-offs (DESIGN.md §5, Settings → hand-off cap): two projects' agents handing an
    // issue back and forth would otherwise file issues for ever.
    const cap = ctx.o.settings().handoffCap
    const made = issueHandoffs(db, origin.id, input.issue).length
    if (made >= cap) throw new AppError('conflict', `${from} has handed off ${made} time${made === 1 ? '' : 's'}, the cap (Settings: hand-off cap ${cap}): a person decides what happens next.`)
    const crossOwner = origin.owner.toLowerCase() !== target.owner.toLowerCase()
    const approval = crossOwner && handoffApproval(db, origin.id)
    const pipeline = ctx.o.pipeline(origin.id)
    const at = ctx.now().toISOString()
    const targetPipeline = ctx.o.pipeline(target.id)
    if (filedBy) checkAgentLabels(input.labels, targetPipeline.stages.map((s) => s.label), ctx.o.settings().trust.approvalLabel, filedBy)
    const labels = filedBy ? [...new Set([targetPipeline.entry, ...input.labels])] : input.labels.length ? [...new Set(input.labels)] : [targetPipeline.entry]
    const id = db.transaction(() => {
      const id = insertHandoff(db, {
        fromRepoId: origin.id,
        fromIssue: input.issue,
        toRepoId: target.id,
        toOwner: target.owner,
        toName: target.name,
        title: input.title,
        labels,
        state: approval ? 'approval' : 'filing',
        stage: stageOf(pipeline, JSON.parse(issue.labels) as string[])?.label ?? null,
        taskId: tasksForIssue(db, origin.id, input.issue).at(-1)?.id ?? null,
        askedBy,
        at
      })
      setHandoffBody(db, id, handoffBody(id, context))
      audit(db, { kind: 'handoff.create', repoId: origin.id, issue: input.issue, subject: askedBy, message: `${from} hands off to ${full(target)}: ${input.title}${approval ? ' (waits for your approval: another owner)' : ''}`, data: { handoff: id } })
      if (approval) {
        const question = `Hand off ${from} to ${full(target)} (another owner)? "${input.title}". Approve to file it there, or refuse.`
        const request = Number(
          db
            .prepare("INSERT INTO requests (kind, repo_id, issue, task_id, agent, question, created_at) VALUES ('handoff', ?, ?, NULL, ?, ?, ?)")
            .run(origin.id, input.issue, askedBy, question, at).lastInsertRowid
        )
        updateHandoff(db, id, { request_id: request }, at)
      }
      return id
    })()
    ctx.o.events.changed('issues', 'inbox', 'events')
    try {
      if (approval) {
        ctx.o.events.emit({ type: 'notify', kind: 'request', title: `${from} asks to hand off to ${full(target)}`, body: input.title, repoId: origin.id, issue: input.issue })
      } else {
        await file(ctx, id)
      }
    } finally {
      // The origin waits from now on, filed or not: the board says so at once.
      void ctx.tick()
    }
    return handoffView(db, getHandoff(db, id) as HandoffRow)
  })
}

/**
 * Files the issue and comments on the origin (state `filing` → `open`). Each
 * write finds its own earlier one by its marker, so a repeat after a lost
 * answer or a restart files nothing twice. Run under the origin's lock.
 */
async function file(ctx: EngineContext, id: number): Promise<void> {
  const { db } = ctx
  const row = getHandoff(db, id)
  if (!row || row.state !== 'filing') return
  if (row.to_repo_id === null) throw new AppError('conflict', `${row.to_owner}/${row.to_name} was disconnected before hand-off ${id} was filed: connect it again.`)
  const github = ctx.o.github
  if (!github.createIssue) throw new AppError('unavailable', 'This GitHub connection cannot file issues.')
  const target = refOf(db, row.to_repo_id)
  const origin = refOf(db, row.from_repo_id)
  try {
    let number = row.to_issue
    let url = row.url
    if (number === null) {
      // A minute's slack: GitHub's `since` is its own clock, in seconds.
      const since = new Date(Date.parse(row.created_at) - 60_000).toISOString()
      const made = await github.createIssue(target, { title: row.title, body: row.body, labels: JSON.parse(row.labels) as string[] }, handoffMarker(id, 'handoff'), since)
      number = made.number
      url = made.url
      updateHandoff(db, id, { to_issue: number, url }, ctx.now().toISOString())
      audit(db, { kind: 'issue.create', repoId: target.id, issue: number, subject: row.asked_by, message: `Created #${number}: ${row.title} (handed off from ${full(origin)}#${row.from_issue})` })
    }
    const said = filedComment(id, `${full(target)}#${number}`, url, row.title)
    await github.comment(origin, row.from_issue, said, handoffMarker(id, 'filed'))
    updateHandoff(db, id, { state: 'open' }, ctx.now().toISOString())
    audit(db, { kind: 'handoff.filed', repoId: origin.id, issue: row.from_issue, message: `${full(origin)}#${row.from_issue} waits for ${full(target)}#${number}`, data: { handoff: id, url } })
    ctx.o.events.changed('issues', 'events')
  } catch (error) {
    // Kept as `filing`: the sync's next pass tries again (after REFILE_MS), finding what this one did.
    db.prepare('UPDATE handoffs SET updated_at = ? WHERE id = ?').run(ctx.now().toISOString(), id)
    const message = error instanceof Error ? error.message : String(error)
    throw new AppError(error instanceof AppError ? error.code : 'unavailable', `GitHub did not take the hand-off to ${full(target)}: ${message.replace(/\.?\s*$/, '.')} Baton keeps it (hand-off ${id}) and tries again after the next sync.`)
  }
}

function decided(ctx: EngineContext, id: number, allowed: string): HandoffRow {
  const row = getHandoff(ctx.db, id)
  if (!row) throw new AppError('not_found', `No hand-off ${id}.`)
  if (row.state !== 'approval') throw new AppError('conflict', `Hand-off ${id} is ${row.state}, not waiting for approval: there is nothing to ${allowed}.`)
  return row
}

/** The person approves a cross-owner hand-off: it is filed now. */
export function approveHandoff(ctx: EngineContext, id: number, who: string | null): Promise<Handoff> {
  const first = getHandoff(ctx.db, id)
  if (!first) return Promise.reject(new AppError('not_found', `No hand-off ${id}.`))
  return ctx.keyed(issueKey(first.from_repo_id, first.from_issue), 'handoff-approve', async () => {
    const { db } = ctx
    const row = decided(ctx, id, 'approve')
    const at = ctx.now().toISOString()
    db.transaction(() => {
      updateHandoff(db, id, { state: 'filing', decided_by: who }, at)
      // An agent's hand-off the person approved here is theirs to vouch for: it files with the approval label (agent-filed.ts).
      if (filedByAgent(row.body)) {
        const approval = ctx.o.settings().trust.approvalLabel
        db.prepare('UPDATE handoffs SET labels = ? WHERE id = ?').run(JSON.stringify([...new Set([...(JSON.parse(row.labels) as string[]), approval])]), id)
      }
      if (row.request_id) db.prepare('UPDATE requests SET answer = ?, answered_at = ? WHERE id = ? AND answered_at IS NULL').run(`approved by ${who ?? 'a person'}`, at, row.request_id)
      audit(db, { kind: 'handoff.approve', repoId: row.from_repo_id, issue: row.from_issue, subject: who, message: `${who ?? 'A person'} approved the hand-off to ${row.to_owner}/${row.to_name}: ${row.title}`, data: { handoff: id } })
    })()
    ctx.o.events.changed('inbox', 'issues', 'events')
    try {
      await file(ctx, id)
    } finally {
      void ctx.tick()
    }
    return handoffView(db, getHandoff(db, id) as HandoffRow)
  })
}

/** The person refuses it: nothing is filed; the origin gets a comment and resumes with the outcome `refused`. */
export function refuseHandoff(ctx: EngineContext, id: number, who: string | null, reason: string | null): Promise<Handoff> {
  const first = getHandoff(ctx.db, id)
  if (!first) return Promise.reject(new AppError('not_found', `No hand-off ${id}.`))
  return ctx.keyed(issueKey(first.from_repo_id, first.from_issue), 'handoff-refuse', async () => {
    const { db } = ctx
    const row = decided(ctx, id, 'refuse')
    const at = ctx.now().toISOString()
    db.transaction(() => {
      updateHandoff(db, id, { state: 'refused', state_reason: reason, decided_by: who, resolved_at: at }, at)
      if (row.request_id) db.prepare('UPDATE requests SET answer = ?, answered_at = ? WHERE id = ? AND answered_at IS NULL').run(`refused by ${who ?? 'a person'}${reason ? `: ${reason}` : ''}`, at, row.request_id)
      audit(db, { kind: 'handoff.refuse', repoId: row.from_repo_id, issue: row.from_issue, subject: who, message: `${who ?? 'A person'} refused the hand-off to ${row.to_owner}/${row.to_name}${reason ? `: ${reason}` : ''}`, data: { handoff: id } })
    })()
    ctx.o.events.changed('inbox', 'issues', 'events')
    await announce(ctx, id).catch((error: unknown) => ctx.o.log.warn(`handoff ${id}: the refusal's comment waits for the next sync: ${(error as Error).message}`))
    void ctx.tick()
    return handoffView(db, getHandoff(db, id) as HandoffRow)
  })
}

/** Tells the origin what its hand-off came to (once: the comment's marker), and lets it resume. Under the origin's lock. */
async function announce(ctx: EngineContext, id: number): Promise<void> {
  const { db } = ctx
  const row = getHandoff(db, id)
  if (!row || row.resumed_at || (row.state !== 'closed' && row.state !== 'refused')) return
  const origin = refOf(db, row.from_repo_id)
  const target = `${row.to_owner}/${row.to_name}`
  const body = row.state === 'refused' ? refusedComment(id, target, row.decided_by, row.state_reason) : closedComment(id, `${target}#${row.to_issue as number}`, row.state_reason, row.url)
  await ctx.o.github.comment(origin, row.from_issue, body, handoffMarker(id, row.state === 'refused' ? 'refused' : 'closed'))
  updateHandoff(db, id, { resumed_at: ctx.now().toISOString() }, ctx.now().toISOString())
  audit(db, {
    kind: 'handoff.resume',
    repoId: origin.id,
    issue: row.from_issue,
    message: `${full(origin)}#${row.from_issue} resumes: ${row.state === 'refused' ? `the hand-off to ${target} was refused` : `${target}#${row.to_issue as number} closed (${row.state_reason ?? 'completed'})`}`,
    data: { handoff: id }
  })
  ctx.o.events.changed('issues', 'events')
}

/**
 * The target issue's state: from the mirror while its repository is
 * connected; once disconnected, read-only as a cross-repository dependency is
 * (cross-deps.ts: at most once a minute, with its ETag), so the origin still
 * resumes when it closes.
 */
function targetState(ctx: EngineContext, row: HandoffRow): { state: string; state_reason: string | null } | undefined {
  const { db } = ctx
  if (row.to_repo_id !== null) {
    return db.prepare('SELECT state, state_reason FROM issues WHERE repo_id = ? AND number = ?').get(row.to_repo_id, row.to_issue) as { state: string; state_reason: string | null } | undefined
  }
  if (!elsewhereState(ctx, { owner: row.to_owner, name: row.to_name, number: row.to_issue as number }).closed) return undefined
  return db
    .prepare('SELECT state, state_reason FROM remote_issues WHERE owner = ? COLLATE NOCASE AND name = ? COLLATE NOCASE AND number = ?')
    .get(row.to_owner, row.to_name, row.to_issue) as { state: string; state_reason: string | null } | undefined
}

/**
 * After a sync: a target the mirror shows closed ends its hand-off (`closed`,
 * with GitHub's state_reason) and the origin resumes; outcomes whose comment
 * failed, and filings GitHub refused, are tried again.
 */
export function handoffsAfterSync(ctx: EngineContext): Promise<void> {
  const { db } = ctx
  const work: Array<Promise<unknown>> = []
  const now = ctx.now()
  for (const row of pendingHandoffs(db)) {
    const lock = issueKey(row.from_repo_id, row.from_issue)
    if (row.state === 'filing' && now.getTime() - Date.parse(row.updated_at) >= REFILE_MS) {
      work.push(ctx.keyed(lock, 'handoff-refile', () => file(ctx, row.id)).catch(() => undefined))
    }
    if (row.state !== 'open' || row.to_issue === null) continue
    const target = targetState(ctx, row)
    if (target?.state !== 'closed') continue
    work.push(
      ctx
        .keyed(lock, 'handoff-closed', async () => {
          const current = getHandoff(db, row.id)
          if (current?.state !== 'open') return
          const at = ctx.now().toISOString()
          updateHandoff(db, row.id, { state: 'closed', state_reason: target.state_reason ?? 'completed', resolved_at: at }, at)
          audit(db, { kind: 'handoff.closed', repoId: row.from_repo_id, issue: row.from_issue, message: `${row.to_owner}/${row.to_name}#${row.to_issue as number} closed (${target.state_reason ?? 'completed'})`, data: { handoff: row.id } })
          await announce(ctx, row.id)
          void ctx.tick()
        })
        .catch(() => undefined)
    )
  }
  for (const row of unannounced(db)) {
    work.push(ctx.keyed(issueKey(row.from_repo_id, row.from_issue), 'handoff-announce', () => announce(ctx, row.id)).catch(() => undefined))
  }
  return Promise.all(work).then(() => undefined)
}
