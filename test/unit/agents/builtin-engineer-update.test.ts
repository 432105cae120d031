// The builtin Engineer bringing its branch up to date after the default branch
// moved under its PR (a `conflict` note), on real git repositories: a clean
// merge, a patch re-applied on the new base, a REQUEST naming the conflicting
// files, nothing to do. `refs/remotes/origin/main` stands for the clone's
// freshly fetched default branch, as in a task's worktree.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { engineer } from '../../../agents/engineer/builtin'
import { branchUpdateAsked, conflictNote } from '../../../src/main/pipeline/branch-update'
import { calcProject, context, git, parse, repo, trigger } from './builtin-helpers'

const BRANCH = 'baton/5-divide-by-zero'
const fix = "  if (b === 0) throw new RangeError('division by zero')\n"
const fixDiff = `\`\`\`diff
--- a/src/calc.js
+++ b/src/calc.js
@@ -3,5 +3,6 @@ export function add(a, b) {
 }
 
 export function divide(a, b) {
+${fix.trimEnd()}
   return a / b
 }
\`\`\``
/** The same fix, written against the default branch after it renamed divide's parameters. */
const renamedDiff = `\`\`\`diff
--- a/src/calc.js
+++ b/src/calc.js
@@ -5,3 +5,4 @@ export function add(a, b) {
 export function divide(x, y) {
+  if (y === 0) throw new RangeError('division by zero')
   return x / y
 }
\`\`\``
const note = { role: 'baton', kind: 'conflict', body: conflictNote({ pr: 12, defaultBranch: 'main', branch: BRANCH, head: 'h', base: 'b' }) }
const issue = (body = `Fix:\n\n${fixDiff}`, comments: Array<{ author: string; body: string; association: string; trusted: boolean }> = []) => ({
  number: 5,
  title: 'divide by zero returns Infinity',
  body,
  labels: ['in-progress'],
  author: 'ann',
  comments
})

/**
 * A worktree on the task's branch holding the fix (as pushed for PR #12), and
 * the default branch moved on by `upstream` (files it rewrites), fetched as
 * origin/main.
 */
function moved(upstream: Record<string, string>): { dir: string; head: string; base: string } {
  const dir = repo(calcProject())
  git(dir, 'checkout', '--quiet', '-b', BRANCH)
  writeFileSync(join(dir, 'src/calc.js'), calcProject(`${fix.trim()}\n  return a / b`)['src/calc.js'])
  git(dir, 'commit', '--quiet', '-am', 'the fix')
  const head = git(dir, 'rev-parse', 'HEAD')
  git(dir, 'checkout', '--quiet', 'main')
  for (const [path, content] of Object.entries(upstream)) writeFileSync(join(dir, path), content)
  git(dir, 'commit', '--quiet', '-am', 'meanwhile on main')
  const base = git(dir, 'rev-parse', 'HEAD')
  git(dir, 'update-ref', 'refs/remotes/origin/main', base)
  git(dir, 'checkout', '--quiet', BRANCH)
  return { dir, head, base }
}

const renamed = calcProject('return x / y')['src/calc.js']!.replace('divide(a, b)', 'divide(x, y)')
const run = (dir: string, over: Parameters<typeof trigger>[0] = {}) =>
  engineer(context(trigger({ stage: 'in-progress', role: 'engineer', agent: 'engineer', workspace: dir, branch: BRANCH, notes: [note], issue: issue(), ...over })))

