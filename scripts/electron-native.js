#!/usr/bin/env node
// Builds better-sqlite3 for Electron's ABI into .electron-native/, leaving the
// Node build in node_modules alone: tests, the CLI and the headless server keep
// loading node_modules' build, and the desktop app loads this one through
// better-sqlite3's `nativeBinding` option (src/main/desktop/native.ts).
// Needs Electron's headers (downloaded by node-gyp on first use).
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)
const root = join(dirname(new URL(import.meta.url).pathname), '..')
const electronVersion = JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')).version
const sqliteDir = dirname(require.resolve('better-sqlite3/package.json'))
const sqliteVersion = JSON.parse(readFileSync(join(sqliteDir, 'package.json'), 'utf8')).version
const outDir = join(root, '.electron-native', 'better-sqlite3')
const stamp = join(root, '.electron-native', 'stamp.json')
const want = { electron: electronVersion, betterSqlite3: sqliteVersion, platform: process.platform, arch: process.arch }
const binary = join(outDir, 'build', 'Release', 'better_sqlite3.node')

if (existsSync(binary) && existsSync(stamp) && readFileSync(stamp, 'utf8') === JSON.stringify(want)) process.exit(0)

console.log(`Building better-sqlite3 ${sqliteVersion} for Electron ${electronVersion} (once)…`)
rmSync(outDir, { recursive: true, force: true })
mkdirSync(outDir, { recursive: true })
for (const entry of ['package.json', 'binding.gyp', 'src', 'deps']) cpSync(join(sqliteDir, entry), join(outDir, entry), { recursive: true })
const nodeGyp = require.resolve('node-gyp/bin/node-gyp.js')
try {
  execFileSync(
    process.execPath,
    [nodeGyp, 'rebuild', '--release', `--target=${electronVersion}`, '--runtime=electron', '--dist-url=https://electronjs.org/headers'],
    { cwd: outDir, stdio: 'inherit' }
  )
} catch {
  console.error(
    '\nCould not build better-sqlite3 for Electron (are Electron\'s headers reachable?).\n' +
      'The headless mode needs no such build: run "npm run serve" instead.'
  )
  process.exit(1)
}
writeFileSync(stamp, JSON.stringify(want))
console.log(`Built ${binary}`)
