// The codex provider reports live usage for the spend budgets: each
// `turn.completed` (the thread's running total) becomes a `ctx.usage` report of
// this run's tokens, with no price (Codex reports none: tokens count against
// the token budgets). A stand-in `codex` prints two turns.
import { chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { createCodex } from '../../../src/main/agents/providers/codex'
import type { Usage } from '../../../src/main/agents/providers/types'
import { makeContext, makeSandbox, type Sandbox } from './cli-fixture'

const FAKE = `#!${process.execPath}
process.stdin.resume()
process.stdin.on('end', () => {
  const out = (o) => process.stdout.write(JSON.stringify(o) + '\\n')
  out({ type: 'thread.started', thread_id: 'th_1' })
  out({ type: 'turn.started' })
  out({ type: 'turn.completed', usage: { input_tokens: 1000, cached_input_tokens: 600, output_tokens: 50 } })
  out({ type: 'turn.started' })
  out({ type: 'item.completed', item: { id: 'i3', type: 'agent_message', text: 'DONE: two turns' } })
  out({ type: 'turn.completed', usage: { input_tokens: 2500, cached_input_tokens: 1600, output_tokens: 90 } })
})
`

let sb: Sandbox
beforeEach(() => {
  sb = makeSandbox()
  writeFileSync(join(sb.root, 'codex'), FAKE)
  chmodSync(join(sb.root, 'codex'), 0o755)
})
afterEach(() => sb.cleanup())

it("reports each completed turn's running total as live usage, unpriced", async () => {
  const reports: Usage[] = []
  const ctx = makeContext(sb, 'http://127.0.0.1:9', { usage: (u: Usage) => reports.push(u) })
  ctx.settings = { provider: 'codex', model: 'gpt-5.5', timeLimitSec: 20, maxOutputBytes: 10_000 }
  ctx.env = { PATH: process.env.PATH, HOME: sb.home, BATON_CODEX_PATH: join(sb.root, 'codex') }
  const result = await createCodex()(ctx)
  expect(reports).toEqual([
    { inputTokens: 400, outputTokens: 50, cacheReadTokens: 600, cacheWriteTokens: 0, costUsd: 0 },
    { inputTokens: 900, outputTokens: 90, cacheReadTokens: 1600, cacheWriteTokens: 0, costUsd: 0 }
  ])
  // The last report is the run's usage, as the answer records it.
  expect(result.usage).toEqual(reports.at(-1))
})
