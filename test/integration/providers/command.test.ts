// The `command` provider with real child processes (node scripts): the trigger
// on stdin, the response on stdout, stderr as progress, and the limits.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createCommand } from '../../../src/main/agents/providers/command'
import { ProviderError } from '../../../src/main/agents/providers/stream-errors'
import { makeContext, makeSandbox } from './cli-fixture'
import type { Sandbox } from './cli-fixture'

const node = JSON.stringify(process.execPath)

describe('command provider', () => {
  let sb: Sandbox
  beforeEach(() => {
    sb = makeSandbox()
  })
  afterEach(() => sb.cleanup())

  function ctxFor(script: string, over: { timeLimitSec?: number; maxOutputBytes?: number; signal?: AbortSignal } = {}) {
    const file = join(sb.root, `agent-${Math.random().toString(36).slice(2)}.mjs`)
    writeFileSync(file, script)
    const ctx = makeContext(sb, 'http://127.0.0.1:9', over.signal ? { signal: over.signal } : {})
    // Even if a token slipped into the runner's env, the agent must not see it.
    ctx.env = { ...ctx.env, GITHUB_TOKEN: 'ghp_secret', GH_TOKEN: 'ghp_secret' }
    ctx.settings = { provider: 'command', command: `${node} '${file}' --flag "two words"`, timeLimitSec: over.timeLimitSec ?? 20, maxOutputBytes: over.maxOutputBytes ?? 100_000 }
    return ctx
  }

  it('feeds the trigger on stdin, returns stdout, streams stderr as progress', async () => {
    const ctx = ctxFor(`
      let input = ''
      process.stdin.on('data', (d) => (input += d))
      process.stdin.on('end', () => {
        const t = JSON.parse(input)
        console.error('working on #' + t.issue.number)
        console.log('DONE: handled ' + t.task + ' in ' + process.cwd())
        console.log('LABEL-UPDATED: ' + t.stage + ' --> needs-testing')
        console.log('')
        console.log('args ' + JSON.stringify(process.argv.slice(2)) + ' token=' + (process.env.GITHUB_TOKEN ?? process.env.GH_TOKEN ?? 'none'))
      })
    `)
    const res = await createCommand()(ctx)
    expect(res.text.split('\n')).toEqual([
      `DONE: handled t_prov1 in ${sb.worktree}`,
      'LABEL-UPDATED: in-progress --> needs-testing',
      '',
      'args ["--flag","two words"] token=none'
    ])
    expect(ctx.lines).toEqual(['working on #7'])
  })

  it('keeps a UTF-8 character split across writes whole', async () => {
    const ctx = ctxFor(`
      const b = Buffer.from('DONE: café ✓\\n')
      process.stdout.write(b.subarray(0, 10))
      setTimeout(() => process.stdout.write(b.subarray(10)), 50)
    `)
    expect((await createCommand()(ctx)).text).toBe('DONE: café ✓')
  })

  it('a non-zero exit is an error carrying the command, the code and the stderr tail', async () => {
    const ctx = ctxFor(`console.error('x'.repeat(20000)); console.error('the real reason'); process.exit(3)`)
    const err = (await createCommand()(ctx).catch((e: unknown) => e)) as ProviderError
    expect(err).toBeInstanceOf(ProviderError)
    expect(err.kind).toBe('exit')
    expect(err.exitCode).toBe(3)
    expect(err.command).toBe(process.execPath)
    expect(err.stderrTail).toContain('the real reason')
    expect(err.stderrTail.length).toBeLessThan(10_000)
    expect(err.message).toContain('code 3')
  })

  it('stops a command past its time limit', async () => {
    const ctx = ctxFor(`setInterval(() => {}, 1000)`, { timeLimitSec: 0.5 })
    const t0 = performance.now()
    const err = (await createCommand({ killGraceMs: 200 })(ctx).catch((e: unknown) => e)) as ProviderError
    expect(err.kind).toBe('timeout')
    expect(err.retryable).toBe(true)
    expect(performance.now() - t0).toBeLessThan(5_000)
  })

  it('escalates to SIGKILL when the command ignores SIGTERM', async () => {
    const ac = new AbortController()
    const ctx = ctxFor(`process.on('SIGTERM', () => console.error('ignoring TERM')); console.error('ready'); setInterval(() => {}, 1000)`, { signal: ac.signal })
    const running = createCommand({ killGraceMs: 300 })(ctx).catch((e: unknown) => e)
    await waitFor(() => ctx.lines.includes('ready'))
    ac.abort()
    const err = (await running) as ProviderError
    expect(err.kind).toBe('aborted')
    expect(err.signal).toBe('SIGKILL')
  })

  it('stops a command that prints past the output cap', async () => {
    const ctx = ctxFor(`const s = 'y'.repeat(1000) + '\\n'; setInterval(() => process.stdout.write(s), 1)`, { maxOutputBytes: 5_000 })
    const err = (await createCommand({ killGraceMs: 200 })(ctx).catch((e: unknown) => e)) as ProviderError
    expect(err.kind).toBe('output-cap')
    expect(err.retryable).toBe(false)
  })

  it('empty output, a missing executable and shell syntax are clear errors', async () => {
    const quiet = (await createCommand()(ctxFor(`process.exit(0)`)).catch((e: unknown) => e)) as ProviderError
    expect(quiet.kind).toBe('no-result')

    const ctx = ctxFor('')
    ctx.settings.command = join(sb.root, 'missing-agent') + ' --x'
    const missing = (await createCommand()(ctx).catch((e: unknown) => e)) as ProviderError
    expect(missing.kind).toBe('not-found')
    expect(missing.message).toContain('missing-agent')

    ctx.settings.command = 'cat trigger.json | my-agent'
    const piped = (await createCommand()(ctx).catch((e: unknown) => e)) as ProviderError
    expect(piped.kind).toBe('failed')
    expect(piped.message).toContain('without a shell')
  })
})

async function waitFor(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 20))
  }
}
