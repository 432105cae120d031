// Pipeline throughput on the sandbox project: N issues, each carrying its own
// patch, carried by the builtin agents to needs-review (parallel PRs on).
// Prints the wall time and, for each applied task, where its span went (from
// the dispatch, before its workspace is prepared, to its answer applied): the
// agent's own time (the response's DURATION-MS), GitHub and git effects (time
// inside the engine's GitHubPort / WorkspacePort calls for that task, pacing
// and the ports' own locks included), and the rest — orchestration: queueing,
// hand-off through the files, scheduling. Then GitHub requests per issue
// beside the fewest the pipeline needs.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createCore } from '../src/main/app'
import { createLogger } from '../src/main/log'
import { createForge } from '../src/forge/index'
import { calcFiles } from '../src/forge/sandbox/project'
import { parseResponse } from '../src/shared/protocol/response'

function patchFor(n: number): string {
  const lines = (text: string) => text.split('\n')
  const src = lines(`export function feature${n}(x) {\n  return x + ${n}\n}`)
  const test = lines(`import { test } from 'node:test'\nimport assert from 'node:assert/strict'\nimport { feature${n} } from '../src/feature${n}.js'\n\ntest('feature${n}', () => assert.equal(feature${n}(1), ${n + 1}))`)
  const file = (path: string, body: string[]) =>
    [`diff --git a/${path} b/${path}`, 'new file mode 100644', '--- /dev/null', `+++ b/${path}`, `@@ -0,0 +1,${body.length} @@`, ...body.map((l) => `+${l}`)].join('\n')
  return `${file(`src/feature${n}.js`, src)}\n${file(`test/feature${n}.test.js`, test)}\n`
}

export async function benchPipeline(count = Number(process.env.BATON_BENCH_ISSUES ?? 100)): Promise<Record<string, number | string>> {
  const root = mkdtempSync(join(tmpdir(), 'baton-bench-pipeline-'))
  const issues = Array.from({ length: count }, (_, i) => ({
    author: 'maintainer',
    title: `Add feature${i + 1}`,
    labels: ['backlog'],
    body: `Add \`feature${i + 1}(x)\`, which must return x + ${i + 1}, with its test.\n\n\`\`\`diff\n${patchFor(i + 1)}\`\`\``
  }))
  const forge = await createForge({
    dataDir: join(root, 'forge'),
    seed: {
      users: [{ login: 'maintainer', token: 'bench-token', scopes: ['repo'] }],
      repositories: [{ owner: 'bench', name: 'calc', defaultBranch: 'main', files: calcFiles, collaborators: { maintainer: 'admin' }, issues }]
    }
  })
  const core = await createCore({
    dataDir: join(root, 'baton'),
    mode: 'headless',
    log: createLogger({ level: 'error' }),
    env: { ...process.env, BATON_GITHUB_TOKEN: 'bench-token', BATON_GITHUB_API_URL: forge.apiUrl },
    githubTiming: { writeGapMs: 0 },
    startAgents: true,
    agentTiming: { heartbeatMs: 1000, stallMs: 60_000 }
  })
  try {
    await core.call('settings.update', { parallelPrs: true, pollIntervalSec: 5 })
    forge.clearLog()
    const t0 = performance.now()
    const connected = await core.call('repos.connect', { remote: 'bench/calc' })
    if (!connected.ok) throw new Error(connected.error.message)
    const deadline = Date.now() + 20 * 60_000
    for (;;) {
      const n = (core.db.prepare("SELECT COUNT(*) AS n FROM issues WHERE labels LIKE '%\"needs-review\"%'").get() as { n: number }).n
      if (n >= count) break
      if (Date.now() > deadline) throw new Error(`only ${n} of ${count} reached needs-review in 20 minutes`)
      await new Promise((r) => setTimeout(r, 200))
    }
    const wallMs = performance.now() - t0
    const attempts = core.db
      .prepare("SELECT t.id, a.response FROM attempts a JOIN tasks t ON t.id = a.task_id AND t.attempt = a.attempt WHERE t.state = 'applied'")
      .all() as Array<{ id: string; response: string | null }>
    const timings = core.runtime()?.engine.taskTimings()
    if (!timings) throw new Error('no pipeline runtime')
    let total = 0
    let agent = 0
    let effects = 0
    let github = 0
    const orchestration: number[] = []
    for (const a of attempts) {
      const timing = timings.get(a.id)
      if (timing?.appliedAt == null) throw new Error(`no timing for the applied task ${a.id}`)
      const span = timing.appliedAt - timing.startedAt
      const duration = Number(parseResponse(a.response ?? '').unknown.find((u) => u.key === 'DURATION-MS')?.value ?? 0)
      // DURATION-MS is whole milliseconds, measured in the runner's process.
      const rest = Math.max(0, span - duration - timing.effectMs)
      total += Math.max(span, duration + timing.effectMs)
      agent += duration
      effects += timing.effectMs
      github += timing.githubMs
      orchestration.push(rest)
    }
    const outside = orchestration.reduce((a, b) => a + b, 0)
    orchestration.sort((a, b) => a - b)
    const pct = (q: number) => Math.round(orchestration[Math.min(orchestration.length - 1, Math.floor(q * orchestration.length))] ?? 0)
    const share = (part: number) => Math.round((part / total) * 1000) / 10
    const seconds = (ms: number) => Math.round(ms / 100) / 10
    const log = forge.requestLog()
    const api = log.filter((e) => e.kind === 'api')
    const writes = api.filter((e) => e.method !== 'GET' && e.method !== 'HEAD')
    const counted = api.filter((e) => e.countedAgainstRateLimit)
    // Fewest a carried issue needs: one signed comment and one label move per task (PM,
    // Architect, the Engineer's claim and its work, Tester), one PR, and the Tester's verdict on
    // the PR (its report as a PR comment, the baton/tester status on the head) — plus the entry
    // label for an issue that arrives without one (these are seeded at backlog, so they need none).
    const fewestWrites = 13
    return {
      issues: count,
      'wall time to needs-review, all (s)': Math.round(wallMs / 100) / 10,
      'tasks applied': attempts.length,
      'task time, all applied tasks (s)': seconds(total),
      'task time in the agents (s)': seconds(agent),
      'task time in GitHub and git effects (s)': seconds(effects),
      '  of which GitHub API calls / git (s)': `${seconds(github)} / ${seconds(effects - github)}`,
      'task time in orchestration: queueing, hand-off, scheduling (s)': seconds(outside),
      'agent share of task time (%)': share(agent),
      'GitHub and git effect share of task time (%)': share(effects),
      'orchestration share of task time (%)': share(outside),
      'target orchestration share (%)': 5,
      'orchestration per task p50 / p90 / max (ms)': `${pct(0.5)} / ${pct(0.9)} / ${Math.round(orchestration.at(-1) ?? 0)}`,
      'GitHub REST requests per issue': Math.round((api.length / count) * 10) / 10,
      'of which counted against the rate limit, per issue': Math.round((counted.length / count) * 10) / 10,
      'GitHub writes per issue': Math.round((writes.length / count) * 10) / 10,
      'fewest writes the pipeline needs per issue': fewestWrites
    }
  } finally {
    await core.close()
    await forge.close()
    rmSync(root, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [k, v] of Object.entries(await benchPipeline())) console.log(`${k.padEnd(52)} ${v}`)
}
