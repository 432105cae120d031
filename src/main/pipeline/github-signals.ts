// What people do on GitHub drives the pipeline too (DESIGN.md §4), read from
// the mirror after each sync:
// - a trusted person's comment on an issue that waits for a person (a REQUEST
//   or a failure in the inbox) answers it as the inbox does: the item closes
//   with a link to the comment, the task resumes (same session);
// - a review with changes requested on an agent PR (its body and every line
//   comment), or a lone review comment, sends the issue back to the Engineer
//   with all of it in a note the next trigger carries;
// - a failing check on an agent PR's head (a status or a check run other than
//   Baton's own `baton/tester`) does too, naming the check, its summary and link.
// Never an outsider's (Settings → Trust), never Baton's own words (a Baton
// marker written by Baton's login). Each review and check result acts once
// (`signals`), decided again under the issue's lock.
import { audit } from '../store/audit'
import { resetBudget } from '../store/budgets'
import {
  answerRequestFromGitHub,
  commentsSince,
  headChecks,
  markSignal,
  openAgentPulls,
  openIssueRequests,
  pullReviews,
  reviewComments,
  signalHandled,
  type CheckRow,
  type IssueCommentRow,
  type ReviewCommentRow,
  type ReviewRow
} from '../store/github-signals'
import { getRequest, openRequest } from '../store/inbox'
import { addNote } from '../store/notes'
import { countIssueEvents, repoIds, setIssueLabels } from '../store/pipeline-issues'
import { getTask, requeueAnswered, tasksForIssue } from '../store/tasks'
import { releaseHolds, TESTER_CONTEXT } from './check-wait'
import { stageOf, type Pipeline } from './definition'
import { issueKey, type EngineContext } from './engine-context'

const MARKER = '<!-- baton:'

/** Whether Baton wrote this itself: its marker, under its own login. */
function batonsOwn(ctx: EngineContext, author: string, body: string): boolean {
  const login = ctx.o.github.login()
  return body.includes(MARKER) && (login === null || author.toLowerCase() === login.toLowerCase())
}

function trusted(ctx: EngineContext, association: string): boolean {
  return (ctx.o.settings().trust.associations as readonly string[]).includes(association)
}

/** GitHub's timestamps have a second's grain: an inbox item opened at 12:00:01.4 is answered by a comment made at 12:00:01. */
const toSecond = (iso: string) => iso.replace(/\.\d+Z$/, 'Z')

/** Acts on every repository's new GitHub signals; each action under its issue's lock. */
export function fromGitHub(ctx: EngineContext): Promise<void> {
  const work: Array<Promise<unknown>> = []
  for (const repoId of repoIds(ctx.db)) {
    work.push(...answersOnGitHub(ctx, repoId), ...reviewsOnGitHub(ctx, repoId), ...checksOnGitHub(ctx, repoId), ...releaseHolds(ctx, repoId))
  }
  return ctx.track('github-signals', Promise.all(work).then(() => undefined))
}

// ── answers ───────────────────────────────────────────────────────────────

function answeringComment(ctx: EngineContext, repoId: number, issue: number, since: string): IssueCommentRow | undefined {
  // A comment answers one item: within GitHub's second an earlier answer would otherwise also answer the next REQUEST.
  return commentsSince(ctx.db, repoId, issue, toSecond(since)).find(
    (c) => trusted(ctx, c.author_association) && !batonsOwn(ctx, c.author, c.body) && !signalHandled(ctx.db, repoId, 'answer', String(c.id))
  )
}

