#!/usr/bin/env node
// Builds Baton only when the build is older than its sources (issue #16):
// `npm run serve` and `npm run sandbox` start from a current build in well
// under a second instead of rebuilding for 5–50 s every time.
//
// Stale means: no stamp in out/, a bundle missing, or a source newer than the
// stamp. The stamp's mtime is the moment the build *started*, so a file saved
// while a build ran is still newer than the stamp and the next run rebuilds.
// The build's own output goes to out/build.log; the terminal gets one line, or
// the log's tail when the build fails (exit code kept).
//
// `npm run build` is this script with --force: it always builds, and writes the
// same stamp, so a `npm run serve` after it starts at once.
//
// Usage: node scripts/build-if-stale.js [--root DIR] [--build "COMMAND"] [--force]
//   --root   the project folder (default: this script's parent folder)
//   --build  the build command, run through the shell (default: npx electron-vite build)
//   --force  build even when the build is current
import { spawn } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

/** What the build reads: a change to any of these makes the build stale. */
const SOURCE_DIRS = ['src', 'agents']
const SOURCE_FILES = ['electron.vite.config.ts', 'package.json', 'package-lock.json']
/** What the build makes: one missing (a build someone interrupted, a cleaned folder) makes it stale too. */
const OUTPUTS = ['out/main/cli.js', 'out/main/runner.js', 'out/main/index.js', 'out/preload/index.cjs', 'out/renderer/index.html']
const STAMP = 'out/.build-stamp'
const LOG = 'out/build.log'
const TAIL_LINES = 40

/** The newest mtime (ms) among the project's sources, and which file has it. */
export function newestSource(root) {
  let newest = { path: null, mtimeMs: 0 }
  const consider = (path) => {
    const { mtimeMs } = statSync(path)
    if (mtimeMs > newest.mtimeMs) newest = { path, mtimeMs }
  }
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules') continue
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (entry.isFile()) consider(path)
    }
    // A deleted file leaves only its folder's mtime behind.
    consider(dir)
  }
  for (const dir of SOURCE_DIRS) if (existsSync(join(root, dir))) walk(join(root, dir))
  for (const file of SOURCE_FILES) if (existsSync(join(root, file))) consider(join(root, file))
  for (const name of readdirSync(root)) if (/^tsconfig.*\.json$/.test(name)) consider(join(root, name))
  return newest
}

/** Why the build in `root` must be remade, or null when it is current. */
export function staleReason(root) {
  const stamp = join(root, STAMP)
  if (!existsSync(stamp)) return 'no build stamp'
  const missing = OUTPUTS.find((file) => !existsSync(join(root, file)))
  if (missing) return `${missing} is missing`
  const built = statSync(stamp).mtimeMs
  const newest = newestSource(root)
  if (newest.mtimeMs > built) return `${newest.path.slice(root.length + 1)} changed`
  return null
}

/** Runs `command` in `root` with its output in out/build.log; resolves to its exit code. */
function runBuild(root, command) {
  mkdirSync(join(root, 'out'), { recursive: true })
  const fd = openSync(join(root, LOG), 'w')
  return new Promise((resolvePromise) => {
    const child = spawn(command, { cwd: root, shell: true, stdio: ['ignore', fd, fd] })
    child.once('error', (error) => {
      writeFileSync(join(root, LOG), `${error.message}\n`, { flag: 'a' })
      resolvePromise(1)
    })
    child.once('exit', (code, signal) => resolvePromise(code ?? (signal ? 1 : 0)))
  }).finally(() => closeSync(fd))
}

/**
 * Builds when stale. Resolves to the exit code: 0 when current or built,
 * the build's code when it failed (the stamp then stays as it was).
 */
export async function buildIfStale({ root, command = 'npx electron-vite build', force = false, out = process.stdout, err = process.stderr }) {
  const reason = staleReason(root) ?? (force ? 'forced' : null)
  if (!reason) return 0
  const started = Date.now()
  out.write(`Building Baton (${reason})… `)
  const code = await runBuild(root, command)
  const seconds = ((Date.now() - started) / 1000).toFixed(1)
  if (code !== 0) {
    out.write('failed.\n')
    const lines = readFileSync(join(root, LOG), 'utf8').trimEnd().split('\n')
    err.write(`The build failed (exit ${code}) after ${seconds} s. The last lines of ${join(root, LOG)}:\n${lines.slice(-TAIL_LINES).join('\n')}\n`)
    return code
  }
  const stamp = join(root, STAMP)
  writeFileSync(stamp, `built ${new Date(started).toISOString()} in ${seconds} s\n`)
  utimesSync(stamp, new Date(started), new Date(started))
  out.write(`done in ${seconds} s\n`)
  return 0
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let flags
  try {
    flags = parseArgs({ options: { root: { type: 'string' }, build: { type: 'string' }, force: { type: 'boolean' } }, strict: true }).values
  } catch (error) {
    console.error(`build-if-stale: ${error.message}\nUsage: node scripts/build-if-stale.js [--root DIR] [--build "COMMAND"] [--force]`)
    process.exit(2)
  }
  const root = resolve(flags.root ?? join(dirname(fileURLToPath(import.meta.url)), '..'))
  process.exitCode = await buildIfStale({ root, command: flags.build, force: flags.force === true })
}
