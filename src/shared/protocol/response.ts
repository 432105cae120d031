// Response file, version 1 (DESIGN.md §5): a header of `KEY: value` lines,
// then an optional Markdown body. The parser never throws: a response that
// cannot be understood becomes an `error` status with the reason, and the raw
// text is always kept.
export type ResponseStatus = 'done' | 'request' | 'error'

export interface ParsedResponse {
  task: string | null
  status: ResponseStatus
  /** The status line's text: the summary, the question, or the error. */
  statusText: string
  issue: number | null
  labelUpdate: { from: string; to: string } | null
  branch: string | null
  pr: number | null
  labels: string[]
  handoffs: Array<{ role: string; text: string }>
  /** USAGE pairs, each checked (see LIMITS); a USAGE line with any bad number is kept raw in `unknown` instead. */
  usage: Record<string, number> | null
  /** ATTEMPT, when it is a whole number in bounds (the header line also stays in `unknown`, as written). */
  attempt: number | null
  /** DURATION-MS (how long the agent worked), when in bounds; the line also stays in `unknown`. */
  durationMs: number | null
  /** Header keys the grammar does not know, in order: kept and shown, never fatal. */
  unknown: Array<{ key: string; value: string }>
  body: string
  /** Why the response was turned into an error, when it was. */
  problems: string[]
  raw: string
}

/**
 * Every number an agent writes is checked against these before main uses it
 * (DESIGN.md §5: numbers are finite and bounded). An agent's `input_tokens=1e308`
 * once made its whole answer unappliable: SQLite refused the usage row.
 */
export const LIMITS = {
  /** Token counts: whole, non-negative, below this. */
  tokens: 1e12,
  /** cost_usd: finite, non-negative, below this. */
  costUsd: 1e6,
  /** Any other USAGE figure: finite, non-negative, below this. */
  usageOther: 1e12,
  /** ISSUE and PR numbers: whole, from 1 up to this (GitHub's are 32-bit). */
  number: 2 ** 31 - 1,
  /** ATTEMPT: whole, from 1 up to this. */
  attempt: 1e6,
  /** DURATION-MS: whole, non-negative, up to this (about 115 days). */
  durationMs: 1e10
} as const

/** A plain decimal, optionally with an exponent: no sign, no hex, no `Infinity`, no blank. */
const DECIMAL = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/
const USAGE_KEY = /^[a-z][a-z0-9_]{0,63}$/

/** A whole number written as digits, from `min` to `max`; null otherwise. */
function wholeNumber(value: string, min: number, max: number): number | null {
  if (!/^\d{1,16}$/.test(value)) return null
  const n = Number(value)
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : null
}

/** USAGE pairs, each checked; an error names the first bad pair. Words without `=` are ignored. */
function parseUsage(value: string): { ok: true; usage: Record<string, number> } | { ok: false; reason: string } {
  const usage: Record<string, number> = {}
  for (const pair of value.split(/\s+/)) {
    const at = pair.indexOf('=')
    if (at < 0) continue
    const key = pair.slice(0, at)
    const text = pair.slice(at + 1)
    if (!USAGE_KEY.test(key)) return { ok: false, reason: `"${key.slice(0, 40)}" is not a usage name` }
    const n = DECIMAL.test(text) ? Number(text) : NaN
    const tokens = /(^|_)tokens$/.test(key)
    const cost = /^cost(_|$)/.test(key)
    const max = tokens ? LIMITS.tokens : cost ? LIMITS.costUsd : LIMITS.usageOther
    const fits = Number.isFinite(n) && n >= 0 && n < max && (!tokens || Number.isSafeInteger(n))
    if (!fits) return { ok: false, reason: `${key}=${text.slice(0, 40)} is not ${tokens ? 'a whole number' : 'a number'} from 0 to below ${max}` }
    usage[key] = n
  }
  return { ok: true, usage }
}

const HEADER = /^([A-Z][A-Z0-9-]*)(?:\s+@([a-z][a-z0-9-]*))?:\s?(.*)$/
const STATUS_KEYS: Record<string, ResponseStatus> = { DONE: 'done', REQUEST: 'request', ERROR: 'error' }