function answersOnGitHub(ctx: EngineContext, repoId: number): Array<Promise<void>> {
  return openIssueRequests(ctx.db, repoId)
    .filter((r) => answeringComment(ctx, repoId, r.issue, r.created_at))
    .map((r) =>
      ctx.keyed(issueKey(repoId, r.issue), 'answer-on-github', async () => {
        const { db } = ctx
        const request = getRequest(db, r.id)
        if (!request || request.answered_at || !request.issue) return
        const comment = answeringComment(ctx, repoId, request.issue, request.created_at)
        if (!comment) return
        const at = ctx.now().toISOString()
        const answered = db.transaction(() => {
          if (!answerRequestFromGitHub(db, request.id, comment.body, comment.html_url, at)) return false
          markSignal(db, repoId, 'answer', String(comment.id), request.issue, at)
          const task = request.task_id ? getTask(db, request.task_id) : undefined
          // The same task resumes (and the same provider session where there is one), as an inbox answer does;
          // an answer to a failure is a fresh start, with a whole budget for the stage (person-answer.ts).
          if (task && (task.state === 'waiting' || task.state === 'failed')) {
            if (task.state === 'failed') resetBudget(db, task.repo_id, task.issue, task.stage)
            requeueAnswered(db, task.id, at)
          }
          return true
        })()
        if (!answered) return
        audit(db, {
          kind: 'inbox.answer',
          repoId,
          issue: request.issue,
          taskId: request.task_id,
          subject: comment.author,
          message: `@${comment.author} answered on GitHub${comment.html_url ? `: ${comment.html_url}` : ''}`,
          data: { url: comment.html_url, comment: comment.id }
        })
        ctx.o.events.changed('inbox', 'tasks', 'issues')
        void ctx.tick()
      })
    )
}

// ── sending an issue back to the Engineer ────────────────────────────────

/** The Engineer's first stage (where Request changes sends an issue), and whether `stage` lies past the Engineer's stages. */
function engineerBack(pipeline: Pipeline, stage: string | null): { back: string | undefined; past: boolean } {
  const back = pipeline.stages.find((s) => s.owner === 'engineer')?.label
  const lastEngineer = pipeline.stages.reduce((last, s, i) => (s.owner === 'engineer' ? i : last), -1)
  const at = stage ? pipeline.stages.findIndex((s) => s.label === stage) : -1
  return { back, past: at > lastEngineer && lastEngineer >= 0 && stage !== pipeline.done }
}

/**
 * Under the issue's lock: the note for the Engineer, and the move back when
 * the issue is past the Engineer's stages (at the Engineer's own stage the
 * next trigger reads the note anyway). Returns whether it acted.
 */
async function sendBack(
  ctx: EngineContext,
  repoId: number,
  issue: number,
  why: { kind: 'review' | 'check'; keys: string[]; note: string; reason: string; checkLoops: boolean }
): Promise<boolean> {
  const { db } = ctx
  if (why.keys.every((k) => signalHandled(db, repoId, why.kind, k))) return false
  const current = ctx.issue(repoId, issue)
  if (!current || current.state !== 'open') return false
  const pipeline = ctx.o.pipeline(repoId)
  const stage = stageOf(pipeline, JSON.parse(current.labels) as string[])?.label ?? null
  const { back, past } = engineerBack(pipeline, stage)
  // A failing check means nothing while the Engineer still works on the branch: the next push is a new head.
  if (why.kind === 'check' && !past) return false
  const loops = countIssueEvents(db, repoId, issue, 'stage.loop')
  const capped = why.checkLoops && loops >= ctx.o.settings().loopCap
  if (back && past && !capped) {
    const after = await ctx.o.github.setLabels(ctx.repo(repoId), issue, [back], stage ? [stage] : [])
    setIssueLabels(db, repoId, issue, after)
  }
  const at = ctx.now().toISOString()
  db.transaction(() => {
    for (const key of why.keys) markSignal(db, repoId, why.kind, key, issue, at)
    addNote(db, { repoId, issue, role: 'person', kind: why.kind, body: why.note, at })
    if (back && past && !capped) {
      audit(db, { kind: 'stage.move', repoId, issue, message: `${stage ?? '—'} → ${back} (${why.reason})` })
      audit(db, { kind: 'stage.loop', repoId, issue, message: `#${issue} back to the Engineer (${why.reason})` })
    } else if (capped) {
      // Past the loop cap a person decides: an agent is never sent round a loop without end.
      const task = tasksForIssue(db, repoId, issue).at(-1)
      if (task) openRequest(db, { kind: 'failure', repoId, issue, taskId: task.id, agent: task.agent, question: `#${issue} went back to the Engineer ${loops} times; now ${why.reason}. Decide what happens next.`, at })
      audit(db, { kind: 'signal.capped', repoId, issue, message: `${why.reason}: past the loop cap (${loops}), a person decides` })
    } else {
      audit(db, { kind: 'signal.note', repoId, issue, message: `${why.reason}: a note for the Engineer` })
    }
  })()
  ctx.o.events.changed('issues', 'tasks', 'events', 'inbox')
  void ctx.tick()
  return true
}

