// `npm run bench`: every benchmark, printed as figures (never a timed test).
import { existsSync } from 'node:fs'
import { benchStartup } from './startup'

type Bench = { name: string; run: () => Promise<Record<string, number | string>> }

const benches: Bench[] = [{ name: 'Headless startup and idle memory', run: () => benchStartup() }]

// Benchmarks from other parts of the app join when their module exists.
const optional: Array<{ name: string; file: string; fn: string }> = [
  { name: 'Agent hand-off latency (file protocol)', file: './handoff.ts', fn: 'benchHandoff' },
  { name: 'GitHub sync requests', file: './sync.ts', fn: 'benchSync' },
  { name: 'Pipeline throughput', file: './pipeline.ts', fn: 'benchPipeline' },
  { name: 'Dashboard', file: './dashboard.ts', fn: 'benchDashboard' },
  { name: 'Renderer memory over a busy run', file: './renderer-memory.ts', fn: 'benchRendererMemory' },
  { name: 'Real Claude Code CLI: orchestration overhead per task', file: './claude-overhead.ts', fn: 'benchClaudeOverhead' },
  { name: 'Spend budgets per scheduling pass', file: './budget.ts', fn: 'benchBudget' },
  { name: 'MCP round trip (stdio and HTTP)', file: './mcp.ts', fn: 'benchMcp' },
  { name: 'First run: fresh clone to the sandbox URL, the first bundle', file: './first-run.ts', fn: 'benchFirstRun' },
  { name: 'Fan-out review: six reviewers on one PR', file: './fanout.ts', fn: 'benchFanout' },
  { name: 'Prometheus scrape (10,000 waiting issues, 50,000 usage rows)', file: './metrics.ts', fn: 'benchMetrics' }
]
for (const o of optional) {
  if (existsSync(new URL(o.file, import.meta.url))) {
    benches.push({
      name: o.name,
      run: async () => ((await import(o.file)) as Record<string, () => Promise<Record<string, number | string>>>)[o.fn]!()
    })
  }
}

const only = process.argv[2]
for (const bench of benches) {
  if (only && !bench.name.toLowerCase().includes(only.toLowerCase())) continue
  console.log(`\n## ${bench.name}`)
  try {
    const figures = await bench.run()
    for (const [key, value] of Object.entries(figures)) console.log(`  ${key.padEnd(58)} ${value}`)
  } catch (error) {
    console.log(`  FAILED: ${(error as Error).stack ?? error}`)
    process.exitCode = 1
  }
}
