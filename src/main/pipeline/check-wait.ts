// An issue waits for its PR's checks before the person's review (DESIGN.md
// §4): when the Tester moves it on to a stage a person owns while checks on
// the PR's head are still pending, Baton holds that move — the issue stays
// where it is, its card says "waiting for checks: ci/test", no agent is sent
// again — and makes it itself once they have passed (github-signals.ts after a
// sync). A check that fails meanwhile sends the issue back to the Engineer
// instead, which releases the hold. Per repository: branch protection's
// required checks (the default) or every check on the head.
import { notifyIfReady } from '../notify/ready'
import { audit } from '../store/audit'
import { agentPullOf, checksWait, deleteHold, headChecks, holds, markSignal, requiredChecks } from '../store/github-signals'
import { setIssueLabels } from '../store/pipeline-issues'
import type { TaskRow } from '../store/tasks'
import { stageOf, type Pipeline } from './definition'
import type { Effect } from './effects'
import { baseRole, issueKey, type EngineContext } from './engine-context'

/** The context Baton publishes the Tester's verdict under (verdict.ts): never read back as CI, never waited for. */
export const TESTER_CONTEXT = 'baton/tester'

/** The checks on `sha` the repository waits for that have not reported success yet (pending, or a required one not reported at all). */
export function pendingChecks(ctx: EngineContext, repoId: number, sha: string): string[] {
  const checks = headChecks(ctx.db, repoId, sha).filter((c) => c.name !== TESTER_CONTEXT)
  if (checksWait(ctx.db, repoId) === 'all') return [...new Set(checks.filter((c) => c.state === 'pending').map((c) => c.name))]
  return requiredChecks(ctx.db, repoId).filter((name) => {
    if (name === TESTER_CONTEXT) return false
    const reported = checks.filter((c) => c.name === name)
    return reported.length === 0 || reported.some((c) => c.state === 'pending')
  })
}

/** A stage no role owns, short of the final one: a person's (the review). */
const personOwns = (pipeline: Pipeline, label: string) => label !== pipeline.done && pipeline.stages.some((s) => s.label === label && !s.owner)
const holdKey = (issue: number, from: string, to: string) => `${issue}|${from}|${to}`

/**
 * The Tester's effects with its move to a person's stage held back while
 * checks are pending (the hold recorded; the rest — report, note, verdict —
 * applies as usual). Anything else passes unchanged.
 */
export function holdForChecks(ctx: EngineContext, task: TaskRow, effects: readonly Effect[]): readonly Effect[] {
  if (baseRole(task.role) !== 'tester') return effects
  const pipeline = ctx.o.pipeline(task.repo_id)
  const move = effects.find((e): e is Extract<Effect, { kind: 'labels' }> => e.kind === 'labels' && e.add.some((l) => personOwns(pipeline, l)) && e.remove.length > 0)
  if (!move) return effects
  const pull = agentPullOf(ctx.db, task.repo_id, task.issue)
  if (!pull) return effects
  const pending = pendingChecks(ctx, task.repo_id, pull.head_sha)
  if (pending.length === 0) return effects
  const to = move.add.find((l) => personOwns(pipeline, l)) as string
  const from = move.remove.find((l) => pipeline.stages.some((s) => s.label === l))
  if (!from) return effects
  if (markSignal(ctx.db, task.repo_id, 'hold', holdKey(task.issue, from, to), task.issue, ctx.now().toISOString())) {
    audit(ctx.db, { kind: 'checks.wait', repoId: task.repo_id, issue: task.issue, taskId: task.id, message: `#${task.issue} waits for checks before ${to}: ${pending.join(', ')}` })
  }
  const rest = { ...move, add: move.add.filter((l) => l !== to), remove: move.remove.filter((l) => l !== from) }
  return effects.flatMap((e) => (e !== move ? [e] : rest.add.length || rest.remove.length ? [rest] : []))
}

/** Held issues of a repository and why (`repoId#n` → "waiting for checks: …"), for the scheduler and the board. */
export function checkHolds(ctx: EngineContext, repoId: number): Map<string, string> {
  const out = new Map<string, string>()
  for (const hold of holds(ctx.db, repoId)) {
    const pull = agentPullOf(ctx.db, repoId, hold.issue)
    const pending = pull ? pendingChecks(ctx, repoId, pull.head_sha) : []
    out.set(issueKey(repoId, hold.issue), `waiting for checks: ${pending.length ? pending.join(', ') : 'being read'}`)
  }
  return out
}

/** After a sync: holds whose checks passed make their move; holds whose issue moved on (a failing check, a person) go. */
export function releaseHolds(ctx: EngineContext, repoId: number): Array<Promise<void>> {
  return holds(ctx.db, repoId).map((hold) =>
    ctx.keyed(issueKey(repoId, hold.issue), 'checks-passed', async () => {
      const { db } = ctx
      const [, from, to] = hold.key.split('|') as [string, string, string]
      const issue = ctx.issue(repoId, hold.issue)
      const pipeline = ctx.o.pipeline(repoId)
      const stage = issue ? (stageOf(pipeline, JSON.parse(issue.labels) as string[])?.label ?? null) : null
      const pull = agentPullOf(db, repoId, hold.issue)
      if (!issue || issue.state !== 'open' || stage !== from || !pull) {
        deleteHold(db, repoId, hold.key)
        return
      }
      const pending = pendingChecks(ctx, repoId, pull.head_sha)
      if (pending.length > 0) return
      if (headChecks(db, repoId, pull.head_sha).some((c) => c.state === 'failure' && c.name !== TESTER_CONTEXT)) return // the check signal sends it back
      const after = await ctx.o.github.setLabels(ctx.repo(repoId), hold.issue, [to], [from])
      setIssueLabels(db, repoId, hold.issue, after)
      db.transaction(() => {
        deleteHold(db, repoId, hold.key)
        audit(db, { kind: 'stage.move', repoId, issue: hold.issue, message: `${from} → ${to} (checks passed)`, data: { from, to } })
      })()
      notifyIfReady({ db, events: ctx.o.events, pipeline }, repoId, hold.issue, to)
      ctx.o.events.changed('issues', 'tasks', 'events')
      void ctx.tick()
    })
  )
}
