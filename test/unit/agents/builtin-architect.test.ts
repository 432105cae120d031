// The builtin Architect plans from code, not words: on real git repositories
// (a small Python and a small JS project made here) it names the files a
// patch touches, or the files that define or import the names the issue
// mentions — never a file that only shares a word with the issue — and its
// risks give the change's real size.
import { describe, expect, it } from 'vitest'
import { architect } from '../../../agents/architect/builtin'
import { findSites } from '../../../agents/architect/code-index'
import { codeNames } from '../../../agents/architect/code-names'
import { context, parse, repo, trigger } from './builtin-helpers'

const pythonProject = () => ({
  'pyproject.toml': '[project]\nname = "calc"\n',
  'calc/__init__.py': 'from .core import add, divide\n\n__all__ = ["add", "divide"]\n',
  'calc/core.py': 'def add(a, b):\n    return a + b\n\n\ndef divide(a, b):\n    return a / b\n',
  'calc/more.pyi': 'def more(x: int) -> int: ...\n',
  'calc/cli.py': 'import sys\n\nfrom calc import core\n\n\ndef main():\n    # more arguments some day\n    print(core.add(*map(int, sys.argv[1:])))\n',
  'docs/conf.py': '# Sphinx configuration: the project uses a list of extensions.\nextensions = []\nproject = "calc"\n',
  'tests/test_core.py': 'from calc.core import divide\n\n\ndef test_divide():\n    assert divide(4, 2) == 2\n'
})

const jsProject = () => ({
  'package.json': JSON.stringify({ name: 'strings', type: 'module', scripts: { test: 'node --test' } }),
  'src/strings.js': "export function capitalize(s) {\n  return s[0].toUpperCase() + s.slice(1)\n}\n\nexport const slugify = (s) => s.toLowerCase().replace(/\\s+/g, '-')\n",
  'src/index.js': "export { capitalize, slugify } from './strings.js'\nexport * from './calc.js'\n",
  'src/calc.js': 'export function add(a, b) {\n  return a + b\n}\n',
  'src/format.js': "import { capitalize } from './strings.js'\n\nexport const title = (s) => capitalize(s)\n",
  'lib/legacy.cjs': "const { slugify } = require('../src/strings.js')\nmodule.exports = { slug: slugify }\n",
  'docs/capitalize.md': '# Capitalize\n\nHow strings are capitalized: the first letter throws off empty strings.\n',
  'README.md': '# strings\n\nCapitalize strings; empty strings are common.\n',
  'test/strings.test.js': "import { test } from 'node:test'\nimport assert from 'node:assert'\nimport { capitalize } from '../src/strings.js'\n\ntest('capitalize', () => assert.equal(capitalize('ab'), 'Ab'))\n"
})

async function plan(files: Record<string, string>, issue: { title: string; body: string }) {
  const dir = repo(files)
  const t = trigger({ stage: 'needs-architecture', role: 'architect', agent: 'architect', workspace: dir, issue: { number: 9, ...issue } })
  const r = parse(await architect(context(t)))
  expect(r).toMatchObject({ status: 'done', labelUpdate: { from: 'needs-architecture', to: 'ready-for-dev' } })
  const section = (name: string) => (r.body.split(`## ${name}\n`)[1] ?? '').split('\n## ')[0] as string
  return { body: r.body, affected: section('Affected files'), risks: section('Risks'), testPlan: section('Test plan'), statusText: r.statusText }
}

describe('codeNames', () => {
  it('takes identifiers from code spans and code-like prose words, never plain words or paths', () => {
    expect(codeNames('Calling `divide(1, 0)` gives more errors; the docs uses list of things.')).toEqual(['divide'])
    expect(codeNames('`calc.divide` and `src/calc.js` and `Widget`')).toEqual(['divide', 'Widget'])
    expect(codeNames('parse_args breaks when loadConfig() calls _private and render()')).toEqual(['parse_args', 'loadConfig', '_private', 'render'])
    expect(codeNames(`Steps: \`node -e "import('./src/strings.js').then(m => console.log(m.capitalize('')))"\``)).toEqual(['capitalize'])
    expect(codeNames('`TypeError: Cannot read properties of undefined` when it is more or less done.')).toEqual([])
    // A name inside a fenced patch is the patch's business, not the prose's.
    expect(codeNames('Fix:\n\n```diff\n+function helperName() {}\n```\n')).toEqual([])
  })
})

describe('findSites', () => {
  it('tells definitions from imports and from mere mentions, with the line', () => {
    const files = pythonProject() as Record<string, string>
    const sites = findSites(Object.keys(files), (p) => files[p] ?? null, ['divide', 'more'])
    expect(sites).toEqual([
      { path: 'calc/__init__.py', name: 'divide', kind: 'imports', line: 1 },
      { path: 'calc/core.py', name: 'divide', kind: 'defines', line: 5 },
      { path: 'calc/more.pyi', name: 'more', kind: 'defines', line: 1 },
      { path: 'tests/test_core.py', name: 'divide', kind: 'imports', line: 1 }
    ])
    const js = jsProject() as Record<string, string>
    const jsSites = findSites(Object.keys(js), (p) => js[p] ?? null, ['capitalize', 'slugify'])
    expect(jsSites.map((s) => `${s.path} ${s.kind} ${s.name}:${s.line}`)).toEqual([
      'src/strings.js defines capitalize:1',
      'src/strings.js defines slugify:5',
      'src/index.js imports capitalize:1',
      'src/index.js imports slugify:1',
      'src/format.js imports capitalize:1',
      'lib/legacy.cjs imports slugify:1',
      'test/strings.test.js imports capitalize:3'
    ])
  })
})

