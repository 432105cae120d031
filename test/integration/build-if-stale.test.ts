// scripts/build-if-stale.js on a tiny fake project: the real script in a real
// child process, with a build command that makes the outputs and counts its runs.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, statSync, utimesSync, writeFileSync, existsSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { expect, it } from 'vitest'

const script = resolve('scripts/build-if-stale.js')
const outputs = ['out/main/cli.js', 'out/main/runner.js', 'out/main/index.js', 'out/preload/index.cjs', 'out/renderer/index.html']

function fakeProject(): string {
  const root = mkdtempSync(join(tmpdir(), 'baton-stale-'))
  for (const [file, text] of Object.entries({
    'src/main/cli.ts': 'export {}\n',
    'agents/pm/role.yml': 'name: pm\n',
    'package.json': '{"name":"fake"}\n',
    'tsconfig.node.json': '{}\n',
    'electron.vite.config.ts': 'export default {}\n',
    // The fake build: writes every output, says a few lines like a bundler, counts its runs.
    'build.cjs': `const fs = require('fs'), path = require('path')
for (const f of ${JSON.stringify(outputs)}) { fs.mkdirSync(path.dirname(f), { recursive: true }); fs.writeFileSync(f, 'built') }
fs.appendFileSync('runs', 'x')
for (let i = 0; i < 60; i++) console.log('vite line ' + i)
if (process.env.FAIL) { console.error('error: the bundle broke'); process.exit(4) }
`
  })) {
    mkdirSync(join(root, file, '..'), { recursive: true })
    writeFileSync(join(root, file), text)
  }
  // Sources a minute old: a build now is newer than them.
  const past = new Date(Date.now() - 60_000)
  for (const file of ['src/main/cli.ts', 'src/main', 'src', 'agents/pm/role.yml', 'agents/pm', 'agents', 'package.json', 'tsconfig.node.json', 'electron.vite.config.ts']) utimesSync(join(root, file), past, past)
  return root
}

// A start from the current build is pinned by what ran (no build, nothing printed), never by a time: bench/ measures it.
const run = (root: string, env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [script, '--root', root, '--build', `node build.cjs`], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000 })
const runs = (root: string) => (existsSync(join(root, 'runs')) ? readFileSync(join(root, 'runs'), 'utf8').length : 0)

it('builds once, then starts from the current build; a touched source rebuilds', () => {
  const root = fakeProject()
  const first = run(root)
  expect(first.status).toBe(0)
  expect(first.stdout).toMatch(/^Building Baton \(no build stamp\)… done in \d+\.\d s\n$/)
  expect(runs(root)).toBe(1)
  // The bundler's chatter is in the log, not on the terminal.
  expect(readFileSync(join(root, 'out/build.log'), 'utf8')).toContain('vite line 59')

  const second = run(root)
  expect(second.status).toBe(0)
  expect(second.stdout).toBe('')
  expect(runs(root)).toBe(1)

  // Saved now: newer than the stamp, which is the moment the last build started.
  const now = new Date()
  utimesSync(join(root, 'src/main/cli.ts'), now, now)
  const third = run(root)
  expect(third.status).toBe(0)
  expect(third.stdout).toMatch(/^Building Baton \(src\/main\/cli\.ts changed\)… done in/)
  expect(runs(root)).toBe(2)
  expect(run(root).stdout).toBe('')
})

it('a tsconfig, a deleted source or a missing bundle make the build stale too', () => {
  const root = fakeProject()
  expect(run(root).status).toBe(0)
  const later = new Date()
  utimesSync(join(root, 'tsconfig.node.json'), later, later)
  expect(run(root).stdout).toContain('(tsconfig.node.json changed)')

  writeFileSync(join(root, 'src/main/extra.ts'), 'export {}\n')
  expect(run(root).stdout).toContain('changed')
  rmSync(join(root, 'src/main/extra.ts'))
  const evenLater = new Date()
  utimesSync(join(root, 'src/main'), evenLater, evenLater)
  expect(run(root).stdout).toContain('(src/main changed)')

  rmSync(join(root, 'out/main/runner.js'))
  expect(run(root).stdout).toContain('(out/main/runner.js is missing)')
  expect(runs(root)).toBe(5)
})

it('a failed build prints the log\'s tail, keeps its exit code, and is tried again next time', () => {
  const root = fakeProject()
  const failed = run(root, { FAIL: '1' })
  expect(failed.status).toBe(4)
  expect(failed.stdout).toContain('failed.')
  expect(failed.stderr).toContain('The build failed (exit 4)')
  expect(failed.stderr).toContain('error: the bundle broke')
  expect(failed.stderr).not.toContain('vite line 0\n')
  expect(run(root).stdout).toMatch(/done in/)
  expect(runs(root)).toBe(2)
})

// `npm run build` (the real script from package.json, with the fake project's
// root and build command after `--`) builds even when current and writes the
// stamp: a `npm run serve` after it starts from that build.
const npmBuild = (root: string) =>
  spawnSync('npm', ['run', '--silent', 'build', '--', '--root', root, '--build', 'node build.cjs'], { encoding: 'utf8', timeout: 60_000 })

it('npm run build always builds and writes the stamp, so the next serve does not rebuild', () => {
  const root = fakeProject()
  const fresh = npmBuild(root)
  expect(fresh.status, fresh.stderr).toBe(0)
  expect(fresh.stdout).toMatch(/^Building Baton \(no build stamp\)… done in \d+\.\d s\n$/)
  expect(existsSync(join(root, 'out/.build-stamp'))).toBe(true)
  expect(runs(root)).toBe(1)
  // What npm run serve/sandbox do first: nothing, the build is current.
  expect(run(root).stdout).toBe('')
  expect(runs(root)).toBe(1)

  const stampBefore = statSync(join(root, 'out/.build-stamp')).mtimeMs
  const again = npmBuild(root)
  expect(again.status, again.stderr).toBe(0)
  expect(again.stdout).toMatch(/^Building Baton \(forced\)… done in/)
  expect(runs(root)).toBe(2)
  expect(statSync(join(root, 'out/.build-stamp')).mtimeMs).toBeGreaterThanOrEqual(stampBefore)
  expect(run(root).stdout).toBe('')
  expect(runs(root)).toBe(2)
})
