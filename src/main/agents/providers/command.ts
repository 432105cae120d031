// The `command` provider: any executable that reads the trigger (JSON, as in
// DESIGN.md §5) on stdin and prints a response (text, §5) on stdout. Its
// stderr lines stream as progress. `settings.command` is split into argv
// here, without a shell: quotes group words, a backslash escapes, and shell
// operators are refused rather than silently passed as arguments.
import type { Provider, ProviderResult } from './types'
import { ProviderError } from './stream-errors'
import { startStreamProcess } from './stream-process'
import { oneLine } from './stream-claude'

export class CommandLineError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CommandLineError'
  }
}

/**
 * Split a command line into argv, POSIX-shell style for words and quotes only:
 * 'single quotes' are literal, "double quotes" allow \" and \\, a backslash
 * outside quotes escapes the next character. No variables, globs, pipes or
 * redirections: unquoted | & ; < > ` $( are an error, since a person who
 * wrote them expected a shell.
 */
export function splitCommandLine(line: string): string[] {
  const out: string[] = []
  let word = ''
  let inWord = false
  let i = 0
  while (i < line.length) {
    const c = line[i] as string
    if (c === "'") {
      const end = line.indexOf("'", i + 1)
      if (end === -1) throw new CommandLineError(`Unclosed single quote in command: ${line}`)
      word += line.slice(i + 1, end)
      inWord = true
      i = end + 1
    } else if (c === '"') {
      i++
      let closed = false
      while (i < line.length) {
        const d = line[i] as string
        if (d === '"') {
          closed = true
          i++
          break
        }
        if (d === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) {
          word += line[i + 1]
          i += 2
          continue
        }
        word += d
        i++
      }
      if (!closed) throw new CommandLineError(`Unclosed double quote in command: ${line}`)
      inWord = true
    } else if (c === '\\') {
      if (i + 1 >= line.length) throw new CommandLineError(`Trailing backslash in command: ${line}`)
      word += line[i + 1]
      inWord = true
      i += 2
    } else if (/\s/.test(c)) {
      if (inWord) out.push(word)
      word = ''
      inWord = false
      i++
    } else if ('|&;<>`'.includes(c) || (c === '$' && line[i + 1] === '(')) {
      throw new CommandLineError(`The command runs without a shell, so "${c}" has no meaning here; quote it, or put the pipeline in a script: ${line}`)
    } else {
      word += c
      inWord = true
      i++
    }
  }
  if (inWord) out.push(word)
  return out
}

export interface CommandOptions {
  killGraceMs?: number
}

export function createCommand(options: CommandOptions = {}): Provider {
  return async (ctx): Promise<ProviderResult> => {
    const line = ctx.settings.command?.trim() ?? ''
    let argv: string[]
    try {
      argv = splitCommandLine(line)
    } catch (err) {
      throw new ProviderError((err as Error).message, { kind: 'failed', command: line, args: [] })
    }
    const [command, ...args] = argv
    if (command === undefined) {
      throw new ProviderError('The command provider needs settings.command (the executable and its arguments)', { kind: 'failed', command: '', args: [] })
    }
    const chunks: string[] = []
    const run = await startStreamProcess({
      command,
      args,
      cwd: ctx.cwd,
      env: ctx.env,
      stdin: `${JSON.stringify(ctx.trigger)}\n`,
      signal: ctx.signal,
      timeLimitMs: ctx.settings.timeLimitSec * 1000,
      maxOutputBytes: ctx.settings.maxOutputBytes,
      killGraceMs: options.killGraceMs,
      onLine: (l) => chunks.push(l),
      onStderrLine: (l) => {
        if (l.trim() !== '') ctx.progress(oneLine(l))
      }
    }).done
    const base = { command, args, exitCode: run.exitCode, signal: run.signal, stderrTail: run.stderrTail, details: { durationMs: run.durationMs } }
    if (run.spawnError) {
      throw new ProviderError(
        run.spawnError.code === 'ENOENT' ? `Command not found: ${command}` : `Command could not start (${run.spawnError.code ?? run.spawnError.message}): ${command}`,
        { ...base, kind: 'not-found' }
      )
    }
    if (run.stopped === 'aborted') throw new ProviderError('Command aborted', { ...base, kind: 'aborted' })
    if (run.stopped === 'timeout') throw new ProviderError(`Command passed its time limit of ${ctx.settings.timeLimitSec} s`, { ...base, kind: 'timeout' })
    if (run.stopped === 'output-cap') {
      throw new ProviderError(`Command printed more than the role's cap of ${ctx.settings.maxOutputBytes} bytes`, { ...base, kind: 'output-cap' })
    }
    if (run.exitCode !== 0) throw new ProviderError(`Command exited with ${run.signal ?? `code ${run.exitCode}`}`, { ...base, kind: 'exit' })
    const text = chunks.join('\n').trim()
    if (text === '') throw new ProviderError('Command printed no response', { ...base, kind: 'no-result' })
    return { text }
  }
}

export const command: Provider = createCommand()
