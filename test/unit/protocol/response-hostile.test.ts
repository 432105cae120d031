// The malformed-response suite (issue #11): responses an attacker or a broken
// agent would write. Whatever the bytes, the parser never throws, yields
// exactly one status, and never yields a number that is not finite and in
// bounds (DESIGN.md §5: numbers are finite and bounded; a bad USAGE is kept
// raw). 10,400 generated cases across the properties below; the file-type
// cases (a directory, symlink, FIFO or socket at the response path) are in
// test/integration/agents/file-ipc-entries.test.ts.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { formatResponse, LIMITS, parseResponse, type ParsedResponse } from '../../../src/shared/protocol/response'

/** Every number the parser hands on, checked against the protocol's bounds. */
function expectSane(p: ParsedResponse): void {
  expect(['done', 'request', 'error']).toContain(p.status)
  expect(typeof p.statusText).toBe('string')
  const whole = (n: number | null, min: number, max: number) => {
    if (n === null) return
    expect(Number.isSafeInteger(n)).toBe(true)
    expect(n).toBeGreaterThanOrEqual(min)
    expect(n).toBeLessThanOrEqual(max)
  }
  whole(p.issue, 1, LIMITS.number)
  whole(p.pr, 1, LIMITS.number)
  whole(p.attempt, 1, LIMITS.attempt)
  whole(p.durationMs, 0, LIMITS.durationMs)
  for (const [key, n] of Object.entries(p.usage ?? {})) {
    expect(Number.isFinite(n)).toBe(true)
    expect(n).toBeGreaterThanOrEqual(0)
    if (/(^|_)tokens$/.test(key)) {
      expect(Number.isSafeInteger(n)).toBe(true)
      expect(n).toBeLessThan(LIMITS.tokens)
    } else if (/^cost(_|$)/.test(key)) expect(n).toBeLessThan(LIMITS.costUsd)
    else expect(n).toBeLessThan(LIMITS.usageOther)
  }
}

/** Number-looking text an agent might write: huge, tiny, signed, hex, exponent, words, junk. */
const numberish = fc.oneof(
  fc.constantFrom('1e308', '1e309', '-1', '-0', '0', 'NaN', 'Infinity', '-Infinity', '0x10', '1_000', '', '.', '1e', '1.5', '9007199254740993', '1e12', '999999999999', '1000000', '1e-7', '00012', '٣', '１２'),
  fc.integer().map(String),
  fc.double().map(String),
  fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String),
  fc.stringMatching(/^[0-9.eE+-]{1,12}$/),
  fc.string({ maxLength: 12 })
)
const usageKey = fc.constantFrom('input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens', 'cost_usd', 'tokens', 'cost', 'seconds', '__proto__', 'constructor', 'X', 'a-b')
const oneLine = (s: string) => s.replace(/[\r\n]/g, ' ')
const HEADER_KEYS = ['TASK', 'DONE', 'REQUEST', 'ERROR', 'ISSUE', 'PR', 'USAGE', 'ATTEMPT', 'DURATION-MS', 'LABEL-UPDATED', 'LABELS', 'BRANCH', 'HANDOFF', 'SESSION', 'X-ANY']
const headerLine = fc.oneof(
  fc.tuple(fc.constantFrom(...HEADER_KEYS), fc.oneof(numberish, fc.string({ maxLength: 40 }))).map(([k, v]) => `${k}: ${oneLine(v)}`),
  fc.array(fc.tuple(usageKey, numberish), { maxLength: 6 }).map((pairs) => `USAGE: ${pairs.map(([k, v]) => `${k}=${oneLine(v).replace(/\s/g, '')}`).join(' ')}`),
  fc.tuple(fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), fc.string({ maxLength: 30 })).map(([r, t]) => `HANDOFF @${r}: ${oneLine(t)}`),
  fc.string({ maxLength: 60 })
)
const response = fc
  .tuple(fc.array(headerLine, { maxLength: 12 }), fc.constantFrom('\n', '\r\n'), fc.string({ maxLength: 200 }), fc.boolean())
  .map(([lines, eol, body, bom]) => (bom ? '\uFEFF' : '') + lines.join(eol) + eol + eol + body)

