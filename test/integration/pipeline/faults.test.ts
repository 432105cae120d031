// The pipeline under a bad day at GitHub (5xx and 429s with Retry-After),
// and under kill -9 of main at random moments: the run completes, nothing is
// sent inside a Retry-After window, and no comment or PR is doubled.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { createCore } from '../../../src/main/app'
import { createLogger } from '../../../src/main/log'
import type { BoardIssue } from '../../../src/shared/api'
import { parseMarker } from '../../../src/shared/marker'
import { breaches, recordClient, windows } from '../github/windows'

const runner = { execPath: process.execPath, args: ['--import', 'tsx', join(process.cwd(), 'agents/runner.ts')] }

async function until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 120_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

/** Stage and state of each sandbox issue, read from the data folder's database. */
function endState(dataDir: string): Record<number, string> {
  const db = new Database(join(dataDir, 'baton.db'), { readonly: true })
  try {
    const rows = db.prepare('SELECT number, labels, state FROM issues WHERE is_pull = 0 ORDER BY number').all() as Array<{ number: number; labels: string; state: string }>
    return Object.fromEntries(
      rows.map((r) => {
        const stage = (JSON.parse(r.labels) as string[]).filter((l) => ['backlog', 'needs-architecture', 'ready-for-dev', 'in-progress', 'needs-testing', 'needs-review', 'done'].includes(l))
        return [r.number, `${r.state}:${stage.join('+')}`]
      })
    )
  } finally {
    db.close()
  }
}

const settled = (s: Record<number, string>) =>
  s[1] === 'open:needs-review' && s[3] === 'open:backlog' && s[4] === 'open:backlog' && s[5] === 'open:backlog' && s[2] === 'open:ready-for-dev'

function forgeDuplicates(forgeDb: string): { comments: number; markers: number; prs: number; heads: number } {
  const db = new Database(forgeDb, { readonly: true })
  try {
    // One answer, one comment: the whole marker names the answer (task, attempt, its place, any further field).
    const markers = (db.prepare('SELECT issue_id, body FROM comments').all() as Array<{ issue_id: number; body: string }>)
      .map((c) => {
        const m = parseMarker(c.body)
        return m && `${c.issue_id} ${JSON.stringify(Object.entries(m.fields).sort())}`
      })
      .filter(Boolean)
    const heads = (db.prepare('SELECT head_ref FROM pulls').all() as Array<{ head_ref: string }>).map((p) => p.head_ref)
    return { comments: markers.length, markers: new Set(markers).size, prs: heads.length, heads: new Set(heads).size }
  } finally {
    db.close()
  }
}

