// The linters and type checkers a repository has, found from its files, and
// how each one's output becomes findings. Each runs as an argument array with
// no shell, from the worktree's own installation (node_modules/.bin) or PATH;
// nothing is installed. A checker the repository configures but the worktree
// cannot run is named as not run, never taken as a clean result.
import { existsSync, readFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import type { Finding } from '../../src/main/review/findings'

export interface Checker {
  name: string
  command: string
  args: string[]
  /** The changed files it checks. */
  files: string[]
  /** Findings from its output (paths repository-relative); null when the output is not the tool's (it crashed). */
  parse(out: { stdout: string; stderr: string; code: number | null }, root: string): Finding[] | null
}

export interface Plan {
  checkers: Checker[]
  /** Checkers the repository configures that cannot run here, with why. */
  notRun: string[]
}

const JS = /\.(?:js|mjs|cjs|jsx)$/
const TS = /\.(?:ts|mts|cts|tsx)$/
const PY = /\.py$/

const read = (path: string) => {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return null
  }
}

function packageJson(dir: string): { type?: string; scripts?: Record<string, string>; eslintConfig?: unknown } {
  try {
    const pkg = JSON.parse(read(join(dir, 'package.json')) ?? '{}') as unknown
    return pkg && typeof pkg === 'object' ? (pkg as Record<string, never>) : {}
  } catch {
    return {}
  }
}

/** Repository-relative forward-slash path of a tool's file name (absolute or relative to the root). */
export function repoPath(root: string, file: string): string {
  return relative(root, resolve(root, file)).split('\\').join('/')
}

const bin = (dir: string, name: string) => (existsSync(join(dir, 'node_modules', '.bin', name)) ? join(dir, 'node_modules', '.bin', name) : null)

function eslint(dir: string, files: string[], scripts: Record<string, string>, pkg: { eslintConfig?: unknown }, plan: Plan) {
  const configs = ['eslint.config.js', 'eslint.config.mjs', 'eslint.config.cjs', 'eslint.config.ts', 'eslint.config.mts', 'eslint.config.cts', '.eslintrc', '.eslintrc.js', '.eslintrc.cjs', '.eslintrc.json', '.eslintrc.yml', '.eslintrc.yaml']
  const configured = configs.some((c) => existsSync(join(dir, c))) || pkg.eslintConfig !== undefined || Object.values(scripts).some((s) => /\beslint\b/.test(s))
  const mine = files.filter((f) => JS.test(f) || TS.test(f))
  if (!configured || mine.length === 0) return false
  const exe = bin(dir, 'eslint')
  if (!exe) {
    plan.notRun.push('eslint (configured, but not installed in the worktree: no node_modules/.bin/eslint)')
    return false
  }
  plan.checkers.push({
    name: 'eslint',
    command: exe,
    args: ['--format', 'json', '--no-color', ...mine],
    files: mine,
    parse: ({ stdout }, root) => {
      let results: Array<{ filePath: string; messages: Array<{ ruleId: string | null; severity: number; message: string; line?: number; fatal?: boolean }> }>
      try {
        results = JSON.parse(stdout) as typeof results
      } catch {
        return null
      }
      return results.flatMap((r) =>
        r.messages.map((m): Finding => ({
          file: repoPath(root, r.filePath),
          line: m.line ?? 0,
          severity: m.fatal ? 'critical' : m.severity >= 2 ? 'recommendation' : 'observation',
          text: m.message,
          ...(m.ruleId ? { rule: m.ruleId } : m.fatal ? { rule: 'syntax' } : {})
        }))
      )
    }
  })
  return true
}

function tsc(dir: string, files: string[], scripts: Record<string, string>, plan: Plan) {
  const configured = existsSync(join(dir, 'tsconfig.json')) || Object.values(scripts).some((s) => /\btsc\b/.test(s))
  const mine = files.filter((f) => TS.test(f))
  if (!configured || mine.length === 0) return
  const exe = bin(dir, 'tsc')
  if (!exe) {
    plan.notRun.push('tsc (a tsconfig.json, but TypeScript is not installed in the worktree: no node_modules/.bin/tsc)')
    return
  }
  const project = existsSync(join(dir, 'tsconfig.json')) ? ['-p', 'tsconfig.json'] : mine
  plan.checkers.push({
    name: 'tsc',
    command: exe,
    args: ['--noEmit', '--pretty', 'false', ...project],
    files: mine,
    parse: ({ stdout }, root) =>
      [...stdout.matchAll(/^(.+?)\((\d+),\d+\): error (TS\d+): (.+)$/gm)].map((m) => ({
        file: repoPath(root, m[1] as string),
        line: Number(m[2]),
        severity: 'critical' as const,
        text: m[4] as string,
        rule: m[3] as string
      }))
  })
}

