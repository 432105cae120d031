// The claude-code provider with the REAL Claude Code CLI (the
// @anthropic-ai/claude-code dev dependency) against a scripted Anthropic
// Messages endpoint on 127.0.0.1: the CLI really writes, edits and runs a
// command in a real git worktree, then ends with protocol lines.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createClaudeCode, resolveClaudeExecutable } from '../../../src/main/agents/providers/claude-code'
import { ProviderError } from '../../../src/main/agents/providers/stream-errors'
import { startScriptedServer, turnUsage } from '../../fixtures/anthropic/scripted-server'
import type { ScriptTurn, ScriptedServer } from '../../fixtures/anthropic/scripted-server'
import { cliEnv, makeContext, makeSandbox, makeTrigger, readHeader } from './cli-fixture'
import type { Sandbox } from './cli-fixture'

const cliPath = resolveClaudeExecutable({ settings: { provider: 'claude-code', timeLimitSec: 1, maxOutputBytes: 1 }, env: {} })
const haveCli = existsSync(cliPath)

type Json = Record<string, unknown>
const messagesOf = (body: unknown): Array<{ role: string; content: unknown }> => ((body as Json).messages ?? []) as Array<{ role: string; content: unknown }>
const blocks = (content: unknown): Json[] => (Array.isArray(content) ? (content as Json[]) : [{ type: 'text', text: content }])
const allBlocks = (body: unknown): Json[] => messagesOf(body).flatMap((m) => blocks(m.content))

function fourTurnScript(wt: string): ScriptTurn[] {
  return [
    {
      kind: 'tools',
      text: 'I will create the greeting file.',
      tools: [{ id: 'toolu_write_1', name: 'Write', input: { file_path: join(wt, 'greeting.txt'), content: 'hello\n' } }],
      usage: { input_tokens: 1000, output_tokens: 50, cache_creation_input_tokens: 400 }
    },
    {
      kind: 'tools',
      tools: [{ id: 'toolu_edit_1', name: 'Edit', input: { file_path: join(wt, 'greeting.txt'), old_string: 'hello', new_string: 'hello world' } }],
      usage: { input_tokens: 1100, output_tokens: 60, cache_read_input_tokens: 400 }
    },
    {
      kind: 'tools',
      tools: [
        {
          id: 'toolu_bash_1',
          name: 'Bash',
          input: { command: `node -e "require('fs').writeFileSync('ran.txt', String(require('fs').readFileSync('greeting.txt')).toUpperCase())" && cat ran.txt`, description: 'Run node' }
        }
      ],
      usage: { input_tokens: 1200, output_tokens: 70, cache_read_input_tokens: 400 }
    },
    {
      kind: 'text',
      text: 'DONE: Added greeting.txt\nLABEL-UPDATED: in-progress --> needs-testing\nBRANCH: baton/7-greeting\n\nAdded `greeting.txt` and checked it with node.',
      usage: { input_tokens: 1300, output_tokens: 80, cache_read_input_tokens: 400 }
    }
  ]
}

