// The builtin Engineer bringing a branch up to date after the default branch
// moved under its PR (a `conflict` note, pipeline/branch-update.ts), with real
// git in the task's worktree, whose clone main has just fetched:
//   1. already contains the default branch: nothing to do;
//   2. `git merge` of the default branch: clean → a merge commit;
//   3. it conflicts: with a patch for the issue (a person's answer first, as
//      findPatch orders them), the patch is re-applied on the default branch
//      as it is now, committed as a merge (parents: the branch, the default
//      branch), so the push stays a fast-forward and main pushes it as ever;
//   4. else a REQUEST naming the conflicting files (`git diff --name-only
//      --diff-filter=U`), the merge aborted, the worktree left clean.
// The answer moves the issue on to testing again: the Tester checks the
// updated branch.
import { git, reply } from '../../src/main/agents/builtin-kit'
import type { ProviderContext, ProviderResult } from '../../src/main/agents/providers/types'
import type { BranchUpdateNote } from '../../src/main/pipeline/branch-update'
import { applyPatch, authorEnv } from './apply'
import { findPatch, type FoundPatch } from './patch'

const short = async (cwd: string, rev: string) => (await git(cwd, ['rev-parse', '--short', rev])).stdout.trim()
const list = (files: string[]) => files.map((f) => `\`${f}\``).join(', ')

export async function updateBranch(ctx: ProviderContext, asked: BranchUpdateNote): Promise<ProviderResult> {
  const { issue, stage, answer, repo } = ctx.trigger
  const cwd = ctx.cwd
  const defaultBranch = repo.defaultBranch
  const base = `refs/remotes/origin/${defaultBranch}`
  const pr = asked.pr ? `PR #${asked.pr}` : 'the pull request'
  const branch = (await git(cwd, ['rev-parse', '--abbrev-ref', 'HEAD'])).stdout.trim()
  if (branch === 'HEAD') return reply(ctx, { status: 'error', statusText: 'The worktree has no branch checked out: nothing to bring up to date' })
  const known = await git(cwd, ['rev-parse', '--verify', '--quiet', `${base}^{commit}`], { ok: [0, 1] })
  if (known.code !== 0) return reply(ctx, { status: 'error', statusText: `The default branch ${defaultBranch} is not in this worktree's clone (${base})` })

  const updated = (statusText: string, body: string): ProviderResult =>
    reply(ctx, { status: 'done', statusText, branch, labelUpdate: { from: stage, to: 'needs-testing' }, body: `## Branch update\n\n${body}` })

  const contained = await git(cwd, ['merge-base', '--is-ancestor', base, 'HEAD'], { ok: [0, 1] })
  if (contained.code === 0) {
    return updated(`${branch} already contains ${defaultBranch}`, `\`${branch}\` already contains \`${defaultBranch}\` (${await short(cwd, base)}): nothing to merge. Testing it again.`)
  }

  const env = authorEnv(ctx)
  ctx.progress(`merging ${defaultBranch} into ${branch}`)
  const message = `Merge ${defaultBranch} into ${branch}\n\n${pr} no longer merged cleanly: the default branch moved.`
  const merge = await git(cwd, ['merge', '--no-ff', '--no-edit', '-m', message, base], { env, ok: [0, 1] })
  if (merge.code === 0) {
    const sha = await short(cwd, 'HEAD')
    return updated(`Merged ${defaultBranch} into ${branch} as ${sha}`, `Merged \`${defaultBranch}\` (${await short(cwd, base)}) into \`${branch}\` as \`${sha}\`, with no conflict. ${pr} merges cleanly again.`)
  }
  const conflicts = (await git(cwd, ['diff', '--name-only', '--diff-filter=U'])).stdout.split('\n').filter(Boolean)
  await git(cwd, ['merge', '--abort'], { ok: [0, 128] })
  if (conflicts.length === 0) {
    return reply(ctx, { status: 'error', statusText: `git merge of ${defaultBranch} into ${branch} failed: ${(merge.stderr || merge.stdout).trim().split('\n').slice(0, 3).join(' ')}` })
  }

  const patch = findPatch(issue, answer)
  let why = 'and the issue has no patch to re-apply on it'
  if (patch) {
    ctx.progress(`re-applying the patch from ${patch.source} on ${defaultBranch}`)
    const again = await reapply(cwd, patch, base, conflicts, env, `${issue.title} (#${issue.number})\n\nRe-applied the patch from ${patch.source} on ${defaultBranch}: merging it conflicted in ${conflicts.join(', ')}.`)
    if (again.ok) {
      const sha = await short(cwd, 'HEAD')
      return updated(
        `Re-applied the patch from ${patch.source} on ${defaultBranch} as ${sha}`,
        `Merging \`${defaultBranch}\` into \`${branch}\` conflicted in ${list(conflicts)}, so I re-applied the patch from ${patch.source} on \`${defaultBranch}\` as it is now (${await short(cwd, base)}) and committed it as \`${sha}\` (a merge of both, so the branch keeps its history). ${pr} merges cleanly again.`
      )
    }
    if (again.already) {
      return reply(ctx, {
        status: 'request',
        statusText: `${defaultBranch} already holds the change from ${patch.source}: ${pr} has nothing left to add`,
        body: `Merging \`${defaultBranch}\` into \`${branch}\` conflicts in ${list(conflicts)}, and the patch from ${patch.source} is already part of \`${defaultBranch}\`. Close ${pr} if that is the fix, or post the change that is still needed (in a comment here or in Baton's inbox).`
      })
    }
    why = `and the patch from ${patch.source} does not apply to it either (${again.reason})`
  }
  return reply(ctx, {
    status: 'request',
    statusText: `Merging ${defaultBranch} into ${branch} conflicts in ${conflicts.join(', ')}: the default branch changed the same lines, ${why}`,
    body: [
      `${pr} no longer merges: \`${defaultBranch}\` moved, and merging it into \`${branch}\` conflicts in:`,
      '',
      ...conflicts.map((f) => `- \`${f}\``),
      '',
      `Post a patch against the current \`${defaultBranch}\` (a \`\`\`diff block, or one block per file whose info string is its path) in a comment here or in Baton's inbox, or resolve the conflict on \`${branch}\` yourself and answer.`
    ].join('\n')
  })
}

