#!/usr/bin/env node
// The `baton` command: runs the built CLI bundle (npm run build makes it).
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'out', 'main', 'cli.js')
if (!existsSync(cli)) {
  console.error('baton: the app is not built yet. Run "npm run build" in the Baton folder first.')
  process.exit(1)
}
const { main } = await import(pathToFileURL(cli).href)
const code = await main(process.argv.slice(2))
if (code >= 0) process.exitCode = code
