// From an agent's answer to the effects main will apply on GitHub and in
// SQLite. Pure: every requested move is checked against the pipeline's rules
// here (DESIGN.md §3: agents ask, main decides), so the executor only applies.
import type { Pipeline } from './definition'
import { stageByLabel } from './definition'
import { checkMove } from './rules'
import { stripAnsi } from '../../shared/ansi'

/** What an agent answered, as the pipeline needs it (from the protocol parser). */
export interface AgentAnswer {
  status: 'done' | 'request' | 'error'
  /** The status line's text: the summary, the question, or the error. */
  text: string
  move: { from: string; to: string } | null
  branch: string | null
  handoffs: Array<{ role: string; text: string }>
  /** Non-stage labels the agent asks to add (PM triage: type, priority). */
  labels: string[]
  /** The comment body (Markdown) to post on the issue. */
  body: string
}

export interface EffectContext {
  pipeline: Pipeline
  taskId: string
  role: string
  /** The stage the task was created for. */
  taskStage: string
  /** The issue's stage now, as GitHub says. */
  currentStage: string | null
  issue: { number: number; title: string; labels: readonly string[] }
  /** Hand-offs already made on this issue, and the cap. */
  handoffsSoFar: number
  handoffCap: number
  /** Tester/review loops back to the engineer so far, and the cap. */
  loopsSoFar: number
  loopCap: number
  /** Roles that exist (a hand-off to an unknown role is refused). */
  roles: readonly string[]
  /** The answering role's capabilities (role.yml): it may move an issue out of a stage owned by one of them. */
  capabilities?: readonly string[]
  /** The Architect's plan's test section, for the PR body. */
  testPlan: string | null
  /** The trust policy's approval label: only a person sets it (default "approved"). */
  approvalLabel?: string
  /** The task's own branch (`baton/<issue>-<slug>`, its worktree's): the only one a `BRANCH:` may name. */
  taskBranch: string
  /** The repository's default branch: never pushed. */
  defaultBranch: string
  /** Which answer this is: the attempt, and its place among the task's answers (1 for the first). The comment's marker names both. */
  place?: AnswerPlace
  /** The answering agent as `<instance>@<owner/repo>` (DESIGN.md §11): named in the comment's signature, not its marker. */
  agent?: string
}

export interface AnswerPlace {
  attempt: number
  answer: number
}

export type Effect =
  | { kind: 'comment'; body: string; marker: string }
  | { kind: 'note'; noteKind: string; body: string }
  | { kind: 'labels'; add: string[]; remove: string[] }
  | { kind: 'push'; branch: string }
  | { kind: 'pull-request'; branch: string; title: string; body: string }
  | { kind: 'handoff'; role: string; text: string }
  | { kind: 'request'; question: string }
  | { kind: 'failure'; message: string }

export interface Plan {
  effects: Effect[]
  /** Why a requested move or hand-off was refused (recorded, shown). */
  refused: string[]
  outcome: 'applied' | 'waiting' | 'failed'
}

const ROLE_TITLE: Record<string, string> = {
  pm: 'PM',
  architect: 'Architect',
  engineer: 'Engineer',
  tester: 'Tester',
  marketing: 'Marketing',
  community: 'Community'
}

// A fan-out's parent answers as `@<capability>` (pipeline/fanout.ts): "Review (fan-out)".
export const roleTitle = (role: string): string => (role.startsWith('@') ? `${role.charAt(1).toUpperCase()}${role.slice(2)} (fan-out)` : (ROLE_TITLE[role.replace(/-\d+$/, '')] ?? role))

/**
 * The hidden marker of an answer's comment (DESIGN.md §7): it names the
 * answer — task, attempt and its place in the task — so a retried or replayed
 * apply finds its own comment and posts nothing, while the task's next answer
 * (after a person answered its REQUEST) gets a marker of its own and is posted.
 */
export const marker = (taskId: string, role: string, place?: AnswerPlace): string =>
  place ? `<!-- baton:task=${taskId} baton:attempt=${place.attempt} baton:answer=${place.answer} baton:role=${role} -->` : `<!-- baton:task=${taskId} baton:role=${role} -->`

/** Each role leaves a note later stages read in their triggers. */
const NOTE_KIND: Record<string, string> = { pm: 'triage', architect: 'plan', tester: 'test-report', engineer: 'implementation', community: 'community', marketing: 'release-notes' }

/** What a REQUEST's comment tells its reader. */
export const ANSWER_HOW = "Answer here in a comment, or in Baton's inbox."

export function signedComment(role: string, status: string, body: string, taskId: string, place?: AnswerPlace, agent?: string): string {
  // An agent's text may carry a tool's terminal colours: noise on GitHub.
  const text = stripAnsi(body).trim() || stripAnsi(status)
  // The agent's name goes after "via Baton" and the hidden marker stays as it
  // was: comments posted before names existed are found and read the same.
  const who = agent ? ` · \`${agent}\`` : ''
  return `**${roleTitle(role)}** · via Baton${who}\n\n${text}\n\n${marker(taskId, role, place)}`
}

