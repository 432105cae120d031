// What the tests reviewer needs to know about a repository's files and test
// runs: which changed files are tests and which are source, which source a
// changed test covers (by name: test/calc.test.js covers src/calc.js), how to
// run one test file with the repository's own runner, and where a failing
// run points (its error and the file:line places in its output).
import { existsSync, readFileSync, realpathSync } from 'node:fs'
import { basename, dirname, join, relative, resolve } from 'node:path'
import { detectTestCommand } from '../tester/detect'

const TEST = /(?:^|\/)(?:tests?|__tests__|spec)\/|\.(?:test|spec)\.[cm]?[jt]sx?$|(?:^|\/)test_[^/]*\.py$|_test\.(?:py|go)$/
const SOURCE = /\.(?:[cm]?[jt]sx?|py|go|rs|rb|java|kt|swift|c|cc|cpp|h|hpp|cs|php)$/
/** Code that is configuration, not behaviour to test. */
const CONFIG = /(?:^|\/)[^/]*\.config\.[cm]?[jt]s$|(?:^|\/)(?:setup|conftest|manage)\.py$|(?:^|\/)\.[^/]+$/

export const isTest = (path: string): boolean => TEST.test(path)
export const isSource = (path: string): boolean => SOURCE.test(path) && !TEST.test(path) && !CONFIG.test(path) && !/(?:^|\/)(?:docs?|examples?|scripts?)\//.test(path)

/** The name a test would carry: the file's stem, or its folder's for an index/__init__. */
export function stemOf(path: string): string {
  const name = basename(path).replace(/\.[^.]+$/, '').toLowerCase()
  return name === 'index' || name === '__init__' || name === 'mod' || name === 'main' ? basename(dirname(path)).toLowerCase() : name
}

/** Whether one of the changed tests names the source file's stem. */
export function covered(source: string, tests: readonly string[]): boolean {
  const stem = stemOf(source)
  return stem.length > 0 && tests.some((t) => t.toLowerCase().split(/[^a-z0-9]+/).includes(stem))
}

export interface TestRun {
  command: string
  args: string[]
  label: string
}

function scripts(dir: string): Record<string, string> {
  try {
    return ((JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {}) as Record<string, string>
  } catch {
    return {}
  }
}

/** How to run one test file with the repository's own runner; null when there is none for it. */
export function runFor(dir: string, file: string, node: string): TestRun | null {
  const test = scripts(dir).test ?? ''
  const bin = (name: string) => (existsSync(join(dir, 'node_modules', '.bin', name)) ? join(dir, 'node_modules', '.bin', name) : null)
  if (/\.[cm]?[jt]sx?$/.test(file)) {
    for (const [name, args] of [['vitest', ['run', file]], ['jest', [file]], ['mocha', [file]]] as const) {
      const exe = bin(name)
      if (new RegExp(`\\b${name}\\b`).test(test) && exe) return { command: exe, args: [...args], label: `${name} ${file}` }
    }
    // node --test is in the test script, or nothing else runs JavaScript tests here: Node's own runner.
    if (/\.[cm]?js$/.test(file) && (/\bnode\b.*--test\b/.test(test) || !/\b(vitest|jest|mocha|ava|tap)\b/.test(test))) return { command: node, args: ['--test', file], label: `node --test ${file}` }
    return null
  }
  if (file.endsWith('.py')) {
    const detected = detectTestCommand(dir)
    if (!detected || detected.source === 'pytest') return { command: 'python3', args: ['-m', 'pytest', '-q', file], label: `pytest ${file}` }
    return null
  }
  if (file.endsWith('_test.go')) return { command: 'go', args: ['test', `./${dirname(file)}`], label: `go test ./${dirname(file)}` }
  return null
}

/** The failing run's error, in one line: Node's TAP `name`/`error`, an `…Error: …` line, else its last line. */
export function failureMessage(output: string): string {
  const error = /^\s*error: (['"])(.*)\1\s*$/m.exec(output)?.[2]
  const name = /^\s*name: '?(\w+)'?\s*$/m.exec(output)?.[1]
  if (name && error) return `${name}: ${error}`
  const thrown = /^[#\s]*((?:[A-Z]\w*)?(?:Error|Exception)\b:? .+)$/m.exec(output)?.[1]
  if (thrown) return thrown.trim()
  if (error && error !== 'test failed') return error
  const last = output.trim().split('\n').filter((l) => l.trim() && !/^#\s*(tests|suites|pass|fail|cancelled|skipped|todo|duration_ms)\b/.test(l)).pop()
  return (last ?? 'the run failed').trim().slice(0, 300)
}

/** Repository-relative file:line places a run's output names (stacks, tracebacks, TAP locations), in order, once each. */
export function placesIn(output: string, root: string): Array<{ file: string; line: number }> {
  const roots = [resolve(root)]
  try {
    roots.push(realpathSync(root))
  } catch {
    /* the root is what it is */
  }
  const seen = new Set<string>()
  const out: Array<{ file: string; line: number }> = []
  const add = (raw: string, line: number) => {
    const path = raw.replace(/^file:\/\//, '')
    for (const r of roots) {
      const rel = relative(r, resolve(r, path)).split('\\').join('/')
      if (rel.startsWith('..') || rel.startsWith('/') || rel.includes('node_modules/')) continue
      const key = `${rel}:${line}`
      if (!seen.has(key)) {
        seen.add(key)
        out.push({ file: rel, line })
      }
      return
    }
  }
  for (const m of output.matchAll(/((?:file:\/\/)?[\w./@+-]*\.(?:[cm]?[jt]sx?|py|go)):(\d+)/g)) add(m[1] as string, Number(m[2]))
  for (const m of output.matchAll(/File "([^"]+)", line (\d+)/g)) add(m[1] as string, Number(m[2]))
  return out
}
