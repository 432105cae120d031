// The issue page's timeline, read once (issue #13): audit kinds become words a
// person reads ("Moved", not `stage.move`), a stage is named once per visit
// (the move into it; the task that ran there does not name it again), a move
// written twice (a sync and the engine saw the same change) shows once, and a
// note's event is left to the Notes panel, which shows the note itself.
// No DOM: the unit tests run it in Node.

export interface TimelineEvent {
  id: number
  at: string
  kind: string
  message: string
  subject?: string | null
}

const WORDS: Record<string, string> = {
  'stage.move': 'Moved',
  'stage.loop': 'Sent back',
  'issue.create': 'Filed',
  'issue.approve': 'Approved',
  'issue.closed': 'Closed',
  'issue.reopened': 'Reopened',
  'issue.close': 'Closed',
  'issue.reopen': 'Reopened',
  'issue.comment': 'Commented',
  'issue.labels': 'Labels',
  'pr.open': 'Pull request',
  'pr.merge': 'Merged',
  'pr.conflict': 'Conflict',
  'pr.approved': 'PR approved',
  'inbox.answer': 'Answered',
  'inbox.resolved': 'Resolved',
  'signal.capped': 'Loop cap',
  'checks.wait': 'Waiting for checks',
  'budget.stop': 'Budget spent',
  'budget.hold': 'Budget hold',
  'budget.grant': 'Budget granted',
  'task.stop': 'Stopped',
  'task.retry': 'Retried',
  'task.retry.person': 'Retried',
  'task.failed': 'Failed',
  'effect.refused': 'Refused',
  'effect.error': 'Error',
  'verdict.refused': 'Refused',
  'response.stale': 'Stale answer'
}

/** The word for an audit kind; an unknown kind reads as its last part, capitalised ("foo.bar_baz" → "Bar baz"). */
export function eventWord(kind: string): string {
  const known = WORDS[kind]
  if (known) return known
  const last = kind.split('.').pop() ?? kind
  const spaced = last.replace(/[_-]+/g, ' ').trim()
  return spaced ? spaced[0]!.toUpperCase() + spaced.slice(1) : 'Event'
}

/** A stage move's stages, from its message (`from → to (why)`); null for any other text. */
export function parseMove(message: string): { from: string | null; to: string; why: string | null } | null {
  const m = /^(\S+) → (\S+)(?: \((.*)\))?$/.exec(message.trim())
  if (!m) return null
  return { from: m[1] === '—' ? null : m[1]!, to: m[2]!, why: m[3] ?? null }
}

/** What a move says in words, with the stages' titles. */
export function moveText(message: string, title: (label: string) => string): string {
  const move = parseMove(message)
  if (!move) return message
  const to = `to ${title(move.to)}`
  const from = move.from ? `from ${title(move.from)} ` : ''
  return `${from}${to}${move.why ? ` · ${move.why}` : ''}`
}

/**
 * The events the timeline shows: task events are the task cards' (left out),
 * a note's event is the Notes panel's, and a stage move repeated with the
 * same words right after itself (no other move between) shows once.
 */
export function timelineEvents<E extends TimelineEvent>(events: E[]): E[] {
  const out: E[] = []
  let lastMove: string | null = null
  for (const e of events) {
    if (e.kind.startsWith('task.') && e.kind !== 'task.stop' && !e.kind.startsWith('task.retry')) continue
    if (e.kind === 'signal.note') continue
    if (e.kind === 'stage.move') {
      const to = parseMove(e.message)?.to ?? e.message
      if (to === lastMove) continue
      lastMove = to
    }
    out.push(e)
  }
  return out
}
