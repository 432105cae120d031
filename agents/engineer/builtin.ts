// The Engineer's builtin behaviour. For `ready-for-dev` it claims the issue.
// For `in-progress` it applies a patch given in the issue (a fenced diff via
// `git apply`, or file blocks), commits it on the task's branch in its
// worktree as "Baton Engineer", and reports the branch; main pushes it and
// opens the PR. Without a patch it asks a person (REQUEST), and after a failed
// test or a review it asks again unless a new patch came with them. When the
// PR no longer merges (a `conflict` note), it updates the branch (update.ts).
import { git, reply } from '../../src/main/agents/builtin-kit'
import type { Provider, ProviderContext } from '../../src/main/agents/providers/types'
import { branchUpdateAsked } from '../../src/main/pipeline/branch-update'
import { applyPatch, authorEnv } from './apply'
import { findPatch } from './patch'
import { updateBranch } from './update'

/** The latest review or failed test report, when the issue came back to the Engineer. */
export function pushback(notes: ProviderContext['trigger']['notes']): string | null {
  const last = [...notes].reverse().find((n) => n.kind === 'review' || n.kind === 'test-report')
  if (!last) return null
  if (last.kind === 'review') return `a review asked for changes: ${last.body.split('\n')[0]}`
  return /\b(fail\w*|exited with code [1-9]|was stopped|error)\b/i.test(last.body) ? 'the tests failed' : null
}

/**
 * The builtin Engineer's work lives in commits only, so it starts from the
 * branch as committed: a run cut short (main killed with -9, and its agents
 * with it) can leave a half-applied patch or a merge in progress in this very
 * worktree, which the re-run of the same trigger after the restart would trip
 * over ("the diff … does not apply").
 */
async function startClean(cwd: string): Promise<void> {
  await git(cwd, ['merge', '--abort'], { ok: [0, 1, 128] })
  await git(cwd, ['reset', '--hard', '--quiet', 'HEAD'])
  await git(cwd, ['clean', '-fdq'])
}

export const engineer: Provider = async (ctx) => {
  const { issue, stage, notes, answer, branch } = ctx.trigger
  if (stage === 'ready-for-dev') {
    const plan = notes.filter((n) => n.kind === 'plan').at(-1)
    return reply(ctx, {
      status: 'done',
      statusText: `Claimed #${issue.number}`,
      labelUpdate: { from: 'ready-for-dev', to: 'in-progress' },
      body: plan ? `I'm taking this on, following the architect's plan:\n\n${plan.body.split('\n').slice(0, 12).join('\n')}` : "I'm taking this on."
    })
  }
  if (!ctx.trigger.workspace) return reply(ctx, { status: 'error', statusText: 'No worktree was prepared for this task' })
  const cwd = ctx.cwd
  await startClean(cwd)
  // The PR no longer merges (the default branch moved): bring the branch up to date, no more.
  // (Not for a hand-off: another role asked for something else, and the issue stays where it is.)
  const update = stage === 'handoff' ? null : branchUpdateAsked(notes)
  if (update) return updateBranch(ctx, update)
  const back = pushback(notes)
  const patch = findPatch(issue, answer)
  if (!patch) {
    return reply(ctx, {
      status: 'request',
      statusText: back
        ? `After ${back}, I have no new patch to apply: what should change?`
        : `The builtin engineer applies a patch given in the issue, and #${issue.number} has none: add a fenced diff or file blocks, or give the engineer role a model provider`,
      body: 'Post a comment with a ```diff block (a unified diff against the default branch), or one block per file whose info string is its path.'
    })
  }
  ctx.progress(`applying ${patch.parts.length} part(s) from ${patch.source}`)
  let applyNotes: string[]
  try {
    applyNotes = await applyPatch(cwd, patch)
  } catch (error) {
    return reply(ctx, { status: 'request', statusText: `The patch could not be applied: ${(error as Error).message}`, body: 'Please post a patch against the current default branch.' })
  }
  await git(cwd, ['add', '-A'])
  const staged = await git(cwd, ['diff', '--cached', '--quiet'], { ok: [0, 1] })
  const current = (await git(cwd, ['rev-parse', '--abbrev-ref', 'HEAD'])).stdout.trim()
  const onBranch = current !== 'HEAD' ? current : (branch ?? null)
  if (staged.code === 0) {
    // Nothing new. After a review or a failed test, that is not good enough.
    if (back) {
      return reply(ctx, {
        status: 'request',
        statusText: `After ${back}, the patch in ${patch.source} is already applied: a new patch or a decision is needed`,
        body: 'Post a new patch in a comment, or tell me how to proceed.'
      })
    }
    return reply(ctx, {
      status: 'done',
      statusText: `The patch from ${patch.source} is already committed on ${onBranch}`,
      ...(onBranch ? { branch: onBranch } : {}),
      labelUpdate: { from: stage, to: 'needs-testing' },
      body: `Nothing new to commit (${applyNotes.join('; ') || 'no changes'}); the branch is ready for testing.`
    })
  }
  const env = authorEnv(ctx)
  const message = `${issue.title} (#${issue.number})\n\nApplied the patch from ${patch.source}.`
  await git(cwd, ['commit', '--quiet', '--no-verify', '-F', '-'], { input: message, env })
  const sha = (await git(cwd, ['rev-parse', '--short', 'HEAD'])).stdout.trim()
  const stat = (await git(cwd, ['show', '--stat', '--format=', 'HEAD'])).stdout.trim()
  return reply(ctx, {
    status: 'done',
    statusText: `Committed the patch from ${patch.source} as ${sha}`,
    ...(onBranch ? { branch: onBranch } : {}),
    labelUpdate: { from: stage, to: 'needs-testing' },
    body: `## Implementation\n\nApplied the patch from ${patch.source} and committed it as \`${sha}\` on \`${onBranch}\`:\n\n\`\`\`text\n${stat}\n\`\`\``
  })
}
