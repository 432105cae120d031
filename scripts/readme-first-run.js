#!/usr/bin/env node
// The README's first-run commands, run as a newcomer would (issue #16): a fresh
// clone, the README's install, then its headless command, until the address it
// prints answers. CI runs this after the tests (.ci/run); bench/first-run.ts
// uses the same pieces to time a fresh clone's first start.
//
// The commands come from the README itself, from the fenced block after the
// marker `<!-- first-run -->`, so the README and this check cannot drift. Each
// line there is `INSTALL && START`; every line must share one install. The
// start that needs Electron's binary (`npm start`) cannot run here (README:
// "Machines that cannot download Electron's binary"); the headless one
// (`npm run serve` or `npm run sandbox`) runs with `-- --port 0 --data-dir TMP`
// appended, the serve flags the README documents: CI's machine is shared, so
// not 4646, and never the person's own data folder.
//
// Usage: node scripts/readme-first-run.js [--repo DIR] [--keep]
//   --repo  the git repository to clone (default: this script's project); its HEAD is what runs
//   --keep  leave the temporary folder behind (its path is printed)
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const MARKER = '<!-- first-run -->'
/** Generous: a cold build on a loaded 2-core machine took 52 s once. */
const URL_TIMEOUT_MS = 5 * 60_000
const INSTALL_TIMEOUT_MS = 15 * 60_000

/**
 * The install and the start commands of the README's first-run block.
 * Throws with what it expected when the marker, the block or a line's shape is not there.
 */
export function readmeCommands(readme) {
  const at = readme.indexOf(MARKER)
  if (at < 0) throw new Error(`README.md has no ${MARKER} marker before its first-run commands.`)
  const block = /```[a-z]*\n([\s\S]*?)```/.exec(readme.slice(at + MARKER.length))
  if (!block) throw new Error(`README.md has no fenced code block after ${MARKER}.`)
  const lines = block[1]
    .split('\n')
    .map((line) => line.replace(/\s#.*$/, '').trim())
    .filter(Boolean)
  if (lines.length === 0) throw new Error(`README.md's block after ${MARKER} is empty.`)
  const parsed = lines.map((line) => {
    const parts = line.split('&&').map((part) => part.trim())
    if (parts.length !== 2 || !parts[0] || !parts[1]) throw new Error(`README.md's first-run line "${line}" is not "INSTALL && START".`)
    return { install: parts[0], start: parts[1] }
  })
  const installs = [...new Set(parsed.map((p) => p.install))]
  if (installs.length !== 1) throw new Error(`README.md's first-run lines install in different ways: ${installs.join(' | ')}.`)
  const headless = parsed.find((p) => /^npm run (serve|sandbox)$/.test(p.start))
  if (!headless) throw new Error(`README.md's first-run block has no headless start (npm run serve or npm run sandbox): ${lines.join(' | ')}.`)
  return { install: installs[0], headless: headless.start, others: parsed.filter((p) => p !== headless).map((p) => p.start) }
}

/** `git clone` of `repo`'s HEAD into `dir`; returns the commit. */
export function freshClone(repo, dir) {
  const cloned = spawnSync('git', ['clone', '--quiet', '--no-hardlinks', repo, dir], { encoding: 'utf8' })
  if (cloned.status !== 0) throw new Error(`git clone ${repo} failed: ${cloned.stderr.trim()}`)
  return spawnSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim()
}

/** Runs a shell command in `cwd`, its output shown; resolves to its exit code. */
export function runShown(command, cwd, env, timeoutMs) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, { cwd, env, shell: true, stdio: ['ignore', 'inherit', 'inherit'], detached: true })
    const timer = setTimeout(() => {
      killGroup(child)
      reject(new Error(`"${command}" did not finish in ${timeoutMs / 1000} s.`))
    }, timeoutMs)
    child.once('error', reject)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      resolvePromise(code ?? (signal ? 1 : 0))
    })
  })
}

/** Ends `child` and everything it started (npm → sh → node): it leads its own process group. */
export function killGroup(child, signal = 'SIGTERM') {
  try {
    process.kill(-child.pid, signal)
  } catch {
    // already gone
  }
}

/**
 * Starts `command` (a shell line) in its own process group and waits for the
 * `Open: URL` line. Resolves to { child, url, ms, output }; rejects with what
 * it printed when it exits or does not print the address in time.
 */
export function startUntilUrl(command, cwd, env, timeoutMs = URL_TIMEOUT_MS) {
  const started = performance.now()
  const child = spawn(command, { cwd, env, shell: true, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  let output = ''
  return new Promise((resolvePromise, reject) => {
    const fail = (why) => {
      clearTimeout(timer)
      killGroup(child)
      reject(new Error(`${why}\n--- what "${command}" printed ---\n${output.trimEnd()}`))
    }
    const timer = setTimeout(() => fail(`No "Open: URL" line after ${timeoutMs / 1000} s.`), timeoutMs)
    const take = (chunk) => {
      output += chunk
      const found = /^Open: (http:\/\/\S+)$/m.exec(output)
      if (found) {
        clearTimeout(timer)
        child.removeAllListeners('exit')
        resolvePromise({ child, url: found[1], ms: performance.now() - started, output })
      }
    }
    child.stdout.on('data', take)
    child.stderr.on('data', (chunk) => (output += chunk))
    child.once('exit', (code, signal) => fail(`It exited (${signal ?? `code ${code}`}) before printing the address.`))
  })
}

/** Resolves when `child` has exited; SIGKILLs its group after `graceMs`. */
export function stopGroup(child, graceMs = 15_000) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolvePromise) => {
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs)
    child.once('exit', () => {
      clearTimeout(timer)
      resolvePromise()
    })
    killGroup(child)
  })
}