export function parseResponse(raw: string): ParsedResponse {
  const text = typeof raw === 'string' ? raw : String(raw)
  const out: ParsedResponse = {
    task: null,
    status: 'error',
    statusText: '',
    issue: null,
    labelUpdate: null,
    branch: null,
    pr: null,
    labels: [],
    handoffs: [],
    usage: null,
    attempt: null,
    durationMs: null,
    unknown: [],
    body: '',
    problems: [],
    raw: text
  }
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  let i = 0
  while (i < lines.length && (lines[i] as string).trim() === '') i++
  const statuses: Array<{ status: ResponseStatus; text: string }> = []
  for (; i < lines.length; i++) {
    const line = lines[i] as string
    if (line.trim() === '') {
      i++
      break
    }
    const match = HEADER.exec(line)
    if (!match) break // the body starts without a blank line
    const [, key = '', mention, rawValue = ''] = match
    const value = rawValue.trim()
    if (mention) {
      if (key === 'HANDOFF') out.handoffs.push({ role: mention, text: value })
      else out.unknown.push({ key: `${key} @${mention}`, value })
      continue
    }
    switch (key) {
      case 'TASK':
        if (out.task === null) out.task = value
        else out.problems.push('TASK appears twice')
        break
      case 'DONE':
      case 'REQUEST':
      case 'ERROR':
        statuses.push({ status: STATUS_KEYS[key] as ResponseStatus, text: value })
        break
      case 'ISSUE': {
        const n = wholeNumber(value.replace(/^#/, ''), 1, LIMITS.number)
        if (n !== null) out.issue = n
        else out.unknown.push({ key, value })
        break
      }
      case 'LABEL-UPDATED': {
        const m = /^(\S+)\s*-->\s*(\S+)$/.exec(value)
        if (m) out.labelUpdate = { from: m[1] as string, to: m[2] as string }
        else out.problems.push(`LABEL-UPDATED must read "<from> --> <to>", got "${value}"`)
        break
      }
      case 'LABELS':
        out.labels = value
          .split(',')
          .map((l) => l.trim())
          .filter(Boolean)
        break
      case 'BRANCH':
        if (/^[A-Za-z0-9._/-]{1,200}$/.test(value) && !value.includes('..')) out.branch = value
        else out.problems.push(`BRANCH is not a valid branch name: "${value}"`)
        break
      case 'PR': {
        const n = wholeNumber(value.replace(/^#/, ''), 1, LIMITS.number)
        if (n !== null) out.pr = n
        else out.unknown.push({ key, value })
        break
      }
      case 'USAGE': {
        const usage = parseUsage(value)
        if (usage.ok) out.usage = usage.usage
        else {
          // Kept raw and shown; the rest of the answer still applies.
          out.unknown.push({ key, value })
          out.problems.push(`USAGE kept as text: ${usage.reason}`)
        }
        break
      }
      // Both stay in `unknown` as written (the runner and the dashboard read
      // them there); the numbers are taken only when they are in bounds.
      case 'ATTEMPT':
      case 'DURATION-MS': {
        const first = !out.unknown.some((u) => u.key === key) // the first one counts
        out.unknown.push({ key, value })
        if (!first) break
        const attempt = key === 'ATTEMPT'
        const n = attempt ? wholeNumber(value, 1, LIMITS.attempt) : wholeNumber(value, 0, LIMITS.durationMs)
        if (n === null) out.problems.push(`${key} must be a whole number from ${attempt ? 1 : 0} to ${attempt ? LIMITS.attempt : LIMITS.durationMs}, got "${value.slice(0, 40)}"`)
        else if (attempt) out.attempt = n
        else out.durationMs = n
        break
      }
      case 'HANDOFF':
        out.problems.push('HANDOFF needs a role: "HANDOFF @role: what"')
        break
      default:
        out.unknown.push({ key, value })
    }
  }
  out.body = lines.slice(i).join('\n').replace(/\s+$/, '')
  if (out.task === null) out.problems.push('the response has no TASK line')
  if (statuses.length === 0) out.problems.push('the response has no DONE, REQUEST or ERROR line')
  if (statuses.length > 1) out.problems.push(`the response has ${statuses.length} status lines; exactly one is allowed`)
  const only = statuses[0]
  if (only && statuses.length === 1) {
    out.status = only.status
    out.statusText = only.text
  }
  if (out.problems.length && (statuses.length !== 1 || out.task === null)) {
    out.status = 'error'
    out.statusText = `Malformed response: ${out.problems.join('; ')}`
  }
  return out
}

export interface ResponseInput {
  task: string
  status: ResponseStatus
  statusText: string
  issue?: number | null
  labelUpdate?: { from: string; to: string } | null
  branch?: string | null
  pr?: number | null
  labels?: string[]
  handoffs?: Array<{ role: string; text: string }>
  usage?: Record<string, number> | null
  extra?: Array<{ key: string; value: string }>
  body?: string
}

const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ').trim()

/** Writes a response in the protocol's grammar (the inverse of parseResponse). */
export function formatResponse(r: ResponseInput): string {
  const lines = [`TASK: ${oneLine(r.task)}`, `${r.status.toUpperCase()}: ${oneLine(r.statusText)}`]
  if (r.issue) lines.push(`ISSUE: #${r.issue}`)
  if (r.labelUpdate) lines.push(`LABEL-UPDATED: ${r.labelUpdate.from} --> ${r.labelUpdate.to}`)
  if (r.labels?.length) lines.push(`LABELS: ${r.labels.map(oneLine).join(', ')}`)
  if (r.branch) lines.push(`BRANCH: ${r.branch}`)
  if (r.pr) lines.push(`PR: #${r.pr}`)
  for (const h of r.handoffs ?? []) lines.push(`HANDOFF @${h.role}: ${oneLine(h.text)}`)
  if (r.usage) lines.push(`USAGE: ${Object.entries(r.usage).map(([k, v]) => `${k}=${v}`).join(' ')}`)
  for (const e of r.extra ?? []) lines.push(`${e.key}: ${oneLine(e.value)}`)
  const body = (r.body ?? '').replace(/\s+$/, '')
  return lines.join('\n') + '\n' + (body ? `\n${body}\n` : '')
}
