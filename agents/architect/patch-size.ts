// How big a patch given in an issue really is: per file, the lines it adds
// and removes (a unified diff's +/- lines; a whole-file block against the
// file as it is in the worktree, or all new when it does not exist yet).
import type { PatchPart } from '../engineer/patch'

export interface FileChange {
  path: string
  added: number
  removed: number
  isNew: boolean
}

function diffFiles(text: string): FileChange[] {
  const changes: FileChange[] = []
  let current: FileChange | null = null
  let fromNull = false
  for (const line of text.replace(/\r\n/g, '\n').split('\n')) {
    if (line.startsWith('--- ')) {
      fromNull = /^--- \/dev\/null\s*$/.test(line)
      continue
    }
    const header = /^\+\+\+ (?:b\/)?(\S+)/.exec(line)
    if (header) {
      const path = header[1] as string
      current = path === '/dev/null' ? null : { path, added: 0, removed: 0, isNew: fromNull }
      if (current) changes.push(current)
      continue
    }
    if (!current || line.startsWith('diff --git ') || line.startsWith('@@')) continue
    if (line.startsWith('+')) current.added++
    else if (line.startsWith('-')) current.removed++
  }
  return changes
}

const linesOf = (text: string) => text.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n').filter((_, i, all) => all.length > 1 || all[0] !== '')

/** Lines of `after` not in `before` and of `before` not in `after`, counted as multisets. */
function wholeFile(path: string, before: string | null, after: string): FileChange {
  const next = linesOf(after)
  if (before === null) return { path, added: next.length, removed: 0, isNew: true }
  const left = new Map<string, number>()
  for (const l of linesOf(before)) left.set(l, (left.get(l) ?? 0) + 1)
  let added = 0
  for (const l of next) {
    const n = left.get(l) ?? 0
    if (n > 0) left.set(l, n - 1)
    else added++
  }
  let removed = 0
  for (const n of left.values()) removed += n
  return { path, added, removed, isNew: false }
}

/** The patch's changes, one entry per file (parts touching the same file are summed). */
export function patchSize(parts: PatchPart[], read: (path: string) => string | null): FileChange[] {
  const byPath = new Map<string, FileChange>()
  const changes = parts.flatMap((p) => (p.kind === 'diff' ? diffFiles(p.text) : [wholeFile(p.path, read(p.path), p.content)]))
  for (const c of changes) {
    const seen = byPath.get(c.path)
    if (seen) {
      seen.added += c.added
      seen.removed += c.removed
    } else byPath.set(c.path, { ...c })
  }
  return [...byPath.values()]
}
