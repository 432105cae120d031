// The Codex `exec --json` reader and outcome mapping. The lines follow the
// event shapes of the Codex TypeScript SDK (sdk/typescript/src/events.ts,
// items.ts); the REAL_* lines are what Codex CLI 0.171.0 printed against the
// scripted endpoint (test/integration/providers/codex-cli.test.ts runs it).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CodexStreamReader } from '../../../src/main/agents/providers/stream-codex'
import { codexArgs, codexEndpointConfig, codexOutcome, codexSandbox, codexThreadUsage } from '../../../src/main/agents/providers/codex'
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

// Codex CLI 0.171.0, a 500 answered once with stream_max_retries = 1, then a turn that completed.
const REAL_RECOVERED = [
  '{"type":"thread.started","thread_id":"01a230b7-6d9d-7902-be49-a04df9a39d69"}',
  '{"type":"turn.started"}',
  '{"type":"error","message":"Reconnecting... 1/1 (We’re currently experiencing high demand, which may cause temporary errors.)"}',
  '{"type":"item.completed","item":{"id":"item_0","type":"agent_message","text":"DONE: recovered"}}',
  '{"type":"turn.completed","usage":{"input_tokens":3400,"cached_input_tokens":200,"cache_write_input_tokens":300,"output_tokens":210,"reasoning_output_tokens":7}}'
]
// Codex CLI 0.171.0 against an endpoint answering 401.
const REAL_401 = [
  '{"type":"thread.started","thread_id":"01a230b7-9471-74b2-8b61-db9df898b75f"}',
  '{"type":"turn.started"}',
  '{"type":"error","message":"unexpected status 401 Unauthorized: Incorrect API key provided: dummy, url: http://127.0.0.1:43945/v1/responses"}',
  '{"type":"turn.failed","error":{"message":"unexpected status 401 Unauthorized: Incorrect API key provided: dummy, url: http://127.0.0.1:43945/v1/responses"}}'
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

  it('a Reconnecting error the turn recovered from is progress, not a failure; cache writes are counted apart', () => {
    const { reader, progress } = read(REAL_RECOVERED)
    expect(reader.failure).toBeUndefined()
    expect(progress).toContain('error: Reconnecting... 1/1 (We’re currently experiencing high demand, which may cause temporary errors.)')
    expect(codexOutcome('codex', [], run(), reader, 1000)).toEqual({
      text: 'DONE: recovered',
      sessionId: '01a230b7-6d9d-7902-be49-a04df9a39d69',
      usage: { inputTokens: 2900, outputTokens: 210, cacheReadTokens: 200, cacheWriteTokens: 300, costUsd: 0 }
    })
  })

  it("the real CLI's 401 is an auth error with the status; an unrecovered error event fails the run; a 400 is not retried", () => {
    expect(read(REAL_401.slice(0, 3)).reader.retryingRefusedKey).toBe(true) // the provider stops the CLI here
    expect(read(REAL_RECOVERED).reader.retryingRefusedKey).toBe(false)
    const auth = read(REAL_401).reader
    expect(auth.retryingRefusedKey).toBe(false) // the turn failed: nothing left to stop
    let err: unknown
    try {
      codexOutcome('codex', [], run({ exitCode: 1 }), auth, 1000)
    } catch (e) {
      err = e
    }
    expect(err).toMatchObject({ kind: 'auth', retryable: false, exitCode: 1, details: { status: 401 } })
    const dangling = read([SUCCESS[0]!, '{"type":"turn.started"}', '{"type":"error","message":"stream disconnected before completion"}']).reader
    expect(dangling.failure).toBe('stream disconnected before completion')
    const bad = read([SUCCESS[0]!, '{"type":"turn.failed","error":{"message":"unexpected status 400 Bad Request: model not found"}}']).reader
    expect(() => codexOutcome('codex', [], run({ exitCode: 1 }), bad, 1000)).toThrow(expect.objectContaining({ kind: 'api', retryable: false }))
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
      'exec', '--json', '--skip-git-repo-check', '--cd', '/w/t', '--sandbox', 'workspace-write', '--config', 'approval_policy="never"',
      '--model', 'gpt-5-codex', 'resume', 'th_1', '-'
    ])
  })

  it('OPENAI_BASE_URL in the env becomes a Responses provider of its own keyed by OPENAI_API_KEY', () => {
    expect(codexEndpointConfig({})).toEqual([])
    expect(codexEndpointConfig({ OPENAI_BASE_URL: '  ' })).toEqual([])
    expect(codexEndpointConfig({ OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', OPENAI_API_KEY: 'sk-secret' })).toEqual([
      '--config', 'model_provider="baton"',
      '--config', 'model_providers.baton.name="OPENAI_BASE_URL (Baton)"',
      '--config', 'model_providers.baton.base_url="http://127.0.0.1:9/v1"',
      '--config', 'model_providers.baton.env_key="OPENAI_API_KEY"',
      '--config', 'model_providers.baton.wire_api="responses"'
    ])
    // The key itself never goes on the command line.
    expect(codexEndpointConfig({ OPENAI_BASE_URL: 'http://x/v1', OPENAI_API_KEY: 'sk-secret' }).join(' ')).not.toContain('sk-secret')
  })

  it("usage is the thread's running total: the last turn counts, less what the thread had before a resume", () => {
    const { reader } = read([
      '{"type":"thread.started","thread_id":"th_1"}',
      '{"type":"turn.completed","usage":{"input_tokens":3300,"cached_input_tokens":2100,"cache_write_input_tokens":300,"output_tokens":180}}',
      '{"type":"turn.completed","usage":{"input_tokens":3800,"cached_input_tokens":2100,"cache_write_input_tokens":300,"output_tokens":200}}'
    ])
    expect(reader.usage()).toEqual({ inputTokens: 1400, outputTokens: 200, cacheReadTokens: 2100, cacheWriteTokens: 300, costUsd: 0 })
    expect(reader.usage({ input: 3300, cached: 2100, cacheWrite: 300, output: 180 })).toEqual({
      inputTokens: 500, outputTokens: 20, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0
    })
  })

  it("reads a thread's usage so far from the last token_count of its rollout file", () => {
    const home = mkdtempSync(join(tmpdir(), 'baton-codex-home-'))
    try {
      const id = '01a230bd-600c-7dc2-abb2-5ecf0e550e51'
      const day = join(home, '.codex', 'sessions', '2026', '12', '01')
      mkdirSync(day, { recursive: true })
      const tc = (input: number, output: number) =>
        JSON.stringify({ type: 'event_msg', payload: { type: 'token_count', info: { total_token_usage: { input_tokens: input, cached_input_tokens: 200, cache_write_input_tokens: 300, output_tokens: output }, last_token_usage: {} } } })
      writeFileSync(join(day, `rollout-2026-12-01T08-29-02-${id}.jsonl`), [
        '{"type":"session_meta","payload":{}}', tc(1000, 50), tc(3300, 180), '{"type":"event_msg","payload":{"type":"token_count","info":null}}', '{"torn'
      ].join('\n'))
      writeFileSync(join(day, 'rollout-2026-12-01T08-30-00-other.jsonl'), tc(9, 9))
      expect(codexThreadUsage({ HOME: home }, id)).toEqual({ input: 3300, cached: 200, cacheWrite: 300, output: 180 })
      expect(codexThreadUsage({ CODEX_HOME: join(home, '.codex'), HOME: '/nowhere' }, id)).toEqual({ input: 3300, cached: 200, cacheWrite: 300, output: 180 })
      expect(codexThreadUsage({ HOME: home }, 'th_unknown')).toBeUndefined()
      expect(codexThreadUsage({ HOME: home }, '../x')).toBeUndefined()
      expect(codexThreadUsage({}, id)).toBeUndefined()
    } finally {
      rmSync(home, { recursive: true, force: true })
    }
  })
})
