// GitHub sync, in requests (issue 3, "Tests and figures"): what a cold sync of
// 1,000 issues costs, and what one idle hour of polling at the default
// interval costs — in requests sent and in requests that count against the
// rate limit (target 0: every idle poll is a conditional request answered 304).
//
// Real parts: the forge over HTTP on 127.0.0.1, real Octokit through Baton's
// client, a real SQLite file. The hour is simulated: the sync loop's timers
// are driven by hand and one clock (the forge's too) jumps from poll to poll,
// so the hour takes as long as its polls do, not an hour.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createForge } from '../src/forge/index'
import type { ForgeSeed } from '../src/forge/index'
import { createGitHubClient } from '../src/main/github/client'
import { connectRepository, parseRemote } from '../src/main/github/connect'
import { startSyncLoop, syncRepository, type Timers } from '../src/main/github/sync'
import { openDatabase } from '../src/main/store/open'
import { DEFAULT_SETTINGS } from '../src/shared/api'

const TOKEN = 'ghp_benchSyncToken0001'

/** Timers the bench fires by hand: the loop arms one; `fire()` jumps the clock to it and runs it. */
function manualTimers(clock: { now: number }): Timers & { fire(): boolean } {
  let pending: { fn: () => void; at: number } | null = null
  return {
    setTimeout(fn, ms) {
      pending = { fn, at: clock.now + ms }
      return pending
    },
    clearTimeout(handle) {
      if (handle === pending) pending = null
    },
    fire() {
      if (!pending) return false
      const { fn, at } = pending
      pending = null
      clock.now = at
      fn()
      return true
    }
  }
}

export async function benchSync(count = Number(process.env.BATON_BENCH_SYNC_ISSUES ?? 1000)): Promise<Record<string, number | string>> {
  const root = mkdtempSync(join(tmpdir(), 'baton-bench-sync-'))
  const clock = { now: Date.now() }
  // A repository the way people have them: labels on some issues, comments on some, a few closed.
  const issues = Array.from({ length: count }, (_, i) => ({
    author: 'bench',
    title: `Issue ${i + 1}`,
    body: `Body of issue ${i + 1}.`,
    labels: i % 3 === 0 ? ['bug'] : [],
    state: (i % 10 === 9 ? 'closed' : 'open') as 'open' | 'closed',
    comments: i % 5 === 0 ? [{ author: 'bench', body: `A comment on ${i + 1}` }] : []
  }))
  const seed: ForgeSeed = {
    users: [{ login: 'bench', token: TOKEN, scopes: ['repo'] }],
    repositories: [{ owner: 'bench', name: 'big', files: { 'README.md': '# big\n' }, labels: [{ name: 'bug', color: 'd73a4a', description: null }] }]
  } as ForgeSeed
  const forge = await createForge({ dataDir: join(root, 'forge'), seed, now: () => clock.now })
  // One issue a minute, as a repository grows, not 1,000 in the same second:
  // \`since\` is inclusive, so issues sharing the newest second come back once more.
  clock.now -= count * 60_000
  for (const issue of issues) {
    clock.now += 60_000
    forge.createIssue({ owner: 'bench', repo: 'big', ...issue })
  }
  const db = openDatabase(join(root, 'baton.sqlite'))
  const client = createGitHubClient({ apiUrl: forge.apiUrl, token: TOKEN, timing: { writeGapMs: 0 } })
  try {
    const connected = await connectRepository(db, client.octokit, forge.apiUrl, parseRemote('bench/big', new URL(forge.apiUrl).host), 'bench')
    const repo = { id: connected.id, owner: 'bench', name: 'big' }
    const comments = issues.filter((i) => i.comments.length).length

    // Cold: the first pass over an empty mirror.
    forge.clearLog()
    const t0 = performance.now()
    const cold = await syncRepository(db, client.octokit, repo, undefined, () => clock.now)
    const coldMs = performance.now() - t0
    const coldLog = forge.requestLog()
    const mirrored = (db.prepare('SELECT COUNT(*) AS n FROM issues WHERE repo_id = ?').get(repo.id) as { n: number }).n
    if (cold.requests !== coldLog.length) throw new Error(`the sync counted ${cold.requests} requests, the forge logged ${coldLog.length}`)
    if (mirrored !== count) throw new Error(`the cold sync mirrored ${mirrored} of ${count} issues`)

    // One idle hour at the default interval, right after the cold sync.
    forge.clearLog()
    const intervalMs = DEFAULT_SETTINGS.pollIntervalSec * 1000
    const timers = manualTimers(clock)
    const start = clock.now
    let polls = 0
    let changedIssues = 0
    const loop = startSyncLoop({
      intervalMs,
      repos: () => [repo.id],
      syncOne: async (id) => {
        polls++
        return (await syncRepository(db, client.octokit, { ...repo, id }, undefined, () => clock.now)).changed
      },
      onChange: (_id, changed) => (changedIssues += changed.length),
      onError: (_id, error) => {
        throw error
      },
      timers
    })
    const t1 = performance.now()
    await loop.tick() // the pass the loop starts on its own
    const firstPoll = forge.requestLog()
    while (clock.now - start + intervalMs < 3_600_000 && timers.fire()) await loop.tick()
    loop.stop()
    const idleMs = performance.now() - t1
    const idleLog = forge.requestLog()

    return {
      'issues (comments) synced cold': `${count} (${comments})`,
      'cold sync: requests': coldLog.length,
      'cold sync: requests counted against the rate limit': coldLog.filter((e) => e.countedAgainstRateLimit).length,
      'cold sync: wall time (ms)': Math.round(coldMs),
      'cold sync: requests per 100 issues': +((coldLog.length / count) * 100).toFixed(2),
      'idle hour: polls (every s)': `${polls} (${DEFAULT_SETTINGS.pollIntervalSec})`,
      'idle hour: requests sent': idleLog.length,
      'idle hour: answered 304': idleLog.filter((e) => e.status === 304).length,
      'idle hour: requests counted against the rate limit': idleLog.filter((e) => e.countedAgainstRateLimit).length,
      // The first poll after a cold sync asks with a new \`since\` cursor: no ETag for that question yet.
      'idle hour: of them in the first poll after the cold sync': firstPoll.filter((e) => e.countedAgainstRateLimit).length,
      'idle hour: counted after the first poll': idleLog.slice(firstPoll.length).filter((e) => e.countedAgainstRateLimit).length,
      'idle hour: issues reported changed': changedIssues,
      'idle hour: wall time to simulate (ms)': Math.round(idleMs)
    }
  } finally {
    db.close()
    await forge.close()
    rmSync(root, { recursive: true, force: true })
  }
}
