// An agent process's stdout or stderr as the dashboard's live-output lines.
// A pipe hands over chunks, not lines: a chunk may end inside a line, inside
// a UTF-8 character or inside a terminal escape sequence, and splitting each
// chunk on its own showed "[31m" remnants and broken characters. So each
// stream keeps its unfinished line until the rest arrives (or the stream
// ends), decodes UTF-8 across chunks, and strips escapes from whole lines.
import { StringDecoder } from 'node:string_decoder'
import { stripAnsi } from '../../shared/ansi'

/** Longest line kept whole; a longer one is shown in pieces of this size. */
export const MAX_LINE = 2000

export interface LineSplitter {
  push(chunk: Buffer): void
  /** The stream ended: show what is left of its last line. */
  end(): void
}

/** Calls `onLine` with each non-blank line of the stream, without terminal escapes, at most `MAX_LINE` characters. */
export function lineSplitter(onLine: (line: string) => void): LineSplitter {
  const decoder = new StringDecoder('utf8')
  let rest = ''
  const emit = (raw: string) => {
    const text = stripAnsi(raw.replace(/\r$/, ''))
    if (text.trim()) onLine(text.slice(0, MAX_LINE))
  }
  const take = (text: string) => {
    const parts = (rest + text).split('\n')
    rest = parts.pop() ?? ''
    for (const p of parts) emit(p)
    // A program that never prints a newline (a progress bar) still shows, in pieces.
    while (rest.length > 4 * MAX_LINE) {
      emit(rest.slice(0, MAX_LINE))
      rest = rest.slice(MAX_LINE)
    }
  }
  return {
    push: (chunk) => take(decoder.write(chunk)),
    end: () => {
      take(decoder.end())
      if (rest) emit(rest)
      rest = ''
    }
  }
}
