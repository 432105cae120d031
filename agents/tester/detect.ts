// How a repository runs its own tests, found from its files. An argument
// array, run without a shell.
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

export interface TestCommand {
  command: string
  args: string[]
  /** What gave it away, for the report. */
  source: string
}

const read = (path: string) => {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return null
  }
}

const NPM_PLACEHOLDER = /no test specified/

export function detectTestCommand(dir: string, configured?: string[]): TestCommand | null {
  if (configured?.length) return { command: configured[0] as string, args: configured.slice(1), source: 'the configured test command' }
  const pkg = read(join(dir, 'package.json'))
  if (pkg) {
    try {
      const test = (JSON.parse(pkg) as { scripts?: Record<string, string> }).scripts?.test
      if (test && !NPM_PLACEHOLDER.test(test)) return { command: process.platform === 'win32' ? 'npm.cmd' : 'npm', args: ['test'], source: `package.json "test": ${test}` }
    } catch {
      /* not JSON: look further */
    }
  }
  const pyproject = read(join(dir, 'pyproject.toml')) ?? ''
  const setupCfg = read(join(dir, 'setup.cfg')) ?? ''
  const names = (() => {
    try {
      return readdirSync(dir)
    } catch {
      return [] as string[]
    }
  })()
  const pyTests =
    names.some((n) => /^test_.*\.py$|_test\.py$/.test(n)) ||
    (existsSync(join(dir, 'tests')) && (() => {
      try {
        return readdirSync(join(dir, 'tests')).some((n) => /^test_.*\.py$|_test\.py$/.test(n))
      } catch {
        return false
      }
    })())
  if (existsSync(join(dir, 'pytest.ini')) || existsSync(join(dir, 'conftest.py')) || /\[tool\.pytest/.test(pyproject) || /\[tool:pytest\]/.test(setupCfg) || pyTests) {
    return { command: 'python3', args: ['-m', 'pytest', '-q'], source: 'pytest' }
  }
  if (existsSync(join(dir, 'go.mod'))) return { command: 'go', args: ['test', './...'], source: 'go.mod' }
  if (existsSync(join(dir, 'Cargo.toml'))) return { command: 'cargo', args: ['test'], source: 'Cargo.toml' }
  const makefile = read(join(dir, 'Makefile')) ?? read(join(dir, 'makefile'))
  if (makefile && /^test\s*:/m.test(makefile)) return { command: 'make', args: ['test'], source: 'Makefile "test" target' }
  return null
}

export const describeCommand = (c: TestCommand) => [c.command, ...c.args].join(' ')

/**
 * For an npm test run in a project with dependencies and no node_modules: the
 * install to run first (`npm ci` with a lockfile, else `npm install`). None
 * when there is nothing to install, so a dependency-free project runs offline.
 */
export function installCommand(dir: string, test: TestCommand): TestCommand | null {
  if (!/^npm(\.cmd)?$/.test(test.command) || existsSync(join(dir, 'node_modules'))) return null
  const pkg = read(join(dir, 'package.json'))
  if (!pkg) return null
  let deps = 0
  try {
    const json = JSON.parse(pkg) as Record<string, unknown>
    for (const key of ['dependencies', 'devDependencies', 'optionalDependencies']) deps += Object.keys((json[key] as object | undefined) ?? {}).length
  } catch {
    return null
  }
  if (deps === 0) return null
  const ci = existsSync(join(dir, 'package-lock.json')) || existsSync(join(dir, 'npm-shrinkwrap.json'))
  return { command: test.command, args: [ci ? 'ci' : 'install', '--no-audit', '--no-fund'], source: ci ? 'package-lock.json' : 'package.json dependencies' }
}