describe('malformed responses', () => {
  it('arbitrary text, any unicode: never throws, one status, every number sane, the raw text kept', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 400 }), fc.string({ unit: 'binary', maxLength: 400 }), fc.string({ unit: 'grapheme', maxLength: 200 })), (text) => {
        const p = parseResponse(text)
        expectSane(p)
        expect(p.raw).toBe(text)
      }),
      { numRuns: 3000 }
    )
  })

  it('headers of every known key with hostile values: never throws, one status, every number sane', () => {
    fc.assert(
      fc.property(response, (text) => {
        const p = parseResponse(text)
        expectSane(p)
        // Exactly one status line (and a TASK) or it is an error that says why.
        if (p.status !== 'error') expect(p.task).not.toBeNull()
      }),
      { numRuns: 3000 }
    )
  })

  it('a USAGE with any bad number is kept raw (shown as an unknown key) and the rest of the answer stands', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(usageKey, numberish.map((v) => v.replace(/\s/g, ''))), { minLength: 1, maxLength: 6 }), fc.constantFrom('DONE', 'REQUEST', 'ERROR'), (pairs, status) => {
        const value = pairs.map(([k, v]) => `${k}=${v}`).join(' ')
        const p = parseResponse(`TASK: t_1\n${status}: the summary\nLABEL-UPDATED: backlog --> needs-architecture\nUSAGE: ${value}\n\nThe comment.`)
        expectSane(p)
        // The rest of the answer is untouched by the USAGE line, good or bad.
        expect(p).toMatchObject({ task: 't_1', status: status.toLowerCase(), statusText: 'the summary', labelUpdate: { from: 'backlog', to: 'needs-architecture' }, body: 'The comment.' })
        if (p.usage === null) {
          expect(p.unknown).toContainEqual({ key: 'USAGE', value: value.trim() })
          expect(p.problems.join(' ')).toMatch(/^USAGE kept as text: /)
        } else {
          // Accepted: every pair read back as the number it spells.
          expect(p.unknown).toEqual([])
          const last = new Map(pairs) // a key given twice: the last one counts
          expect(p.usage).toEqual(Object.fromEntries([...last].map(([k, v]) => [k, Number(v)])))
        }
      }),
      { numRuns: 3000 }
    )
  })

  it('good numbers still parse: what formatResponse writes from in-bound usage reads back exactly', () => {
    const usage = fc.record({
      input_tokens: fc.integer({ min: 0, max: LIMITS.tokens - 1 }),
      output_tokens: fc.integer({ min: 0, max: LIMITS.tokens - 1 }),
      cost_usd: fc.double({ min: 0, max: LIMITS.costUsd, maxExcluded: true, noNaN: true }).map(Math.abs)
    })
    fc.assert(
      fc.property(usage, fc.integer({ min: 1, max: LIMITS.attempt }), fc.integer({ min: 0, max: LIMITS.durationMs }), fc.integer({ min: 1, max: LIMITS.number }), (u, attempt, ms, issue) => {
        const text = formatResponse({ task: 't_1', status: 'done', statusText: 'ok', issue, pr: issue, usage: u, extra: [{ key: 'ATTEMPT', value: String(attempt) }, { key: 'DURATION-MS', value: String(ms) }] })
        const p = parseResponse(text)
        expect(p).toMatchObject({ usage: u, attempt, durationMs: ms, issue, pr: issue, problems: [] })
      }),
      { numRuns: 1400 }
    )
  })

  it.each([
    ['input_tokens=1e308', /input_tokens=1e308 is not a whole number/],
    ['input_tokens=10 output_tokens=-1', /output_tokens=-1/],
    ['input_tokens=1.5', /input_tokens=1\.5/],
    [`input_tokens=${LIMITS.tokens}`, /below 1000000000000/],
    ['cost_usd=Infinity', /cost_usd=Infinity/],
    ['cost_usd=1e6', /cost_usd=1e6/],
    ['cost_usd=0x10', /cost_usd=0x10/],
    ['cost_usd=', /cost_usd= is not a number/],
    ['__proto__=1', /"__proto__" is not a usage name/]
  ])('USAGE: %s is kept raw, with the reason', (value, reason) => {
    const p = parseResponse(`TASK: t_1\nDONE: ok\nUSAGE: ${value}`)
    expect(p.status).toBe('done')
    expect(p.usage).toBeNull()
    expect(p.unknown).toEqual([{ key: 'USAGE', value }])
    expect(p.problems[0]).toMatch(reason)
  })

  it('ISSUE, PR, ATTEMPT and DURATION-MS out of bounds are never numbers; the lines stay as written', () => {
    const p = parseResponse(`TASK: t_1\nDONE: ok\nISSUE: #${'9'.repeat(400)}\nPR: #0\nATTEMPT: 1e308\nDURATION-MS: 99999999999999999\n`)
    expect(p).toMatchObject({ status: 'done', issue: null, pr: null, attempt: null, durationMs: null })
    expect(p.unknown.map((u) => u.key)).toEqual(['ISSUE', 'PR', 'ATTEMPT', 'DURATION-MS'])
    expect(p.problems.join('\n')).toMatch(/ATTEMPT must be a whole number from 1 to 1000000, got "1e308"/)
    // The first ATTEMPT counts, as main and the runner both read it.
    expect(parseResponse('TASK: t_1\nDONE: ok\nATTEMPT: 2\nATTEMPT: 3').attempt).toBe(2)
    expect(parseResponse('TASK: t_1\nDONE: ok\nATTEMPT: x\nATTEMPT: 3').attempt).toBeNull()
  })
})
