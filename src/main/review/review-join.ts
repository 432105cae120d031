// The review join (issue #15): a `route: all` stage owned by the `review`
// capability names `join: review` (or `join: review-request-changes`, which
// sends a consensus critical as REQUEST_CHANGES rather than a COMMENT), and
// its children's answers become one: each reviewer's findings block read
// (findings.ts; a bad one makes that reviewer malformed, not the round),
// merged with consensus tags (consensus.ts), posted as one PR review
// (post-review.ts, once per round), and one answer for the stage — back to
// the Engineer when a critical finding has consensus (the stage's
// `onCritical`, default the Engineer's stage among its moves), else on.
import { stageByLabel, type Pipeline } from '../pipeline/definition'
import type { AgentAnswer } from '../pipeline/effects'
import { registerJoin, type FanoutChild, type JoinFn, type JoinInput } from '../pipeline/fanout'
import type { StageDef } from '../../shared/pipeline'
import { hasConsensusCritical, mergeFindings, type ReviewerReport } from './consensus'
import { parseFindings } from './findings'
import { findingsList, postReview, type ReviewPort } from './post-review'

/** A child's answer as a reviewer's report. */
export function reportOf(child: FanoutChild): ReviewerReport {
  const reviewer = child.agent ?? child.role
  if (child.outcome === 'missing' || !child.answer) return { reviewer, outcome: 'missing', findings: [], problem: child.reason ?? 'no answer' }
  if (child.answer.status !== 'done') return { reviewer, outcome: 'failed', findings: [], problem: `${child.answer.status.toUpperCase()}: ${child.answer.text}` }
  const parsed = parseFindings(child.answer.body)
  if (!parsed.ok) return { reviewer, outcome: 'malformed', findings: [], problem: parsed.problem }
  return { reviewer, outcome: 'answered', findings: parsed.findings }
}

/** Where a consensus critical sends the issue: the stage's `onCritical`, else the first of its moves the Engineer owns, else none. */
export function sendBackStage(pipeline: Pipeline, stage: StageDef): string | null {
  if (stage.onCritical) return stage.onCritical
  return stage.next.find((label) => stageByLabel(pipeline, label)?.owner === 'engineer') ?? null
}

/** The stage's normal next: its first move that is not the way back. */
export function onwardStage(pipeline: Pipeline, stage: StageDef): string | null {
  const back = sendBackStage(pipeline, stage)
  return stage.next.find((label) => label !== back) ?? null
}

function reviewPort(github: JoinInput['github']): ReviewPort {
  const port = github as JoinInput['github'] & Partial<ReviewPort>
  if (typeof port.pullFiles !== 'function' || typeof port.reviewBodies !== 'function') {
    throw new Error("this GitHub port cannot read a pull request's files and reviews (pullFiles, reviewBodies): the review cannot be posted")
  }
  return port as ReviewPort
}

const answer = (a: Omit<AgentAnswer, 'branch' | 'handoffs' | 'labels'>): AgentAnswer => ({ branch: null, handoffs: [], labels: [], ...a })

export function reviewJoin(o: { requestChanges: boolean }): JoinFn {
  return async (input) => {
    const { stage, pipeline } = input
    const reports = input.children.map(reportOf)
    const named = (r: ReviewerReport) => `${r.reviewer} ${r.outcome}${r.problem ? ` (${r.problem})` : ''}`
    if (!reports.some((r) => r.outcome === 'answered')) {
      // Nobody said anything either way: no review to post, and the stage tries again (its failure budget).
      return answer({ status: 'error', text: `none of the ${reports.length} reviewers answered with findings: ${reports.map(named).join('; ')}`.slice(0, 1000), move: null, body: '' })
    }
    if (!input.pull) return answer({ status: 'error', text: `#${input.issue.number} has no pull request to review`, move: null, body: '' })
    const consensus = mergeFindings(reports)
    const critical = hasConsensusCritical(consensus)
    const back = sendBackStage(pipeline, stage)
    const onward = onwardStage(pipeline, stage)
    const to = critical && back ? back : onward
    const posted = await postReview(reviewPort(input.github), {
      repo: input.repo,
      pr: input.pull.number,
      round: { task: input.parent.task, round: input.parent.round },
      reports,
      consensus,
      event: critical && o.requestChanges ? 'REQUEST_CHANGES' : 'COMMENT'
    })
    const criticals = consensus.findings.filter((f) => f.severity === 'critical' && f.consensus).length
    const found = `${criticals} critical ${criticals === 1 ? 'finding' : 'findings'} with consensus`
    const verdict = critical
      ? back
        ? `${found}: back to ${back}.`
        : `${found}, and no stage of the Engineer's among this stage's moves to send it back to${to ? `: on to ${to}` : ''}.`
      : `No critical finding with consensus${to ? `: on to ${to}` : ''}.`
    return answer({
      status: 'done',
      text: `Review of PR #${input.pull.number}: ${consensus.findings.length} findings from ${consensus.answered} of ${reports.length} reviewers (${consensus.findings.filter((f) => f.consensus).length} with consensus). ${verdict}`,
      move: to ? { from: stage.label, to } : null,
      body: [
        posted.summary.replace(/\n### Outside the diff[\s\S]*$/, ''),
        `${verdict} On PR #${input.pull.number}'s review: ${posted.inline} line comments, ${posted.outside} findings in its summary.`,
        ...(consensus.findings.length ? ['### Findings', findingsList(consensus.findings, 50_000)] : [])
      ].join('\n\n')
    })
  }
}

registerJoin('review', reviewJoin({ requestChanges: false }))
registerJoin('review-request-changes', reviewJoin({ requestChanges: true }))
