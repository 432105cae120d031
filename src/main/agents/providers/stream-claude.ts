// Reader for Claude Code's `--output-format stream-json --verbose` output: one
// JSON event per line. It turns the stream into short progress lines for the
// dashboard and keeps the final `result` event, which carries the protocol
// text, session id, cost and usage. Shapes recorded from Claude Code 2.1.197
// (test/fixtures/anthropic/*.jsonl); unknown events and fields are ignored.
import { z } from 'zod'
import { priced } from './prices'
import type { Usage } from './types'

const ContentBlock = z.looseObject({
  type: z.string(),
  text: z.string().optional(),
  name: z.string().optional(),
  input: z.unknown().optional(),
  content: z.unknown().optional(),
  is_error: z.boolean().optional()
})

const Message = z.looseObject({ content: z.union([z.string(), z.array(ContentBlock)]).optional() })

// An assistant message's usage as it streams (one event per content block, each with the message's usage so far).
const MessageUsage = z.looseObject({
  id: z.string().optional(),
  model: z.string().optional(),
  usage: z
    .looseObject({
      input_tokens: z.number().nonnegative().default(0),
      output_tokens: z.number().nonnegative().default(0),
      cache_read_input_tokens: z.number().nonnegative().default(0),
      cache_creation_input_tokens: z.number().nonnegative().default(0)
    })
    .optional()
})

const ResultUsage = z.looseObject({
  input_tokens: z.number().default(0),
  output_tokens: z.number().default(0),
  cache_read_input_tokens: z.number().default(0),
  cache_creation_input_tokens: z.number().default(0)
})

export const ClaudeResultEvent = z.looseObject({
  type: z.literal('result'),
  subtype: z.string(),
  is_error: z.boolean().default(false),
  api_error_status: z.number().nullable().optional(),
  result: z.string().optional(),
  session_id: z.string().optional(),
  total_cost_usd: z.number().optional(),
  usage: ResultUsage.optional(),
  num_turns: z.number().optional(),
  duration_ms: z.number().optional(),
  errors: z.array(z.string()).optional(),
  permission_denials: z
    .array(z.looseObject({ tool_name: z.string().optional(), tool_input: z.unknown().optional() }))
    .optional()
})
export type ClaudeResultEvent = z.infer<typeof ClaudeResultEvent>

const StreamEvent = z.discriminatedUnion('type', [
  z.looseObject({
    type: z.literal('system'),
    subtype: z.string().optional(),
    session_id: z.string().optional(),
    model: z.string().optional(),
    attempt: z.number().optional(),
    max_retries: z.number().optional(),
    retry_delay_ms: z.number().optional(),
    error_status: z.number().nullable().optional(),
    error: z.string().optional()
  }),
  z.looseObject({ type: z.literal('assistant'), message: Message, session_id: z.string().optional() }),
  z.looseObject({ type: z.literal('user'), message: Message }),
  ClaudeResultEvent
])

export interface ApiRetry {
  attempt: number
  maxRetries: number
  status: number | null
  error: string
}

const PROGRESS_MAX = 240

/** One line, at most PROGRESS_MAX characters. */
export function oneLine(text: string, max = PROGRESS_MAX): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}

function describeToolUse(name: string, input: unknown): string {
  const i = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>
  const str = (k: string): string | undefined => (typeof i[k] === 'string' ? (i[k] as string) : undefined)
  const target = str('file_path') ?? str('notebook_path') ?? str('command') ?? str('pattern') ?? str('url') ?? str('description')
  return oneLine(`→ ${name}${target !== undefined ? `: ${target}` : ''}`)
}

function toolResultText(content: unknown): string {
  if (typeof content === 'string') return content
  if (Array.isArray(content)) {
    return content
      .map((c) => (typeof c === 'object' && c !== null && typeof (c as { text?: unknown }).text === 'string' ? (c as { text: string }).text : ''))
      .join(' ')
  }
  return ''
}

export class ClaudeStreamReader {
  sessionId?: string
  model?: string
  result?: ClaudeResultEvent
  /** The most recent API retry the CLI announced (it retries 401s too, for minutes). */
  lastRetry?: ApiRetry
  /** Lines of stdout that were not JSON (kept, small, for error messages). */
  strayLines: string[] = []
  events = 0
  /** Per assistant message id, its latest usage: the run's live usage is their sum (`liveUsage`). */
  private readonly messageUsage = new Map<string, Omit<Usage, 'costUsd'> & { model?: string }>()
  /** Set when a line changed the live usage; the provider clears it when it reports. */
  usageChanged = false

