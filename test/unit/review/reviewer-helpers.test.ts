// The builtin reviewers' pure parts: the secrets scanner's shapes, which files
// are tests and sources, a failing run's error and places, and the checkers'
// output read as findings.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { nodeCheck, planCheckers, pyCompile } from '../../../agents/reviewer-lint/checkers'
import { entropy, masked, scanLine } from '../../../agents/reviewer-secrets/scan'
import { covered, failureMessage, isSource, isTest, placesIn, runFor } from '../../../agents/reviewer-tests/tests'
import { addedLines } from '../../../src/main/review/diff'

describe('the secrets scanner', () => {
  it.each([
    ["const id = 'AKIAIOSFODNN7EXAMPLE'", 'secret/aws-access-key'],
    [`token: ghp_${'a1B2'.repeat(9)}`, 'secret/github-token'],
    [`GH=github_pat_${'x9'.repeat(20)}`, 'secret/github-token'],
    [`OPENAI_API_KEY=sk-proj-${'Ab3'.repeat(10)}`, 'secret/sk-key'],
    ['-----BEGIN OPENSSH PRIVATE KEY-----', 'secret/private-key'],
    ['-----BEGIN RSA PRIVATE KEY-----', 'secret/private-key'],
    ["slack = 'xoxb-1234567890-abcdefghij'", 'secret/slack-token']
  ])('%s is critical (%s)', (line, rule) => {
    expect(scanLine(line)).toEqual([expect.objectContaining({ rule, severity: 'critical' })])
  })

  it('a random-looking value assigned to a secret name is a recommendation; prose, placeholders and short values are not', () => {
    expect(scanLine('const apiSecret = "q8Zr2LpX0vN4tYb7Wm1K"')).toEqual([expect.objectContaining({ rule: 'secret/high-entropy', severity: 'recommendation' })])
    expect(scanLine('password: "changeme-changeme-changeme"')).toEqual([])
    expect(scanLine('const token = "${GITHUB_TOKEN_FROM_ENV}"')).toEqual([])
    expect(scanLine('const token = "aaaaaaaaaaaaaaaaaaaa"')).toEqual([])
    expect(scanLine('const key = "short"')).toEqual([])
    expect(scanLine('// the token is read from the environment')).toEqual([])
    expect(entropy('aaaa')).toBe(0)
    expect(entropy('abcd')).toBe(2)
    expect(masked('AKIAIOSFODNN7EXAMPLE')).toBe('AKIA… (20 characters)')
  })
})

describe('what the tests reviewer reads', () => {
  it('tells tests from sources, and which changed test names a source', () => {
    expect(['test/calc.test.js', 'src/calc.spec.ts', 'tests/test_stats.py', 'pkg/x_test.go', '__tests__/a.js'].every(isTest)).toBe(true)
    expect(isSource('src/calc.js')).toBe(true)
    expect(['README.md', 'vite.config.ts', 'docs/a.js', 'conftest.py', 'test/calc.test.js'].some(isSource)).toBe(false)
    expect(covered('src/calc.js', ['test/calc.test.js'])).toBe(true)
    expect(covered('src/config.js', ['test/calc.test.js'])).toBe(false)
    expect(covered('src/parser/index.ts', ['test/parser.test.ts'])).toBe(true)
  })

  it('reads a failing run’s error and the places it names, from Node’s TAP and from a Python traceback', () => {
    const tap = "not ok 1 - adds\n  ---\n  location: '/r/test/calc.test.js:4:1'\n  error: 'c is not defined'\n  name: 'ReferenceError'\n  stack: |-\n    add (file:///r/src/calc.js:2:14)\n    node:internal/test_runner/harness:255:12\n"
    expect(failureMessage(tap)).toBe('ReferenceError: c is not defined')
    expect(placesIn(tap, '/r')).toEqual([{ file: 'test/calc.test.js', line: 4 }, { file: 'src/calc.js', line: 2 }])
    const py = 'Traceback (most recent call last):\n  File "/r/tests/test_stats.py", line 4, in test_mean\n    assert mean([1, 2]) == 1.5\n  File "/r/stats.py", line 9, in mean\nZeroDivisionError: division by zero\n'
    expect(failureMessage(py)).toBe('ZeroDivisionError: division by zero')
    expect(placesIn(py, '/r')).toEqual([{ file: 'tests/test_stats.py', line: 4 }, { file: 'stats.py', line: 9 }])
    expect(placesIn('/elsewhere/x.js:3 and /r/node_modules/y.js:1', '/r')).toEqual([])
  })

  it('runs one test file with the repository’s runner', () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-runfor-'))
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ scripts: { test: 'node --test' } }))
    expect(runFor(dir, 'test/a.test.js', '/node')).toEqual({ command: '/node', args: ['--test', 'test/a.test.js'], label: 'node --test test/a.test.js' })
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ scripts: { test: 'vitest run' } }))
    expect(runFor(dir, 'test/a.test.ts', '/node')).toBeNull()
    mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true })
    writeFileSync(join(dir, 'node_modules', '.bin', 'vitest'), '')
    expect(runFor(dir, 'test/a.test.ts', '/node')?.label).toBe('vitest test/a.test.ts')
    expect(runFor(dir, 'pkg/x_test.go', '/node')?.args).toEqual(['test', './pkg'])
  })
})

