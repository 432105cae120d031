// "A PR is ready for your review": said once when an issue moves into a stage
// no agent owns short of the end (`needs-review` by default; a repository's own
// pipeline may name another), from the two places such a move is made — an
// agent's answer (pipeline/apply-effect.ts) and a move held for checks that
// then passed (pipeline/check-wait.ts).
import type { Pipeline } from '../pipeline/definition'
import type { EventHub } from '../events'
import { agentPullOf } from '../store/github-signals'
import type { Db } from '../store/open'

export function notifyIfReady(o: { db: Db; events: EventHub; pipeline: Pipeline }, repoId: number, issue: number, to: string): void {
  const stage = o.pipeline.stages.find((s) => s.label === to)
  if (!stage || stage.owner || to === o.pipeline.done) return
  const pr = agentPullOf(o.db, repoId, issue)?.number
  const title = (o.db.prepare('SELECT title FROM pulls WHERE repo_id = ? AND number = ?').get(repoId, pr ?? -1) as { title: string } | undefined)?.title
  o.events.emit({
    type: 'notify',
    kind: 'review',
    title: pr ? `PR #${pr} for #${issue} is ready for your review` : `#${issue} is ready for your review`,
    body: title ?? `#${issue} reached ${stage.title || to}.`,
    repoId,
    issue,
    ...(pr ? { pr } : {})
  })
}
