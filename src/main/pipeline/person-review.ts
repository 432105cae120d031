// A person requests changes on an agent's PR: the review on GitHub, kept as a
// note the Engineer's next trigger reads, and the issue sent back to the
// Engineer's stage (a loop).
import { audit } from '../store/audit'
import { addNote } from '../store/notes'
import { pullIssue, setIssueLabels } from '../store/pipeline-issues'
import { stageOf } from './definition'
import type { EngineContext } from './engine-context'
import { pullKey } from './person-merge'

export function requestChanges(ctx: EngineContext, repoId: number, pr: number, body: string, comments: Array<{ path: string; line: number; body: string }>): Promise<void> {
  return ctx.keyed(pullKey(ctx, repoId, pr), 'request-changes', async () => {
    const { db } = ctx
    const repo = ctx.repo(repoId)
    await ctx.o.github.review(repo, pr, 'REQUEST_CHANGES', body, comments)
    const issue = pullIssue(db, repoId, pr)
    if (issue) {
      const pipeline = ctx.o.pipeline(repoId)
      const back = pipeline.stages.find((s) => s.owner === 'engineer')?.label
      const current = ctx.issue(repoId, issue)
      const stage = current ? stageOf(pipeline, JSON.parse(current.labels) as string[])?.label : null
      const review = [body, ...comments.map((c) => `- \`${c.path}:${c.line}\` ${c.body}`)].join('\n')
      addNote(db, { repoId, issue, role: 'person', kind: 'review', body: review, at: ctx.now().toISOString() })
      if (back && stage !== back) {
        const after = await ctx.o.github.setLabels(repo, issue, [back], stage ? [stage] : [])
        setIssueLabels(db, repoId, issue, after)
        audit(db, { kind: 'stage.move', repoId, issue, message: `${stage ?? '—'} → ${back} (changes requested)` })
        audit(db, { kind: 'stage.loop', repoId, issue, message: `#${issue} back to the Engineer (review)` })
      }
    }
    ctx.o.events.changed('issues', 'tasks', 'events')
    void ctx.tick()
  })
}
