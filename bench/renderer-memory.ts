// The renderer's memory over a busy run: the real core and headless server on a
// seeded board, a loop that keeps changing issues, tasks, the inbox and the
// audit log in SQLite and emitting the core's change events (as the pipeline
// does), the page moving between screens now and then, and the page's JS heap
// sampled after a forced GC. A leak shows as a positive slope.
//
// BATON_BENCH_MEMORY_MIN: minutes to run (default 2). BATON_BENCH_MEMORY_SAMPLE_SEC:
// seconds between samples (default: about 30 samples over the run, at least 5 s).
// BATON_BENCH_MEMORY_BULK: extra issues on the board (default 2,000).
// Each sample is taken on the board after a visit to another screen.
//
// Reading the figures: the first minutes grow while every screen is visited
// once (code, caches, the DOM of each screen's first visit); the second-half
// slope is the one that tells a leak. Playwright keeps DevTools' Network domain
// on, so Chromium records every response (about 300 bytes each, one per delta
// fetch) in native memory that a person's browser does not keep: heap
// snapshots of a busy run show that as the only steady growth, and no
// JavaScript object of the app's growing with it.
import { chromium, type CDPSession, type Page } from 'playwright-core'
import { startSeededBaton, type SeededBaton } from '../test/e2e/fixtures/serve'
import { chromiumArgs, chromiumPath } from './chromium'

interface Sample {
  atSec: number
  heapMb: number
  nodes: number
  listeners: number
  screen: string
}

const env = process.env
const MB = 1024 * 1024

/** Least squares slope of y over x. */
export function slope(xs: number[], ys: number[]): number {
  const n = xs.length
  if (n < 2) return NaN
  const mx = xs.reduce((a, b) => a + b, 0) / n
  const my = ys.reduce((a, b) => a + b, 0) / n
  let num = 0
  let den = 0
  for (let i = 0; i < n; i++) {
    num += ((xs[i] as number) - mx) * ((ys[i] as number) - my)
    den += ((xs[i] as number) - mx) ** 2
  }
  return den ? num / den : NaN
}

/** Changes the board the way a busy pipeline does, a few times a second. */
export function busyLoop(baton: SeededBaton, bulk: number, everyMs: number): { stop(): void; changes(): number } {
  const db = baton.core.db
  const stages = ['backlog', 'needs-architecture', 'ready-for-dev', 'in-progress', 'needs-testing', 'needs-review']
  const states = ['queued', 'running', 'running', 'applied', 'waiting', 'failed']
  const moveIssue = db.prepare('UPDATE issues SET labels = ?, title = ?, updated_at = ? WHERE repo_id = ? AND number = ?')
  const upsertTask = db.prepare(
    `INSERT INTO tasks (id, repo_id, issue, stage, role, agent, state, attempt, result, created_at, updated_at)
     VALUES (?, ?, ?, ?, 'engineer', ?, ?, 1, ?, ?, ?)
     ON CONFLICT(id) DO UPDATE SET state = excluded.state, agent = excluded.agent, result = excluded.result, updated_at = excluded.updated_at`
  )
  const addEvent = db.prepare("INSERT INTO events (at, kind, repo_id, issue, task_id, subject, message) VALUES (?, 'stage.move', ?, ?, NULL, 'bench', ?)")
  const addRequest = db.prepare("INSERT INTO requests (kind, repo_id, issue, task_id, agent, question, created_at) VALUES ('request', ?, ?, NULL, 'tester-1', ?, ?)")
  const answerRequests = db.prepare("UPDATE requests SET answered_at = ?, answer = 'ok' WHERE answered_at IS NULL AND question LIKE 'Bench%'")
  const pruneEvents = db.prepare("DELETE FROM events WHERE subject = 'bench' AND id < (SELECT MAX(id) - 500 FROM events)")
  let i = 0
  const timer = setInterval(() => {
    i++
    const now = new Date().toISOString()
    const n = 1000 + ((i * 7919) % Math.max(1, bulk))
    const stage = stages[i % stages.length] as string
    db.transaction(() => {
      moveIssue.run(JSON.stringify([stage, i % 3 ? 'enhancement' : 'bug']), `Bulk issue ${n}: change ${i}`, now, baton.repoId, n)
      upsertTask.run(`t_bench_${n}`, baton.repoId, n, stage, `engineer-${1 + (i % 3)}`, states[i % states.length], i % 6 === 5 ? 'bench failure' : null, now, now)
      addEvent.run(now, baton.repoId, n, `#${n} → ${stage}`)
      if (i % 20 === 0) addRequest.run(baton.repoId, n, `Bench question ${i}?`, now)
      if (i % 20 === 10) answerRequests.run(now)
      if (i % 100 === 0) pruneEvents.run()
    })()
    baton.core.events.changed('issues', 'tasks', 'events', ...(i % 10 === 0 ? (['inbox', 'agents'] as const) : []))
  }, everyMs)
  return { stop: () => clearInterval(timer), changes: () => i }
}

