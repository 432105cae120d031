// The supervisor passes a runner's live usage on to the spend budgets only
// when its numbers are ones the protocol would take (shared/protocol/response.ts
// LIMITS): a runner whose agent printed nonsense cannot stop, or unstop, a task.
import { expect, it } from 'vitest'
import { liveUsageOk } from '../../../src/main/agents/supervisor'

const ok = { inputTokens: 10, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0.01 }

it('takes whole, bounded token counts and a finite cost; refuses the rest', () => {
  expect(liveUsageOk(ok)).toBe(true)
  for (const bad of [
    null,
    'usage',
    { ...ok, inputTokens: -1 },
    { ...ok, outputTokens: 1.5 },
    { ...ok, cacheReadTokens: 1e12 },
    { ...ok, cacheWriteTokens: '3' },
    { ...ok, costUsd: Number.NaN },
    { ...ok, costUsd: Number.POSITIVE_INFINITY },
    { ...ok, costUsd: -0.01 },
    { ...ok, costUsd: 1e6 },
    { inputTokens: 1, outputTokens: 1, cacheReadTokens: 1, costUsd: 0 }
  ]) {
    expect(liveUsageOk(bad), JSON.stringify(bad)).toBe(false)
  }
})
