// More properties of the response grammar (DESIGN.md §5): hand-offs only by
// their explicit header, the body kept whatever it holds, unknown keys kept in
// order, and the status rule (exactly one) whatever else the header carries.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { formatResponse, parseResponse } from '../../../src/shared/protocol/response'

const role = fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/)
const text = fc.string({ maxLength: 80 }).map((s) => s.replace(/[\r\n]/g, ' '))
const prose = fc.array(fc.oneof(text, role.map((r) => `@${r}`), role.map((r) => `HANDOFF @${r}: do it`), fc.constant('\n')), { maxLength: 30 }).map((parts) => parts.join(' '))

describe('parseResponse properties', () => {
  it('a mention of @role anywhere in the body, even in the HANDOFF grammar, is never a hand-off', () => {
    fc.assert(
      fc.property(text, prose, (summary, body) => {
        const parsed = parseResponse(`TASK: t_1\nDONE: ${summary}\n\n${body}`)
        expect(parsed.handoffs).toEqual([])
        expect(parsed.status).toBe('done')
        expect(parsed.body).toBe(body.replace(/\s+$/, ''))
      }),
      { numRuns: 300 }
    )
  })

  it('hand-offs in the header come out in order, each with its role and text', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ role, text: text.filter((t) => t.trim().length > 0) }), { maxLength: 5 }), (handoffs) => {
        const parsed = parseResponse(`TASK: t_1\nDONE: ok\n${handoffs.map((h) => `HANDOFF @${h.role}: ${h.text}`).join('\n')}`)
        expect(parsed.handoffs).toEqual(handoffs.map((h) => ({ role: h.role, text: h.text.trim() })))
      })
    )
  })

  it('unknown keys are kept, in order, and never change the status', () => {
    const key = fc.stringMatching(/^X-[A-Z0-9]{1,8}$/)
    fc.assert(
      fc.property(fc.array(fc.record({ key, value: text.map((t) => t.trim()) }), { maxLength: 6 }), fc.constantFrom('DONE', 'REQUEST', 'ERROR'), (extra, status) => {
        const parsed = parseResponse(formatResponse({ task: 't_1', status: status.toLowerCase() as 'done', statusText: 'x', extra }))
        expect(parsed.unknown).toEqual(extra)
        expect(parsed.status).toBe(status.toLowerCase())
        expect(parsed.problems).toEqual([])
      })
    )
  })

  it('zero or several status lines always make an error that says why, with the raw text kept', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('DONE', 'REQUEST', 'ERROR'), { maxLength: 4 }).filter((s) => s.length !== 1), (statuses) => {
        const raw = ['TASK: t_1', ...statuses.map((s) => `${s}: x`)].join('\n')
        const parsed = parseResponse(raw)
        expect(parsed.status).toBe('error')
        expect(parsed.statusText).toMatch(statuses.length === 0 ? /no DONE, REQUEST or ERROR/ : /status lines; exactly one/)
        expect(parsed.raw).toBe(raw)
      })
    )
  })

  it('USAGE pairs parse to numbers; LABEL-UPDATED needs the arrow', () => {
    expect(parseResponse('TASK: t_1\nDONE: ok\nUSAGE: input_tokens=10 output_tokens=2 cost_usd=0.01 junk').usage).toEqual({ input_tokens: 10, output_tokens: 2, cost_usd: 0.01 })
    const bad = parseResponse('TASK: t_1\nDONE: ok\nLABEL-UPDATED: backlog to done')
    expect(bad.labelUpdate).toBeNull()
    expect(bad.problems[0]).toMatch(/LABEL-UPDATED must read/)
  })
})