function http(url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolvePromise, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c) => (text += c))
      res.on('end', () => resolvePromise({ status: res.statusCode, headers: res.headers, text }))
    })
    req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${url} got no answer in 30 s`)))
    req.once('error', reject)
    req.end(body)
  })
}

/**
 * What a person's browser does with the printed address: the token URL trades
 * for a cookie, the dashboard's page answers 200, and the API's app.status
 * answers with the token. Returns app.status's data; throws saying what answered instead.
 */
export async function checkAnswers(printed) {
  const url = new URL(printed)
  const token = url.searchParams.get('token')
  if (!token) throw new Error(`The printed address ${printed} carries no ?token=.`)
  const first = await http(printed)
  const cookie = String(first.headers['set-cookie'] ?? '').split(';')[0]
  if (first.status !== 302 || !cookie) throw new Error(`GET ${url.origin}/?token=… answered ${first.status}, not 302 with a cookie.`)
  const page = await http(`${url.origin}/`, { headers: { cookie } })
  if (page.status !== 200 || !page.text.includes('<title>Baton</title>')) throw new Error(`GET ${url.origin}/ with the cookie answered ${page.status}: ${page.text.slice(0, 200)}`)
  const status = await http(`${url.origin}/api/app.status`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' })
  let parsed
  try {
    parsed = JSON.parse(status.text)
  } catch {
    throw new Error(`POST /api/app.status answered ${status.status} with no JSON: ${status.text.slice(0, 200)}`)
  }
  if (status.status !== 200 || parsed.ok !== true) throw new Error(`POST /api/app.status answered ${status.status}: ${status.text.slice(0, 300)}`)
  const data = parsed.data
  if (data.mode !== 'headless') throw new Error(`app.status says mode ${data.mode}, not headless.`)
  if (data.database.schemaVersion !== data.database.latestVersion) throw new Error(`app.status: the database is at schema ${data.database.schemaVersion} of ${data.database.latestVersion}.`)
  return data
}

async function main() {
  let flags
  try {
    flags = parseArgs({ options: { repo: { type: 'string' }, keep: { type: 'boolean' } }, strict: true }).values
  } catch (error) {
    console.error(`readme-first-run: ${error.message}\nUsage: node scripts/readme-first-run.js [--repo DIR] [--keep]`)
    return 2
  }
  const repo = resolve(flags.repo ?? join(dirname(fileURLToPath(import.meta.url)), '..'))
  const work = mkdtempSync(join(tmpdir(), 'baton-first-run-'))
  const clone = join(work, 'baton')
  const dataDir = join(work, 'data')
  // The README's flag for machines without Electron's binary (CI sets it too).
  const env = { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' }
  const servers = []
  try {
    const commit = freshClone(repo, clone)
    console.log(`README first run: a fresh clone of ${repo} at ${commit} in ${clone}, on node ${process.version}`)
    // The clone's own README: what a newcomer reads is what runs.
    const commands = readmeCommands(readFileSync(join(clone, 'README.md'), 'utf8'))

    console.log(`$ ${commands.install}`)
    let t0 = performance.now()
    const code = await runShown(commands.install, clone, env, INSTALL_TIMEOUT_MS)
    if (code !== 0) throw new Error(`"${commands.install}" failed (exit ${code}).`)
    const installS = (performance.now() - t0) / 1000
    console.log(`install: ${installS.toFixed(1)} s`)
    for (const other of commands.others) console.log(`(not run: "${other}" needs Electron's binary, which this machine cannot download)`)

    const start = `${commands.headless} -- --port 0 --data-dir "${dataDir}"`
    const figures = []
    for (const run of ['cold', 'warm']) {
      console.log(`$ ${start}   (${run}${run === 'cold' ? ': no out/, it builds' : ': built, it must not rebuild'})`)
      const server = await startUntilUrl(start, clone, env)
      servers.push(server.child)
      process.stdout.write(server.output.replace(/^/gm, '  | '))
      if (run === 'warm' && /Building Baton/.test(server.output)) throw new Error('The second start rebuilt: the build stamp of the first was not taken.')
      const status = await checkAnswers(server.url)
      console.log(`  answered: the dashboard 200, app.status ${status.mode} on node ${status.node}, schema ${status.database.schemaVersion}`)
      figures.push(`${run} ${(server.ms / 1000).toFixed(1)} s`)
      await stopGroup(server.child)
    }
    console.log(`README first run: passed (install ${installS.toFixed(1)} s; to the printed address: ${figures.join(', ')})`)
    return 0
  } finally {
    await Promise.all(servers.map((child) => stopGroup(child)))
    if (flags.keep) console.log(`kept ${work}`)
    else rmSync(work, { recursive: true, force: true })
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => (process.exitCode = code),
    (error) => {
      console.error(`README first run: FAILED: ${error.message}`)
      process.exitCode = 1
    }
  )
}
