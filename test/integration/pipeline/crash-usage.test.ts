// kill -9 of main between two effects of an answer (its comment posted, its
// label move in flight): on the next start the same answer is applied again
// (DESIGN.md §7) — its usage and cost are recorded once, its comment posted
// once, and the answer applied. A real process, killed with SIGKILL, over a
// real SQLite file.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, it } from 'vitest'

const harness = join(process.cwd(), 'test/fixtures/pipeline/crash-harness.ts')

it('kill -9 between two effects of an answer: usage recorded once, comment posted once, after the replay', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'baton-crash-usage-'))
  const child = spawn(process.execPath, ['--import', 'tsx', harness, 'crash', dir], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (c) => (stderr += c))
  const end = Date.now() + 60_000
  while (!existsSync(join(dir, 'at-second-effect'))) {
    if (child.exitCode !== null) throw new Error(`the harness exited ${child.exitCode}: ${stderr}`)
    if (Date.now() > end) throw new Error('timed out waiting for the second effect')
    await new Promise((r) => setTimeout(r, 25))
  }
  child.kill('SIGKILL')
  await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)))
  expect(child.signalCode).toBe('SIGKILL')

  // The next start replays the answer; and a second replay (killed again before it settled, say) changes nothing more.
  for (const round of [1, 2]) {
    const replay = spawnSync(process.execPath, ['--import', 'tsx', harness, 'replay', dir], { encoding: 'utf8', timeout: 60_000 })
    expect(replay.stderr).toBe('')
    const seen = JSON.parse(replay.stdout) as { usage: number; cost: number; comments: number; state: string }
    expect(seen, `replay ${round}`).toEqual({ usage: 1, cost: 0.25, comments: 1, state: 'applied' })
  }
}, 120_000)
