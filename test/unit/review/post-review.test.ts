import { describe, expect, it } from 'vitest'
import { mergeFindings, type ReviewerReport } from '../../../src/main/review/consensus'
import { commentableLines, findingsList, findingText, MAX_BODY, postReview, roundMarker, summaryOf, type ReviewPort } from '../../../src/main/review/post-review'
import { reportOf } from '../../../src/main/review/review-join'
import type { FanoutChild } from '../../../src/main/pipeline/fanout'
import type { Finding } from '../../../src/main/review/findings'

const repo = { id: 1, owner: 'o', name: 'r', defaultBranch: 'main' }
const PATCH = '@@ -1,3 +1,5 @@\n export function add(a, b) {\n-  return a - b\n+  return a + b\n+}\n+const x = 1\n }\n@@ -20,2 +22,3 @@\n a\n+b\n c\n\\ No newline at end of file'
const f = (over: Partial<Finding> = {}): Finding => ({ file: 'src/a.js', line: 2, severity: 'critical', text: "'x' is not defined", ...over })

function fakePort(existing: Array<{ author: string; body: string }> = []) {
  const posted: Array<{ event: string; body: string; comments: Array<{ path: string; line: number; body: string }> }> = []
  const port: ReviewPort = {
    login: () => 'baton-bot',
    pullFiles: async () => [{ path: 'src/a.js', patch: PATCH }, { path: 'big.bin', patch: null }],
    reviewBodies: async () => [...existing, ...posted.map((p) => ({ author: 'baton-bot', body: p.body }))],
    review: async (_repo, _pr, event, body, comments) => {
      posted.push({ event, body, comments })
    }
  }
  return { port, posted }
}