describe('faults', () => {
  it('10% 5xx and 429s with Retry-After: the run completes and no request falls inside a Retry-After window', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'baton-faults-'))
    // The retry plugin's back-off shortened (250 ms, then 1 s) so that its
    // re-sends fall inside open windows (a 503's own, another request's 429):
    // the gate must hold them as it holds first tries.
    const core = await createCore({
      dataDir,
      mode: 'headless',
      sandbox: true,
      runner,
      log: createLogger({ level: 'error' }),
      agentTiming: { heartbeatMs: 500 },
      githubTiming: { writeGapMs: 0, retryBaseMs: 250 }
    })
    const forge = core.sandbox()!.forge
    // When Baton sent each request and read each answer (the forge and Baton share this process).
    const client = recordClient()
    try {
      forge.faults.inject({ kind: 'error', status: 502, share: 0.1, path: '^/api/v3/' })
      forge.faults.inject({ kind: 'rate-limit', retryAfter: 1, share: 0.05, path: '^/api/v3/' })
      // GitHub's 503 in an outage names a Retry-After too: that is a window like
      // a 429's. On the comment look-ups (GETs the retry plugin re-sends), while
      // the run is busy; by count, so it fires whatever the PRNG draws, and the
      // re-send 250 ms later falls inside its window unless the gate holds it.
      forge.faults.inject({ kind: 'error', status: 503, retryAfter: 1, count: 3, method: 'GET', path: '^/api/v3/repos/.+/issues/\\d+/comments$' })
      await until('the sandbox to settle', () => settled(endState(dataDir)), 180_000)
      // Every request the forge received (a faulted one has no user: it is
      // answered before the token is read), against every window it announced.
      const log = forge.requestLog().filter((e) => e.kind === 'api')
      const seen = `${log.length} requests: ${log.filter((e) => e.status === 429).length} × 429, ${log.filter((e) => e.status === 503).length} × 503, ${log.filter((e) => e.status === 502).length} × 502`
      expect(log.filter((e) => e.status === 429).length, seen).toBeGreaterThan(0)
      expect(log.filter((e) => e.status === 503 && e.window).length, seen).toBeGreaterThan(0)
      expect(log.filter((e) => e.status === 502).length, seen).toBeGreaterThan(0)
      expect(windows(log)).toBeGreaterThan(0)
      const inside = breaches(log, client).map((b) => `${b.inside.length} inside the window of ${b.window.status} to ${b.window.method} ${b.window.path} at ${b.window.time}: ${b.inside.map((e) => `${e.method} ${e.path} +${e.time - b.window.time} ms`).join(', ')}`)
      expect(inside, `of ${windows(log)} windows`).toEqual([])
      const dup = forgeDuplicates(join(forge.dataDir, 'forge.sqlite'))
      expect(dup.markers).toBe(dup.comments)
      expect(dup.heads).toBe(dup.prs)
    } finally {
      client.stop()
      await core.close()
    }
  }, 240_000)

  it('kill -9 of main at 20 random moments: after each restart the run goes on, and ends as an undisturbed run does', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'baton-crash-'))
    // The built app when there is one (npm test builds first): it starts in a
    // fraction of the time tsx takes.
    const built = existsSync('out/main/cli.js') && existsSync('out/main/runner.js')
    const args = built
      ? ['bin/baton.js', 'serve', '--sandbox', '--port', '0', '--data-dir', dataDir]
      : ['--import', 'tsx', '-e', `import('./src/main/cli.ts').then((m) => m.main(['serve', '--sandbox', '--port', '0', '--data-dir', ${JSON.stringify(dataDir)}]))`]
    // What each start said (errors only), so a start that dies or hangs is explained.
    let said = ''
    const start = (): ChildProcess => {
      said = ''
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BATON_LOG_LEVEL: 'error' } })
      child.stdout?.on('data', (c: Buffer) => (said += c.toString('utf8')))
      child.stderr?.on('data', (c: Buffer) => (said += c.toString('utf8')))
      return child
    }
    // A seeded PRNG: the same moments every run.
    let seed = 20261122
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
    // How many times the app has opened its database and started (read without the app's lock).
    const startsSoFar = (): number => {
      if (!existsSync(join(dataDir, 'baton.db'))) return 0
      try {
        const db = new Database(join(dataDir, 'baton.db'), { readonly: true, timeout: 2000 })
        try {
          return (db.prepare("SELECT COUNT(*) AS n FROM events WHERE kind = 'app.start'").get() as { n: number }).n
        } finally {
          db.close()
        }
      } catch {
        return 0 // not made yet, or mid-migration
      }
    }
    // A read that fails says 0, so the count to pass is kept here, not read again.
    let started = 0
    for (let i = 0; i < 20; i++) {
      const child = start()
      // The kills start once the app has opened its database: on a loaded
      // machine a fixed delay would turn the test into a start-up race.
      started = await until(`start ${i + 1} to open its database`, () => {
        const n = startsSoFar()
        if (n <= started && (child.exitCode !== null || child.signalCode !== null)) throw new Error(`start ${i + 1} exited (${child.exitCode ?? child.signalCode}) before it opened its database:\n${said.slice(-2000)}`)
        return n > started && n
      }, 90_000).catch((error: Error) => {
        throw new Error(`${error.message}\n${said.slice(-2000)}`)
      })
      await new Promise((r) => setTimeout(r, random() * 3000))
      child.kill('SIGKILL')
      await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)))
    }
    const last = start()
    try {
      // The last run opens the database too (the run may have settled before it started), then settles.
      await until('the last start to open its database', () => startsSoFar() > started, 90_000)
      await until('the run to settle after 20 crashes', () => settled(endState(dataDir)), 180_000)
    } finally {
      last.kill('SIGTERM')
      await new Promise((r) => last.once('exit', r))
    }
    expect(endState(dataDir)).toEqual({ 1: 'open:needs-review', 2: 'open:ready-for-dev', 3: 'open:backlog', 4: 'open:backlog', 5: 'open:backlog' })
    const dup = forgeDuplicates(join(dataDir, 'sandbox-forge', 'forge.sqlite'))
    expect(dup.comments).toBeGreaterThan(3)
    expect(dup.markers).toBe(dup.comments)
    expect(dup.heads).toBe(dup.prs)
    expect(dup.prs).toBe(1)
    // Every kill landed after the app had opened its database, and the last run started once more.
    expect(startsSoFar()).toBe(21)
  }, 300_000)
})

export type { BoardIssue }