describe('Architect (builtin) reads code', () => {
  it('Python: the file defining the named function and its importers; not more.pyi ("more") nor docs/conf.py ("uses list")', async () => {
    const p = await plan(pythonProject(), {
      title: 'divide by zero gives no more context',
      body: '`divide(1, 0)` raises a bare ZeroDivisionError. More people hit this; the CLI uses list arguments. It should say which argument was zero.'
    })
    expect(p.affected).toContain('- `calc/core.py` — defines `divide` (line 5)')
    expect(p.affected).toContain('- `calc/__init__.py` — imports `divide` (line 1)')
    expect(p.affected).not.toContain('more.pyi')
    expect(p.affected).not.toContain('docs/conf.py')
    expect(p.affected).not.toContain('calc/cli.py')
    expect(p.affected).toContain('Related tests:\n- `tests/test_core.py`')
    expect(p.risks).toContain('`divide` is defined in `calc/core.py` line 5 and imported by 2 files (`calc/__init__.py`, `tests/test_core.py`): a change to its behaviour reaches them.')
    expect(p.risks).not.toContain('No test covers')
    expect(p.testPlan).toContain('- Run `python3 -m pytest -q`')
    expect(p.statusText).toMatch(/^Planned #9: 2 affected files/)
  })

  it('JS: definition, re-export and importers; not README.md nor docs/capitalize.md', async () => {
    const p = await plan(jsProject(), { title: "capitalize('') throws a TypeError", body: "`capitalize('')` throws `TypeError: Cannot read properties of undefined` instead of returning ''." })
    const lines = p.affected.split('\n').filter((l) => l.startsWith('- `'))
    expect(lines.slice(0, 3)).toEqual(['- `src/strings.js` — defines `capitalize` (line 1)', '- `src/format.js` — imports `capitalize` (line 1)', '- `src/index.js` — imports `capitalize` (line 1)'])
    expect(p.affected).not.toMatch(/README|docs\/capitalize\.md|legacy\.cjs|calc\.js/)
    expect(p.affected).toContain('Related tests:\n- `test/strings.test.js`')
    expect(p.risks).toContain('`capitalize` is defined in `src/strings.js` line 1 and imported by 3 files (`src/format.js`, `src/index.js`, `test/strings.test.js`)')
    expect(p.body).toContain('- Make the smallest change in `src/strings.js`')
  })

  it('a patch in the issue decides the files, and the risks give its lines and files', async () => {
    const body = [
      'Fix for `capitalize`:',
      '',
      '```diff',
      '--- a/src/strings.js',
      '+++ b/src/strings.js',
      '@@ -1,3 +1,4 @@',
      ' export function capitalize(s) {',
      "+  if (s === '') return ''",
      '-  return s[0].toUpperCase() + s.slice(1)',
      '+  return s[0].toUpperCase() + s.slice(1) // first letter',
      ' }',
      '```',
      '',
      '```src/empty.js',
      "export const EMPTY = ''",
      'export const isEmpty = (s) => s === EMPTY',
      '```'
    ].join('\n')
    const p = await plan(jsProject(), { title: 'capitalize of an empty string', body })
    const lines = p.affected.split('\n').filter((l) => l.startsWith('- `'))
    expect(lines.slice(0, 2)).toEqual(['- `src/strings.js` — changed by the patch in the issue (+2 −1)', '- `src/empty.js` — changed by the patch in the issue (+2 −0) (new file)'])
    expect(p.risks).toContain('The patch changes 5 lines (+4 −1) in 2 files, 1 of them new: `src/strings.js`, `src/empty.js`.')
    expect(p.risks).toContain('imported by 3 files (`src/format.js`, `src/index.js`, `test/strings.test.js`), 3 of them outside the patch')
    expect(p.body).toContain('Apply the patch given in the issue body (2 files)')
  })

  it('a whole-file block is sized against the file in the tree', async () => {
    const body = '```calc/core.py\ndef add(a, b):\n    return a + b\n\n\ndef divide(a, b):\n    if b == 0:\n        raise ZeroDivisionError("b is zero")\n    return a / b\n```'
    const p = await plan(pythonProject(), { title: 'A clearer error', body })
    expect(p.affected).toContain('- `calc/core.py` — changed by the patch in the issue (+2 −0)')
    expect(p.risks).toContain('The patch changes 2 lines (+2 −0) in 1 file: `calc/core.py`.')
  })

  it("an untrusted comment's names do not steer the plan; a trusted one's do", async () => {
    const dir = repo(pythonProject())
    const comments = [
      { author: 'mallory', body: 'The real bug is in `main`, see `add`.', association: 'NONE', trusted: false },
      { author: 'ann', body: 'Also check `divide`.', association: 'OWNER', trusted: true }
    ]
    const t = trigger({ stage: 'needs-architecture', role: 'architect', agent: 'architect', workspace: dir, issue: { number: 9, title: 'Wrong results', body: 'Something is off.', comments } })
    const r = parse(await architect(context(t)))
    const affected = r.body.split('## Approach')[0] as string
    expect(affected).toContain('`calc/core.py` — defines `divide` (line 5)')
    expect(affected).not.toContain('calc/cli.py')
    expect(affected).not.toContain('`add`')
  })

  it('words alone name no file, and the risks say so', async () => {
    const p = await plan(pythonProject(), { title: 'Make it better', body: 'It should be more useful; the docs list too little.' })
    expect(p.affected).toContain('No file defines or imports what the issue names')
    expect(p.risks).toContain('The issue names no function, class or file')
    const missing = await plan(pythonProject(), { title: 'Add `power`', body: 'We need `power(base, exp)`.' })
    expect(missing.risks).toContain('No file defines `power`: the change adds new code')
  })
})
