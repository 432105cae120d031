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
    const markers = (db.prepare('SELECT body FROM comments').all() as Array<{ body: string }>).map((c) => /<!-- baton:task=(\S+)/.exec(c.body)?.[1]).filter(Boolean)
    const heads = (db.prepare('SELECT head_ref FROM pulls').all() as Array<{ head_ref: string }>).map((p) => p.head_ref)
    return { comments: markers.length, markers: new Set(markers).size, prs: heads.length, heads: new Set(heads).size }
  } finally {
    db.close()
  }
}

describe('faults', () => {
  it('10% 5xx and 429s with Retry-After: the run completes and no request falls inside a Retry-After window', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'baton-faults-'))
    const core = await createCore({ dataDir, mode: 'headless', sandbox: true, runner, log: createLogger({ level: 'error' }), agentTiming: { heartbeatMs: 500 } })
    const forge = core.sandbox()!.forge
    try {
      forge.faults.inject({ kind: 'error', status: 502, share: 0.1, path: '^/api/v3/' })
      forge.faults.inject({ kind: 'rate-limit', retryAfter: 1, share: 0.05, path: '^/api/v3/' })
      await until('the sandbox to settle', () => settled(endState(dataDir)), 180_000)
      const log = forge.requestLog().filter((e) => e.kind === 'api')
      const limited = log.filter((e) => e.status === 429)
      expect(limited.length).toBeGreaterThan(0)
      expect(log.filter((e) => e.status >= 500).length).toBeGreaterThan(0)
      for (const hit of limited) {
        const inside = log.filter((e) => e.time > hit.time + 5 && e.time < hit.time + 1000 && e.user === hit.user)
        expect(inside, `requests inside the window after the 429 at ${hit.time}`).toEqual([])
      }
      const dup = forgeDuplicates(join(forge.dataDir, 'forge.sqlite'))
      expect(dup.markers).toBe(dup.comments)
      expect(dup.heads).toBe(dup.prs)
    } finally {
      await core.close()
    }
  }, 240_000)

  it('kill -9 of main at 20 random moments: after each restart the run goes on, and ends as an undisturbed run does', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'baton-crash-'))
    // The built app when there is one (npm test builds first): it starts in a
    // fraction of the time tsx takes, so the kills land across the run.
    const built = existsSync('out/main/cli.js') && existsSync('out/main/runner.js')
    const args = built
      ? ['bin/baton.js', 'serve', '--sandbox', '--port', '0', '--data-dir', dataDir]
      : ['--import', 'tsx', '-e', `import('./src/main/cli.ts').then((m) => m.main(['serve', '--sandbox', '--port', '0', '--data-dir', ${JSON.stringify(dataDir)}]))`]
    const start = (): ChildProcess => spawn(process.execPath, args, { stdio: 'ignore', env: { ...process.env, BATON_LOG_LEVEL: 'error' } })
    // A seeded PRNG: the same moments every run.
    let seed = 20261122
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
    for (let i = 0; i < 20; i++) {
      const child = start()
      await new Promise((r) => setTimeout(r, (built ? 300 : 1500) + random() * 3000))
      child.kill('SIGKILL')
      await new Promise((r) => child.once('exit', r))
    }
    const last = start()
    try {
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
    // Most kills landed after the app had opened its database (not all during start-up).
    const db = new Database(join(dataDir, 'baton.db'), { readonly: true })
    const starts = (db.prepare("SELECT COUNT(*) AS n FROM events WHERE kind = 'app.start'").get() as { n: number }).n
    db.close()
    expect(starts).toBeGreaterThanOrEqual(15)
  }, 300_000)
})

export type { BoardIssue }