export async function heap(cdp: CDPSession): Promise<{ heapMb: number; nodes: number; listeners: number }> {
  // Twice: the first pass frees what finalizers released.
  await cdp.send('HeapProfiler.collectGarbage')
  await cdp.send('HeapProfiler.collectGarbage')
  const { metrics } = await cdp.send('Performance.getMetrics')
  const get = (name: string) => metrics.find((m) => m.name === name)?.value ?? 0
  return { heapMb: get('JSHeapUsedSize') / MB, nodes: get('Nodes'), listeners: get('JSEventListeners') }
}

export const OTHER_SCREENS = ['/inbox', '/agents', '/usage', '/issue/{repo}/1', '/settings', '/issue/{repo}/3']

export async function visit(page: Page, route: string): Promise<void> {
  await page.evaluate((hash) => (location.hash = hash), route)
  await page.waitForTimeout(300)
}

export async function benchRendererMemory(): Promise<Record<string, number | string>> {
  const minutes = Number(env.BATON_BENCH_MEMORY_MIN ?? 2)
  const bulk = Number(env.BATON_BENCH_MEMORY_BULK ?? 2000)
  const sampleSec = Number(env.BATON_BENCH_MEMORY_SAMPLE_SEC ?? Math.max(10, Math.round((minutes * 60) / 30)))
  const changeMs = Number(env.BATON_BENCH_MEMORY_CHANGE_MS ?? 250)
  const awaySec = Number(env.BATON_BENCH_MEMORY_AWAY_SEC ?? 5)
  const verbose = env.BATON_BENCH_MEMORY_VERBOSE !== '0'

  const baton = await startSeededBaton({ bulk })
  const browser = await chromium.launch({ executablePath: chromiumPath, args: [...chromiumArgs, '--enable-precise-memory-info', '--js-flags=--expose-gc'] })
  const figures: Record<string, number | string> = {}
  try {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } })
    await context.addInitScript('window.__name = (f) => f')
    const page = await context.newPage()
    const cdp = await context.newCDPSession(page)
    await cdp.send('Performance.enable')
    await page.goto(baton.url)
    await page.locator('a[data-issue]').first().waitFor()

    const loop = busyLoop(baton, bulk, changeMs)
    const samples: Sample[] = []
    const start = Date.now()
    const end = start + minutes * 60_000
    // Each round: away to another screen for a while, back to the board, then a
    // sample there, so every sample compares the same screen.
    let round = 0
    try {
      while (Date.now() < end) {
        const roundEnd = Math.min(end, start + (round + 1) * sampleSec * 1000)
        const away = (OTHER_SCREENS[round % OTHER_SCREENS.length] as string).replace('{repo}', String(baton.repoId))
        await visit(page, away)
        await page.waitForTimeout(Math.max(0, Math.min(awaySec * 1000, roundEnd - Date.now() - 1000)))
        await visit(page, '/pipeline')
        await page.waitForTimeout(Math.max(500, roundEnd - Date.now()))
        const m = await heap(cdp)
        const sample = { atSec: (Date.now() - start) / 1000, ...m, screen: away }
        samples.push(sample)
        if (verbose) console.log(`  sample t=${sample.atSec.toFixed(0).padStart(5)} s  heap ${sample.heapMb.toFixed(2).padStart(7)} MB  nodes ${String(sample.nodes).padStart(6)}  listeners ${String(sample.listeners).padStart(5)}  (board, after ${away})`)
        round++
      }
    } finally {
      loop.stop()
    }

    const xs = samples.map((s) => s.atSec / 600)
    const first = samples[0] as Sample
    const final = samples[samples.length - 1] as Sample
    const half = samples.slice(Math.floor(samples.length / 2))
    figures['duration'] = `${minutes} min, ${loop.changes()} changes (one every ${changeMs} ms), ${2015 - 2000 + bulk} issues, a sample every ${sampleSec} s on the board after ${awaySec} s on another screen`
    figures['samples'] = samples.map((s) => s.heapMb.toFixed(1)).join(' ')
    figures['JS heap first / last sample (after GC)'] = `${first.heapMb.toFixed(2)} MB / ${final.heapMb.toFixed(2)} MB`
    figures['JS heap min / max'] = `${Math.min(...samples.map((s) => s.heapMb)).toFixed(2)} MB / ${Math.max(...samples.map((s) => s.heapMb)).toFixed(2)} MB`
    figures['JS heap slope, all samples (MB per 10 min)'] = slope(xs, samples.map((s) => s.heapMb)).toFixed(3)
    figures['JS heap slope, second half (MB per 10 min)'] = slope(half.map((s) => s.atSec / 600), half.map((s) => s.heapMb)).toFixed(3)
    figures['DOM nodes first / last'] = `${first.nodes} / ${final.nodes}`
    figures['DOM nodes slope (per 10 min)'] = slope(xs, samples.map((s) => s.nodes)).toFixed(1)
    figures['JS event listeners first / last'] = `${first.listeners} / ${final.listeners}`
    figures['core RSS at the end'] = `${(process.memoryUsage().rss / MB).toFixed(0)} MB (bench process: core + server)`
  } finally {
    await browser.close()
    await baton.stop()
  }
  return figures
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const figures = await benchRendererMemory()
  for (const [key, value] of Object.entries(figures)) console.log(`  ${key.padEnd(50)} ${value}`)
}