describe('the PR review of a fan-out round', () => {
  it('knows which head-side lines of a patch a comment may be on: added and context lines of its hunks', () => {
    expect([...commentableLines(PATCH)].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 22, 23, 24])
    expect(commentableLines(null).size).toBe(0)
  })

  it('posts one review: line comments on the diff’s lines with the consensus tag, the rest and the table in the summary', async () => {
    const reports: ReviewerReport[] = [
      { reviewer: 'lint', outcome: 'answered', findings: [f({ rule: 'no-undef' }), f({ line: 40, severity: 'observation', text: 'style' })] },
      { reviewer: 'tests', outcome: 'answered', findings: [f({ line: 3, text: 'ReferenceError: x is not defined' }), f({ file: 'big.bin', line: 0, severity: 'recommendation', text: 'a binary of 2 MB' })] },
      { reviewer: 'slow', outcome: 'missing', findings: [], problem: 'crashed (SIGKILL)' },
      { reviewer: 'odd', outcome: 'malformed', findings: [], problem: 'the baton-findings block is not JSON' }
    ]
    const { port, posted } = fakePort()
    const result = await postReview(port, { repo, pr: 7, round: { task: 't_p', round: 2 }, reports, consensus: mergeFindings(reports), event: 'REQUEST_CHANGES' })
    expect(result).toMatchObject({ posted: true, inline: 1, outside: 2 })
    expect(posted).toHaveLength(1)
    const [review] = posted
    expect(review!.event).toBe('REQUEST_CHANGES')
    // Equally severe: the first reviewer's words and line speak for the finding, the other's follow.
    expect(review!.comments).toEqual([{ path: 'src/a.js', line: 2, body: "**Critical** · consensus (2 of 2) · lint, tests · `no-undef`\n\n'x' is not defined\n\n- tests (line 3): ReferenceError: x is not defined" }])
    expect(review!.body).toContain('## Review: 3 findings from 2 of 4 reviewers, 1 with consensus')
    expect(review!.body).toContain('| lint | 1 | 0 | 1 | answered |')
    expect(review!.body).toContain('| tests | 1 | 1 | 0 | answered |')
    expect(review!.body).toContain('| slow | — | — | — | missing: crashed (SIGKILL) |')
    expect(review!.body).toContain('| odd | — | — | — | malformed: the baton-findings block is not JSON |')
    expect(review!.body).toMatch(/### Outside the diff\n\n- `big.bin` \*\*Recommendation\*\*[^\n]*\n- `src\/a.js:40` \*\*Observation\*\*/)
    expect(review!.body.endsWith(roundMarker('t_p', 2))).toBe(true)
  })

  it('posts nothing the second time for the same round (a crash after the post, the join run again), but does for the next round', async () => {
    const reports: ReviewerReport[] = [{ reviewer: 'lint', outcome: 'answered', findings: [f()] }]
    const { port, posted } = fakePort()
    const input = { repo, pr: 7, round: { task: 't_p', round: 1 }, reports, consensus: mergeFindings(reports), event: 'COMMENT' as const }
    expect((await postReview(port, input)).posted).toBe(true)
    expect((await postReview(port, input)).posted).toBe(false)
    expect(posted).toHaveLength(1)
    expect((await postReview(port, { ...input, round: { task: 't_p', round: 2 } })).posted).toBe(true)
    expect(posted).toHaveLength(2)
  })

  it('a marker in someone else’s review does not stop Baton’s', async () => {
    const reports: ReviewerReport[] = [{ reviewer: 'lint', outcome: 'answered', findings: [] }]
    const { port, posted } = fakePort([{ author: 'mallory', body: `lgtm ${roundMarker('t_p', 1)}` }])
    await postReview(port, { repo, pr: 7, round: { task: 't_p', round: 1 }, reports, consensus: mergeFindings(reports), event: 'COMMENT' })
    expect(posted).toHaveLength(1)
  })

  it('keeps the summary under GitHub’s body limit however many findings are outside the diff', () => {
    const reports: ReviewerReport[] = [{ reviewer: 'lint', outcome: 'answered', findings: Array.from({ length: 200 }, (_, i) => f({ file: `f${i}.js`, text: `${'long words '.repeat(150)}${i}` })) }]
    const c = mergeFindings(reports)
    const summary = summaryOf(reports, c, c.findings)
    expect(summary.length).toBeLessThan(MAX_BODY)
    expect(summary).toMatch(/- … and \d+ more$/)
    expect(findingText(c.findings[0]!)).toMatch(/^\*\*Critical\*\* · lint/)
  })

  it('lists every merged finding for the stage’s comment, cut with a count past its room', () => {
    const reports: ReviewerReport[] = [{ reviewer: 'lint', outcome: 'answered', findings: Array.from({ length: 30 }, (_, i) => f({ file: `f${i}.js` })) }]
    const c = mergeFindings(reports)
    expect(findingsList(c.findings).split('\n')).toHaveLength(30)
    const cut = findingsList(c.findings, 500).split('\n')
    expect(cut.length).toBeLessThan(30)
    expect(cut.at(-1)).toMatch(/^- … and \d+ more \(on the PR's review\)$/)
  })

  it('reads each child as a report: answered, malformed, failed or missing', () => {
    const child = (over: Partial<FanoutChild>): FanoutChild => ({ index: 1, of: 1, task: 't_c', agent: 'reviewer-lint', role: 'reviewer-lint', outcome: 'answered', answer: null, reason: null, usage: null, ...over })
    const answer = (status: 'done' | 'error', body: string) => ({ status, text: 'x', move: null, branch: null, handoffs: [], labels: [], body })
    expect(reportOf(child({ answer: answer('done', '```baton-findings\n[]\n```') }))).toEqual({ reviewer: 'reviewer-lint', outcome: 'answered', findings: [] })
    expect(reportOf(child({ answer: answer('done', 'no block') }))).toMatchObject({ outcome: 'malformed', problem: expect.stringMatching(/no ```baton-findings block/) })
    expect(reportOf(child({ answer: answer('error', '') }))).toMatchObject({ outcome: 'failed', problem: 'ERROR: x' })
    expect(reportOf(child({ outcome: 'missing', reason: 'crashed' }))).toMatchObject({ outcome: 'missing', problem: 'crashed' })
  })
})