/**
 * The patch re-applied on `base`'s tree, committed as a merge of the branch
 * and `base`. File blocks are whole files: one over a conflicting file would
 * throw away the default branch's change there, so that is refused too. On
 * failure the worktree is put back as it was (HEAD's tree).
 */
async function reapply(
  cwd: string,
  patch: FoundPatch,
  base: string,
  conflicts: string[],
  env: NodeJS.ProcessEnv,
  message: string
): Promise<{ ok: true } | { ok: false; already: boolean; reason: string }> {
  const overwritten = patch.parts.flatMap((p) => (p.kind === 'file' && conflicts.includes(p.path) ? [p.path] : []))
  if (overwritten.length) return { ok: false, already: false, reason: `its whole-file block for ${overwritten.join(', ')} would discard the default branch's change there` }
  await git(cwd, ['read-tree', '-u', '--reset', base])
  try {
    await applyPatch(cwd, patch)
    await git(cwd, ['add', '-A'])
    const tree = (await git(cwd, ['write-tree'])).stdout.trim()
    if (tree === (await git(cwd, ['rev-parse', `${base}^{tree}`])).stdout.trim()) throw Object.assign(new Error('already in the default branch'), { already: true })
    const commit = (await git(cwd, ['commit-tree', tree, '-p', 'HEAD', '-p', base, '-F', '-'], { input: message, env })).stdout.trim()
    // HEAD is the task's branch: this moves the branch, a fast-forward of what was pushed.
    await git(cwd, ['update-ref', '-m', 'baton: patch re-applied on the default branch', 'HEAD', commit])
    return { ok: true }
  } catch (error) {
    await git(cwd, ['read-tree', '-u', '--reset', 'HEAD'])
    return { ok: false, already: (error as { already?: boolean }).already === true, reason: (error as Error).message }
  }
}