  /** Read one stdout line; returns the progress lines it yields. */
  line(raw: string): string[] {
    const text = raw.trim()
    if (text === '') return []
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      this.stray(text)
      return []
    }
    const parsed = StreamEvent.safeParse(json)
    if (!parsed.success) return [] // an event type this reader does not know
    this.events++
    const ev = parsed.data
    switch (ev.type) {
      case 'system':
        if (ev.subtype === 'init') {
          this.sessionId = ev.session_id ?? this.sessionId
          this.model = ev.model
          return [oneLine(`session ${ev.session_id ?? '?'} started${ev.model ? ` (model ${ev.model})` : ''}`)]
        }
        if (ev.subtype === 'api_retry') {
          this.lastRetry = {
            attempt: ev.attempt ?? 0,
            maxRetries: ev.max_retries ?? 0,
            status: ev.error_status ?? null,
            error: ev.error ?? ''
          }
          const secs = ev.retry_delay_ms !== undefined ? ` in ${(ev.retry_delay_ms / 1000).toFixed(1)} s` : ''
          return [oneLine(`API error ${ev.error_status ?? ''} ${ev.error ?? ''}; retry ${ev.attempt ?? '?'}/${ev.max_retries ?? '?'}${secs}`)]
        }
        return []
      case 'assistant': {
        this.sessionId = ev.session_id ?? this.sessionId
        this.noteUsage(ev.message)
        const content = ev.message.content
        if (typeof content === 'string') return content.trim() ? [oneLine(content)] : []
        const out: string[] = []
        for (const block of content ?? []) {
          if (block.type === 'text' && block.text?.trim()) out.push(oneLine(block.text))
          else if (block.type === 'tool_use') out.push(describeToolUse(block.name ?? 'tool', block.input))
        }
        return out
      }
      case 'user': {
        const content = ev.message.content
        if (!Array.isArray(content)) return []
        return content
          .filter((b) => b.type === 'tool_result' && b.is_error === true)
          .map((b) => oneLine(`✗ tool error: ${toolResultText(b.content)}`))
      }
      case 'result': {
        this.result = ev
        this.sessionId = ev.session_id ?? this.sessionId
        const out: string[] = []
        for (const d of ev.permission_denials ?? []) out.push(oneLine(`permission denied: ${d.tool_name ?? 'a tool'}`))
        const cost = ev.total_cost_usd !== undefined ? `, $${ev.total_cost_usd.toFixed(4)}` : ''
        const turns = ev.num_turns !== undefined ? `${ev.num_turns} turns` : 'finished'
        out.push(oneLine(`${ev.is_error ? 'failed' : 'finished'}: ${turns}${cost}`))
        return out
      }
    }
  }

  /** What the run has used so far, priced by model where a price is known (prices.ts; the final result's cost replaces it). */
  liveUsage(): Usage {
    const sum: Usage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0 }
    for (const u of this.messageUsage.values()) {
      const p = priced(u, u.model ?? this.model)
      sum.inputTokens += p.inputTokens
      sum.outputTokens += p.outputTokens
      sum.cacheReadTokens += p.cacheReadTokens
      sum.cacheWriteTokens += p.cacheWriteTokens
      sum.costUsd += p.costUsd
    }
    return sum
  }

  private noteUsage(message: unknown): void {
    const m = MessageUsage.safeParse(message)
    if (!m.success || !m.data.id || !m.data.usage) return
    const u = m.data.usage
    const before = this.messageUsage.get(m.data.id)
    const next = {
      inputTokens: u.input_tokens,
      // A message's first events carry output_tokens 1 (message_start's); keep the largest seen.
      outputTokens: Math.max(u.output_tokens, before?.outputTokens ?? 0),
      cacheReadTokens: u.cache_read_input_tokens,
      cacheWriteTokens: u.cache_creation_input_tokens,
      model: m.data.model
    }
    if (before && JSON.stringify(before) === JSON.stringify(next)) return
    this.messageUsage.set(m.data.id, next)
    this.usageChanged = true
  }

  private stray(text: string): void {
    this.strayLines.push(oneLine(text, 500))
    if (this.strayLines.length > 20) this.strayLines.shift()
  }
}

export function claudeUsage(r: ClaudeResultEvent): Usage | undefined {
  if (!r.usage && r.total_cost_usd === undefined) return undefined
  return {
    inputTokens: r.usage?.input_tokens ?? 0,
    outputTokens: r.usage?.output_tokens ?? 0,
    cacheReadTokens: r.usage?.cache_read_input_tokens ?? 0,
    cacheWriteTokens: r.usage?.cache_creation_input_tokens ?? 0,
    costUsd: r.total_cost_usd ?? 0
  }
}

/** Whether an API status means trying again may help (rate limits, overload, server faults). */
export function isRetryableStatus(status: number | null | undefined): boolean {
  if (status === null || status === undefined) return true
  return status === 408 || status === 409 || status === 429 || status >= 500
}
