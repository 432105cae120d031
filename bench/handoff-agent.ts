// The agent side of the hand-off benchmark: the real watcher and atomic writer
// of the file protocol, no provider. Records when each trigger was picked up
// and when each response was renamed into place.
import { writeFileSync } from 'node:fs'
import { ipcPaths, readIfExists, watchFolder, writeAtomic } from '../src/main/agents/file-ipc'

const [ipcDir, agent, outFile, total] = process.argv.slice(2) as [string, string, string, string]
const paths = ipcPaths(ipcDir)
const now = () => performance.timeOrigin + performance.now()
const seen = new Set<string>()
const pickups: Record<string, number> = {}
const renamed: Record<string, number> = {}

const check = () => {
  const raw = readIfExists(paths.trigger(agent))
  if (!raw) return
  const { task } = JSON.parse(raw) as { task: string }
  if (seen.has(task)) return
  seen.add(task)
  pickups[task] = now()
  renamed[task] = writeAtomic(paths.response(agent), `TASK: ${task}\nDONE: ok\n`)
  // Main answers with the next trigger within milliseconds: look again soon.
  watcher.poke()
  if (seen.size === Number(total)) {
    writeFileSync(outFile, JSON.stringify({ pickups, renamed }))
    process.exit(0)
  }
}
const watcher = watchFolder(paths.triggers, '.trigger', check, { scanMs: 250 })
process.send?.('ready')
