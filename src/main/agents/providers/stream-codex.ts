// Reader for `codex exec --json` output: one thread event per line
// (thread.started, turn.started, item.started/updated/completed,
// turn.completed with usage, turn.failed, error). Written from the shapes in
// the Codex TypeScript SDK (sdk/typescript/src/events.ts and items.ts, after
// codex-rs/exec/src/exec_events.rs); not run against a real codex here.
import { z } from 'zod'
import type { Usage } from './types'
import { oneLine } from './stream-claude'

const Item = z.looseObject({
  id: z.string().optional(),
  type: z.string(),
  text: z.string().optional(),
  command: z.string().optional(),
  exit_code: z.number().nullable().optional(),
  status: z.string().optional(),
  changes: z.array(z.looseObject({ path: z.string(), kind: z.string().optional() })).optional(),
  server: z.string().optional(),
  tool: z.string().optional(),
  query: z.string().optional(),
  message: z.string().optional()
})

const CodexEvent = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('thread.started'), thread_id: z.string() }),
  z.looseObject({ type: z.literal('turn.started') }),
  z.looseObject({
    type: z.literal('turn.completed'),
    usage: z
      .looseObject({
        input_tokens: z.number().default(0),
        cached_input_tokens: z.number().default(0),
        output_tokens: z.number().default(0)
      })
      .optional()
  }),
  z.looseObject({ type: z.literal('turn.failed'), error: z.looseObject({ message: z.string() }).optional() }),
  z.looseObject({ type: z.literal('item.started'), item: Item }),
  z.looseObject({ type: z.literal('item.updated'), item: Item }),
  z.looseObject({ type: z.literal('item.completed'), item: Item }),
  z.looseObject({ type: z.literal('error'), message: z.string().optional() })
])

export class CodexStreamReader {
  threadId?: string
  /** The text of the last agent message: the protocol response. */
  lastMessage?: string
  turnsCompleted = 0
  /** Set by turn.failed or a top-level error event. */
  failure?: string
  strayLines: string[] = []
  private tokens = { input: 0, cached: 0, output: 0 }

  line(raw: string): string[] {
    const text = raw.trim()
    if (text === '') return []
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      // codex prints a few plain lines (config warnings) outside the JSON stream
      this.strayLines.push(oneLine(text, 500))
      if (this.strayLines.length > 20) this.strayLines.shift()
      return []
    }
    const parsed = CodexEvent.safeParse(json)
    if (!parsed.success) return []
    const ev = parsed.data
    switch (ev.type) {
      case 'thread.started':
        this.threadId = ev.thread_id
        return [`thread ${ev.thread_id} started`]
      case 'turn.started':
        return []
      case 'turn.completed':
        this.turnsCompleted++
        this.tokens.input += ev.usage?.input_tokens ?? 0
        this.tokens.cached += ev.usage?.cached_input_tokens ?? 0
        this.tokens.output += ev.usage?.output_tokens ?? 0
        return [`turn finished (${ev.usage?.input_tokens ?? 0} in, ${ev.usage?.output_tokens ?? 0} out)`]
      case 'turn.failed':
        this.failure = ev.error?.message ?? 'turn failed'
        return [oneLine(`failed: ${this.failure}`)]
      case 'error':
        this.failure = ev.message ?? 'error'
        return [oneLine(`error: ${this.failure}`)]
      case 'item.started':
        return ev.item.type === 'command_execution' && ev.item.command ? [oneLine(`→ shell: ${ev.item.command}`)] : []
      case 'item.updated':
        return []
      case 'item.completed':
        return this.completed(ev.item)
    }
  }

  private completed(item: z.infer<typeof Item>): string[] {
    switch (item.type) {
      case 'agent_message':
        this.lastMessage = item.text ?? ''
        return item.text?.trim() ? [oneLine(item.text)] : []
      case 'command_execution':
        return item.exit_code !== undefined && item.exit_code !== null && item.exit_code !== 0
          ? [oneLine(`✗ exit ${item.exit_code}: ${item.command ?? ''}`)]
          : []
      case 'file_change':
        return [oneLine(`→ files: ${(item.changes ?? []).map((c) => `${c.kind ?? 'change'} ${c.path}`).join(', ')}${item.status === 'failed' ? ' (failed)' : ''}`)]
      case 'mcp_tool_call':
        return [oneLine(`→ ${item.server ?? 'mcp'}.${item.tool ?? 'tool'}${item.status === 'failed' ? ' (failed)' : ''}`)]
      case 'web_search':
        return [oneLine(`→ web search: ${item.query ?? ''}`)]
      case 'error':
        return [oneLine(`⚠ ${item.message ?? 'error'}`)]
      default:
        return [] // reasoning, todo_list, plan: not progress a person needs
    }
  }

  /** Codex reports tokens but no price: costUsd stays 0 (the caller may price it). */
  usage(): Usage | undefined {
    if (this.turnsCompleted === 0) return undefined
    return {
      // OpenAI's input_tokens include the cached ones; Usage counts them apart.
      inputTokens: Math.max(0, this.tokens.input - this.tokens.cached),
      outputTokens: this.tokens.output,
      cacheReadTokens: this.tokens.cached,
      cacheWriteTokens: 0,
      costUsd: 0
    }
  }
}
