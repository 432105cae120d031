#!/usr/bin/env node
// The `baton` command: runs the built CLI bundle (npm run build makes it).
import { existsSync } from 'node:fs'
import module from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'out', 'main', 'cli.js')
if (!existsSync(cli)) {
  console.error('baton: the app is not built yet. Run "npm run build" in the Baton folder first.')
  process.exit(1)
}
// Node 22's on-disk cache of compiled code (in the system's temp folder): a
// start after the first compiles none of the bundle and its dependencies again
// (issue #16: a tenth of the CPU to the printed address). Older Node has none.
module.enableCompileCache?.()
const { main } = await import(pathToFileURL(cli).href)
const code = await main(process.argv.slice(2))
if (code >= 0) process.exitCode = code
