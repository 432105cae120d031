// Terminal escape sequences out of text Baton posts or shows (a test run's
// output in the Tester's report, an agent's answer, live agent output): on
// GitHub and in the dashboard they are noise like "\x1b[31mFAILED\x1b[0m".
// The grammar is ECMA-48's (https://ecma-international.org/publications-and-standards/standards/ecma-48/):
//   CSI      ESC [ (or the C1 byte 0x9B), parameter bytes 0x30–0x3F,
//            intermediate bytes 0x20–0x2F, one final byte 0x40–0x7E
//            (colours, cursor moves, erase line).
//   strings  OSC ESC ] (0x9D), DCS ESC P (0x90), SOS ESC X (0x98), PM ESC ^ (0x9E),
//            APC ESC _ (0x9F), up to the string terminator ST (ESC \ or 0x9C)
//            or, for OSC as xterm allows, BEL (hyperlinks, window titles).
//   nF       ESC, intermediates 0x20–0x2F, a final 0x30–0x7E (ESC ( B: charset).
//   Fp/Fe/Fs ESC and one byte 0x30–0x7E (ESC 7, ESC =, ESC c, ESC M).
// A string sequence with no terminator is cut to its introducer only, so a
// stray ESC ] never swallows the rest of a report; a lone ESC (or C1
// introducer) is dropped.

const CSI = '(?:\\x1b\\[|\\x9b)[\\x30-\\x3f]*[\\x20-\\x2f]*[\\x40-\\x7e]'
const STRING = '(?:\\x1b[\\]PX^_]|[\\x90\\x98\\x9d-\\x9f])[^\\x07\\x1b\\x9c]*?(?:\\x07|\\x1b\\\\|\\x9c)'
const NF = '\\x1b[\\x20-\\x2f]+[\\x30-\\x7e]'
const SHORT = '\\x1b[\\x30-\\x7e]'
const STRAY = '[\\x1b\\x90\\x98\\x9b-\\x9f]'

const SEQUENCE = new RegExp(`${CSI}|${STRING}|${NF}|${SHORT}|${STRAY}`, 'g')

/** `text` without terminal escape sequences; everything else, newlines and tabs included, kept as it was. */
export function stripAnsi(text: string): string {
  // Nearly all text has no ESC at all: skip the regular expression then.
  // eslint-disable-next-line no-control-regex -- control characters are what this looks for
  if (!/[\x1b\x90\x98\x9b-\x9f]/.test(text)) return text
  return text.replace(SEQUENCE, '')
}