describe('what the lint reviewer reads', () => {
  it('node --check and py_compile output as findings', () => {
    const node = "/r/src/calc.js:8\n  let sum = sum\n      ^\n\nSyntaxError: Identifier 'sum' has already been declared\n    at checkSyntax\n"
    expect(nodeCheck({ stderr: node, code: 1 }, '/r', 'src/calc.js')).toEqual([{ file: 'src/calc.js', line: 8, severity: 'critical', text: "SyntaxError: Identifier 'sum' has already been declared", rule: 'syntax' }])
    expect(nodeCheck({ stderr: '', code: 0 }, '/r', 'src/calc.js')).toEqual([])
    expect(nodeCheck({ stderr: 'Killed', code: 137 }, '/r', 'src/calc.js')).toBeNull()
    const py = '  File "/r/p.py", line 1\n    x = (\n        ^\nSyntaxError: \'(\' was never closed\n'
    expect(pyCompile({ stderr: py, code: 1 }, '/r', 'p.py')).toEqual([{ file: 'p.py', line: 1, severity: 'critical', text: "SyntaxError: '(' was never closed", rule: 'syntax' }])
  })

  it('plans the repository’s own tools and says which could not run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-plan-'))
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ scripts: { lint: 'eslint .' } }))
    writeFileSync(join(dir, 'tsconfig.json'), '{}')
    writeFileSync(join(dir, 'a.js'), 'export const a = 1\n')
    const plan = planCheckers(dir, ['a.js', 'b.ts', 'c.py'], { node: '/node', esmFlag: true, available: () => false })
    expect(plan.notRun).toEqual([expect.stringMatching(/^eslint \(configured, but not installed/), expect.stringMatching(/^tsc \(a tsconfig.json, but TypeScript is not installed/)])
    // The floors: node --check for the JavaScript (a module by its export: Node 20 is told so), py_compile for the Python.
    expect(plan.checkers.map((c) => [c.name, c.args.join(' ')])).toEqual([
      ['node --check', '--experimental-default-type=module --check a.js'],
      ['py_compile', '-m py_compile c.py']
    ])
  })

  it('reads added lines of a -U0 diff with their head-side numbers', () => {
    const diff = 'diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -2 +2,2 @@ a\n-b\n+B\n+c\ndiff --git a/sp ace.js b/sp ace.js\n--- /dev/null\n+++ b/sp ace.js\t\n@@ -0,0 +1 @@\n+new\ndiff --git a/gone b/gone\n--- a/gone\n+++ /dev/null\n@@ -1 +0,0 @@\n-old\n'
    const added = addedLines(diff)
    expect(added.get('x')).toEqual([{ line: 2, text: 'B' }, { line: 3, text: 'c' }])
    expect(added.get('sp ace.js')).toEqual([{ line: 1, text: 'new' }])
    expect(added.has('gone')).toBe(false)
  })
})
