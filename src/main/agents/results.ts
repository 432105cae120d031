// From a parsed response file to what the pipeline engine applies
// (pipeline/ports.ts AgentResult): the answer, usage in the engine's units,
// the provider session to resume. A response that failed to parse is already
// an `error` answer (the parser never throws), with the raw text kept.
import type { AgentResult, AgentUsage } from '../pipeline/ports'
import type { ParsedResponse } from '../../shared/protocol/response'
import { stripAnsi } from '../../shared/ansi'
import { redact } from '../log'

export interface ResponseRecord {
  agent: string
  task: string
  attempt: number
  parsed: ParsedResponse
  raw: string
}

/** USAGE: input_tokens=… output_tokens=… cache_read_tokens=… cache_write_tokens=… cost_usd=… */
export function usageOf(parsed: ParsedResponse): AgentUsage | null {
  const u = parsed.usage
  if (!u) return null
  return {
    inputTokens: u.input_tokens ?? 0,
    outputTokens: u.output_tokens ?? 0,
    cacheReadTokens: u.cache_read_tokens ?? u.cache_read_input_tokens ?? 0,
    cacheWriteTokens: u.cache_write_tokens ?? u.cache_creation_input_tokens ?? 0,
    costUsd: u.cost_usd ?? 0
  }
}

export function toAgentResult(r: ResponseRecord, role: { provider: string; model?: string | null }): AgentResult {
  const p = r.parsed
  return {
    agent: r.agent,
    task: r.task,
    attempt: r.attempt,
    // What main posts, notes and shows of an answer carries no terminal
    // escapes (a tool's colours); `raw` keeps the file as it was, but for
    // secrets: no key or token Baton holds (log.ts registers each) is posted
    // or shown, even when an agent printed one (DESIGN.md §9).
    answer: {
      status: p.status,
      text: redact(stripAnsi(p.statusText)),
      move: p.labelUpdate,
      branch: p.branch,
      handoffs: p.handoffs.map((h) => ({ ...h, text: redact(stripAnsi(h.text)) })),
      labels: p.labels,
      body: redact(stripAnsi(p.body))
    },
    raw: redact(r.raw),
    usage: usageOf(p),
    sessionId: p.unknown.find((u) => u.key === 'SESSION')?.value ?? null,
    provider: role.provider,
    model: role.model ?? null
  }
}
