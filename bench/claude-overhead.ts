// The real Claude Code CLI's orchestration overhead per task, beside the
// scripted endpoint's own time (issue #12). Two views:
//   - the provider alone (createClaudeCode in a git worktree, as the runner
//     calls it): spawn → the CLI's first request, spawn → its first model turn,
//     the last answer sent → the provider's result (the CLI's exit);
//   - the whole core (the pipeline-claude test's set-up: forge, SQLite, agents
//     in their sandbox, eight tasks for one issue): the trigger handed over
//     (task.dispatch) → the first model request, the last answer sent → the
//     answer applied (task.applied: comment, labels, push, PR).
// The endpoint's own time is from each request arriving whole to its answer
// sent whole. Figures, printed; never a timed test.
import { existsSync } from 'node:fs'
import { createClaudeCode, resolveClaudeExecutable } from '../src/main/agents/providers/claude-code'
import { startScriptedServer, type RecordedRequest, type ScriptTurn } from '../test/fixtures/anthropic/scripted-server'
import { makeContext, makeSandbox } from '../test/integration/providers/cli-fixture'
import { claudeModel, promptOf } from '../test/integration/providers/claude-model'
import { runWithOneReturn, startPipeline } from '../test/integration/providers/pipeline-fixture'

const clock = (): number => performance.timeOrigin + performance.now()
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length === 0 ? NaN : s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2
}
const ms = (x: number): string => `${x.toFixed(0)} ms`
const endpointMs = (reqs: RecordedRequest[]): number => reqs.reduce((n, r) => n + ((r.answeredAt ?? r.receivedAt) - r.receivedAt), 0)

async function providerAlone(runs: number): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const [label, script] of [
    ['1 turn', (): ScriptTurn[] => [{ kind: 'text', text: 'DONE: ok\n\nNothing to do.' }]],
    [
      '3 turns (Write, Bash, text)',
      (wt: string): ScriptTurn[] => [
        { kind: 'tools', tools: [{ name: 'Write', input: { file_path: `${wt}/a.txt`, content: 'a\n' } }] },
        { kind: 'tools', tools: [{ name: 'Bash', input: { command: 'cat a.txt', description: 'show' } }] },
        { kind: 'text', text: 'DONE: ok\n\nWrote a.txt.' }
      ]
    ]
  ] as const) {
    const first: number[] = []
    const firstTurn: number[] = []
    const tail: number[] = []
    const endpoint: number[] = []
    const wall: number[] = []
    for (let i = 0; i < runs; i++) {
      const sb = makeSandbox()
      const server = await startScriptedServer({ script: script(sb.worktree) })
      try {
        const t0 = clock()
        await createClaudeCode()(makeContext(sb, server.url))
        const done = clock()
        const agent = server.agentRequests()
        first.push((server.requests[0]?.receivedAt ?? NaN) - t0)
        firstTurn.push((agent[0]?.receivedAt ?? NaN) - t0)
        tail.push(done - Math.max(...server.requests.map((r) => r.answeredAt ?? r.receivedAt)))
        endpoint.push(endpointMs(server.requests))
        wall.push(done - t0)
      } finally {
        await server.close()
        sb.cleanup()
      }
    }
    out[`provider, ${label}: spawn → first request (p50 of ${runs})`] = ms(median(first))
    out[`provider, ${label}: spawn → first model turn`] = ms(median(firstTurn))
    out[`provider, ${label}: last answer → result (CLI exit)`] = ms(median(tail))
    out[`provider, ${label}: endpoint's own time`] = ms(median(endpoint))
    out[`provider, ${label}: wall`] = ms(median(wall))
  }
  return out
}

async function wholeCore(): Promise<Record<string, string>> {
  const server = await startScriptedServer({ script: [], respond: claudeModel })
  const w = await startPipeline('claude-code', () => ({
    ANTHROPIC_BASE_URL: server.url,
    ANTHROPIC_API_KEY: 'sk-ant-bench',
    DISABLE_TELEMETRY: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1'
  }))
  try {
    const t0 = clock()
    await runWithOneReturn(w)
    const wall = clock() - t0
    const events = w.core.db.prepare("SELECT at, kind, task_id AS task FROM events WHERE kind IN ('task.dispatch', 'task.applied') ORDER BY id").all() as Array<{
      at: string
      kind: string
      task: string
    }>
    // The runs, in order: one per task prompt (each names its attempt and deadline).
    const runs: RecordedRequest[][] = []
    const byPrompt = new Map<string, RecordedRequest[]>()
    for (const rec of server.requests) {
      if (rec.path !== '/v1/messages') continue
      const p = promptOf(rec.body)
      if (!p) continue
      let run = byPrompt.get(p.text)
      if (!run) {
        run = []
        byPrompt.set(p.text, run)
        runs.push(run)
      }
      run.push(rec)
    }
    const dispatches = events.filter((e) => e.kind === 'task.dispatch')
    const applied = events.filter((e) => e.kind === 'task.applied')
    const start: number[] = []
    const end: number[] = []
    const endpoint: number[] = []
    runs.forEach((run, i) => {
      const d = dispatches[i]
      const a = applied[i]
      if (!d || !a) return
      start.push((run[0]?.receivedAt ?? NaN) - Date.parse(d.at))
      end.push(Date.parse(a.at) - Math.max(...run.map((r) => r.answeredAt ?? r.receivedAt)))
      endpoint.push(endpointMs(run))
    })
    return {
      [`core, ${runs.length} tasks: trigger handed over → first model request (p50)`]: ms(median(start)),
      'core: trigger handed over → first model request (max)': ms(Math.max(...start)),
      'core: last answer → applied (p50; comment, labels, push, PR)': ms(median(end)),
      'core: last answer → applied (max)': ms(Math.max(...end)),
      "core: endpoint's own time per task (p50)": ms(median(endpoint)),
      'core: backlog → needs-review with one return (wall)': `${(wall / 1000).toFixed(1)} s`
    }
  } finally {
    await w.close()
    await server.close()
  }
}

export async function benchClaudeOverhead(): Promise<Record<string, number | string>> {
  const cli = resolveClaudeExecutable({ settings: { provider: 'claude-code', timeLimitSec: 1, maxOutputBytes: 1 }, env: {} })
  if (!existsSync(cli)) return { skipped: `no Claude Code CLI at ${cli}` }
  return { ...(await providerAlone(5)), ...(await wholeCore()) }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [k, v] of Object.entries(await benchClaudeOverhead())) console.log(`  ${k.padEnd(72)} ${v}`)
}
