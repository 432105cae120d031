// A fan-out review on GitHub (issue #15): one PR review for the whole round,
// a line comment per merged finding on a line GitHub can comment on (a line of
// the PR's diff on the head side: added or kept in a hunk), the rest listed in
// the summary, and the summary's table — findings by reviewer and severity,
// and every reviewer that was malformed, failed or missing named with why.
//
// Idempotent across a crash: the review's body carries the round's marker
// (`baton:review-round=<task>.<round>`), and a review of Baton's login
// carrying it already on the PR means the round was posted: nothing is sent
// twice (the join may run again for the same round: pipeline/fanout.ts).
import { sameLogin } from '../../shared/marker'
import type { GitHubPort, RepoRef } from '../pipeline/ports'
import { consensusTag, type Consensus, type MergedFinding, type ReviewerReport } from './consensus'
import { SEVERITIES } from './findings'

/** What posting needs beyond the GitHub port's review write: the PR's files (their patches) and its reviews. */
export interface ReviewReads {
  pullFiles(repo: RepoRef, pr: number): Promise<Array<{ path: string; patch: string | null }>>
  reviewBodies(repo: RepoRef, pr: number): Promise<Array<{ author: string; body: string }>>
}
export type ReviewPort = Pick<GitHubPort, 'review' | 'login'> & ReviewReads

/** GitHub's limit on a review's body is 65,536 characters; stay clear of it. */
export const MAX_BODY = 60_000

/** A round is the parent task and its fan-out's number (fanout.ts: unique per parent, a person's Retry included), never the attempt, which a Retry starts again. */
export const roundMarker = (task: string, round: number): string => `<!-- baton:review-round=${task}.${round} -->`

/** Head-side lines a review comment may be on: every added or context line of the patch's hunks. */
export function commentableLines(patch: string | null): Set<number> {
  const lines = new Set<number>()
  if (!patch) return lines
  let next = 0
  let inHunk = false
  for (const raw of patch.split('\n')) {
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(raw)
    if (hunk) {
      next = Number(hunk[1])
      inHunk = true
      continue
    }
    if (!inHunk || raw.startsWith('\\')) continue
    if (raw.startsWith('+') || raw.startsWith(' ')) lines.add(next++)
  }
  return lines
}

const TITLE: Record<string, string> = { critical: 'Critical', recommendation: 'Recommendation', observation: 'Observation' }

/** One finding's words: severity, the consensus tag, who said it, the text, and the other reviewers' own words. */
export function findingText(f: MergedFinding): string {
  const tag = consensusTag(f)
  const head = `**${TITLE[f.severity]}**${tag ? ` · ${tag}` : ''} · ${f.reviewers.join(', ')}${f.rule ? ` · \`${f.rule}\`` : ''}`
  const others = f.parts.filter((p) => p.text !== f.text).map((p) => `- ${p.reviewer}${p.line !== f.line ? ` (line ${p.line})` : ''}: ${p.text}`)
  return [head, '', f.text, ...(others.length ? ['', ...others] : [])].join('\n')
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\s+/g, ' ')

/** The summary table and what is outside the diff (Markdown). */
export function summaryOf(reports: readonly ReviewerReport[], consensus: Consensus, outside: readonly MergedFinding[]): string {
  const rows = reports.map((r) => {
    const counts = SEVERITIES.map((s) => (r.outcome === 'answered' ? String(r.findings.filter((f) => f.severity === s).length) : '—'))
    const status = r.outcome === 'answered' ? 'answered' : `${r.outcome}${r.problem ? `: ${r.problem}` : ''}`
    return `| ${cell(r.reviewer)} | ${counts.join(' | ')} | ${cell(status).slice(0, 300)} |`
  })
  const merged = SEVERITIES.map((s) => String(consensus.findings.filter((f) => f.severity === s).length))
  const agreed = consensus.findings.filter((f) => f.consensus).length
  const lines = [
    `## Review: ${consensus.findings.length} findings from ${consensus.answered} of ${reports.length} reviewers${agreed ? `, ${agreed} with consensus` : ''}`,
    '',
    '| reviewer | critical | recommendation | observation | status |',
    '|---|---|---|---|---|',
    ...rows,
    `| **merged** | ${merged.join(' | ')} | ${agreed} with consensus |`
  ]
  const missing = reports.filter((r) => r.outcome !== 'answered')
  if (missing.length) lines.push('', `Not counted: ${missing.map((r) => `${r.reviewer} (${r.outcome})`).join(', ')}.`)
  if (outside.length) {
    lines.push('', '### Outside the diff', '')
    let room = MAX_BODY - lines.join('\n').length - 200
    let shown = 0
    for (const f of outside) {
      const item = `- \`${f.file}${f.line ? `:${f.line}` : ''}\` ${findingText(f).replace(/\n+/g, ' ')}`
      if (item.length > room) break
      lines.push(item)
      room -= item.length + 1
      shown++
    }
    if (shown < outside.length) lines.push(`- … and ${outside.length - shown} more`)
  }
  return lines.join('\n')
}

/** Every merged finding as a Markdown list, within `room` characters: the stage's comment and the Engineer's note carry them all. */
export function findingsList(findings: readonly MergedFinding[], room = MAX_BODY): string {
  const lines: string[] = []
  let left = room
  for (const [i, f] of findings.entries()) {
    const item = `- \`${f.file}${f.line ? `:${f.line}` : ''}\` ${findingText(f).replace(/\n+/g, ' ')}`
    if (item.length + 1 > left) {
      lines.push(`- … and ${findings.length - i} more (on the PR's review)`)
      break
    }
    lines.push(item)
    left -= item.length + 1
  }
  return lines.join('\n')
}

export interface PostReviewInput {
  repo: RepoRef
  pr: number
  /** The round: its marker makes the post once. */
  round: { task: string; round: number }
  reports: readonly ReviewerReport[]
  consensus: Consensus
  event: 'COMMENT' | 'REQUEST_CHANGES'
}

export interface PostedReview {
  /** False when the round's review was already on the PR. */
  posted: boolean
  inline: number
  outside: number
  summary: string
}

/** Posts the round's one review (see the top of the file). */
export async function postReview(port: ReviewPort, input: PostReviewInput): Promise<PostedReview> {
  const files = await port.pullFiles(input.repo, input.pr)
  const commentable = new Map(files.map((f) => [f.path, commentableLines(f.patch)]))
  const inline = input.consensus.findings.filter((f) => f.line > 0 && commentable.get(f.file)?.has(f.line))
  const outside = input.consensus.findings.filter((f) => !inline.includes(f))
  const summary = summaryOf(input.reports, input.consensus, outside)
  const marker = roundMarker(input.round.task, input.round.round)
  const login = port.login()
  const existing = await port.reviewBodies(input.repo, input.pr)
  if (existing.some((r) => r.body.includes(marker) && (!login || sameLogin(r.author, login)))) {
    return { posted: false, inline: inline.length, outside: outside.length, summary }
  }
  await port.review(
    input.repo,
    input.pr,
    input.event,
    `${summary}\n\n${marker}`,
    inline.map((f) => ({ path: f.file, line: f.line, body: findingText(f) }))
  )
  return { posted: true, inline: inline.length, outside: outside.length, summary }
}
