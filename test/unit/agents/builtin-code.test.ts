// Architect, Engineer and Tester builtin behaviours on real git repositories
// with a real test suite (node:test through npm test).
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { architect } from '../../../agents/architect/builtin'
import { engineer } from '../../../agents/engineer/builtin'
import { findPatch, isPathInfo } from '../../../agents/engineer/patch'
import { detectTestCommand } from '../../../agents/tester/detect'
import { tester } from '../../../agents/tester/builtin'
import { calcProject, context, git, parse, repo, trigger } from './builtin-helpers'

const fixDiff = `\`\`\`diff
--- a/src/calc.js
+++ b/src/calc.js
@@ -3,5 +3,6 @@ export function add(a, b) {
 }
 
 export function divide(a, b) {
+  if (b === 0) throw new RangeError('division by zero')
   return a / b
 }
\`\`\``

const issue = (body: string, comments: Array<{ author: string; body: string; association: string; trusted: boolean }> = []) => ({
  number: 5,
  title: 'divide by zero returns Infinity',
  body,
  labels: ['in-progress'],
  author: 'ann',
  comments
})

describe('Architect (builtin)', () => {
  it('names the affected files from the tree, the approach, risks and a test plan', async () => {
    const dir = repo({ ...calcProject(), 'src/format.js': 'export const fmt = (n) => String(n)\n', 'docs/guide.md': 'How to add numbers.\n' })
    const t = trigger({ stage: 'needs-architecture', role: 'architect', agent: 'architect', workspace: dir, issue: { number: 5, title: 'divide by zero returns Infinity', body: 'Calling `divide` with 0 as the divisor returns Infinity; it should throw.' } })
    const r = parse(await architect(context(t)))
    expect(r).toMatchObject({ status: 'done', labelUpdate: { from: 'needs-architecture', to: 'ready-for-dev' } })
    const affected = r.body.split('## Approach')[0] as string
    expect(affected).toContain('`src/calc.js` — ')
    expect(affected).toContain('defines `divide` (line 5)')
    expect(affected).not.toContain('src/format.js')
    expect(affected).toContain('`test/calc.test.js`')
    expect(r.body).toMatch(/## Test plan\n- Run `npm test` \(package\.json "test": node --test\)/)
  })
})

describe('Engineer (builtin)', () => {
  it('claims a ready-for-dev issue', async () => {
    const r = parse(await engineer(context(trigger({ stage: 'ready-for-dev', role: 'engineer', agent: 'engineer' }))))
    expect(r).toMatchObject({ status: 'done', labelUpdate: { from: 'ready-for-dev', to: 'in-progress' } })
  })

  it('applies a fenced diff, commits it as Baton Engineer on its branch, reports BRANCH and in-progress --> needs-testing', async () => {
    const dir = repo(calcProject(), 'baton/5-divide-by-zero')
    const t = trigger({ stage: 'in-progress', role: 'engineer', agent: 'engineer', workspace: dir, branch: 'baton/5-divide-by-zero', issue: issue(`Fix:\n\n${fixDiff}`) })
    const r = parse(await engineer(context(t)))
    expect(r).toMatchObject({ status: 'done', branch: 'baton/5-divide-by-zero', labelUpdate: { from: 'in-progress', to: 'needs-testing' } })
    expect(readFileSync(join(dir, 'src/calc.js'), 'utf8')).toContain("throw new RangeError('division by zero')")
    expect(git(dir, 'log', '-1', '--format=%an <%ae>|%s')).toBe('Baton Engineer <engineer@baton.invalid>|divide by zero returns Infinity (#5)')
    expect(git(dir, 'status', '--porcelain')).toBe('')
  })

  it('a run cut short left a half-applied patch in the worktree: the re-run starts from the branch as committed and applies it whole', async () => {
    const dir = repo(calcProject(), 'baton/5-divide-by-zero')
    // What a kill -9 mid-apply leaves: one file changed, another removed, a stray file.
    writeFileSync(join(dir, 'src/calc.js'), readFileSync(join(dir, 'src/calc.js'), 'utf8') + '\nexport const half = 1\n')
    rmSync(join(dir, 'README.md'), { force: true })
    writeFileSync(join(dir, 'stray.tmp'), 'x')
    const t = trigger({ stage: 'in-progress', role: 'engineer', agent: 'engineer', workspace: dir, branch: 'baton/5-divide-by-zero', issue: issue(`Fix:\n\n${fixDiff}`) })
    const r = parse(await engineer(context(t)))
    expect(r).toMatchObject({ status: 'done', branch: 'baton/5-divide-by-zero' })
    expect(readFileSync(join(dir, 'src/calc.js'), 'utf8')).not.toContain('half')
    expect(git(dir, 'show', '--stat', '--format=', 'HEAD')).not.toMatch(/README|stray/)
    expect(git(dir, 'status', '--porcelain')).toBe('')
  })

  it('writes file blocks (whole files), refusing paths outside the worktree', async () => {
    const dir = repo(calcProject(), 'baton/5-x')
    const t = trigger({ stage: 'in-progress', workspace: dir, issue: issue('New file:\n\n```src/sqrt.js\nexport const sqrt = Math.sqrt\n```\n\n```js\nnot a file\n```') })
    const r = parse(await engineer(context(t)))
    expect(r.status).toBe('done')
    expect(readFileSync(join(dir, 'src/sqrt.js'), 'utf8')).toBe('export const sqrt = Math.sqrt\n')
    expect(isPathInfo('../etc/passwd')).toBe(false)
    expect(isPathInfo('/etc/passwd')).toBe(false)
    expect(isPathInfo('js')).toBe(false)
    expect(isPathInfo('Makefile')).toBe(true)
  })

  it('takes the newest patch: a trusted comment wins over the body', () => {
    const found = findPatch(issue('```a.txt\nold\n```', [{ author: 'bob', body: '```a.txt\nnew\n```', association: 'MEMBER', trusted: true }]))
    expect(found).toMatchObject({ source: 'comment 1 by @bob', parts: [{ kind: 'file', path: 'a.txt', content: 'new\n' }] })
  })

  it("an outsider's comment is never a patch, nor is Baton's own comment, newest or not", () => {
    const outsider = { author: 'mallory', body: '```a.txt\nevil\n```', association: 'NONE', trusted: false }
    const baton = { author: 'owner', body: 'Quoted:\n\n```a.txt\nquoted\n```\n\n<!-- baton:task=t_1 baton:role=community -->', association: 'OWNER', trusted: true }
    expect(findPatch(issue('```a.txt\nold\n```', [outsider, baton]))).toMatchObject({ source: 'the issue body', parts: [{ content: 'old\n' }] })
    expect(findPatch(issue('No patch here.', [outsider]))).toBeNull()
    // An older trusted patch still counts, past a newer untrusted one.
    const ann = { author: 'ann', body: '```a.txt\nann\n```', association: 'COLLABORATOR', trusted: true }
    expect(findPatch(issue('x', [ann, outsider]))).toMatchObject({ source: 'comment 1 by @ann' })
  })

  it('REQUESTs without a patch, and after a failed test with no new patch', async () => {
    const dir = repo(calcProject(), 'baton/5-y')
    const none = parse(await engineer(context(trigger({ stage: 'in-progress', workspace: dir, issue: issue('Please fix it.') }))))
    expect(none.status).toBe('request')
    // First round applies the patch; the tester then reports a failure; the same patch is all there is.
    await engineer(context(trigger({ stage: 'in-progress', workspace: dir, issue: issue(fixDiff) })))
    const notes = [{ role: 'tester', kind: 'test-report', body: '## Test report\n\n`npm test` exited with code 1 after 0.4 s' }]
    const again = parse(await engineer(context(trigger({ stage: 'in-progress', workspace: dir, notes, issue: issue(fixDiff) }))))
    expect(again).toMatchObject({ status: 'request', statusText: expect.stringMatching(/tests failed.*already applied/) })
    // A new patch in a comment is applied and committed.
    const more = '```src/extra.js\nexport const x = 1\n```'
    const fixed = parse(await engineer(context(trigger({ stage: 'in-progress', workspace: dir, notes, issue: issue(fixDiff, [{ author: 'ann', body: more, association: 'OWNER', trusted: true }]) }))))
    expect(fixed.status).toBe('done')
    expect(existsSync(join(dir, 'src/extra.js'))).toBe(true)
  })

  it('REQUESTs when the diff does not apply', async () => {
    const dir = repo({ 'src/calc.js': 'something else\n' }, 'baton/5-z')
    const r = parse(await engineer(context(trigger({ stage: 'in-progress', workspace: dir, issue: issue(fixDiff) }))))
    expect(r).toMatchObject({ status: 'request', statusText: expect.stringContaining('does not apply') })
  })
})

describe('Tester (builtin)', () => {
  it('runs the repository tests: fail → ready-for-dev with the output tail; pass → needs-review', async () => {
    const dir = repo(calcProject())
    const t = trigger({ stage: 'needs-testing', role: 'tester', agent: 'tester', workspace: dir })
    const failed = parse(await tester(context(t)))
    expect(failed).toMatchObject({ status: 'done', labelUpdate: { from: 'needs-testing', to: 'ready-for-dev' } })
    expect(failed.statusText).toMatch(/^Tests fail: npm test exited with code 1/)
    expect(failed.body).toContain('divide by zero throws')

    writeFileSync(join(dir, 'src/calc.js'), calcProject("if (b === 0) throw new RangeError('zero')\n  return a / b")['src/calc.js'])
    const passed = parse(await tester(context(t)))
    expect(passed).toMatchObject({ status: 'done', labelUpdate: { from: 'needs-testing', to: 'needs-review' } })
    expect(passed.statusText).toMatch(/^Tests pass: npm test/)
  }, 30_000)

  it('uses a configured command; REQUESTs when there is no test command', async () => {
    const dir = repo({ 'README.md': 'nothing\n' })
    const none = parse(await tester(context(trigger({ stage: 'needs-testing', workspace: dir }))))
    expect(none.status).toBe('request')
    const configured = parse(await tester(context(trigger({ stage: 'needs-testing', workspace: dir, data: { testCommand: [process.execPath, '-e', 'console.log("fine")'] } }))))
    expect(configured).toMatchObject({ status: 'done', labelUpdate: { to: 'needs-review' } })
  })

  it('detects pytest, go, cargo and make', () => {
    expect(detectTestCommand(repo({ 'tests/test_x.py': 'def test_x(): pass\n' }))?.args).toEqual(['-m', 'pytest', '-q'])
    expect(detectTestCommand(repo({ 'go.mod': 'module x\n' }))?.command).toBe('go')
    expect(detectTestCommand(repo({ 'Cargo.toml': '[package]\n' }))?.command).toBe('cargo')
    expect(detectTestCommand(repo({ Makefile: 'test:\n\techo ok\n' }))?.args).toEqual(['test'])
    expect(detectTestCommand(repo({ 'package.json': '{"scripts":{"test":"echo \\"Error: no test specified\\" && exit 1"}}' }))).toBeNull()
  })
})
