// "Blocked by #12", "depends on #3 and #4": an issue waits until these close.
// Across repositories too (issue #14): "blocked by acme/lib#7", mixed with
// `#n` in one list ("depends on #3, acme/lib#7 and other/x#2").
const REF = String.raw`(?:[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100})?#\d+`
const PHRASE = new RegExp(String.raw`\b(?:blocked\s+by|depends\s+on)\s+((?:${REF}(?:\s*(?:,|and|&)\s*)?)+)`, 'gi')
const EACH = /(?:([A-Za-z0-9_.-]{1,100})\/([A-Za-z0-9_.-]{1,100}))?#(\d+)/g

/** An issue in another repository, as the body names it. */
export interface IssueRef {
  owner: string
  name: string
  number: number
}

export interface Dependencies {
  /** This repository's issues (`#n`, or its own `owner/name#n`). */
  local: number[]
  /** Other repositories' issues, in the order first named. */
  elsewhere: IssueRef[]
}

const valid = (n: number) => Number.isSafeInteger(n) && n > 0 && n <= 2 ** 31 - 1

/**
 * Every dependency the body names. `self` (the repository, as owner/name, and
 * the issue's own number) keeps a reference to this very repository local and
 * drops the issue itself.
 */
export function allDependenciesOf(body: string, self?: { owner: string; name: string; number?: number }): Dependencies {
  const local = new Set<number>()
  const elsewhere = new Map<string, IssueRef>()
  const own = self ? `${self.owner}/${self.name}`.toLowerCase() : null
  for (const match of body.matchAll(PHRASE)) {
    for (const ref of (match[1] ?? '').matchAll(EACH)) {
      const n = Number(ref[3])
      if (!valid(n)) continue
      const owner = ref[1]
      const name = ref[2]
      if (!owner || !name || `${owner}/${name}`.toLowerCase() === own) {
        if (n !== self?.number) local.add(n)
        continue
      }
      const key = `${owner}/${name}#${n}`.toLowerCase()
      if (!elsewhere.has(key)) elsewhere.set(key, { owner, name, number: n })
    }
  }
  return { local: [...local].sort((a, b) => a - b), elsewhere: [...elsewhere.values()] }
}

/** This repository's issues the body depends on (`#n`), without the issue itself. */
export function dependenciesOf(body: string, self?: number): number[] {
  return allDependenciesOf(body, self === undefined ? undefined : { owner: '\u0000', name: '\u0000', number: self }).local
}

export const refText = (r: IssueRef): string => `${r.owner}/${r.name}#${r.number}`

/** What another repository's issue is, as far as Baton knows: closed or not, and a note when it could not be read. */
export interface ElsewhereState {
  closed: boolean
  note: string | null
}

/**
 * The dependencies still open, in the scheduler's words: `#3`, `acme/lib#7`,
 * `x/y#3 (cannot read it: 404)`. An issue elsewhere that nothing can say
 * anything about counts as open: waiting is the safe side.
 */
export function blockersOf(
  body: string,
  self: { owner?: string; name?: string; number: number },
  isClosed: (n: number) => boolean,
  elsewhere?: (ref: IssueRef) => ElsewhereState
): string[] {
  const deps = allDependenciesOf(body, { owner: self.owner ?? '\u0000', name: self.name ?? '\u0000', number: self.number })
  const out = deps.local.filter((n) => !isClosed(n)).map((n) => `#${n}`)
  for (const ref of deps.elsewhere) {
    const state = elsewhere?.(ref) ?? { closed: false, note: null }
    if (!state.closed) out.push(`${refText(ref)}${state.note ? ` (${state.note})` : ''}`)
  }
  return out
}
