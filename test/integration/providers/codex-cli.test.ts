// The codex provider with the REAL Codex CLI (the @openai/codex dev
// dependency) against a scripted OpenAI Responses endpoint on 127.0.0.1: the
// CLI really applies a patch, runs a command and commits in a real git
// worktree inside its workspace-write sandbox, then ends with protocol lines;
// its thread is resumed for a REQUEST answer.
// The endpoint reaches the CLI the way a person would configure it for Baton:
// OPENAI_BASE_URL and OPENAI_API_KEY in the agent env (providers/codex.ts).
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createCodex, resolveCodexExecutable } from '../../../src/main/agents/providers/codex'
import { ProviderError } from '../../../src/main/agents/providers/stream-errors'
import { agentEnvironment } from '../../../src/main/agents/agent-env'
import { inputItems, itemText, startScriptedServer, toolOutput, turnUsage } from '../../fixtures/openai/scripted-server'
import type { ScriptTurn, ScriptedServer } from '../../fixtures/openai/scripted-server'
import { makeContext, makeSandbox, makeTrigger, readHeader } from './cli-fixture'
import type { Sandbox } from './cli-fixture'

const cliPath = resolveCodexExecutable({ settings: { provider: 'codex', timeLimitSec: 1, maxOutputBytes: 1 }, env: {} })
const haveCli = existsSync(cliPath)

/** A model codex 0.171.0 knows (no "model metadata not found" warning) and gives the apply_patch tool. */
const MODEL = 'gpt-5.5'
/** No retries with backoff in tests unless a test asks for them. */
const NO_RETRIES = ['model_providers.baton.request_max_retries=0', 'model_providers.baton.stream_max_retries=0']

type Json = Record<string, unknown>

function codexContext(sb: Sandbox, server: ScriptedServer, over: Parameters<typeof makeContext>[2] = {}): ReturnType<typeof makeContext> {
  const ctx = makeContext(sb, server.url, over)
  ctx.settings = { provider: 'codex', model: MODEL, timeLimitSec: 60, maxOutputBytes: 1_000_000 }
  // What the supervisor gives an agent: the allow-listed env of a main process
  // that itself holds GitHub tokens.
  ctx.env = agentEnvironment({
    PATH: process.env.PATH,
    HOME: sb.home,
    LANG: 'C.UTF-8',
    OPENAI_BASE_URL: server.baseUrl,
    OPENAI_API_KEY: 'test-key',
    GITHUB_TOKEN: 'ghp_must_not_leak_1',
    GH_TOKEN: 'ghp_must_not_leak_2',
    BATON_GITHUB_TOKEN: 'ghp_must_not_leak_3'
  }, {}, 'codex')
  return ctx
}

function threeTurnScript(): ScriptTurn[] {
  return [
    {
      kind: 'tools',
      text: 'I will create the greeting file.',
      calls: [{ type: 'custom', name: 'apply_patch', callId: 'call_patch_1', input: '*** Begin Patch\n*** Add File: greeting.txt\n+hello world\n*** End Patch\n' }],
      usage: { input_tokens: 1000, cached_tokens: 200, cache_write_tokens: 300, output_tokens: 50, reasoning_tokens: 10 }
    },
    {
      kind: 'tools',
      calls: [
        {
          type: 'function',
          name: 'exec_command',
          callId: 'call_exec_1',
          arguments: {
            cmd:
              `node -e "require('fs').writeFileSync('ran.txt', String(require('fs').readFileSync('greeting.txt')).toUpperCase())" && cat ran.txt && env > env.txt` +
              ' && git add greeting.txt ran.txt && git -c user.name=Engineer -c user.email=e@example.invalid commit -q -m "Add greeting"'
          }
        }
      ],
      usage: { input_tokens: 1100, cached_tokens: 900, output_tokens: 60 }
    },
    {
      kind: 'text',
      text: 'DONE: Added greeting.txt\nLABEL-UPDATED: in-progress --> needs-testing\nBRANCH: baton/7-greeting\n\nAdded `greeting.txt` and checked it with node.',
      usage: { input_tokens: 1200, cached_tokens: 1000, output_tokens: 70 }
    }
  ]
}

