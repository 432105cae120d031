// Parallel attempts at the Engineer stage (issue #15), the pure part: how many
// attempts an issue gets, each attempt's branch, which provider and model it
// runs on, and the words the board and the issue page say about a group.
// The engine's side is attempts.ts.

/** At most this many attempts at once (the Settings screen and the label both stop here). */
export const MAX_ATTEMPTS = 5

/** `attempts:N` on an issue: N from 1 to 5. */
const LABEL = /^attempts:\s*(\d+)$/i

export interface AttemptLabel {
  /** The count the label asks for, when it is a good one. */
  count: number | null
  /** Why the label was not taken (said in the audit log), when it is not. */
  problem: string | null
}

/** Reads the issue's `attempts:N` label (the first one; none: count null, no problem). */
export function attemptsLabel(labels: readonly string[]): AttemptLabel {
  const label = labels.find((l) => /^attempts:/i.test(l.trim()))
  if (label === undefined) return { count: null, problem: null }
  const match = LABEL.exec(label.trim())
  const n = match ? Number(match[1]) : NaN
  if (!Number.isInteger(n) || n < 1 || n > MAX_ATTEMPTS) {
    return { count: null, problem: `label "${label}" ignored: expected attempts:1 to attempts:${MAX_ATTEMPTS}` }
  }
  return { count: n, problem: null }
}

/** How many attempts: the label wins over the repository's setting (default 1). */
export function attemptCount(labels: readonly string[], repoSetting: number | null | undefined): number {
  const fromLabel = attemptsLabel(labels).count
  if (fromLabel !== null) return fromLabel
  const n = repoSetting ?? 1
  return Number.isInteger(n) && n >= 1 ? Math.min(n, MAX_ATTEMPTS) : 1
}

/** `baton/<n>-<slug>` for attempt 1 (the branch a single attempt has), `…-a2`, `…-a3` for the others. */
export function attemptBranch(base: string, index: number): string {
  if (!Number.isInteger(index) || index < 1 || index > MAX_ATTEMPTS) throw new Error(`Expected an attempt index from 1 to ${MAX_ATTEMPTS}, got ${index}`)
  return index === 1 ? base : `${base}-a${index}`
}

export interface AttemptProvider {
  provider: string
  model: string | null
}

/** Providers an attempt may name (the roles' own list: roles.update refuses others too). */
export const ATTEMPT_PROVIDERS = ['builtin', 'claude-code', 'codex', 'command'] as const

/**
 * One entry of the repository's list: `provider` or `provider:model`
 * (`claude-code:claude-sonnet-4-5`, `codex:gpt-5`, `builtin`). A model has
 * no spaces. Returns the entry, or the reason it is refused.
 */
export function parseAttemptProvider(entry: string): AttemptProvider | string {
  const text = entry.trim()
  const colon = text.indexOf(':')
  const provider = colon < 0 ? text : text.slice(0, colon)
  const model = colon < 0 ? null : text.slice(colon + 1)
  if (!(ATTEMPT_PROVIDERS as readonly string[]).includes(provider)) {
    return `"${entry}": expected a provider (${ATTEMPT_PROVIDERS.join(', ')}), optionally followed by :model`
  }
  if (model !== null && !/^[A-Za-z0-9._/@-]{1,100}$/.test(model)) return `"${entry}": expected a model name without spaces after "${provider}:"`
  return { provider, model }
}

/** Attempt i (1-based) takes entry (i − 1) mod n of the list; an empty list: the role's own (null). */
export function attemptProvider(list: readonly string[], index: number): AttemptProvider | null {
  if (list.length === 0) return null
  const parsed = parseAttemptProvider(list[(index - 1) % list.length] as string)
  return typeof parsed === 'string' ? null : parsed
}

export type RunState = 'working' | 'testing' | 'passed' | 'failed' | 'stopped'

/** "3 attempts: 1 passed, 1 failed, 1 running" (states with none are left out; working and testing are both running). */
export function attemptsSummary(states: readonly RunState[]): string {
  const count = (...s: RunState[]) => states.filter((x) => s.includes(x)).length
  const parts = [
    [count('passed'), 'passed'],
    [count('failed'), 'failed'],
    [count('working', 'testing'), 'running'],
    [count('stopped'), 'stopped']
  ]
    .filter(([n]) => (n as number) > 0)
    .map(([n, word]) => `${n} ${word}`)
  return `${states.length} attempt${states.length === 1 ? '' : 's'}: ${parts.join(', ')}`
}
