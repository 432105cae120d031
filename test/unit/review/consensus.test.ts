import { describe, expect, it } from 'vitest'
import { categoryOf, consensusTag, hasConsensusCritical, mergeFindings, samePoint, type ReviewerReport } from '../../../src/main/review/consensus'
import type { Finding } from '../../../src/main/review/findings'

const f = (over: Partial<Finding> = {}): Finding => ({ file: 'src/calc.js', line: 10, severity: 'recommendation', text: "'total' is not defined", ...over })
const report = (reviewer: string, findings: Finding[], outcome: ReviewerReport['outcome'] = 'answered'): ReviewerReport => ({ reviewer, outcome, findings })

describe('consensus of reviewers’ findings', () => {
  it('merges the same point on the same file within ±2 lines from different reviewers, tagged n of m, at the highest severity', () => {
    const c = mergeFindings([
      report('reviewer-lint', [f({ rule: 'no-undef', severity: 'recommendation' })]),
      report('reviewer-tests', [f({ line: 12, severity: 'critical', text: 'test "adds" fails: ReferenceError: total is not defined', rule: 'test-failure' })]),
      report('reviewer-secrets', [])
    ])
    expect(c.answered).toBe(3)
    expect(c.findings).toHaveLength(1)
    const [one] = c.findings
    expect(one).toMatchObject({ file: 'src/calc.js', line: 12, severity: 'critical', reviewers: ['reviewer-lint', 'reviewer-tests'], consensus: { n: 2, of: 3 } })
    expect(one!.parts).toHaveLength(2)
    expect(consensusTag(one!)).toBe('consensus (2 of 3)')
    expect(hasConsensusCritical(c)).toBe(true)
  })

  it('keeps apart what differs: another file, lines 3 apart, another point, a file-level finding against a line', () => {
    const c = mergeFindings([
      report('a', [f(), f({ file: 'src/other.js' }), f({ line: 20, text: 'Unexpected token )' }), f({ line: 0, text: 'src/calc.js changed without changed tests' })]),
      report('b', [f({ line: 13 }), f({ file: 'src/other.js', text: "'x' is assigned a value but never used" }), f({ line: 21, text: 'Parsing error: unexpected token' }), f({ line: 1, text: 'no tests for this change' })])
    ])
    const tags = c.findings.map((x) => `${x.file}:${x.line}:${x.reviewers.join('+')}`)
    expect(tags.sort()).toEqual(
      ['src/calc.js:0:a', 'src/calc.js:1:b', 'src/calc.js:10:a', 'src/calc.js:13:b', 'src/calc.js:20:a+b', 'src/other.js:10:a', 'src/other.js:10:b'].sort()
    )
    expect(hasConsensusCritical(c)).toBe(false)
  })

  it('the same reviewer twice on one point is one finding and no consensus', () => {
    const c = mergeFindings([report('a', [f(), f({ line: 11 })]), report('b', [])])
    expect(c.findings).toHaveLength(1)
    expect(c.findings[0]).toMatchObject({ reviewers: ['a'], consensus: null })
    expect(c.findings[0]!.parts).toHaveLength(2)
  })

  it('m counts only reviewers that answered; a malformed or missing one adds nothing', () => {
    const c = mergeFindings([report('a', [f({ severity: 'critical' })]), report('b', [f({ severity: 'critical' })]), report('c', [f()], 'malformed'), report('d', [], 'missing')])
    expect(c.answered).toBe(2)
    expect(c.findings).toHaveLength(1)
    expect(consensusTag(c.findings[0]!)).toBe('consensus (2 of 2)')
  })

  it('orders most severe first, then by file and line', () => {
    const c = mergeFindings([report('a', [f({ file: 'b.js', severity: 'observation', text: 'style' }), f({ file: 'z.js', severity: 'critical' }), f({ file: 'a.js', line: 5, text: 'other words' })])])
    expect(c.findings.map((x) => `${x.severity}:${x.file}`)).toEqual(['critical:z.js', 'recommendation:a.js', 'observation:b.js'])
  })

  it('reads the point from the rule, the category, or the bare words', () => {
    expect(samePoint({ text: 'one thing', rule: 'r1' }, { text: 'quite another', rule: 'r1' })).toBe(true)
    expect(samePoint({ text: "'total' is not defined" }, { text: 'ReferenceError: total is not defined' })).toBe(true)
    expect(samePoint({ text: 'SyntaxError: Unexpected token ;' }, { text: 'Parsing error: Unexpected token' })).toBe(true)
    expect(samePoint({ text: 'Line too long (120 > 100)' }, { text: 'line too long (130 > 100)' })).toBe(true)
    expect(samePoint({ text: 'SyntaxError: Unexpected token' }, { text: 'AWS access key in the diff' })).toBe(false)
    // A name in quotes is not read for the category: a variable called token is no secret.
    expect(categoryOf("'token' is assigned a value but never used")).toBe('unused')
    expect(categoryOf('A GitHub token (ghp_…) is committed')).toBe('secret')
    // The tests reviewer quotes paths: a file named for a secret is no secret, so it cannot meet the secrets reviewer's point.
    expect(categoryOf('`src/token.js` changed without changed tests: no changed test file names `token.js`')).toBe('missing-tests')
  })
})
