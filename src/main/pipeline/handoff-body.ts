// The words of a hand-off to another project (handoff_to_project, issue #14):
// the target issue's body with the full context, and the comments on the
// origin. Pure, so the rendering is unit-tested on its own
// (test/unit/pipeline/handoff-body.test.ts).
import { markFiledBy } from './agent-filed'

/** GitHub refuses an issue body longer than this. */
export const MAX_BODY = 65_536

export interface HandoffContext {
  /** The origin, `owner/repo#n`. */
  from: string
  /** The agent that asked through its task's token (agent-filed.ts), or null: a person. */
  filedBy?: string | null
  summary: string
  /** Steps to reproduce, Markdown (a section of its own). */
  repro?: string
  /** Log output or a stack trace, shown verbatim in a fenced block. */
  logs?: string
  /** A diff, shown verbatim in a fenced `diff` block. */
  diffs?: string
  /** What may be wrong, one item each. */
  hypotheses?: readonly string[]
}

/** `owner/name#n`, as an agent or a person writes it. */
export const ISSUE_REF = /^([A-Za-z0-9_.-]{1,100})\/([A-Za-z0-9_.-]{1,100})#(\d{1,10})$/

export interface IssueRef {
  owner: string
  name: string
  number: number
}

export function parseIssueRef(text: string): IssueRef | null {
  const m = ISSUE_REF.exec(text.trim())
  if (!m) return null
  const number = Number(m[3])
  if (!Number.isSafeInteger(number) || number < 1 || number > 2 ** 31 - 1) return null
  return { owner: m[1] as string, name: m[2] as string, number }
}

/**
 * A fence that the text cannot close: one backtick longer than the longest
 * run of backticks in it, and at least three (CommonMark: a closing fence is
 * at least as long as the opening one). A log that prints ``` stays inside.
 */
export function fenceFor(text: string): string {
  let longest = 0
  for (const run of text.matchAll(/`+/g)) longest = Math.max(longest, run[0].length)
  return '`'.repeat(Math.max(3, longest + 1))
}

function fenced(text: string, info: string): string {
  const fence = fenceFor(text)
  return `${fence}${info}\n${text.replace(/\n+$/, '')}\n${fence}`
}

/** The hidden marker that ends the target issue's body: it names the hand-off, so filing it again finds the issue. */
export function handoffMarker(id: number, kind: 'handoff' | 'filed' | 'closed' | 'refused'): string {
  return `<!-- baton:task=handoff-${id} baton:kind=handoff-${kind} -->`
}

/** The target issue's body: where it comes from, the context in sections and fenced blocks, and the marker. */
export function handoffBody(id: number, c: HandoffContext): string {
  const parts = [`Handed off from ${c.from} by Baton. When this issue closes, ${c.from} resumes.`, `## Summary\n\n${c.summary.trim()}`]
  if (c.repro?.trim()) parts.push(`## Reproduction\n\n${c.repro.trim()}`)
  if (c.logs?.trim()) parts.push(`## Logs\n\n${fenced(c.logs, 'text')}`)
  if (c.diffs?.trim()) parts.push(`## Diffs\n\n${fenced(c.diffs, 'diff')}`)
  const hypotheses = (c.hypotheses ?? []).map((h) => h.trim()).filter(Boolean)
  if (hypotheses.length) parts.push(`## Hypotheses\n\n${hypotheses.map((h, i) => `${i + 1}. ${h.replace(/\n/g, '\n   ')}`).join('\n')}`)
  // An agent's words: trusted in the target only with a person's approval label (agent-filed.ts). The marker stays last.
  const body = parts.join('\n\n')
  return `${c.filedBy ? markFiledBy(body, c.filedBy) : body}\n\n${handoffMarker(id, 'handoff')}`
}

/** The comment on the origin once the issue is filed. */
export function filedComment(id: number, target: string, url: string | null, title: string): string {
  return [
    `**Handed off to ${target}**${url ? ` (${url})` : ''}: ${title}`,
    `This issue waits for ${target} and resumes when it closes.`,
    handoffMarker(id, 'filed')
  ].join('\n\n')
}

/** The comment on the origin when the target closed. */
export function closedComment(id: number, target: string, stateReason: string | null, url: string | null): string {
  const how = stateReason === 'not_planned' ? 'closed as not planned' : 'closed as completed'
  return [`**${target} was ${how}**${url ? ` (${url})` : ''}: this issue resumes.`, handoffMarker(id, 'closed')].join('\n\n')
}

/** The comment on the origin when the person refused the hand-off. */
export function refusedComment(id: number, targetRepo: string, who: string | null, reason: string | null): string {
  return [
    `**The hand-off to ${targetRepo} was refused**${who ? ` by @${who}` : ''}${reason ? `: ${reason}` : ''}. Nothing was filed there; this issue resumes.`,
    handoffMarker(id, 'refused')
  ].join('\n\n')
}
