// A person merges an agent's PR: the merge on GitHub, the issue moved to the
// final stage, its worktrees released, the mirror synced.
import { audit } from '../store/audit'
import { pullIssue, setIssueLabels } from '../store/pipeline-issues'
import { stageOf } from './definition'
import { issueKey, type EngineContext } from './engine-context'

/** The lock of the issue a PR closes (its own when it closes none). */
export function pullKey(ctx: EngineContext, repoId: number, pr: number): string {
  const issue = pullIssue(ctx.db, repoId, pr)
  return issue ? issueKey(repoId, issue) : `pr:${repoId}#${pr}`
}

export function merge(ctx: EngineContext, repoId: number, pr: number, method: 'merge' | 'squash' | 'rebase'): Promise<{ sha: string }> {
  return ctx.keyed(pullKey(ctx, repoId, pr), 'merge', async () => {
    const { db } = ctx
    const repo = ctx.repo(repoId)
    const issue = pullIssue(db, repoId, pr)
    const result = await ctx.o.github.merge(repo, pr, method)
    if (issue) {
      const pipeline = ctx.o.pipeline(repoId)
      const current = ctx.issue(repoId, issue)
      const stage = current ? stageOf(pipeline, JSON.parse(current.labels) as string[])?.label : null
      const after = await ctx.o.github.setLabels(repo, issue, [pipeline.done], stage && stage !== pipeline.done ? [stage] : [])
      setIssueLabels(db, repoId, issue, after)
      audit(db, { kind: 'stage.move', repoId, issue, message: `${stage ?? '—'} → ${pipeline.done} (merged by a person)` })
      await ctx.o.workspace.removeIssue(repo, issue).catch(() => undefined)
    }
    audit(db, { kind: 'pr.merge', repoId, issue: issue ?? null, message: `PR #${pr} merged (${method})` })
    await ctx.o.github.syncNow(repo)
    ctx.o.events.changed('issues', 'tasks', 'events')
    void ctx.tick()
    return result
  })
}
