// The files an issue's plan names (issue #14): what its Engineer will touch,
// for the scheduler's lease check. The Architect's answer is a note of kind
// `plan` whose "## Affected files" section lists one file a line
// (agents/architect/builtin.ts: "- `src/calc.js` — defines add"); a model's
// plan may leave out the backticks. Read once, when the note is added
// (store/notes.ts), into `plan_files`.
import { patternProblem } from './lease-globs'

/** At most this many files are kept per plan: past it the lease would cover most of a repository anyway. */
export const MAX_PLAN_FILES = 50

export function planFilesOf(plan: string): string[] {
  const section = /^#{1,3}\s*Affected files\s*$/im.exec(plan)
  if (!section) return []
  const files: string[] = []
  for (const line of plan.slice(section.index + section[0].length).split('\n')) {
    if (/^#{1,3}\s/.test(line)) break
    const item = /^\s*[-*]\s+(.*)$/.exec(line)
    // The list ends at the first line that is not an item ("Related tests:" follows it).
    if (!item) {
      if (line.trim() && files.length) break
      continue
    }
    const text = item[1] as string
    const path = (/^`([^`]+)`/.exec(text)?.[1] ?? /^(\S+?)[,:;]?(?:\s|$)/.exec(text)?.[1] ?? '').replace(/^\.\//, '')
    // "- No file defines …": a sentence, not a path.
    if (!/[/.]/.test(path) || /\.$/.test(path) || patternProblem(path)) continue
    if (!files.includes(path)) files.push(path)
    if (files.length >= MAX_PLAN_FILES) break
  }
  return files
}
