// A branch update: an agent PR that no longer merges cleanly (the default
// branch moved under it) goes back to the Engineer with a `conflict` note, and
// the Engineer's next task brings the branch up to date instead of
// implementing again. The note is the signal, so the request survives a
// restart and reads the same to a builtin and to a model-backed Engineer.
export const CONFLICT_NOTE = 'conflict'

/** The kinds of note that send an issue back to the Engineer: the newest one says why it is back. */
const PUSHBACK = new Set(['review', 'test-report', CONFLICT_NOTE])

export interface BranchUpdateNote {
  pr: number
  defaultBranch: string
  head: string
  base: string
}

/** The note's body: a line for people (and model providers), then the facts as `key: value` lines. */
export function conflictNote(n: BranchUpdateNote & { branch: string; behind?: boolean }): string {
  const why = n.behind
    ? `PR #${n.pr} is behind ${n.defaultBranch}, and branch protection requires it to be up to date.`
    : `PR #${n.pr} no longer merges cleanly into ${n.defaultBranch}: the default branch moved.`
  return [
    `${why} Bring ${n.branch} up to date (merge ${n.defaultBranch} into it, or re-apply the change on it); name the conflicting files if a person must decide.`,
    `pr: ${n.pr}`,
    `default: ${n.defaultBranch}`,
    `head: ${n.head}`,
    `base: ${n.base}`
  ].join('\n')
}

/**
 * The branch update asked for, when the newest note that sent the issue back
 * is a conflict (a later review or test report is what the Engineer answers
 * then); null otherwise.
 */
export function branchUpdateAsked(notes: ReadonlyArray<{ kind: string; body: string }>): BranchUpdateNote | null {
  const last = [...notes].reverse().find((n) => PUSHBACK.has(n.kind))
  if (!last || last.kind !== CONFLICT_NOTE) return null
  const field = (key: string) => new RegExp(`^${key}: (.+)$`, 'm').exec(last.body)?.[1]?.trim() ?? ''
  const pr = Number(field('pr'))
  return { pr: Number.isSafeInteger(pr) && pr > 0 ? pr : 0, defaultBranch: field('default'), head: field('head'), base: field('base') }
}
