// The Codex `exec --json` reader and outcome mapping. Codex is not installed
// here: the lines follow the event shapes of the Codex TypeScript SDK
// (sdk/typescript/src/events.ts, items.ts) and its documented examples.
import { describe, expect, it } from 'vitest'
import { CodexStreamReader } from '../../../src/main/agents/providers/stream-codex'
import { codexArgs, codexOutcome, codexSandbox } from '../../../src/main/agents/providers/codex'
import type { StreamProcessResult } from '../../../src/main/agents/providers/stream-process'
import type { ProviderContext } from '../../../src/main/agents/providers/types'

const SUCCESS = [
  '{"type":"thread.started","thread_id":"0199a213-81c0-7800-8aa1-bbab2a035a53"}',
  '{"type":"turn.started"}',
  '{"type":"item.completed","item":{"id":"item_0","type":"reasoning","text":"**Planning the change**"}}',
  '{"type":"item.started","item":{"id":"item_1","type":"command_execution","command":"bash -lc ls","aggregated_output":"","status":"in_progress"}}',
  '{"type":"item.completed","item":{"id":"item_1","type":"command_execution","command":"bash -lc ls","aggregated_output":"README.md\\n","exit_code":0,"status":"completed"}}',
  '{"type":"item.completed","item":{"id":"item_2","type":"file_change","changes":[{"path":"greeting.txt","kind":"add"}],"status":"completed"}}',
  '{"type":"item.started","item":{"id":"item_3","type":"command_execution","command":"bash -lc \'npm test\'","aggregated_output":"","status":"in_progress"}}',
  '{"type":"item.completed","item":{"id":"item_3","type":"command_execution","command":"bash -lc \'npm test\'","aggregated_output":"1 failing","exit_code":1,"status":"failed"}}',
  '{"type":"item.completed","item":{"id":"item_4","type":"todo_list","items":[{"text":"write","completed":true}]}}',
  '{"type":"item.completed","item":{"id":"item_5","type":"agent_message","text":"DONE: Added greeting.txt\\nLABEL-UPDATED: in-progress --> needs-testing\\n\\nAdded it."}}',
  '{"type":"turn.completed","usage":{"input_tokens":24763,"cached_input_tokens":24448,"output_tokens":122}}'
]

const run = (over: Partial<StreamProcessResult> = {}): StreamProcessResult => ({
  exitCode: 0, signal: null, stopped: null, stderrTail: '', stdoutBytes: 1, spawnError: null, durationMs: 5, ...over
})

function read(lines: string[]) {
  const reader = new CodexStreamReader()
  return { reader, progress: lines.flatMap((l) => reader.line(l)) }
}

describe('CodexStreamReader', () => {
  it('streams progress and keeps the last agent message, thread id and usage', () => {
    const { reader, progress } = read(SUCCESS)
    expect(progress).toEqual([
      'thread 0199a213-81c0-7800-8aa1-bbab2a035a53 started',
      '→ shell: bash -lc ls',
      '→ files: add greeting.txt',
      "→ shell: bash -lc 'npm test'",
      "✗ exit 1: bash -lc 'npm test'",
      'DONE: Added greeting.txt LABEL-UPDATED: in-progress --> needs-testing Added it.',
      'turn finished (24763 in, 122 out)'
    ])
    const res = codexOutcome('codex', ['exec'], run(), reader, 10_000)
    expect(res).toEqual({
      text: 'DONE: Added greeting.txt\nLABEL-UPDATED: in-progress --> needs-testing\n\nAdded it.',
      sessionId: '0199a213-81c0-7800-8aa1-bbab2a035a53',
      usage: { inputTokens: 315, outputTokens: 122, cacheReadTokens: 24448, cacheWriteTokens: 0, costUsd: 0 }
    })
  })

  it('a failed turn is an api error; an auth failure is not retryable', () => {
    const failed = read([SUCCESS[0]!, '{"type":"turn.started"}', '{"type":"turn.failed","error":{"message":"stream disconnected before completion"}}']).reader
    expect(() => codexOutcome('codex', [], run({ exitCode: 1 }), failed, 1000)).toThrow(expect.objectContaining({ kind: 'api', retryable: true }))
    const auth = read(['{"type":"error","message":"unexpected status 401 Unauthorized: Incorrect API key provided"}']).reader
    expect(() => codexOutcome('codex', [], run({ exitCode: 1 }), auth, 1000)).toThrow(expect.objectContaining({ kind: 'auth', retryable: false }))
  })

  it('no final message: an exit or no-result error with the stray output as the tail', () => {
    const { reader } = read(['Reading prompt from stdin...', SUCCESS[0]!])
    let err: unknown
    try {
      codexOutcome('codex', [], run({ exitCode: 2 }), reader, 1000)
    } catch (e) {
      err = e
    }
    expect(err).toMatchObject({ kind: 'exit', exitCode: 2, stderrTail: 'Reading prompt from stdin...' })
    expect(() => codexOutcome('codex', [], run(), reader, 1000)).toThrow(expect.objectContaining({ kind: 'no-result' }))
  })

  it('maps permission modes to sandboxes and builds exec args with the prompt on stdin', () => {
    expect(codexSandbox(undefined)).toBe('workspace-write')
    expect(codexSandbox('acceptEdits')).toBe('workspace-write')
    expect(codexSandbox('plan')).toBe('read-only')
    expect(codexSandbox('bypassPermissions')).toBe('danger-full-access')
    const ctx = {
      cwd: '/w/t',
      trigger: {},
      settings: { provider: 'codex', model: 'gpt-5-codex', timeLimitSec: 1, maxOutputBytes: 1 },
      resumeSession: 'th_1'
    } as unknown as ProviderContext
    expect(codexArgs(ctx)).toEqual([
      'exec', '--json', '--cd', '/w/t', '--sandbox', 'workspace-write', '--config', 'approval_policy="never"',
      '--model', 'gpt-5-codex', 'resume', 'th_1', '-'
    ])
  })
})
