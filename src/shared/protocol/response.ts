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
  usage: Record<string, number> | null
  /** Header keys the grammar does not know, in order: kept and shown, never fatal. */
  unknown: Array<{ key: string; value: string }>
  body: string
  /** Why the response was turned into an error, when it was. */
  problems: string[]
  raw: string
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
        const n = /^#?(\d+)$/.exec(value)
        if (n) out.issue = Number(n[1])
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
        const n = /^#?(\d+)$/.exec(value)
        if (n) out.pr = Number(n[1])
        else out.unknown.push({ key, value })
        break
      }
      case 'USAGE': {
        const usage: Record<string, number> = {}
        for (const pair of value.split(/\s+/)) {
          const [k, v] = pair.split('=')
          if (k && v !== undefined && Number.isFinite(Number(v))) usage[k] = Number(v)
        }
        out.usage = usage
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
