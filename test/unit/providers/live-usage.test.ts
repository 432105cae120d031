// Live usage for the spend budgets: the Claude Code stream's assistant events,
// each carrying its message's usage so far, summed per message (recorded from
// the real CLI, test/fixtures/anthropic/claude-stream-4turn.jsonl) and priced
// by model family (prices.ts) until the final result's reported cost.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { priced, priceOf } from '../../../src/main/agents/providers/prices'
import { ClaudeStreamReader, claudeUsage } from '../../../src/main/agents/providers/stream-claude'

const lines = readFileSync(join(__dirname, '../../fixtures/anthropic/claude-stream-4turn.jsonl'), 'utf8').split('\n').filter((l) => l !== '')

describe('live usage from the Claude Code stream', () => {
  it('sums each message once (a message with two content blocks is one), priced like the CLI prices it', () => {
    const reader = new ClaudeStreamReader()
    const seen: number[] = []
    for (const line of lines) {
      reader.line(line)
      if (reader.usageChanged) {
        reader.usageChanged = false
        seen.push(reader.liveUsage().inputTokens)
      }
    }
    // Four messages of 1,200 input tokens, reported as each arrives; msg_scripted_1's second block changes nothing.
    expect(seen).toEqual([1200, 2400, 3600, 4800])
    const live = reader.liveUsage()
    expect(live).toMatchObject({ inputTokens: 4800, outputTokens: 4, cacheReadTokens: 0, cacheWriteTokens: 0 })
    // claude-opus-4-8 at $5 / $25 per million: the CLI's own total was $0.031 for the same input and 280 output tokens.
    expect(live.costUsd).toBeCloseTo((4800 * 5 + 4 * 25) / 1e6, 9)
    expect(priced({ inputTokens: 4800, outputTokens: 280, cacheReadTokens: 0, cacheWriteTokens: 0 }, 'claude-opus-4-8').costUsd).toBeCloseTo(claudeUsage(reader.result!)!.costUsd, 6)
  })

  it('prices by family; a model it does not know has no price (its tokens count against the token budgets)', () => {
    expect(priceOf('claude-sonnet-4-5')).toEqual({ input: 3, output: 15 })
    expect(priceOf('claude-haiku-4-5-20251001')).toEqual({ input: 1, output: 5 })
    expect(priceOf('claude-opus-4-1')).toEqual({ input: 15, output: 75 })
    expect(priceOf('gpt-5.5')).toBeNull()
    expect(priced({ inputTokens: 1000, outputTokens: 1000, cacheReadTokens: 1000, cacheWriteTokens: 1000 }, 'gpt-5.5').costUsd).toBe(0)
    // Cache reads a tenth of input, writes 1.25 times it.
    expect(priced({ inputTokens: 0, outputTokens: 0, cacheReadTokens: 1e6, cacheWriteTokens: 1e6 }, 'claude-sonnet-4-5').costUsd).toBeCloseTo(0.3 + 3.75, 9)
  })
})