function envFile(path: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const i = line.indexOf('=')
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1)
  }
  return out
}

describe.skipIf(!haveCli)('codex provider with the real CLI', () => {
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

  it('applies a patch, runs a command and commits in the worktree, reports usage, then resumes the thread with an answer', async () => {
    const script = threeTurnScript()
    server.setScript(script)
    const ctx = codexContext(sb, server)
    const provider = createCodex({ config: NO_RETRIES })

    const t0 = performance.now()
    const result = await provider(ctx)
    const wallMs = performance.now() - t0

    // The files changed in the worktree as scripted.
    expect(readFileSync(join(sb.worktree, 'greeting.txt'), 'utf8')).toBe('hello world\n')
    expect(readFileSync(join(sb.worktree, 'ran.txt'), 'utf8')).toBe('HELLO WORLD\n')
    // ... and the commit reached the branch, although the worktree's git
    // folders are in the main clone, outside the sandbox's workspace.
    expect(execFileSync('git', ['log', '-1', '--format=%s', sb.branch], { cwd: sb.repo, encoding: 'utf8' }).trim()).toBe('Add greeting')
    expect(execFileSync('git', ['show', '--name-only', '--format=', sb.branch], { cwd: sb.repo, encoding: 'utf8' }).trim().split('\n').sort()).toEqual(['greeting.txt', 'ran.txt'])

    // The protocol lines came back as the result text.
    const { headers, body } = readHeader(result.text)
    expect(headers).toEqual([
      ['DONE', 'Added greeting.txt'],
      ['LABEL-UPDATED', 'in-progress --> needs-testing'],
      ['BRANCH', 'baton/7-greeting']
    ])
    expect(body).toContain('checked it with node')

    // Usage is what the CLI summed over the turns; cache reads and writes apart.
    const sum = (k: 'input_tokens' | 'cached_tokens' | 'cache_write_tokens' | 'output_tokens'): number => script.reduce((n, t) => n + turnUsage(t)[k], 0)
    expect(result.usage).toEqual({
      inputTokens: sum('input_tokens') - sum('cached_tokens') - sum('cache_write_tokens'),
      outputTokens: sum('output_tokens'),
      cacheReadTokens: sum('cached_tokens'),
      cacheWriteTokens: sum('cache_write_tokens'),
      costUsd: 0
    })
    expect(result.sessionId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)

    // What the CLI sent: Responses API streams with the key from OPENAI_API_KEY,
    // the role prompt and the task (issue as fenced data) in the user input,
    // each tool's output in the next turn.
    const reqs = server.agentRequests()
    expect(reqs).toHaveLength(3)
    expect(server.requests).toHaveLength(3)
    for (const r of reqs) {
      expect(r.headers.authorization).toBe('Bearer test-key')
      expect((r.body as Json).model).toBe(MODEL)
    }
    const userText = inputItems(reqs[0]?.body)
      .filter((i) => i.type === 'message' && i.role === 'user')
      .map(itemText)
      .join('\n')
    expect(userText).toContain('ROLE-PROMPT-MARKER')
    expect(userText).toContain('<<<ISSUE ')
    expect(userText).toContain('Create greeting.txt at the root.')
    expect(toolOutput(reqs[1]?.body, 'call_patch_1')).toContain('greeting.txt')
    expect(toolOutput(reqs[2]?.body, 'call_exec_1')).toContain('HELLO WORLD')
    expect(server.problems).toEqual([])

    // The command ran with the CLI's environment: codex hands commands its
    // whole env (it even passes OPENAI_API_KEY on), so a token missing here
    // was missing from the CLI's env.
    const env = envFile(join(sb.worktree, 'env.txt'))
    expect(env.CODEX_THREAD_ID).toBe(result.sessionId)
    expect(env.OPENAI_API_KEY).toBe('test-key')
    expect(env.HOME).toBe(sb.home)
    for (const k of ['GITHUB_TOKEN', 'GH_TOKEN', 'BATON_GITHUB_TOKEN']) expect(env[k]).toBeUndefined()
    expect(readFileSync(join(sb.worktree, 'env.txt'), 'utf8')).not.toContain('ghp_')

    // Live progress: the thread start, the patch, the command, the message, the finish.
    expect(ctx.lines[0]).toBe(`thread ${result.sessionId} started`)
    expect(ctx.lines).toContain('I will create the greeting file.')
    expect(ctx.lines).toContain(`→ files: add ${join(sb.worktree, 'greeting.txt')}`)
    expect(ctx.lines.some((l) => l.startsWith('→ shell: ') && l.includes('node -e'))).toBe(true)
    expect(ctx.lines.at(-1)).toBe(`turn finished (${sum('input_tokens')} in, ${sum('output_tokens')} out)`)

    console.log(`[codex] 3-turn task: wall ${wallMs.toFixed(0)} ms; usage ${JSON.stringify(result.usage)}`)

    // Resume: a person answered; `codex exec resume <thread id> -` continues
    // the same thread, and the CLI sends the earlier conversation along.
    server.setScript([{ kind: 'text', text: 'DONE: Used the answer\n\nThanks.', usage: { input_tokens: 500, output_tokens: 20 } }])
    const resumedCtx = codexContext(sb, server, {
      trigger: makeTrigger(sb, { attempt: 2, answer: 'Use British spelling.', resumeSession: result.sessionId }),
      resumeSession: result.sessionId
    })
    const resumed = await provider(resumedCtx)
    expect(resumed.sessionId).toBe(result.sessionId)
    expect(readHeader(resumed.text).headers).toEqual([['DONE', 'Used the answer']])
    // This run's usage only: codex reports the thread's total, the provider
    // subtracts what the thread's rollout file held before the resume.
    expect(resumed.usage).toEqual({ inputTokens: 500, outputTokens: 20, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0 })
    expect(resumedCtx.lines.at(-1)).toBe(`turn finished (${sum('input_tokens') + 500} in, ${sum('output_tokens') + 20} out)`)
    const again = server.agentRequests().at(-1)?.body
    const items = inputItems(again)
    expect(items.some((i) => i.type === 'custom_tool_call' && i.call_id === 'call_patch_1')).toBe(true)
    expect(items.some((i) => i.type === 'message' && i.role === 'assistant' && itemText(i).startsWith('DONE: Added greeting.txt'))).toBe(true)
    const lastUser = items.filter((i) => i.type === 'message' && i.role === 'user').at(-1)
    expect(itemText(lastUser ?? {})).toContain('Use British spelling.')
    expect(server.problems).toEqual([])
  })

  it('a stream retry the CLI recovers from still ends in the final answer', async () => {
    server.setScript([
      { kind: 'error', status: 500, message: 'scripted blip' },
      { kind: 'text', text: 'DONE: Recovered' }
    ])
    const ctx = codexContext(sb, server)
    const res = await createCodex({ config: ['model_providers.baton.request_max_retries=0', 'model_providers.baton.stream_max_retries=1'] })(ctx)
    expect(readHeader(res.text).headers).toEqual([['DONE', 'Recovered']])
    expect(ctx.lines.some((l) => l.startsWith('error: Reconnecting... 1/1'))).toBe(true)
    expect(server.agentRequests()).toHaveLength(2)
  })

  it('fails with a retryable api error when the endpoint answers 500', async () => {
    server.failAll({ status: 500, message: 'scripted outage' })
    const ctx = codexContext(sb, server)
    const err = await createCodex({ config: NO_RETRIES })(ctx).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ProviderError)
    const pe = err as ProviderError
    expect(pe.kind).toBe('api')
    expect(pe.retryable).toBe(true)
    expect(pe.exitCode).toBe(1)
    // Codex words any 5xx its own way.
    expect(pe.message).toMatch(/^Codex: .*high demand/)
    expect(pe.command).toBe(cliPath)
    expect(pe.args).toContain('--json')
    expect(ctx.lines.some((l) => l.startsWith('failed: '))).toBe(true)
  })

  it('fails fast, not retryable, when the key is refused (401), although the CLI would retry with backoff', async () => {
    server.failAll({ status: 401, type: 'invalid_request_error', code: 'invalid_api_key', message: 'Incorrect API key provided: test-key' })
    const ctx = codexContext(sb, server)
    const t0 = performance.now()
    // The CLI's own retry settings: it would try six times over about 7 s.
    const err = await createCodex({ killGraceMs: 1000 })(ctx).catch((e: unknown) => e)
    expect(performance.now() - t0).toBeLessThan(15_000)
    expect(err).toBeInstanceOf(ProviderError)
    const pe = err as ProviderError
    expect(pe.kind).toBe('auth')
    expect(pe.retryable).toBe(false)
    expect(pe.details.status).toBe(401)
    expect(pe.message).toContain('refused the credentials: unexpected status 401 Unauthorized: Incorrect API key provided')
    expect(server.agentRequests().length).toBeLessThan(6)
  })

  it('a stream that fails midway (response.failed) is a clear api error', async () => {
    server.setScript([{ kind: 'failed', code: 'server_error', message: 'scripted failure' }])
    const err = (await createCodex({ config: NO_RETRIES })(codexContext(sb, server)).catch((e: unknown) => e)) as ProviderError
    expect(err).toBeInstanceOf(ProviderError)
    expect(err.kind).toBe('api')
    expect(err.message).toContain('scripted failure')
  })

  it.skipIf(process.platform !== 'linux')('abort kills the CLI and the command it is running', async () => {
    const marker = `baton-abort-${process.pid}-${Date.now()}`
    server.setScript([
      { kind: 'tools', calls: [{ type: 'function', name: 'exec_command', arguments: { cmd: `touch started.txt && node -e "setTimeout(() => {}, 30000)" ${marker}`, yield_time_ms: 30000 } }] }
    ])
    const ac = new AbortController()
    const ctx = codexContext(sb, server, { signal: ac.signal })
    const running = createCodex({ killGraceMs: 1000, config: NO_RETRIES })(ctx).catch((e: unknown) => e)
    await waitFor(() => existsSync(join(sb.worktree, 'started.txt')) && pidsWith(marker).length > 0, 20_000)
    const pids = pidsWith(marker)

    const t0 = performance.now()
    ac.abort()
    const err = await running
    expect(performance.now() - t0).toBeLessThan(5_000)
    expect(err).toBeInstanceOf(ProviderError)
    expect((err as ProviderError).kind).toBe('aborted')
    expect((err as ProviderError).retryable).toBe(false)
    await waitFor(() => pids.every((p) => !alive(p)), 3_000)
  })

  it('stops a run that hangs past the time limit', async () => {
    server.setScript([{ kind: 'hang' }])
    const ctx = codexContext(sb, server)
    ctx.settings.timeLimitSec = 2
    const err = await createCodex({ killGraceMs: 500, config: NO_RETRIES })(ctx).catch((e: unknown) => e)
    expect((err as ProviderError).kind).toBe('timeout')
    expect((err as ProviderError).retryable).toBe(true)
  })
})

/** Processes whose command line holds `marker` (whatever pid namespace the sandbox gave them). */
function pidsWith(marker: string): number[] {
  const out: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0')
      // The node process itself, not the shells whose -c text mentions it.
      if (argv[0]?.endsWith('node') && argv.includes(marker)) out.push(Number(name))
    } catch {
      // gone
    }
  }
  return out
}

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
