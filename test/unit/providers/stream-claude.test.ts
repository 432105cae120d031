// The Claude Code stream-json reader and outcome mapping, on lines recorded
// from the real CLI (test/fixtures/anthropic/record-claude-stream.ts).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ClaudeStreamReader, claudeUsage, oneLine } from '../../../src/main/agents/providers/stream-claude'
import { claudeArgs, claudeOutcome } from '../../../src/main/agents/providers/claude-code'
import { ProviderError } from '../../../src/main/agents/providers/stream-errors'
import type { StreamProcessResult } from '../../../src/main/agents/providers/stream-process'
import type { ProviderContext } from '../../../src/main/agents/providers/types'

const fixture = (name: string): string[] =>
  readFileSync(join(__dirname, '../../fixtures/anthropic', name), 'utf8').split('\n').filter((l) => l !== '')

function readAll(lines: string[]): { reader: ClaudeStreamReader; progress: string[] } {
  const reader = new ClaudeStreamReader()
  const progress = lines.flatMap((l) => reader.line(l))
  return { reader, progress }
}

const run = (over: Partial<StreamProcessResult> = {}): StreamProcessResult => ({
  exitCode: 0,
  signal: null,
  stopped: null,
  stderrTail: '',
  stdoutBytes: 1,
  spawnError: null,
  durationMs: 10,
  ...over
})
const outcome = (reader: ClaudeStreamReader, r: StreamProcessResult = run(), maxOutputBytes = 100_000) =>
  claudeOutcome({ command: 'claude', args: ['-p'], run: r, reader, authFailure: false, maxOutputBytes })

describe('ClaudeStreamReader on a recorded 4-turn run', () => {
  const { reader, progress } = readAll(fixture('claude-stream-4turn.jsonl'))

  it('turns the stream into progress lines', () => {
    expect(progress[0]).toMatch(/^session [0-9a-f-]{36} started \(model .+\)$/)
    expect(progress.slice(1)).toEqual([
      'I will create the file.',
      '→ Write: /tmp/cc-record/wt/hello.txt',
      '→ Edit: /tmp/cc-record/wt/hello.txt',
      '→ Bash: cat hello.txt && false',
      '✗ tool error: Exit code 1 hello world',
      'DONE: Wrote hello.txt LABEL-UPDATED: in-progress --> needs-testing Done.',
      'finished: 4 turns, $0.0310'
    ])
  })

  it('keeps the result: protocol text, session, usage and cost', () => {
    const res = outcome(reader)
    expect(res.text).toBe('DONE: Wrote hello.txt\nLABEL-UPDATED: in-progress --> needs-testing\n\nDone.')
    expect(res.sessionId).toBe(reader.sessionId)
    expect(res.usage).toEqual({ inputTokens: 4800, outputTokens: 280, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0.031 })
  })

  it('refuses a result over the output cap', () => {
    expect(() => outcome(reader, run(), 10)).toThrow(expect.objectContaining({ kind: 'output-cap', retryable: false }))
  })

  it('a stream cut before the result is an exit error (or no-result on exit 0)', () => {
    const cut = readAll(fixture('claude-stream-4turn.jsonl').slice(0, -1)).reader
    expect(() => outcome(cut, run({ exitCode: 137, signal: 'SIGKILL' }))).toThrow(expect.objectContaining({ kind: 'exit', retryable: true }))
    expect(() => outcome(cut)).toThrow(expect.objectContaining({ kind: 'no-result' }))
  })
})

describe('recorded API failures', () => {
  it('500: the retry shows as progress; the result is a retryable api error', () => {
    const { reader, progress } = readAll(fixture('claude-stream-500.jsonl'))
    expect(progress).toContainEqual(expect.stringMatching(/^API error 500 server_error; retry 1\/1 in \d+\.\d s$/))
    let err: unknown
    try {
      outcome(reader, run({ exitCode: 1 }))
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(ProviderError)
    expect(err).toMatchObject({ kind: 'api', retryable: true, exitCode: 1, details: { status: 500 } })
    expect((err as ProviderError).message).toContain('scripted outage')
  })

  it('401: an auth error, not worth a retry', () => {
    const { reader } = readAll(fixture('claude-stream-401.jsonl'))
    expect(reader.lastRetry).toMatchObject({ status: 401, error: 'authentication_failed' })
    expect(() => outcome(reader, run({ exitCode: 1 }))).toThrow(expect.objectContaining({ kind: 'auth', retryable: false }))
  })
})

describe('ClaudeStreamReader on odd input', () => {
  it('keeps non-JSON lines aside and ignores unknown events', () => {
    const r = new ClaudeStreamReader()
    expect(r.line('Warning: something odd')).toEqual([])
    expect(r.line('{"type":"stream_event","event":{}}')).toEqual([])
    expect(r.line('{"type":"assistant"')).toEqual([])
    expect(r.line('   ')).toEqual([])
    expect(r.strayLines).toEqual(['Warning: something odd', '{"type":"assistant"'])
    expect(r.result).toBeUndefined()
  })

  it('a max-turns result is a non-retryable failure with the CLI subtype', () => {
    const r = new ClaudeStreamReader()
    r.line(JSON.stringify({ type: 'result', subtype: 'error_max_turns', is_error: true, session_id: 's1', total_cost_usd: 0.5, usage: { input_tokens: 5, output_tokens: 6 } }))
    expect(() => outcome(r, run({ exitCode: 1 }))).toThrow(expect.objectContaining({ kind: 'failed', retryable: false, details: expect.objectContaining({ subtype: 'error_max_turns' }) }))
    expect(claudeUsage(r.result!)).toEqual({ inputTokens: 5, outputTokens: 6, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0.5 })
  })

  it('progress lines are single lines of bounded length', () => {
    expect(oneLine('a\n\nb\tc')).toBe('a b c')
    expect(oneLine('x'.repeat(1000))).toHaveLength(240)
  })
})

describe('claudeArgs', () => {
  const ctx = (over: Partial<ProviderContext['settings']> = {}, resume?: string): ProviderContext =>
    ({
      trigger: { resumeSession: undefined },
      rolePrompt: 'Be the Engineer.',
      settings: { provider: 'claude-code', timeLimitSec: 60, maxOutputBytes: 1000, ...over },
      resumeSession: resume
    }) as unknown as ProviderContext

  it('print mode, stream-json, the role prompt, the default permission mode; no prompt in argv', () => {
    expect(claudeArgs(ctx())).toEqual([
      '-p', '--output-format', 'stream-json', '--verbose',
      '--append-system-prompt', 'Be the Engineer.',
      '--permission-mode', 'acceptEdits'
    ])
  })

  it('model, resume, and the variadic --allowedTools last', () => {
    const args = claudeArgs(ctx({ model: 'claude-sonnet-4-5', permissionMode: 'plan', allowedTools: ['Edit', 'Bash(npm test:*)', ' '] }, 'sess-1'))
    expect(args.slice(6)).toEqual(['--permission-mode', 'plan', '--model', 'claude-sonnet-4-5', '--resume', 'sess-1', '--allowedTools', 'Edit', 'Bash(npm test:*)'])
  })
})
