// lineSplitter: an agent's stdout/stderr chunks become whole live-output
// lines — a line, a UTF-8 character or an escape sequence split across
// chunks comes out whole and clean; blank lines are dropped; the last line
// is shown when the stream ends; an endless line is shown in pieces.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { lineSplitter, MAX_LINE } from '../../../src/main/agents/output-lines'

function collect(chunks: Array<string | Buffer>, end = true): string[] {
  const lines: string[] = []
  const s = lineSplitter((l) => lines.push(l))
  for (const c of chunks) s.push(typeof c === 'string' ? Buffer.from(c, 'utf8') : c)
  if (end) s.end()
  return lines
}

describe('lineSplitter', () => {
  it('an escape sequence split across chunks leaves no remnant', () => {
    expect(collect(['\x1b[3', '1mFAILED\x1b[', '0m test_x\n'])).toEqual(['FAILED test_x'])
  })

  it('a UTF-8 character split across chunks comes out whole', () => {
    const bytes = Buffer.from('café ✓\n', 'utf8')
    const at = bytes.indexOf(0xc3) + 1 // inside "é"
    expect(collect([bytes.subarray(0, at), bytes.subarray(at, at + 3), bytes.subarray(at + 3)])).toEqual(['café ✓'])
  })

  it('keeps an unfinished line until its newline or the end of the stream; drops blank and escape-only lines; CRLF read as LF', () => {
    expect(collect(['one\r\ntw', 'o\n\n   \n\x1b[2K\n', 'three'], false)).toEqual(['one', 'two'])
    expect(collect(['one\r\ntw', 'o\n\n   \n\x1b[2K\n', 'three'])).toEqual(['one', 'two', 'three'])
  })

  it('a line longer than the cap is cut; one that never ends is shown in pieces', () => {
    expect(collect([`${'x'.repeat(MAX_LINE + 50)}\n`])).toEqual(['x'.repeat(MAX_LINE)])
    const endless = collect(['y'.repeat(5 * MAX_LINE)], false)
    expect(endless.length).toBeGreaterThanOrEqual(1)
    expect(endless.every((l) => l === 'y'.repeat(MAX_LINE))).toBe(true)
  })

  it('property: however the bytes are cut, the lines are those of the whole text, without escapes', () => {
    const line = fc.array(fc.constantFrom('a', 'Z', '1', ' ', 'é', '✓', '\x1b[31m', '\x1b[0m', '\x1b]0;t\x07'), { minLength: 1, maxLength: 12 }).map((p) => p.join(''))
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 6 }), (lines, cuts) => {
        const bytes = Buffer.from(lines.join('\n') + '\n', 'utf8')
        const points = [...new Set(cuts.map((c) => c % bytes.length))].sort((a, b) => a - b)
        const chunks: Buffer[] = []
        let from = 0
        for (const p of [...points, bytes.length]) {
          chunks.push(bytes.subarray(from, p))
          from = p
        }
        const want = collect([bytes])
        expect(collect(chunks)).toEqual(want)
        expect(want.join('\n')).not.toContain('\x1b')
      })
    )
  })
})
