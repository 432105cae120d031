// What a model's tokens cost, to price a run's live usage before its provider
// says (Claude Code reports `total_cost_usd` only in its final event; the
// spend budgets must stop a run mid-way). An estimate by model family, in
// dollars per million tokens, from Anthropic's published list prices; the
// final, reported cost replaces it when the run ends. A model not listed has
// no price: its tokens count against the token budgets instead.
import type { Usage } from './types'

interface Price {
  input: number
  output: number
}

// Cache reads cost a tenth of input, 5-minute cache writes 1.25 times it (Anthropic's pricing page).
const FAMILIES: Array<[RegExp, Price]> = [
  [/claude-(3-opus|opus-4-0|opus-4-1|opus-4-2025)/, { input: 15, output: 75 }],
  [/claude-.*opus|claude-opus/, { input: 5, output: 25 }],
  [/claude-.*sonnet|claude-sonnet/, { input: 3, output: 15 }],
  [/claude-.*haiku|claude-haiku/, { input: 1, output: 5 }]
]

export function priceOf(model: string | undefined): Price | null {
  if (!model) return null
  for (const [pattern, price] of FAMILIES) if (pattern.test(model)) return price
  return null
}

/** `usage` with its cost estimated from the model's price (0 when the model has none). */
export function priced(usage: Omit<Usage, 'costUsd'>, model: string | undefined): Usage {
  const p = priceOf(model)
  const costUsd = p
    ? (usage.inputTokens * p.input + usage.outputTokens * p.output + usage.cacheReadTokens * p.input * 0.1 + usage.cacheWriteTokens * p.input * 1.25) / 1e6
    : 0
  return { ...usage, costUsd }
}
