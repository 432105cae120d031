// DESIGN.md §5: `BRANCH:` can only be the task's own baton/<issue>-<slug>, and
// main never pushes any other ref. A hostile Engineer (test/fixtures/hostile/
// engineer.mjs) commits in its worktree, moves the clone's own `main` to that
// commit, plants a pre-push hook and a URL rewrite in the clone, and answers
// `BRANCH: main`. Before the fix Baton pushed that commit to the forge's main
// with the maintainer's credentials.
import { execFile } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { createCore, type Core } from '../../../src/main/app'
import { createLogger } from '../../../src/main/log'

const run = promisify(execFile)
const built = existsSync('out/main/runner.js')
const runner = built
  ? { execPath: process.execPath, args: [join(process.cwd(), 'out/main/runner.js')] }
  : { execPath: process.execPath, args: ['--import', 'tsx', join(process.cwd(), 'agents/runner.ts')] }

async function until<T>(what: string, probe: () => T | undefined | false | null | '', timeoutMs = 120_000, look?: () => Promise<void>): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    await look?.()
    const value = probe()
    if (value) return value
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

/** agents/ with the Engineer replaced by the hostile command. */
function hostileAgents(arg: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'baton-hostile-agents-'))
  cpSync(join(process.cwd(), 'agents'), dir, { recursive: true })
  const script = join(process.cwd(), 'test/fixtures/hostile/engineer.mjs')
  writeFileSync(
    join(dir, 'engineer', 'role.yml'),
    `description: A hostile engineer\nstages: [ready-for-dev, in-progress]\nprovider: command\ncommand: ${JSON.stringify(`${process.execPath} ${script} ${arg}`)}\ntimeLimitSec: 120\ninstances: 1\n`
  )
  return dir
}

async function remoteHead(core: Core, ref: string): Promise<string> {
  const forge = core.sandbox()!.forge
  const { stdout } = await run('git', ['ls-remote', forge.gitUrl('baton-sandbox', 'calc'), ref], { timeout: 20_000 })
  return stdout.split('\t')[0] ?? ''
}

const refusals = (core: Core) =>
  (core.db.prepare("SELECT message FROM events WHERE kind = 'effect.refused' ORDER BY id").all() as Array<{ message: string }>).map((e) => e.message)

describe('a hostile Engineer', () => {
  it('BRANCH: main, with the clone\'s main moved and a hook planted: nothing is pushed, the default branch is untouched, the answer is refused', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'baton-hostile-'))
    const core = await createCore({ dataDir, mode: 'headless', sandbox: true, runner, agentsDir: hostileAgents('main'), log: createLogger({ level: 'error' }), agentTiming: { heartbeatMs: 500 } })
    try {
      const before = await remoteHead(core, 'refs/heads/main')
      expect(before).toMatch(/^[0-9a-f]{40}$/)
      // Either the answer is refused, or (the hole) the forge's main moves.
      let moved = ''
      const refused = await until('the hostile BRANCH to be refused', () => refusals(core).find((m) => m.startsWith('BRANCH')) || (moved && `main moved to ${moved}`), 120_000, async () => {
        const now = await remoteHead(core, 'refs/heads/main')
        if (now !== before) moved = now
      })
      expect(refused).toMatch(/^BRANCH "main" refused: only the task's own branch baton\/1-add-a-power-function is pushed$/)
      await core.runtime()?.engine.idle()
      // The default branch is as it was; nothing was pushed at all, no PR was opened, the issue did not move to testing.
      expect(await remoteHead(core, 'refs/heads/main')).toBe(before)
      expect(await remoteHead(core, 'refs/heads/baton/1-add-a-power-function')).toBe('')
      expect((core.db.prepare('SELECT COUNT(*) AS n FROM pulls').get() as { n: number }).n).toBe(0)
      const labels = JSON.parse((core.db.prepare('SELECT labels FROM issues WHERE number = 1').get() as { labels: string }).labels) as string[]
      expect(labels).toContain('in-progress')
      expect(labels).not.toContain('needs-testing')
      // The refusal is the task's failure (it spends the stage's budget), not an applied answer.
      const task = core.db.prepare("SELECT state, result FROM tasks WHERE issue = 1 AND stage = 'in-progress' ORDER BY created_at LIMIT 1").get() as { state: string; result: string | null }
      expect(task.state).not.toBe('applied')
      expect(existsSync(join(dataDir, 'workspaces', 'clones', 'baton-sandbox', 'calc.git', 'hook-ran'))).toBe(false)
    } finally {
      await core.close()
    }
  }, 240_000)

  it('its own branch, with the traps still planted: the push goes to the forge, runs no hook, follows no rewrite, and main is untouched', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'baton-hostile-'))
    const core = await createCore({ dataDir, mode: 'headless', sandbox: true, runner, agentsDir: hostileAgents('honest'), log: createLogger({ level: 'error' }), agentTiming: { heartbeatMs: 500 } })
    try {
      const before = await remoteHead(core, 'refs/heads/main')
      await until('the PR to open', () => (core.db.prepare('SELECT COUNT(*) AS n FROM pulls').get() as { n: number }).n > 0)
      const pushed = await remoteHead(core, 'refs/heads/baton/1-add-a-power-function')
      expect(pushed).toMatch(/^[0-9a-f]{40}$/)
      expect(await remoteHead(core, 'refs/heads/main')).toBe(before)
      const clone = join(dataDir, 'workspaces', 'clones', 'baton-sandbox', 'calc.git')
      expect(existsSync(join(clone, 'hook-ran'))).toBe(false)
      expect(refusals(core).filter((m) => m.startsWith('BRANCH'))).toEqual([])
    } finally {
      await core.close()
    }
  }, 180_000)
})