// ── reviews ───────────────────────────────────────────────────────────────

function reviewNote(review: ReviewRow, comments: ReviewCommentRow[]): string {
  const head =
    review.state === 'CHANGES_REQUESTED'
      ? `Changes requested on GitHub by @${review.author}${review.html_url ? ` (${review.html_url})` : ''}:`
      : `Review comment${comments.length === 1 ? '' : 's'} on GitHub by @${review.author}:`
  const lines = comments.map((c) => `- \`${c.path}${c.line === null ? '' : `:${c.line}`}\` ${c.body}${c.html_url ? ` (${c.html_url})` : ''}`)
  return [head, ...(review.body.trim() ? [review.body.trim()] : []), ...lines].join('\n')
}

function reviewsOnGitHub(ctx: EngineContext, repoId: number): Array<Promise<boolean>> {
  const { db } = ctx
  const work: Array<Promise<boolean>> = []
  for (const pull of openAgentPulls(db, repoId)) {
    for (const review of pullReviews(db, repoId, pull.number)) {
      const key = String(review.id)
      if (signalHandled(db, repoId, 'review', key) || !trusted(ctx, review.author_association) || batonsOwn(ctx, review.author, review.body)) continue
      if (review.state === 'APPROVED') {
        // Nothing for an agent to do: the approval shows on the issue's activity (and in the PR review screen).
        if (markSignal(db, repoId, 'review', key, pull.issue, ctx.now().toISOString())) {
          audit(db, { kind: 'pr.approved', repoId, issue: pull.issue, subject: review.author, message: `PR #${pull.number} approved by @${review.author} on GitHub${review.html_url ? `: ${review.html_url}` : ''}`, data: { url: review.html_url } })
          ctx.o.events.changed('issues', 'events')
        }
        continue
      }
      const comments = reviewComments(db, repoId, review.id).filter((c) => trusted(ctx, c.author_association))
      // A lone review comment comes as a COMMENTED review of its own; one with no line comment is talk, not a change asked for.
      if (review.state !== 'CHANGES_REQUESTED' && !(review.state === 'COMMENTED' && comments.length > 0)) continue
      work.push(
        ctx.keyed(issueKey(repoId, pull.issue), 'review-on-github', () =>
          sendBack(ctx, repoId, pull.issue, {
            kind: 'review',
            keys: [key],
            note: reviewNote(review, comments),
            reason: review.state === 'CHANGES_REQUESTED' ? `changes requested by @${review.author} on GitHub` : `review comment by @${review.author} on GitHub`,
            checkLoops: false
          })
        )
      )
    }
  }
  return work
}

// ── checks ────────────────────────────────────────────────────────────────

const checkKey = (sha: string, c: CheckRow) => `${sha}:${c.kind}:${c.name}`

function checksOnGitHub(ctx: EngineContext, repoId: number): Array<Promise<boolean>> {
  const { db } = ctx
  const work: Array<Promise<boolean>> = []
  for (const pull of openAgentPulls(db, repoId)) {
    const failing = headChecks(db, repoId, pull.head_sha).filter((c) => c.state === 'failure' && c.name !== TESTER_CONTEXT && !signalHandled(db, repoId, 'check', checkKey(pull.head_sha, c)))
    if (failing.length === 0) continue
    const note = [
      `Checks failed on GitHub for ${pull.head_sha.slice(0, 7)} (PR #${pull.number}):`,
      ...failing.map((c) => `- \`${c.name}\` (${c.kind === 'status' ? 'commit status' : 'check run'}): ${c.description ?? 'failed'}${c.url ? ` — ${c.url}` : ''}`)
    ].join('\n')
    work.push(
      ctx.keyed(issueKey(repoId, pull.issue), 'check-on-github', () =>
        sendBack(ctx, repoId, pull.issue, {
          kind: 'check',
          keys: failing.map((c) => checkKey(pull.head_sha, c)),
          note,
          reason: `${failing.map((c) => c.name).join(', ')} failed`,
          checkLoops: true
        })
      )
    )
  }
  return work
}
