// A maintainer approves an outsider's issue (the card's Approve, `issues.approve`,
// `baton issue approve owner/repo#n`): the approval label of Settings → Trust
// is added through the same idempotent label write the pipeline uses (computed
// against the labels the issue has, one request, mirrored at once), so agents
// with tools may see the issue from the next pass (DESIGN.md §9). Approving an
// issue that has the label already is no write and no error.
import { AppError } from '../../shared/errors'
import { audit } from '../store/audit'
import { setIssueLabels } from '../store/pipeline-issues'
import { issueKey, type EngineContext } from './engine-context'

export interface ApproveOutcome {
  label: string
  /** False when the issue had the label already. */
  added: boolean
}

export function approveIssue(ctx: EngineContext, repoId: number, number: number, who: string | null): Promise<ApproveOutcome> {
  return ctx.keyed(issueKey(repoId, number), 'approve', async () => {
    const issue = ctx.issue(repoId, number)
    if (!issue) throw new AppError('not_found', `Issue #${number} is not known to Baton (not synced yet, or in another repository).`)
    if (issue.state !== 'open') throw new AppError('conflict', `#${number} is closed: there is nothing to approve.`)
    const label = ctx.o.settings().trust.approvalLabel
    if ((JSON.parse(issue.labels) as string[]).includes(label)) return { label, added: false }
    const after = await ctx.o.github.setLabels(ctx.repo(repoId), number, [label], [])
    setIssueLabels(ctx.db, repoId, number, after)
    who ??= ctx.o.github.login()
    audit(ctx.db, { kind: 'issue.approve', repoId, issue: number, subject: who, message: `${who ?? 'A person'} approved #${number} (label "${label}"): agents may take it` })
    ctx.o.events.changed('issues', 'events')
    void ctx.tick()
    return { label, added: true }
  })
}
