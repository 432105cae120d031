// Closed is not done (DESIGN.md §4). After a sync: an issue closed on GitHub
// as not planned, or whose agent PR was closed without a merge, ends in
// `closed` — its stage label removed (remembered in issues.closed_stage), its
// worktrees released, never shown as done. Reopened (the issue, or the PR
// that closed it), it goes back to the stage it had. Each under its issue's
// lock; every write is computed against what GitHub says now, so a repeat
// changes nothing.
import { audit } from '../store/audit'
import { closingIssues, issuePulls, lastClosedFor, prsThatClosed, setClosedStage, type ClosingIssue } from '../store/closed'
import { resolveFailures } from '../store/inbox'
import { repoIds, setIssueLabels } from '../store/pipeline-issues'
import { stageOf, type Pipeline } from './definition'
import { issueKey, type EngineContext } from './engine-context'

type Decision = { kind: 'close'; stage: string; pr: number | null; why: string } | { kind: 'reopen'; stage: string; why: string } | { kind: 'forget' } | null

/** What the issue's state on GitHub asks of the pipeline now (pure over the mirror). */
export function decideClosed(ctx: EngineContext, repoId: number, pipeline: Pipeline, issue: ClosingIssue): Decision {
  const stage = stageOf(pipeline, JSON.parse(issue.labels) as string[])?.label ?? null
  const pulls = issuePulls(ctx.db, repoId, issue.number)
  // A merged PR is done, whatever else happened.
  if (pulls.some((p) => p.merged)) return null
  const openPull = pulls.some((p) => p.state === 'open')
  if (issue.state === 'closed') {
    const unmergedPr = pulls.length > 0 && !openPull
    if (issue.state_reason !== 'not_planned' && !unmergedPr) return null
    if (!stage || stage === pipeline.done) return null
    return { kind: 'close', stage, pr: null, why: issue.state_reason === 'not_planned' ? 'closed as not planned' : 'closed, its PR not merged' }
  }
  if (issue.closed_stage) {
    // A person gave it a stage again: that is where it is.
    if (stage) return { kind: 'forget' }
    const closedBy = lastClosedFor(ctx.db, repoId, issue.number)
    if (closedBy === null || closedBy === undefined) return { kind: 'reopen', stage: issue.closed_stage, why: 'reopened' }
    if (pulls.find((p) => p.number === closedBy)?.state === 'open') return { kind: 'reopen', stage: issue.closed_stage, why: `PR #${closedBy} reopened` }
    return null
  }
  if (openPull || !stage || stage === pipeline.done) return null
  const seen = prsThatClosed(ctx.db, repoId, issue.number)
  const closedPr = pulls.find((p) => p.state === 'closed' && !p.merged && !seen.has(p.number))
  return closedPr ? { kind: 'close', stage, pr: closedPr.number, why: `PR #${closedPr.number} was closed without a merge` } : null
}

export function settleClosed(ctx: EngineContext): Promise<void> {
  const work: Array<Promise<void>> = []
  for (const repoId of repoIds(ctx.db)) {
    const pipeline = ctx.o.pipeline(repoId)
    for (const row of closingIssues(ctx.db, repoId)) {
      if (!decideClosed(ctx, repoId, pipeline, row)) continue
      work.push(ctx.keyed(issueKey(repoId, row.number), 'closed', () => apply(ctx, repoId, row.number)))
    }
  }
  return Promise.all(work).then(() => undefined)
}

async function apply(ctx: EngineContext, repoId: number, number: number): Promise<void> {
  const { db } = ctx
  // Decided again under the lock: GitHub (through the mirror) may have moved on.
  const row = closingIssues(db, repoId).find((r) => r.number === number)
  const pipeline = ctx.o.pipeline(repoId)
  const decision = row ? decideClosed(ctx, repoId, pipeline, row) : null
  if (!decision) return
  const repo = ctx.repo(repoId)
  const at = ctx.now().toISOString()
  if (decision.kind === 'forget') {
    setClosedStage(db, repoId, number, null)
    return
  }
  if (decision.kind === 'close') {
    const after = await ctx.o.github.setLabels(repo, number, [], [decision.stage])
    setIssueLabels(db, repoId, number, after)
    setClosedStage(db, repoId, number, decision.stage)
    resolveFailures(db, repoId, number, null, `(resolved: #${number} ${decision.why})`, at)
    await ctx.o.workspace.removeIssue(repo, number).catch(() => undefined)
    audit(db, { kind: 'issue.closed', repoId, issue: number, message: `#${number} ${decision.why}: closed, not done (was at ${decision.stage})`, data: { pr: decision.pr, stage: decision.stage } })
  } else {
    const after = await ctx.o.github.setLabels(repo, number, [decision.stage], [])
    setIssueLabels(db, repoId, number, after)
    setClosedStage(db, repoId, number, null)
    audit(db, { kind: 'issue.reopened', repoId, issue: number, message: `#${number} ${decision.why}: back to ${decision.stage}`, data: { stage: decision.stage } })
  }
  ctx.o.events.changed('issues', 'tasks', 'events')
}
