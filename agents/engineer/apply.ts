// Applying a patch from the issue in the Engineer's worktree: a unified diff
// through `git apply` (checked first; one already applied is noted, not an
// error), or file blocks written in place. Nothing is written outside the
// worktree, whatever the paths or the tracked symbolic links say.
import { existsSync, lstatSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs'
import { dirname, resolve, sep } from 'node:path'
import { git } from '../../src/main/agents/builtin-kit'
import type { ProviderContext } from '../../src/main/agents/providers/types'
import type { FoundPatch } from './patch'

export const AUTHOR = { name: 'Baton Engineer', email: 'engineer@baton.invalid' }

/** The agent's environment with the Engineer as author and committer. */
export function authorEnv(ctx: ProviderContext): NodeJS.ProcessEnv {
  return { ...ctx.env, GIT_AUTHOR_NAME: AUTHOR.name, GIT_AUTHOR_EMAIL: AUTHOR.email, GIT_COMMITTER_NAME: AUTHOR.name, GIT_COMMITTER_EMAIL: AUTHOR.email }
}

/**
 * Whether `target` stays inside `root` once symbolic links are followed: a
 * tracked link to a folder outside would otherwise carry the write out (the
 * path text alone cannot tell). The target itself must not be a link either.
 */
function insideReally(root: string, target: string): boolean {
  const realRoot = realpathSync(root)
  if (existsSync(target) && lstatSync(target).isSymbolicLink()) return false
  let dir = dirname(target)
  while (!existsSync(dir)) dir = dirname(dir)
  const real = realpathSync(dir)
  return real === realRoot || real.startsWith(realRoot + sep)
}

/** Applies every part to the working tree (not the index); returns notes such as "the diff is already applied". Throws when a part does not apply. */
export async function applyPatch(cwd: string, patch: FoundPatch): Promise<string[]> {
  const notes: string[] = []
  for (const part of patch.parts) {
    if (part.kind === 'diff') {
      const check = await git(cwd, ['apply', '--check', '--whitespace=nowarn', '-'], { input: part.text, ok: [0, 1] })
      if (check.code === 0) {
        await git(cwd, ['apply', '--whitespace=nowarn', '-'], { input: part.text })
        continue
      }
      const reverse = await git(cwd, ['apply', '--check', '--reverse', '--whitespace=nowarn', '-'], { input: part.text, ok: [0, 1] })
      if (reverse.code === 0) {
        notes.push('the diff is already applied')
        continue
      }
      throw new Error(`the diff from ${patch.source} does not apply: ${check.stderr.trim().split('\n').slice(0, 4).join(' ')}`)
    } else {
      const target = resolve(cwd, part.path)
      if (!target.startsWith(resolve(cwd) + sep) || part.path.split('/').includes('.git') || !insideReally(cwd, target)) {
        throw new Error(`refusing to write ${part.path}: outside the worktree`)
      }
      mkdirSync(dirname(target), { recursive: true })
      writeFileSync(target, part.content)
    }
  }
  return notes
}
