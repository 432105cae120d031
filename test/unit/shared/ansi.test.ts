// stripAnsi: every kind of terminal escape sequence goes (CSI, OSC and the
// other string sequences, nF, two-byte escapes, C1 forms), the text around
// them stays byte for byte, and broken sequences lose nothing but themselves.
import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { stripAnsi } from '../../../src/shared/ansi'

const ESC = '\x1b'

describe('stripAnsi', () => {
  it('removes SGR colours and styles, with and without parameters', () => {
    expect(stripAnsi(`${ESC}[31mFAILED${ESC}[0m test_x`)).toBe('FAILED test_x')
    expect(stripAnsi(`${ESC}[1;38;5;208mbold orange${ESC}[m`)).toBe('bold orange')
    expect(stripAnsi(`${ESC}[38;2;255;0;0mtrue colour${ESC}[39;49m`)).toBe('true colour')
    expect(stripAnsi(`${ESC}[38:2::255:0:0mcolon form${ESC}[0m`)).toBe('colon form')
  })

  it('removes cursor moves, erases and private modes (CSI with any parameters and intermediates)', () => {
    expect(stripAnsi(`50%${ESC}[2K${ESC}[1G100%`)).toBe('50%100%')
    expect(stripAnsi(`${ESC}[?25l${ESC}[?2004hprompt${ESC}[?25h`)).toBe('prompt')
    expect(stripAnsi(`a${ESC}[3Ab${ESC}[10;20Hc${ESC}[ qd`)).toBe('abcd')
    expect(stripAnsi('\x9b31mC1 CSI\x9b0m')).toBe('C1 CSI')
  })

  it('removes OSC (titles, hyperlinks) ended by BEL or ST, and DCS/APC/PM/SOS strings', () => {
    expect(stripAnsi(`${ESC}]0;pytest: running\x07collected 3 items`)).toBe('collected 3 items')
    expect(stripAnsi(`see ${ESC}]8;;https://example.test/x${ESC}\\the docs${ESC}]8;;${ESC}\\ now`)).toBe('see the docs now')
    expect(stripAnsi(`${ESC}P1$r0m${ESC}\\dcs`)).toBe('dcs')
    expect(stripAnsi(`${ESC}_apc payload${ESC}\\apc ${ESC}^pm${ESC}\\pm ${ESC}Xsos${ESC}\\sos`)).toBe('apc pm sos')
    expect(stripAnsi('\x9d0;c1 title\x9cC1 OSC')).toBe('C1 OSC')
  })

  it('removes nF escapes (charset selection) and two-byte escapes', () => {
    expect(stripAnsi(`${ESC}(Bplain${ESC})0 ${ESC}#8x`)).toBe('plain x')
    expect(stripAnsi(`${ESC}7saved${ESC}8 ${ESC}=${ESC}>keypad ${ESC}creset ${ESC}Mup`)).toBe('saved keypad reset up')
  })

  it('an unterminated string sequence loses only its introducer; a lone ESC at the end goes', () => {
    expect(stripAnsi(`before ${ESC}]0;no terminator after`)).toBe('before 0;no terminator after')
    expect(stripAnsi(`trailing${ESC}`)).toBe('trailing')
    expect(stripAnsi(`half a CSI ${ESC}[`)).toBe('half a CSI ')
  })

  it('leaves text without escapes as it is: newlines, tabs, carriage returns, Unicode, brackets', () => {
    const text = 'line 1\n\tline 2\r\n[31m is not an escape without ESC — ünïcödé 🎉 ~~~ ```'
    expect(stripAnsi(text)).toBe(text)
    expect(stripAnsi('')).toBe('')
  })

  it('property: nothing printable is lost, and no ESC or CSI byte is left', () => {
    const printable = fc.string({ unit: fc.constantFrom(...'abcXYZ019 []();?m\n\t#~é'.split('')) })
    const sequence = fc.constantFrom(`${ESC}[0m`, `${ESC}[1;31m`, `${ESC}[2K`, `${ESC}]0;t\x07`, `${ESC}]8;;u${ESC}\\`, `${ESC}(B`, `${ESC}7`, `\x9b4m`, `${ESC}[?25h`)
    fc.assert(
      fc.property(fc.array(fc.tuple(printable, sequence)), printable, (parts, last) => {
        const plain = parts.map(([p]) => p).join('') + last
        const dirty = parts.map(([p, s]) => p + s).join('') + last
        const out = stripAnsi(dirty)
        expect(out).toBe(plain)
        expect(out).not.toContain(ESC)
        expect(out).not.toContain('\x9b')
      })
    )
  })

  it('cleans what a real coloured program prints (git with color.ui=always)', () => {
    // `diff --no-index` exits 1 when the files differ, as they do here.
    const colored = spawnSync('git', ['-c', 'color.ui=always', 'diff', '--no-index', '--', '/dev/null', __filename], { encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } }).stdout
    expect(colored).toContain(ESC)
    const clean = stripAnsi(colored)
    expect(clean).not.toContain(ESC)
    expect(clean).toContain('+// stripAnsi: every kind of terminal escape sequence goes')
  })
})
