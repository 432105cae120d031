import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { formatResponse, parseResponse } from '../../../src/shared/protocol/response'

const example = `TASK: t_8f2c
DONE: Implemented user authentication feature
ISSUE: #142
LABEL-UPDATED: in-progress --> needs-testing
BRANCH: baton/142-user-auth
PR: #143
USAGE: input_tokens=18211 output_tokens=2380 cost_usd=0.41

The comment to post on the issue, in Markdown, runs to the end of the file.

DONE: this line is body text, not a second status.
`

describe('parseResponse', () => {
  it("reads DESIGN.md §5's example", () => {
    const r = parseResponse(example)
    expect(r).toMatchObject({
      task: 't_8f2c',
      status: 'done',
      statusText: 'Implemented user authentication feature',
      issue: 142,
      labelUpdate: { from: 'in-progress', to: 'needs-testing' },
      branch: 'baton/142-user-auth',
      pr: 143,
      usage: { input_tokens: 18211, output_tokens: 2380, cost_usd: 0.41 },
      problems: []
    })
    expect(r.body).toBe('The comment to post on the issue, in Markdown, runs to the end of the file.\n\nDONE: this line is body text, not a second status.')
    expect(r.raw).toBe(example)
  })

  it('hand-offs need the explicit grammar; a mention in prose is never one', () => {
    const r = parseResponse('TASK: t_1\nDONE: ok\nHANDOFF @architect: check the schema\n\nMaybe @tester should look. HANDOFF @pm: not a header')
    expect(r.handoffs).toEqual([{ role: 'architect', text: 'check the schema' }])
  })

  it('keeps unknown keys, in order, and is not upset by them', () => {
    const r = parseResponse('TASK: t_1\nCONFIDENCE: high\nDONE: ok\nX-NOTE: a')
    expect(r.status).toBe('done')
    expect(r.unknown).toEqual([
      { key: 'CONFIDENCE', value: 'high' },
      { key: 'X-NOTE', value: 'a' }
    ])
  })

  it.each([
    ['', /no TASK line/],
    ['DONE: ok', /no TASK line/],
    ['TASK: t_1\n\nbody only', /no DONE, REQUEST or ERROR/],
    ['TASK: t_1\nDONE: a\nERROR: b', /2 status lines/]
  ])('turns %j into an error with the reason', (text, reason) => {
    const r = parseResponse(text)
    expect(r.status).toBe('error')
    expect(r.statusText).toMatch(reason)
    expect(r.raw).toBe(text)
  })

  it('REQUEST and ERROR', () => {
    expect(parseResponse('TASK: t_1\nREQUEST: Which database?')).toMatchObject({ status: 'request', statusText: 'Which database?' })
    expect(parseResponse('TASK: t_1\nERROR: tests would not run')).toMatchObject({ status: 'error', statusText: 'tests would not run' })
  })

  it('never throws, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 2000 }), (text) => {
        const r = parseResponse(text)
        expect(r.raw).toBe(text)
        expect(['done', 'request', 'error']).toContain(r.status)
      }),
      { numRuns: 500 }
    )
  })

  const line = fc.string({ minLength: 1, maxLength: 60 }).filter((s) => s.trim().length > 0 && !/[\r\n]/.test(s))
  const label = fc.stringMatching(/^[a-z][a-z-]{0,20}$/)

  it('format → parse round-trips', () => {
    fc.assert(
      fc.property(
        fc.record({
          task: fc.stringMatching(/^t_[a-z0-9]{4,12}$/),
          status: fc.constantFrom('done' as const, 'request' as const, 'error' as const),
          statusText: line,
          labelUpdate: fc.option(fc.record({ from: label, to: label }), { nil: null }),
          branch: fc.option(fc.stringMatching(/^baton\/[0-9]{1,4}-[a-z]{1,10}$/), { nil: null }),
          handoffs: fc.array(fc.record({ role: label, text: line }), { maxLength: 3 }),
          body: fc.string({ maxLength: 300 })
        }),
        (input) => {
          const r = parseResponse(formatResponse(input))
          expect(r.task).toBe(input.task)
          expect(r.status).toBe(input.status)
          expect(r.statusText).toBe(input.statusText.trim())
          expect(r.labelUpdate).toEqual(input.labelUpdate)
          expect(r.branch).toBe(input.branch)
          expect(r.handoffs).toEqual(input.handoffs.map((h) => ({ role: h.role, text: h.text.trim() })))
          expect(r.body).toBe(input.body.replace(/\s+$/, '').replace(/\r\n/g, '\n'))
        }
      ),
      { numRuns: 300 }
    )
  })
})
