// Fixtures for the builtin role behaviours: a provider context around a
// trigger, and real git repositories in temporary folders.
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { ProviderContext } from '../../../src/main/agents/providers/types'
import { parseResponse } from '../../../src/shared/protocol/response'
import type { Trigger } from '../../../src/shared/protocol/trigger'

export function trigger(over: Partial<Omit<Trigger, 'issue'>> & { issue?: Partial<Trigger['issue']> } = {}): Trigger {
  const { issue, ...rest } = over
  return {
    v: 1,
    task: 't_fixture',
    attempt: 1,
    agent: 'pm',
    role: 'pm',
    stage: 'backlog',
    repo: { owner: 'acme', name: 'calc', defaultBranch: 'main' },
    workspace: null,
    instructions: '',
    handoffs: [],
    notes: [],
    deadline: new Date(Date.now() + 60_000).toISOString(),
    ...rest,
    issue: { number: 7, title: 'Untitled', body: '', labels: [], author: 'ann', comments: [], ...issue }
  }
}

export function context(t: Trigger, cwd = t.workspace ?? tmpdir()): ProviderContext & { lines: string[] } {
  const lines: string[] = []
  return {
    trigger: t,
    rolePrompt: '',
    settings: { provider: 'builtin', timeLimitSec: 60, maxOutputBytes: 100_000 },
    cwd,
    signal: new AbortController().signal,
    progress: (l) => lines.push(l),
    env: process.env,
    lines
  }
}

export const parse = (r: { text: string }) => parseResponse(r.text)

const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' }
export const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', env: gitEnv }).trim()

/** A git repository with these files committed on `main`, checked out on `branch` when given. */
export function repo(files: Record<string, string>, branch?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'baton-builtin-'))
  execFileSync('git', ['init', '--quiet', '-b', 'main', dir])
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    writeFileSync(join(dir, path), content)
  }
  git(dir, 'add', '.')
  git(dir, 'commit', '--quiet', '-m', 'seed')
  if (branch) git(dir, 'checkout', '--quiet', '-b', branch)
  return dir
}

/** A small Node project whose `npm test` runs node:test. */
export const calcProject = (divide = 'return a / b') => ({
  'package.json': JSON.stringify({ name: 'calc', type: 'module', scripts: { test: 'node --test' } }, null, 2),
  'src/calc.js': `export function add(a, b) {\n  return a + b\n}\n\nexport function divide(a, b) {\n  ${divide}\n}\n`,
  'test/calc.test.js': `import { test } from 'node:test'\nimport assert from 'node:assert'\nimport { add, divide } from '../src/calc.js'\n\ntest('add', () => assert.equal(add(1, 2), 3))\ntest('divide by zero throws', () => assert.throws(() => divide(1, 0)))\n`,
  'README.md': '# calc\n\nA tiny calculator.\n'
})
