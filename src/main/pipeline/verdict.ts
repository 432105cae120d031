// The Tester's verdict on the PR's head commit (DESIGN.md §4): its report is
// posted on the PR as well as the issue, and a commit status `baton/tester`
// (success when the Tester moved the issue on, failure when it sent it back;
// a one-line description; target_url the report comment) lands on the head
// commit — so branch protection that requires `baton/tester` holds the merge
// until the tests pass. Safe to repeat: the PR comment is found by its marker,
// and the status is posted only when the latest `baton/tester` differs.
import { stripAnsi } from '../../shared/ansi'
import { AppError } from '../../shared/errors'
import { audit } from '../store/audit'
import { agentPullOf } from '../store/github-signals'
import type { TaskRow } from '../store/tasks'
import type { Pipeline } from './definition'
import type { Effect } from './effects'
import { baseRole, type EngineContext } from './engine-context'
import { TESTER_CONTEXT } from './check-wait'
import type { AgentResult, RepoRef } from './ports'

/** GitHub's limit for a status description. */
const DESCRIPTION_MAX = 140

/** The verdict a Tester's answer gives: its move forward (success) or back (failure); null when it moved nothing. */
export function verdictOf(pipeline: Pipeline, effects: readonly Effect[]): 'success' | 'failure' | null {
  for (const effect of effects) {
    if (effect.kind !== 'labels') continue
    const index = (l: string) => pipeline.stages.findIndex((s) => s.label === l)
    const to = effect.add.map(index).find((i) => i >= 0)
    const from = effect.remove.map(index).find((i) => i >= 0)
    if (to === undefined || from === undefined) continue
    return to > from ? 'success' : 'failure'
  }
  return null
}

/** One line of at most 140 characters. */
export function statusDescription(text: string): string {
  const line = stripAnsi(text).replace(/\s+/g, ' ').trim()
  return line.length <= DESCRIPTION_MAX ? line : `${line.slice(0, DESCRIPTION_MAX - 1)}…`
}

/**
 * The PR copy's marker: the issue comment's with a field of its own in front
 * (`<!-- baton:copy=pr baton:task=… -->`), so each is found apart, it still
 * parses as Baton's, and nothing counting an answer's issue comments by their
 * leading `baton:task=` takes the copy for a second post.
 */
export const prCopyMarker = (marker: string): string => marker.replace(/^<!--\s*/, '<!-- baton:copy=pr ')

export async function publishVerdict(ctx: EngineContext, task: TaskRow, repo: RepoRef, effects: readonly Effect[], result: AgentResult): Promise<void> {
  if (baseRole(task.role) !== 'tester' || result.answer.status !== 'done' || !ctx.o.github.setStatus) return
  const state = verdictOf(ctx.o.pipeline(repo.id), effects)
  if (!state) return
  const pull = agentPullOf(ctx.db, repo.id, task.issue)
  if (!pull) return
  const report = effects.find((e): e is Extract<Effect, { kind: 'comment' }> => e.kind === 'comment')
  let url: string | null = null
  if (report) {
    const marker = prCopyMarker(report.marker)
    const body = report.body.endsWith(report.marker) ? `${report.body.slice(0, -report.marker.length)}${marker}` : `${report.body}\n\n${marker}`
    url = (await ctx.effect(task.id, 'github', () => ctx.o.github.comment(repo, pull.number, body, marker))) ?? null
  }
  const description = statusDescription(result.answer.text || (state === 'success' ? 'The tests passed' : 'The tests failed'))
  try {
    await ctx.effect(task.id, 'github', () => ctx.o.github.setStatus!(repo, pull.head_sha, { context: TESTER_CONTEXT, state, description, targetUrl: url }))
  } catch (error) {
    // A token that may not write statuses (a fine-grained one without "Commit statuses") must not hold the
    // Tester's answer for ever: said once, and the answer applies. Anything else (offline, 5xx) is retried.
    if (!(error instanceof AppError) || (error.code !== 'forbidden' && error.code !== 'not_found')) throw error
    audit(ctx.db, { kind: 'verdict.refused', repoId: repo.id, issue: task.issue, taskId: task.id, message: `${TESTER_CONTEXT} not published on ${pull.head_sha.slice(0, 7)}: ${error.message}` })
  }
}