describe('Engineer (builtin): a branch update', () => {
  it('merges the default branch when it merges cleanly, and sends the branch to testing again', async () => {
    const { dir, head, base } = moved({ 'README.md': '# calc\n\nNow with docs.\n' })
    const r = parse(await run(dir))
    expect(r).toMatchObject({ status: 'done', branch: BRANCH, labelUpdate: { from: 'in-progress', to: 'needs-testing' } })
    expect(r.statusText).toMatch(/^Merged main into baton\/5-divide-by-zero as [0-9a-f]+$/)
    expect(git(dir, 'rev-parse', 'HEAD^1', 'HEAD^2').split('\n')).toEqual([head, base])
    expect(git(dir, 'log', '-1', '--format=%an|%s')).toBe('Baton Engineer|Merge main into baton/5-divide-by-zero')
    expect(readFileSync(join(dir, 'src/calc.js'), 'utf8')).toContain(fix)
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toContain('Now with docs.')
    expect(git(dir, 'status', '--porcelain')).toBe('')
  })

  it('a real conflict with no patch that applies becomes a REQUEST naming the file; the branch and worktree are left as they were', async () => {
    const { dir, head } = moved({ 'src/calc.js': renamed })
    const r = parse(await run(dir))
    expect(r.status).toBe('request')
    expect(r.statusText).toMatch(/^Merging main into baton\/5-divide-by-zero conflicts in src\/calc\.js: .*does not apply/)
    expect(r.body).toContain('- `src/calc.js`')
    expect(r.body).toMatch(/comment here or in Baton's inbox/)
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(head)
    expect(git(dir, 'status', '--porcelain')).toBe('')
  })

  it("re-applies a person's new patch on the default branch as it is now: a merge of both, a fast-forward of the pushed branch", async () => {
    const { dir, head, base } = moved({ 'src/calc.js': renamed })
    const r = parse(await run(dir, { answer: `Against the new main:\n\n${renamedDiff}` }))
    expect(r).toMatchObject({ status: 'done', branch: BRANCH, labelUpdate: { from: 'in-progress', to: 'needs-testing' } })
    expect(r.statusText).toMatch(/^Re-applied the patch from a person's answer on main as /)
    expect(r.body).toContain('conflicted in `src/calc.js`')
    expect(git(dir, 'rev-parse', 'HEAD^1', 'HEAD^2').split('\n')).toEqual([head, base])
    expect(readFileSync(join(dir, 'src/calc.js'), 'utf8')).toContain("export function divide(x, y) {\n  if (y === 0) throw new RangeError('division by zero')\n  return x / y")
    expect(git(dir, 'status', '--porcelain')).toBe('')
    // The PR's diff against the default branch is the fix alone.
    expect(git(dir, 'diff', '--stat', 'refs/remotes/origin/main', 'HEAD')).toMatch(/src\/calc\.js \| 1 \+\n/)
  })

  it('refuses a whole-file block over a conflicting file: it would discard the default branch’s change', async () => {
    const { dir, head } = moved({ 'src/calc.js': renamed })
    const block = '```src/calc.js\n' + calcProject(`${fix.trim()}\n  return a / b`)['src/calc.js'] + '```'
    const r = parse(await run(dir, { issue: issue(`Fix:\n\n${block}`) }))
    expect(r.status).toBe('request')
    expect(r.statusText).toMatch(/whole-file block for src\/calc\.js would discard/)
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(head)
  })

  it('has nothing to do when the branch already contains the default branch', async () => {
    const { dir, head } = moved({ 'README.md': 'x\n' })
    git(dir, 'update-ref', 'refs/remotes/origin/main', git(dir, 'rev-parse', 'main~1'))
    const r = parse(await run(dir))
    expect(r).toMatchObject({ status: 'done', branch: BRANCH, labelUpdate: { from: 'in-progress', to: 'needs-testing' }, statusText: `${BRANCH} already contains main` })
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(head)
  })

  it('a hand-off to the Engineer is answered as asked, not with a branch update', async () => {
    const { dir, head } = moved({ 'README.md': 'x\n' })
    const r = parse(await run(dir, { stage: 'handoff' }))
    expect(r.statusText).not.toMatch(/Merged|contains main/)
    expect(r.labelUpdate ?? null).toBeNull()
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(head)
  })

  it('a later review or test report is what the Engineer answers, not the older conflict', () => {
    expect(branchUpdateAsked([note])).toEqual({ pr: 12, defaultBranch: 'main', head: 'h', base: 'b' })
    expect(branchUpdateAsked([note, { kind: 'test-report', body: 'failed' }])).toBeNull()
    expect(branchUpdateAsked([{ kind: 'review', body: 'x' }, note, { kind: 'implementation', body: 'y' }])?.pr).toBe(12)
    expect(branchUpdateAsked([{ kind: 'plan', body: 'p' }])).toBeNull()
  })
})
