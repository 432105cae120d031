// What a board card tells the person to do, from the card's data (needs,
// blockedBy, request, activity), never from the words of its reason: the line
// under the title, the links it names, and the one action the card offers.
import type { BoardIssue } from '../../../shared/api'
import { issueHref, prHref } from './hrefs'

export type CardAction = 'approve' | 'retry' | 'stop' | 'answer'

export interface CardTodo {
  /** Words before the links, e.g. "Review" or "Blocked by". */
  text: string
  /** Each named issue or PR, linked. */
  links: Array<{ label: string; href: string }>
  /** Words after the links. */
  after: string
  action: CardAction | null
  /** True when the card waits for the person (the "Needs you" lane). */
  needsYou: boolean
}

/** The PR of another card on the board (the holder of the one-PR slot may have opened it since). */
export type PullOf = (repoId: number, issue: number) => number | null

export function cardTodo(card: BoardIssue, pullOf: PullOf = () => null): CardTodo | null {
  const none = { links: [], after: '', action: null, needsYou: true }
  switch (card.needs) {
    case 'review':
      return card.pr
        ? { text: 'Review', links: [{ label: `PR #${card.pr}`, href: prHref(card.repoId, card.pr) }], after: '', action: null, needsYou: true }
        : { ...none, text: 'Review it: no pull request yet' }
    case 'answer':
      return { ...none, text: card.request ? `Answer: ${card.request.question}` : 'Answer the question in the inbox', action: card.request ? 'answer' : null }
    case 'approve':
      return { ...none, text: "An outsider's issue: approve it to let agents take it", action: 'approve' }
    case 'retry':
      return { ...none, text: card.reason ?? 'Failed', action: 'retry' }
    case 'budget':
      return { ...none, text: card.reason?.replace(/ — waits for a person.*$/, '') ?? 'A budget is spent', after: ': raise it in Settings, or Retry', action: 'retry' }
    case 'paused':
      return { ...none, text: `${card.reason?.replace(/^waits: /, '').replace(/ \(resume it in Agents\)$/, '') ?? 'Its role is paused'}: resume it in`, links: [{ label: 'Agents', href: '#/agents' }], after: '' }
    case 'pick':
      return { ...none, text: 'Pick the attempt that becomes the PR on', links: [{ label: `#${card.number}`, href: issueHref(card.repoId, card.number) }], after: '' }
    case null:
      break
  }
  const b = card.blockedBy
  if (b?.kind === 'issues') {
    // Other repositories' issues (a cross-repository dependency, a hand-off it waits for) are named, not linked: the board knows no page for them.
    const elsewhere = b.elsewhere ?? []
    const after = elsewhere.length ? `${b.issues.length ? ', ' : ' '}${elsewhere.join(', ')}` : ''
    return { text: 'Blocked by', links: b.issues.map((n) => ({ label: `#${n}`, href: issueHref(card.repoId, n) })), after, action: null, needsYou: false }
  }
  if (b?.kind === 'pr-slot') {
    const pr = b.pr ?? pullOf(card.repoId, b.issue)
    return {
      text: 'Waits for',
      links: pr ? [{ label: `PR #${pr}`, href: prHref(card.repoId, pr) }] : [{ label: `#${b.issue}`, href: issueHref(card.repoId, b.issue) }],
      after: pr ? ` (#${b.issue}) to merge: one PR at a time` : "'s pull request to merge: one PR at a time",
      action: null,
      needsYou: false
    }
  }
  if (card.activity === 'working' || card.activity === 'queued') return { text: '', links: [], after: '', action: 'stop', needsYou: false }
  return null
}
