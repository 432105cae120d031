// An agent PR that no longer merges because the default branch moved under it
// (GitHub: `mergeable: false`, `mergeable_state: "dirty"`; or `"behind"`, when
// branch protection requires up-to-date branches; read by the sync,
// github/mergeability.ts) goes back to the Engineer to bring its branch up to
// date: the issue moves from its stage (testing, review) back to the
// Engineer's working stage (`in-progress`), visibly on GitHub — the label move
// and a comment saying why — with a `conflict` note that the next trigger
// carries ("update branch", branch-update.ts). Then the normal path follows:
// the Engineer's push, the Tester again.
//
// Once per (PR, head, base): an update that changed nothing, or GitHub still
// computing, never sends it back in a loop. Decided again under the issue's
// lock; every write is safe to repeat (the comment by its marker, the note by
// its body, the labels against those the issue has), the signal marked last.
import { audit } from '../store/audit'
import { addNoteOnce } from '../store/notes'
import { repoIds, setIssueLabels } from '../store/pipeline-issues'
import { conflictedPulls, conflictHandled, conflictKey, markConflictHandled, type ConflictedPull } from '../store/pull-conflicts'
import { conflictNote, CONFLICT_NOTE } from './branch-update'
import { stageOf, type Pipeline } from './definition'
import { issueKey, type EngineContext } from './engine-context'
import { reconcile } from './reconcile'

/** The Engineer's stage to go back to, when the issue sits past it (testing, review) and before done; else null. */
export function updateStage(pipeline: Pipeline, labels: readonly string[]): { from: string; to: string } | null {
  const current = stageOf(pipeline, labels)
  if (!current || current.label === pipeline.done || current.owner === 'engineer') return null
  const at = pipeline.stages.findIndex((s) => s.label === current.label)
  const back = pipeline.stages
    .slice(0, at)
    .reverse()
    .find((s) => s.owner === 'engineer')
  return back ? { from: current.label, to: back.label } : null
}

/** After a sync: every conflicted agent PR not yet sent back for this (head, base), each under its issue's lock. */
export function conflictsOnGitHub(ctx: EngineContext): Promise<void> {
  const work: Array<Promise<void>> = []
  for (const repoId of repoIds(ctx.db)) {
    const pipeline = ctx.o.pipeline(repoId)
    for (const pull of conflictedPulls(ctx.db, repoId)) {
      if (conflictHandled(ctx.db, repoId, conflictKey(pull))) continue
      const issue = ctx.issue(repoId, pull.issue)
      if (issue?.state === 'open' && !updateStage(pipeline, JSON.parse(issue.labels) as string[])) continue
      work.push(ctx.keyed(issueKey(repoId, pull.issue), 'update-branch', () => sendBack(ctx, repoId, pull.number)))
    }
  }
  return ctx.track('github-conflicts', Promise.all(work).then(() => undefined))
}

async function sendBack(ctx: EngineContext, repoId: number, pr: number): Promise<void> {
  const { db } = ctx
  const pull = conflictedPulls(db, repoId).find((p) => p.number === pr)
  if (!pull) return
  const key = conflictKey(pull)
  if (conflictHandled(db, repoId, key)) return
  const issue = ctx.issue(repoId, pull.issue)
  const at = ctx.now().toISOString()
  if (!issue || issue.state !== 'open') return markConflictHandled(db, repoId, key, pull.issue, at)
  const pipeline = ctx.o.pipeline(repoId)
  const labels = JSON.parse(issue.labels) as string[]
  const move = updateStage(pipeline, labels)
  // With the Engineer already (or at no stage): left for now, and asked again once the
  // issue moves on with the same head and base (a push in between makes a new pair).
  if (!move) return
  const repo = ctx.repo(repoId)
  await ctx.o.github.comment(repo, pull.issue, comment(pull, repo.defaultBranch, move), marker(pull))
  addNoteOnce(db, {
    repoId,
    issue: pull.issue,
    role: 'baton',
    kind: CONFLICT_NOTE,
    body: conflictNote({ pr, defaultBranch: repo.defaultBranch, branch: pull.head, head: pull.headSha, base: pull.baseSha, behind: pull.state === 'behind' }),
    at
  })
  const after = await ctx.o.github.setLabels(repo, pull.issue, [move.to], labels.includes(move.from) ? [move.from] : [])
  setIssueLabels(db, repoId, pull.issue, after)
  const behind = pull.state === 'behind'
  audit(db, { kind: 'stage.move', repoId, issue: pull.issue, message: `${move.from} → ${move.to} (PR #${pr} ${behind ? 'is behind' : 'no longer merges'})`, data: { from: move.from, to: move.to } })
  audit(db, { kind: 'pr.conflict', repoId, issue: pull.issue, message: `PR #${pr} ${whyUpdate(pull, repo.defaultBranch).replace(/`/g, '')}: back to the Engineer to update ${pull.head}` })
  markConflictHandled(db, repoId, key, pull.issue, at)
  ctx.o.events.changed('issues', 'tasks', 'events')
  // The task at the stage it left (a Tester testing the old branch) is stale now: cancelled once this lock is free.
  void reconcile(ctx).catch(() => undefined)
}

/** Baton's marker (shared/marker.ts), naming this send-back: one comment per (PR, head, base). */
const marker = (pull: ConflictedPull) =>
  `<!-- baton:task=update-${pull.number}-${pull.headSha.slice(0, 12)}-${pull.baseSha.slice(0, 12)} baton:role=baton -->`

/** Why the PR needs its branch updated, in a sentence (after "PR #n "). */
export function whyUpdate(pull: Pick<ConflictedPull, 'state' | 'baseSha' | 'head'>, defaultBranch: string): string {
  return pull.state === 'behind'
    ? `is behind \`${defaultBranch}\` (now \`${pull.baseSha.slice(0, 7)}\`), and branch protection requires branches to be up to date before merging`
    : `no longer merges cleanly: \`${defaultBranch}\` moved (now \`${pull.baseSha.slice(0, 7)}\`) and conflicts with \`${pull.head}\``
}

function comment(pull: ConflictedPull, defaultBranch: string, move: { from: string; to: string }): string {
  return [
    `**Baton** · PR #${pull.number} ${whyUpdate(pull, defaultBranch)}.`,
    '',
    `Back from \`${move.from}\` to \`${move.to}\`: the Engineer brings the branch up to date (update branch), then the Tester checks it again. A conflict that needs a decision comes back here as a question naming the files.`,
    '',
    marker(pull)
  ].join('\n')
}
