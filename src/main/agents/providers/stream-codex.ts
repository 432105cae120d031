// Reader for `codex exec --json` output: one thread event per line
// (thread.started, turn.started, item.started/updated/completed,
// turn.completed with usage, turn.failed, error). Written from the shapes in
// the Codex TypeScript SDK (sdk/typescript/src/events.ts and items.ts, after
// codex-rs/exec/src/exec_events.rs) and checked against the real Codex CLI
// 0.171.0 (test/integration/providers/codex-cli.test.ts). What the real CLI
// adds to those shapes:
// - a top-level `error` event is not always the end: "Reconnecting... 1/5 (…)"
//   comes before each stream retry, and the turn may still complete. Only
//   `turn.failed`, or an error no completed turn followed, fails the run.
// - `turn.completed` usage also has `cache_write_input_tokens` and
//   `reasoning_output_tokens`; `input_tokens` counts cache reads and writes.
// - that usage is the THREAD's total so far, not the turn's: after
//   `exec resume` it includes every earlier run of the thread. The reader
//   keeps the last one; the provider subtracts what the thread had used
//   before the resume (codexThreadUsage in codex.ts).
// - warnings arrive as `item.completed` items of type `error` (e.g. "Model
//   metadata for `x` not found").
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
        cache_write_input_tokens: z.number().default(0),
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

/** The HTTP status in a codex error message ("unexpected status 401 Unauthorized: …"), if any. */
export function codexErrorStatus(message: string | undefined): number | undefined {
  const m = message === undefined ? null : /\bstatus (\d{3})\b/i.exec(message)
  return m ? Number(m[1]) : undefined
}

/** "Reconnecting... 1/5 (what failed)" → "what failed"; other messages as they are. */
export function codexErrorCause(message: string): string {
  const m = /^Reconnecting\.\.\.[^(]*\((.*)\)\s*$/s.exec(message)
  return m?.[1] ?? message
}

/** Token counts as codex reports them (input includes cache reads and writes). */
export interface CodexTokens {
  input: number
  cached: number
  cacheWrite: number
  output: number
}

export class CodexStreamReader {
  threadId?: string
  /** The text of the last agent message: the protocol response. */
  lastMessage?: string
  turnsCompleted = 0
  strayLines: string[] = []
  /** The thread's usage as of the last completed turn. */
  tokens: CodexTokens = { input: 0, cached: 0, cacheWrite: 0, output: 0 }
  private turnFailure?: string
  /** The last top-level error no completed turn has followed yet. */
  private pendingError?: string

  /** Why the run failed: a failed turn, or an error event no completed turn followed. */
  get failure(): string | undefined {
    return this.turnFailure ?? this.pendingError
  }

  /** The CLI is retrying a request the endpoint refused with 401/403: retries cannot help. */
  get retryingRefusedKey(): boolean {
    const status = codexErrorStatus(this.pendingError)
    return this.turnFailure === undefined && (status === 401 || status === 403)
  }

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
        if (ev.usage) {
          this.tokens = {
            input: ev.usage.input_tokens,
            cached: ev.usage.cached_input_tokens,
            cacheWrite: ev.usage.cache_write_input_tokens,
            output: ev.usage.output_tokens
          }
        }
        this.pendingError = undefined // retried and recovered
        return [`turn finished (${ev.usage?.input_tokens ?? 0} in, ${ev.usage?.output_tokens ?? 0} out)`]
      case 'turn.failed':
        this.turnFailure = ev.error?.message ?? this.pendingError ?? 'turn failed'
        return [oneLine(`failed: ${this.turnFailure}`)]
      case 'error':
        this.pendingError = ev.message ?? 'error'
        return [oneLine(`error: ${this.pendingError}`)]
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

  /**
   * This run's usage: the thread's total less `before` (what the thread had
   * used before a resume). Codex reports tokens but no price: costUsd stays 0
   * (the caller may price it).
   */
  usage(before?: CodexTokens): Usage | undefined {
    if (this.turnsCompleted === 0) return undefined
    const d = (k: keyof CodexTokens): number => Math.max(0, this.tokens[k] - (before?.[k] ?? 0))
    const input = d('input')
    const cached = d('cached')
    const cacheWrite = d('cacheWrite')
    return {
      // OpenAI's input_tokens include the cache reads and writes; Usage counts them apart.
      inputTokens: Math.max(0, input - cached - cacheWrite),
      outputTokens: d('output'),
      cacheReadTokens: cached,
      cacheWriteTokens: cacheWrite,
      costUsd: 0
    }
  }
}