/** Python tools: ruff when configured, else flake8 when configured, else pyflakes; each only when it runs here. */
function python(dir: string, files: string[], available: (cmd: string, args: string[]) => boolean, plan: Plan) {
  const mine = files.filter((f) => PY.test(f))
  if (mine.length === 0) return false
  const pyproject = read(join(dir, 'pyproject.toml')) ?? ''
  const ruffConfigured = existsSync(join(dir, 'ruff.toml')) || existsSync(join(dir, '.ruff.toml')) || /\[tool\.ruff/.test(pyproject)
  if (ruffConfigured) {
    if (available('ruff', ['--version'])) {
      plan.checkers.push({
        name: 'ruff',
        command: 'ruff',
        args: ['check', '--output-format', 'json', '--no-fix', ...mine],
        files: mine,
        parse: ({ stdout }, root) => {
          try {
            const rows = JSON.parse(stdout) as Array<{ filename: string; code: string | null; message: string; location?: { row?: number } }>
            return rows.map((r) => ({ file: repoPath(root, r.filename), line: r.location?.row ?? 0, severity: r.code?.startsWith('E9') ? ('critical' as const) : ('recommendation' as const), text: r.message, ...(r.code ? { rule: r.code } : {}) }))
          } catch {
            return null
          }
        }
      })
      return true
    }
    plan.notRun.push('ruff (configured, but no ruff on PATH)')
  }
  const flake8Configured = existsSync(join(dir, '.flake8')) || /^\[flake8\]/m.test(read(join(dir, 'setup.cfg')) ?? '') || /^\[flake8\]/m.test(read(join(dir, 'tox.ini')) ?? '')
  const colon = (name: string) => ({ stdout }: { stdout: string }, root: string) =>
    [...stdout.matchAll(/^(.+?):(\d+):(?:\d+:)?\s*(?:([A-Z]+\d+)\s+)?(.+)$/gm)].map((m) => ({
      file: repoPath(root, m[1] as string),
      line: Number(m[2]),
      severity: /^E9|^F63|^F7|^F82/.test(m[3] ?? '') || /syntax|invalid|unexpected indent/i.test(m[4] as string) ? ('critical' as const) : ('recommendation' as const),
      text: m[4] as string,
      rule: m[3] ?? name
    }))
  if (flake8Configured) {
    if (available('python3', ['-m', 'flake8', '--version'])) {
      plan.checkers.push({ name: 'flake8', command: 'python3', args: ['-m', 'flake8', ...mine], files: mine, parse: colon('flake8') })
      return true
    }
    plan.notRun.push('flake8 (configured, but python3 -m flake8 does not run here)')
  }
  if (available('python3', ['-m', 'pyflakes', '--version'])) {
    plan.checkers.push({ name: 'pyflakes', command: 'python3', args: ['-m', 'pyflakes', ...mine], files: mine, parse: colon('pyflakes') })
    return true
  }
  return false
}

/**
 * What to run on `files` (the changed files present at the head) in `dir`.
 * The floors: every changed JavaScript file eslint does not check is parsed
 * with `node --check`, every changed Python file no Python linter checks is
 * compiled: a file that does not load is a finding whatever the repository
 * configures.
 */
export function planCheckers(dir: string, files: string[], o: { node: string; available: (cmd: string, args: string[]) => boolean; esmFlag: boolean }): Plan {
  const plan: Plan = { checkers: [], notRun: [] }
  const pkg = packageJson(dir)
  const scripts = pkg.scripts ?? {}
  const linted = eslint(dir, files, scripts, pkg, plan)
  tsc(dir, files, scripts, plan)
  const pyLinted = python(dir, files, o.available, plan)
  if (!linted) {
    for (const file of files.filter((f) => JS.test(f))) {
      // Node 20 passes a .js file with import/export and no "type" under --check without parsing it as a module: say it is one.
      const source = read(join(dir, file)) ?? ''
      const esm = !file.endsWith('.cjs') && (file.endsWith('.mjs') || pkg.type === 'module' || /^\s*(?:import\s*[\w{*'"]|export\s)/m.test(source))
      const flag = esm && !file.endsWith('.mjs') && pkg.type !== 'module' && o.esmFlag ? ['--experimental-default-type=module'] : []
      plan.checkers.push({ name: 'node --check', command: o.node, args: [...flag, '--check', file], files: [file], parse: (out, root) => nodeCheck(out, root, file) })
    }
  }
  if (!pyLinted) {
    for (const file of files.filter((f) => PY.test(f))) {
      plan.checkers.push({ name: 'py_compile', command: 'python3', args: ['-m', 'py_compile', file], files: [file], parse: (out, root) => pyCompile(out, root, file) })
    }
  }
  return plan
}

/** `node --check`: "<file>:<line>", the source, a caret, then "SyntaxError: …". */
export function nodeCheck(out: { stderr: string; code: number | null }, root: string, file: string): Finding[] | null {
  if (out.code === 0) return []
  const at = /^(.+?):(\d+)\s*$/m.exec(out.stderr)
  const error = /^(\w*Error): (.+)$/m.exec(out.stderr)
  if (!error) return null
  return [{ file: at ? repoPath(root, at[1] as string) : file, line: at ? Number(at[2]) : 0, severity: 'critical', text: `${error[1]}: ${error[2]}`, rule: 'syntax' }]
}

/** `python3 -m py_compile`: `File "<file>", line <n>` and the error's last line. */
export function pyCompile(out: { stderr: string; code: number | null }, root: string, file: string): Finding[] | null {
  if (out.code === 0) return []
  const at = /File "(.+?)", line (\d+)/.exec(out.stderr)
  const error = /^(\w*Error): (.+)$/m.exec(out.stderr)
  if (!error) return null
  return [{ file: at ? repoPath(root, at[1] as string) : file, line: at ? Number(at[2]) : 0, severity: 'critical', text: `${error[1]}: ${error[2]}`, rule: 'syntax' }]
}
