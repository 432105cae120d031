import { describe, expect, it } from 'vitest'
import { boundFindings, formatFindings, MAX_FINDINGS, MAX_TEXT, parseFindings, type Finding } from '../../../src/main/review/findings'

const f = (over: Partial<Finding> = {}): Finding => ({ file: 'src/a.js', line: 3, severity: 'critical', text: 'x is not defined', ...over })
const answer = (json: string) => `Two problems.\n\n\`\`\`baton-findings\n${json}\n\`\`\`\n\nThanks.`

describe('a reviewer answer’s findings block', () => {
  it('reads the block, with and without a rule, and round-trips what formatFindings writes', () => {
    const list = [f({ rule: 'no-undef' }), f({ file: 'big.bin', line: 0, severity: 'recommendation', text: 'a binary of 2.1 MB' })]
    expect(parseFindings(answer(JSON.stringify(list)))).toEqual({ ok: true, findings: list })
    expect(parseFindings(`prose\n\n${formatFindings(list)}\n`)).toEqual({ ok: true, findings: list })
    expect(parseFindings(answer('[]'))).toEqual({ ok: true, findings: [] })
  })

  it('says what is wrong with a bad block, naming the finding and the field', () => {
    const bad = (json: string) => {
      const r = parseFindings(answer(json))
      if (r.ok) throw new Error(`parsed ${json}`)
      return r.problem
    }
    expect(bad('{"file": 1')).toMatch(/not JSON/)
    expect(bad('{"file": "a"}')).toMatch(/must be a JSON array of findings, got object/)
    expect(bad(JSON.stringify([f(), f({ severity: 'fatal' as never })]))).toMatch(/^finding 2 field "severity"/)
    expect(bad(JSON.stringify([{ ...f(), colour: 'red' }]))).toMatch(/^finding 1: unknown field "colour"/)
    expect(bad(JSON.stringify([f({ file: '../etc/passwd' })]))).toMatch(/^finding 1 field "file": a path inside the repository/)
    expect(bad(JSON.stringify([f({ file: '/etc/passwd' })]))).toMatch(/field "file"/)
    expect(bad(JSON.stringify([f({ line: 2.5 })]))).toMatch(/field "line"/)
    expect(bad(JSON.stringify([f({ line: -1 })]))).toMatch(/field "line"/)
    expect(bad(JSON.stringify([f({ text: '   ' })]))).toMatch(/field "text"/)
    expect(bad(JSON.stringify([f({ text: 'y'.repeat(MAX_TEXT + 1) })]))).toMatch(/field "text"/)
    expect(bad(JSON.stringify(Array.from({ length: MAX_FINDINGS + 1 }, () => f())))).toMatch(/at most 200 findings/)
    expect(parseFindings('No block here.')).toEqual({ ok: false, problem: expect.stringMatching(/no ```baton-findings block/) })
    expect(parseFindings(answer('[]') + '\n' + answer('[]'))).toEqual({ ok: false, problem: expect.stringMatching(/2 ```baton-findings blocks/) })
  })

  it('takes exactly the limits, and other fenced blocks are left alone', () => {
    const most = Array.from({ length: MAX_FINDINGS }, (_, i) => f({ line: i + 1, text: 'z'.repeat(MAX_TEXT) }))
    expect(parseFindings(answer(JSON.stringify(most)))).toMatchObject({ ok: true })
    expect(parseFindings('```json\n{"not": "findings"}\n```\n' + answer('[]'))).toEqual({ ok: true, findings: [] })
  })

  it('boundFindings keeps the most severe 200 with texts cut to the limit: what a builtin reviewer answers always parses', () => {
    const many = [...Array.from({ length: 250 }, () => f({ severity: 'observation' })), f({ severity: 'critical', text: 'k'.repeat(5000) })]
    const bounded = boundFindings(many)
    expect(bounded).toHaveLength(MAX_FINDINGS)
    expect(bounded[0]!.severity).toBe('critical')
    expect(bounded[0]!.text).toHaveLength(MAX_TEXT)
    expect(parseFindings(formatFindings(bounded))).toMatchObject({ ok: true })
  })
})
