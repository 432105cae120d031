// The trigger an agent is handed for one attempt (DESIGN.md §5): the issue,
// its comments (each marked with its author's association and trust), the
// notes and hand-offs earlier stages left, a person's answer, the deadline.
import type { Trigger } from '../../shared/protocol/trigger'
import { lastAnswer } from '../store/inbox'
import { handoffNotes, issueNotes } from '../store/notes'
import { issueComments } from '../store/pipeline-issues'
import { pullForIssue } from '../store/issue-pull'
import type { TaskRow } from '../store/tasks'
import { branchUpdateAsked } from './branch-update'
import { baseRole, type EngineContext, type IssueRow } from './engine-context'
import { instructionsFor, reviewInstructions } from './instructions'
import { stageByLabel, type Pipeline } from './definition'
import { withAttempt } from './attempts'
import { handoffOutcomes } from './handoff'
import type { RepoRef } from './ports'

export function buildTrigger(ctx: EngineContext, task: TaskRow, repo: RepoRef, issue: IssueRow, branch: string, workspace: string | null): Trigger {
  const { db } = ctx
  // Every comment says who wrote it and whether the trust policy trusts them:
  // an outsider's words on a trusted issue are data, never a patch or an order.
  const trustedAssociations = new Set<string>(ctx.o.settings().trust.associations)
  const comments = issueComments(db, task.repo_id, task.issue).map((c) => ({
    author: c.author,
    body: c.body,
    association: c.author_association,
    trusted: trustedAssociations.has(c.author_association)
  }))
  const notes = issueNotes(db, task.repo_id, task.issue)
  const handoffs = handoffNotes(db, task.repo_id, task.issue)
  const answer = lastAnswer(db, task.id)
  const handoff = task.stage === 'handoff' ? handoffs.filter((h) => h.to === baseRole(task.role)).at(-1)?.text : undefined
  const limit = ctx.o.timeLimitSec?.(baseRole(task.role)) ?? 900
  // Marketing writes its note from the issue and its pull request, not from comment bodies.
  const pull = baseRole(task.role) === 'marketing' ? pullForIssue(db, task.repo_id, task.issue) : null
  const moves = baseRole(task.role) === 'tester' ? testerMoves(ctx.o.pipeline(task.repo_id), task.stage) : null
  // A child of a review round (join: review…) answers findings, not a move (review/review-join.ts).
  const reviewing = Boolean(task.parent_task && stageByLabel(ctx.o.pipeline(task.repo_id), task.stage)?.join?.startsWith('review'))
  // One of several attempts at once (attempts.ts): which one, and for its Tester what the verdict is about.
  return withAttempt(ctx, task, {
    v: 1,
    task: task.id,
    attempt: task.attempt,
    agent: task.agent as string,
    role: baseRole(task.role),
    stage: task.stage,
    repo: { owner: repo.owner, name: repo.name, defaultBranch: repo.defaultBranch },
    issue: {
      number: issue.number,
      title: issue.title,
      body: issue.body,
      labels: JSON.parse(issue.labels) as string[],
      author: issue.author,
      comments
    },
    workspace,
    branch,
    instructions: reviewing
      ? reviewInstructions(branch, repo.defaultBranch)
      : fanoutInstructions(task, instructionsFor(task.role, task.stage, { branch, answer, handoff, update: branchUpdateAsked(notes) ?? undefined, ...(moves ? { moves } : {}) })),
    // A role's hand-offs on this issue, then what its hand-offs to other projects came to (handoff.ts).
    handoffs: [...handoffs, ...handoffOutcomes(db, task.repo_id, task.issue)],
    notes,
    ...(answer ? { answer } : {}),
    ...(task.session_id ? { resumeSession: task.session_id } : {}),
    ...(pull || moves ? { data: { ...(pull ? { pull } : {}), ...(moves ? { moves } : {}) } } : {}),
    deadline: new Date(ctx.now().getTime() + limit * 1000).toISOString(),
    // A fan-out's child (fanout.ts): its place in the round and the parent it answers for.
    ...(task.parent_task ? { fanout: { parent: task.parent_task, index: task.fanout_index ?? 1, of: task.fanout_of ?? 1 } } : {})
  })
}

/**
 * The Tester's two moves out of its stage in this pipeline: back is the first
 * next stage the Engineer owns, on the first other one (the person's review by
 * default, a fan-out review stage where the repository put one after testing).
 */
export function testerMoves(pipeline: Pipeline, stage: string): { pass: string; fail: string } | null {
  const next = stageByLabel(pipeline, stage)?.next ?? []
  const fail = next.find((label) => stageByLabel(pipeline, label)?.owner === 'engineer')
  const pass = next.find((label) => label !== fail)
  return pass && fail ? { pass, fail } : null
}

/** A fan-out's child is told it is one of several, and that its answer is joined with theirs before anything applies. */
function fanoutInstructions(task: TaskRow, text: string): string {
  if (!task.parent_task) return text
  return `${text}\n\nYou are ${task.fanout_index ?? 1} of ${task.fanout_of ?? 1} agents answering for this stage at once, each on its own (fan-out). Baton joins the answers into one before anything is posted or moved, so answer with your own findings; a LABEL-UPDATED you ask for counts only if the others agree.`
}