describe.skipIf(!haveCli)('claude-code provider with the real CLI', () => {
  let sb: Sandbox
  let server: ScriptedServer

  beforeEach(async () => {
    sb = makeSandbox()
    server = await startScriptedServer({ script: [] })
  })
  afterEach(async () => {
    await server.close()
    sb.cleanup()
  })

  it('runs a Write/Edit/Bash task in the worktree, reports usage and cost, then resumes the session', async () => {
    const script = fourTurnScript(sb.worktree)
    server.setScript(script)
    const ctx = makeContext(sb, server.url)
    const provider = createClaudeCode()

    const t0 = performance.now()
    const result = await provider(ctx)
    const wallMs = performance.now() - t0

    // The files changed in the worktree as scripted.
    expect(readFileSync(join(sb.worktree, 'greeting.txt'), 'utf8')).toBe('hello world\n')
    expect(readFileSync(join(sb.worktree, 'ran.txt'), 'utf8')).toBe('HELLO WORLD\n')

    // The protocol lines came back as the result text.
    const { headers, body } = readHeader(result.text)
    expect(headers).toEqual([
      ['DONE', 'Added greeting.txt'],
      ['LABEL-UPDATED', 'in-progress --> needs-testing'],
      ['BRANCH', 'baton/7-greeting']
    ])
    expect(body).toContain('checked it with node')

    // Usage and cost are what the CLI reported: the sum of the scripted turns.
    const sum = (k: 'input_tokens' | 'output_tokens' | 'cache_read_input_tokens' | 'cache_creation_input_tokens'): number =>
      script.reduce((n, t) => n + turnUsage(t)[k], 0)
    expect(result.usage).toMatchObject({
      inputTokens: sum('input_tokens'),
      outputTokens: sum('output_tokens'),
      cacheReadTokens: sum('cache_read_input_tokens'),
      cacheWriteTokens: sum('cache_creation_input_tokens')
    })
    expect(result.usage?.costUsd).toBeGreaterThan(0)
    expect(result.sessionId).toMatch(/^[0-9a-f-]{36}$/)

    // What the CLI sent: the role prompt in the system prompt, the task on
    // stdin with the issue as fenced data, each tool_result in the next turn.
    const reqs = server.agentRequests()
    expect(reqs).toHaveLength(4)
    expect(reqs[0]?.query).toContain('beta=true')
    expect(JSON.stringify((reqs[0]?.body as Json).system)).toContain('ROLE-PROMPT-MARKER')
    const firstUser = JSON.stringify(messagesOf(reqs[0]?.body)[0]?.content)
    expect(firstUser).toContain('<<<ISSUE ')
    expect(firstUser).toContain('Add a greeting')
    expect(firstUser).toContain('Create greeting.txt at the root.')
    const toolResult = (i: number, id: string): Json | undefined => allBlocks(reqs[i]?.body).find((b) => b.type === 'tool_result' && b.tool_use_id === id)
    expect(toolResult(1, 'toolu_write_1')).toBeDefined()
    expect(toolResult(2, 'toolu_edit_1')).toBeDefined()
    expect(JSON.stringify(toolResult(3, 'toolu_bash_1')?.content)).toContain('HELLO WORLD')
    expect(server.problems).toEqual([])

    // Live progress: the session start, each tool use, the finish.
    expect(ctx.lines[0]).toMatch(/^session .* started/)
    expect(ctx.lines).toContain(`→ Write: ${join(sb.worktree, 'greeting.txt')}`)
    expect(ctx.lines.some((l) => l.startsWith('→ Edit: '))).toBe(true)
    expect(ctx.lines.some((l) => l.startsWith('→ Bash: node -e'))).toBe(true)
    expect(ctx.lines.at(-1)).toMatch(/^finished: 4 turns, \$/)

    console.log(
      `[claude-code] 4-turn task: wall ${wallMs.toFixed(0)} ms; usage ${JSON.stringify(result.usage)}`
    )

    // Resume: a person answered; the same session continues with the answer,
    // and the CLI sends the earlier conversation along.
    server.setScript([{ kind: 'text', text: 'DONE: Used the answer\n\nThanks.' }])
    const resumed = await provider({
      ...makeContext(sb, server.url),
      trigger: makeTrigger(sb, { attempt: 2, answer: 'Use British spelling.', resumeSession: result.sessionId }),
      resumeSession: result.sessionId
    })
    expect(resumed.sessionId).toBe(result.sessionId)
    expect(readHeader(resumed.text).headers).toEqual([['DONE', 'Used the answer']])
    const again = server.agentRequests().at(-1)?.body
    const sent = allBlocks(again)
    expect(sent.some((b) => b.type === 'tool_use' && b.id === 'toolu_write_1')).toBe(true)
    expect(sent.some((b) => b.type === 'text' && String(b.text).startsWith('DONE: Added greeting.txt'))).toBe(true)
    expect(JSON.stringify(messagesOf(again).at(-1)?.content)).toContain('Use British spelling.')
  })

  it('fails with a retryable api error when the endpoint answers 500', async () => {
    server.failAll({ status: 500, type: 'api_error', message: 'scripted outage' })
    // Let the CLI give up at once instead of backing off ten times.
    const ctx = makeContext(sb, server.url, { env: cliEnv(sb, server.url, { CLAUDE_CODE_MAX_RETRIES: '0' }) })
    const err = await createClaudeCode()(ctx).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ProviderError)
    const pe = err as ProviderError
    expect(pe.kind).toBe('api')
    expect(pe.retryable).toBe(true)
    expect(pe.exitCode).toBe(1)
    expect(pe.details.status).toBe(500)
    expect(pe.message).toContain('scripted outage')
    expect(pe.command).toBe(cliPath)
    expect(pe.args).toContain('stream-json')
  })

  it('fails fast, not retryable, when the key is refused (401), although the CLI would retry for minutes', async () => {
    server.failAll({ status: 401, type: 'authentication_error', message: 'invalid x-api-key' })
    const ctx = makeContext(sb, server.url)
    const t0 = performance.now()
    const err = await createClaudeCode({ killGraceMs: 1000 })(ctx).catch((e: unknown) => e)
    expect(performance.now() - t0).toBeLessThan(15_000)
    expect(err).toBeInstanceOf(ProviderError)
    expect((err as ProviderError).kind).toBe('auth')
    expect((err as ProviderError).retryable).toBe(false)
    expect(ctx.lines.some((l) => l.startsWith('API error 401'))).toBe(true)
  })

  it('abort kills the CLI and the command its Bash tool is running', async () => {
    server.setScript([
      { kind: 'tools', tools: [{ name: 'Bash', input: { command: 'echo $$ > shell.pid && sleep 30', description: 'wait', timeout: 60000 } }] }
    ])
    const ac = new AbortController()
    const ctx = makeContext(sb, server.url, { signal: ac.signal })
    const pidFile = join(sb.worktree, 'shell.pid')
    const running = createClaudeCode({ killGraceMs: 1000 })(ctx).catch((e: unknown) => e)
    await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '', 20_000)
    const shellPid = Number(readFileSync(pidFile, 'utf8').trim())
    expect(alive(shellPid)).toBe(true)

    const t0 = performance.now()
    ac.abort()
    const err = await running
    expect(performance.now() - t0).toBeLessThan(5_000)
    expect(err).toBeInstanceOf(ProviderError)
    expect((err as ProviderError).kind).toBe('aborted')
    expect((err as ProviderError).retryable).toBe(false)
    await waitFor(() => !alive(shellPid), 3_000)
  })

  it('stops a run that hangs past the time limit', async () => {
    server.setScript([{ kind: 'hang' }])
    const ctx = makeContext(sb, server.url)
    ctx.settings.timeLimitSec = 2
    const err = await createClaudeCode({ killGraceMs: 500 })(ctx).catch((e: unknown) => e)
    expect((err as ProviderError).kind).toBe('timeout')
    expect((err as ProviderError).retryable).toBe(true)
  })

  it('names a missing executable', async () => {
    const ctx = makeContext(sb, server.url)
    ctx.settings.command = join(sb.root, 'no-such-claude')
    const err = await createClaudeCode()(ctx).catch((e: unknown) => e)
    expect((err as ProviderError).kind).toBe('not-found')
    expect((err as ProviderError).message).toContain('no-such-claude')
    expect(server.requests).toHaveLength(0)
  })
})

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  // A zombie still answers signal 0; read its state where /proc exists.
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return true
  }
}

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