export function planEffects(given: AgentAnswer, ctx: EffectContext): Plan {
  let answer = given
  const effects: Effect[] = []
  const refused: string[] = []

  if (answer.status === 'error') {
    return { effects: [], refused, outcome: 'failed' }
  }

  if (answer.status === 'request') {
    // Both ways to answer: a trusted person's comment on the issue answers it too (github-signals.ts).
    const ask = `${`${answer.text}\n\n${answer.body}`.trim()}\n\n_${ANSWER_HOW}_`
    effects.push({ kind: 'comment', body: signedComment(ctx.role, answer.text, ask, ctx.taskId, ctx.place, ctx.agent), marker: marker(ctx.taskId, ctx.role, ctx.place) })
    effects.push({ kind: 'request', question: answer.text })
    return { effects, refused, outcome: 'waiting' }
  }

  effects.push({ kind: 'comment', body: signedComment(ctx.role, answer.text, answer.body, ctx.taskId, ctx.place, ctx.agent), marker: marker(ctx.taskId, ctx.role, ctx.place) })
  // A fan-out's parent (`@<capability>`, fanout.ts) leaves its joined answer as a note named for the capability:
  // a review round's findings reach the Engineer's next trigger as a `review` note, as a person's review does.
  const noteKind = NOTE_KIND[ctx.role] ?? (ctx.role.startsWith('@') ? ctx.role.slice(1) : undefined)
  if (noteKind && (answer.body.trim() || answer.text)) effects.push({ kind: 'note', noteKind, body: answer.body.trim() || answer.text })

  // Triage labels: never a stage label (stages move only through LABEL-UPDATED).
  // The approval label (and the default one, whatever the policy says now) is a person's alone.
  const personal = (l: string) => l === 'approved' || l === (ctx.approvalLabel ?? 'approved')
  const extra = answer.labels.filter((l) => !stageByLabel(ctx.pipeline, l) && !personal(l) && !ctx.issue.labels.includes(l))
  const blocked = answer.labels.filter((l) => stageByLabel(ctx.pipeline, l) || personal(l))
  for (const label of blocked) refused.push(`label "${label}" can only be set by a stage move or a person`)

  let move = answer.move
  if (move) {
    const check = checkMove(ctx.pipeline, { role: ctx.role.replace(/-\d+$/, ''), from: move.from, to: move.to, current: ctx.currentStage, capabilities: ctx.capabilities })
    if (!check.ok) {
      refused.push(`move ${move.from} --> ${move.to} refused: ${check.reason}`)
      move = null
    }
  }

  // A move back to the engineer is a loop; past the cap the person decides.
  if (move && ctx.role !== 'engineer' && isBackToEngineer(ctx.pipeline, move.to) && ctx.loopsSoFar + 1 > ctx.loopCap) {
    refused.push(`loop cap reached (${ctx.loopCap}): ${move.from} --> ${move.to} not applied`)
    effects.push({
      kind: 'request',
      question: `#${ctx.issue.number} went back to the Engineer ${ctx.loopsSoFar} times (cap ${ctx.loopCap}). Decide: fix it by hand, change the issue, or close it. Latest: ${answer.text}`
    })
    if (extra.length) effects.push({ kind: 'labels', add: extra, remove: [] })
    return { effects, refused, outcome: 'waiting' }
  }

  // BRANCH: can only be the task's own branch (DESIGN.md §5): an agent that
  // names the default branch, another task's branch or an option-like name
  // gets nothing pushed, and the move that needed the push is not made.
  if (answer.branch !== null && !branchAllowed(answer.branch, ctx)) {
    refused.push(`BRANCH "${answer.branch.slice(0, 200)}" refused: only the task's own branch ${ctx.taskBranch} is pushed`)
    if (move) refused.push(`move ${move.from} --> ${move.to} refused: nothing was pushed`)
    move = null
    answer = { ...answer, branch: null }
  }

  if (ctx.role.replace(/-\d+$/, '') === 'engineer' && answer.branch && move && move.to !== ctx.taskStage) {
    effects.push({ kind: 'push', branch: answer.branch })
    const testPlan = ctx.testPlan ? `\n\n## Test plan\n\n${ctx.testPlan}` : ''
    effects.push({
      kind: 'pull-request',
      branch: answer.branch,
      title: `${ctx.issue.title} (#${ctx.issue.number})`,
      body: `Closes #${ctx.issue.number}\n\n## Summary\n\n${answer.text}${answer.body.trim() ? `\n\n${answer.body.trim()}` : ''}${testPlan}\n\n---\nOpened by Baton's Engineer. A person reviews and merges.`
    })
  }

  if (move || extra.length) effects.push({ kind: 'labels', add: [...(move ? [move.to] : []), ...extra], remove: move ? [move.from] : [] })

  let handoffs = ctx.handoffsSoFar
  for (const handoff of answer.handoffs) {
    if (!ctx.roles.includes(handoff.role)) {
      refused.push(`hand-off to unknown role @${handoff.role}`)
      continue
    }
    if (handoffs >= ctx.handoffCap) {
      refused.push(`hand-off cap reached (${ctx.handoffCap}) on #${ctx.issue.number}`)
      effects.push({ kind: 'request', question: `#${ctx.issue.number} reached its hand-off cap (${ctx.handoffCap}). @${handoff.role} was asked: ${handoff.text}` })
      continue
    }
    handoffs++
    effects.push({ kind: 'handoff', role: handoff.role, text: handoff.text })
  }
  const stopped = refused.filter((r) => r.startsWith('move') || r.startsWith('BRANCH'))
  if (stopped.length) {
    effects.push({ kind: 'failure', message: `${roleTitle(ctx.role)} finished #${ctx.issue.number}, but ${stopped.join('; ')}` })
  }
  return { effects, refused, outcome: 'applied' }
}

/** The task's own branch, and never the default branch or a name git could read as an option. */
export function branchAllowed(branch: string, ctx: Pick<EffectContext, 'taskBranch' | 'defaultBranch' | 'issue'>): boolean {
  return (
    branch === ctx.taskBranch &&
    branch !== ctx.defaultBranch &&
    branch.startsWith(`baton/${ctx.issue.number}-`) &&
    /^baton\/[0-9]+-[a-z0-9-]+$/.test(branch)
  )
}

function isBackToEngineer(pipeline: Pipeline, to: string): boolean {
  return stageByLabel(pipeline, to)?.owner === 'engineer'
}
