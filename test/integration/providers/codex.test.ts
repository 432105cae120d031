// The codex provider's process handling with a stand-in `codex` executable
// (a node script printing `exec --json` events in the documented shapes), so
// the exact argv, cwd and stdin a codex gets are checked without a model
// endpoint. The real CLI runs against a scripted endpoint in codex-cli.test.ts.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createCodex } from '../../../src/main/agents/providers/codex'
import { ProviderError } from '../../../src/main/agents/providers/stream-errors'
import { makeContext, makeSandbox, makeTrigger } from './cli-fixture'
import type { Sandbox } from './cli-fixture'

const FAKE = `#!${process.execPath}
const fs = require('fs')
let input = ''
process.stdin.on('data', (d) => (input += d))
process.stdin.on('end', () => {
  fs.writeFileSync(process.env.FAKE_CODEX_LOG, JSON.stringify({ argv: process.argv.slice(2), cwd: process.cwd(), input }))
  const out = (o) => process.stdout.write(JSON.stringify(o) + '\\n')
  if (process.env.FAKE_CODEX_MODE === 'fail') {
    out({ type: 'thread.started', thread_id: 'th_9' })
    out({ type: 'turn.failed', error: { message: 'stream disconnected before completion' } })
    process.exit(1)
  }
  const resumed = process.argv.includes('resume')
  out({ type: 'thread.started', thread_id: resumed ? process.argv[process.argv.indexOf('resume') + 1] : 'th_1' })
  out({ type: 'turn.started' })
  out({ type: 'item.started', item: { id: 'i1', type: 'command_execution', command: 'bash -lc ls', aggregated_output: '', status: 'in_progress' } })
  fs.writeFileSync('codex-was-here.txt', 'yes')
  out({ type: 'item.completed', item: { id: 'i2', type: 'file_change', changes: [{ path: 'codex-was-here.txt', kind: 'add' }], status: 'completed' } })
  out({ type: 'item.completed', item: { id: 'i3', type: 'agent_message', text: resumed ? 'DONE: resumed' : 'DONE: wrote a file\\n\\nBody.' } })
  out({ type: 'turn.completed', usage: { input_tokens: 1000, cached_input_tokens: 600, output_tokens: 50 } })
})
`

describe('codex provider (stand-in CLI)', () => {
  let sb: Sandbox
  let log: string
  beforeEach(() => {
    sb = makeSandbox()
    log = join(sb.root, 'codex-log.json')
    writeFileSync(join(sb.root, 'codex'), FAKE)
    chmodSync(join(sb.root, 'codex'), 0o755)
  })
  afterEach(() => sb.cleanup())

  const ctxFor = (mode = 'ok', resume?: string) => {
    const ctx = makeContext(sb, 'http://127.0.0.1:9', { resumeSession: resume })
    ctx.settings = { provider: 'codex', model: 'gpt-5-codex', timeLimitSec: 20, maxOutputBytes: 10_000 }
    ctx.env = { PATH: process.env.PATH, HOME: sb.home, BATON_CODEX_PATH: join(sb.root, 'codex'), FAKE_CODEX_LOG: log, FAKE_CODEX_MODE: mode }
    return ctx
  }

  it('runs exec --json in the worktree with the prompt on stdin, and resumes a thread', async () => {
    const ctx = ctxFor()
    const res = await createCodex()(ctx)
    expect(res).toEqual({
      text: 'DONE: wrote a file\n\nBody.',
      sessionId: 'th_1',
      usage: { inputTokens: 400, outputTokens: 50, cacheReadTokens: 600, cacheWriteTokens: 0, costUsd: 0 }
    })
    expect(readFileSync(join(sb.worktree, 'codex-was-here.txt'), 'utf8')).toBe('yes')
    const seen = JSON.parse(readFileSync(log, 'utf8')) as { argv: string[]; cwd: string; input: string }
    // The worktree's git folders in the main clone become writable roots, so a commit works in the sandbox.
    const gitRoots = [join(sb.repo, '.git', 'worktrees', 'wt'), ...['objects', 'refs', 'logs'].map((d) => join(sb.repo, '.git', d))]
    expect(seen.argv).toEqual([
      'exec', '--json', '--skip-git-repo-check', '--cd', sb.worktree, '--sandbox', 'workspace-write', '--config', 'approval_policy="never"',
      '--config', `sandbox_workspace_write.writable_roots=[${gitRoots.map((r) => JSON.stringify(r)).join(', ')}]`,
      '--model', 'gpt-5-codex', '-'
    ])
    expect(seen.cwd).toBe(sb.worktree)
    expect(seen.input.startsWith('# Your role\n\nROLE-PROMPT-MARKER')).toBe(true)
    expect(seen.input).toContain('<<<ISSUE ')
    expect(ctx.lines).toEqual(['thread th_1 started', '→ shell: bash -lc ls', '→ files: add codex-was-here.txt', 'DONE: wrote a file Body.', 'turn finished (1000 in, 50 out)'])

    const again = ctxFor('ok', 'th_1')
    again.trigger = makeTrigger(sb, { answer: 'Yes, go on.' })
    const resumed = await createCodex()(again)
    expect(resumed.sessionId).toBe('th_1')
    const seen2 = JSON.parse(readFileSync(log, 'utf8')) as { argv: string[]; input: string }
    expect(seen2.argv.slice(-3)).toEqual(['resume', 'th_1', '-'])
    expect(seen2.input).toContain('Yes, go on.')
  })

  it('a failed turn is a typed, retryable error carrying the exit code', async () => {
    const err = (await createCodex()(ctxFor('fail')).catch((e: unknown) => e)) as ProviderError
    expect(err).toBeInstanceOf(ProviderError)
    expect(err).toMatchObject({ kind: 'api', retryable: true, exitCode: 1 })
    expect(err.message).toContain('stream disconnected')
  })
})
