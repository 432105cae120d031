// Splitting settings.command into argv without a shell.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CommandLineError, splitCommandLine } from '../../../src/main/agents/providers/command'

/** Quote a word the way a person would for a POSIX shell. */
const quote = (w: string): string => `'${w.replace(/'/g, `'\\''`)}'`

describe('splitCommandLine', () => {
  it('splits words, quotes and escapes like a shell, without expanding anything', () => {
    expect(splitCommandLine('node  agent.js --x')).toEqual(['node', 'agent.js', '--x'])
    expect(splitCommandLine(`"/opt/My Agent/run" 'a b' c\\ d ""`)).toEqual(['/opt/My Agent/run', 'a b', 'c d', ''])
    expect(splitCommandLine(`"say \\"hi\\" \\\\ \\n"`)).toEqual(['say "hi" \\ \\n'])
    expect(splitCommandLine(`$HOME/bin/agent *.js ~`)).toEqual(['$HOME/bin/agent', '*.js', '~'])
    expect(splitCommandLine(`'a;b|c' "x > y"`)).toEqual(['a;b|c', 'x > y'])
    expect(splitCommandLine('   ')).toEqual([])
  })

  it('refuses shell operators and broken quoting', () => {
    for (const bad of ['a | b', 'a; rm -rf /', 'a && b', 'a > out', 'echo `id`', 'echo $(id)', "'open", '"open', 'trailing\\']) {
      expect(() => splitCommandLine(bad), bad).toThrow(CommandLineError)
    }
  })

  it('round-trips any list of words quoted for a shell', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 6 }), (words) => {
        expect(splitCommandLine(words.map(quote).join(' '))).toEqual(words)
      })
    )
  })
})
