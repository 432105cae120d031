// What a pull request changes, read in a reviewer's worktree (its head checked
// out) against the merge base with the default branch as main fetched it: the
// files, which are binary, and each file's added lines with their numbers on
// the head side. The builtin reviewers (agents/reviewer-*/builtin.ts) review
// exactly this, never the whole repository.
import { git } from '../agents/builtin-kit'

export interface AddedLine {
  line: number
  text: string
}

export interface ChangedFile {
  path: string
  /** Gone at the head: nothing to check there. */
  deleted: boolean
  /** git's numstat says "-": no lines to read. */
  binary: boolean
  added: AddedLine[]
}

export interface Changes {
  /** The merge base's sha (or the default branch's, when they share none). */
  base: string
  files: ChangedFile[]
}

/** The merge base of HEAD with origin/<defaultBranch> (the clone's remote ref), else the local branch. */
export async function mergeBase(cwd: string, defaultBranch: string, env?: NodeJS.ProcessEnv): Promise<string> {
  for (const ref of [`refs/remotes/origin/${defaultBranch}`, `refs/heads/${defaultBranch}`]) {
    const found = await git(cwd, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { env, ok: [0, 1] })
    if (found.code !== 0) continue
    const base = await git(cwd, ['merge-base', 'HEAD', ref], { env, ok: [0, 1] })
    return (base.code === 0 ? base.stdout : found.stdout).trim()
  }
  throw new Error(`No ${defaultBranch} branch to compare with (neither origin/${defaultBranch} nor ${defaultBranch} is in the clone)`)
}

/** Added lines per file of a unified diff with no context (`-U0`). */
export function addedLines(diff: string): Map<string, AddedLine[]> {
  const out = new Map<string, AddedLine[]>()
  let file: AddedLine[] | null = null
  let next = 0
  for (const raw of diff.split('\n')) {
    if (raw.startsWith('diff --git ')) {
      file = null
      continue
    }
    if (raw.startsWith('+++ ')) {
      // git ends a path that has a space with a tab; /dev/null is a deletion.
      const path = raw.slice(4).replace(/\t$/, '')
      file = path.startsWith('b/') ? [] : null
      if (file) out.set(path.slice(2), file)
      continue
    }
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(raw)
    if (hunk) {
      next = Number(hunk[1])
      continue
    }
    if (!file) continue
    if (raw.startsWith('+')) file.push({ line: next++, text: raw.slice(1) })
    else if (raw.startsWith(' ')) next++
  }
  return out
}

/** The PR's changes: HEAD against its merge base with the default branch. */
export async function changesAgainstBase(cwd: string, defaultBranch: string, env?: NodeJS.ProcessEnv): Promise<Changes> {
  const base = await mergeBase(cwd, defaultBranch, env)
  const quiet = ['-c', 'core.quotePath=false']
  const numstat = await git(cwd, [...quiet, 'diff', '--numstat', '-z', '--no-renames', base, 'HEAD'], { env })
  const diff = await git(cwd, [...quiet, 'diff', '--no-color', '--no-ext-diff', '-U0', '--no-renames', base, 'HEAD'], { env })
  const added = addedLines(diff.stdout)
  const present = await git(cwd, [...quiet, 'ls-tree', '-r', '-z', '--name-only', 'HEAD'], { env })
  const atHead = new Set(present.stdout.split('\0').filter(Boolean))
  const files: ChangedFile[] = []
  for (const entry of numstat.stdout.split('\0')) {
    const m = /^(-|\d+)\t(-|\d+)\t(.+)$/s.exec(entry)
    if (!m) continue
    const path = m[3] as string
    files.push({ path, deleted: !atHead.has(path), binary: m[1] === '-', added: added.get(path) ?? [] })
  }
  return { base, files }
}

/** A file's size at HEAD, in bytes (null when git has no such blob). */
export async function sizeAtHead(cwd: string, path: string, env?: NodeJS.ProcessEnv): Promise<number | null> {
  const r = await git(cwd, ['cat-file', '-s', `HEAD:${path}`], { env, ok: [0, 128] })
  return r.code === 0 ? Number(r.stdout.trim()) : null
}
