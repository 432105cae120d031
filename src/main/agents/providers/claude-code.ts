// The `claude-code` provider: the Claude Code CLI in print mode, streaming
// JSON events, run in the task's worktree (DESIGN.md §6).
//
//   claude -p --output-format stream-json --verbose
//          --append-system-prompt <role prompt> --permission-mode <mode>
//          [--model <m>] [--resume <session>] [--mcp-config <file>]
//          --allowedTools <tool>… [mcp__baton__*]
//   (the task prompt on stdin)
//
// The prompt goes on stdin, not argv (see stream-prompt.ts); `--allowedTools`
// is variadic, so it comes last. The final `result` event carries the
// protocol text, session id, cost and usage. With Baton's MCP in the trigger
// (its address and the attempt's task token), the CLI gets it as its
// `baton` server (mcp-config.ts).
import { createRequire } from 'node:module'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { CLAUDE_MCP_CONNECT_MS, CLAUDE_MCP_TOOLS, writeClaudeMcpConfig } from './mcp-config'
import type { Provider, ProviderContext, ProviderResult } from './types'
import { ProviderError } from './stream-errors'
import { startStreamProcess } from './stream-process'
import type { StreamProcessResult } from './stream-process'
import { ClaudeStreamReader, claudeUsage, isRetryableStatus, oneLine } from './stream-claude'
import { buildTaskPrompt } from './stream-prompt'

/** Env variable naming a claude executable installed elsewhere. */
export const CLAUDE_PATH_ENV = 'BATON_CLAUDE_PATH'
export const DEFAULT_PERMISSION_MODE = 'acceptEdits'

export interface ClaudeCodeOptions {
  /** SIGTERM → SIGKILL delay when stopping the CLI. Default 5 s. */
  killGraceMs?: number
  /** Stop at the first API retry on 401/403 instead of letting the CLI retry for minutes. Default true. */
  failFastOnAuth?: boolean
}

/**
 * Where the CLI is: `settings.command` (a path), then $BATON_CLAUDE_PATH, then
 * the `@anthropic-ai/claude-code` package's bin, then `claude` on PATH.
 */
export function resolveClaudeExecutable(ctx: Pick<ProviderContext, 'settings' | 'env'>): string {
  const configured = ctx.settings.command?.trim() || ctx.env[CLAUDE_PATH_ENV]?.trim()
  if (configured) return configured
  return packageBin('@anthropic-ai/claude-code', 'claude') ?? 'claude'
}

/** The bin of an installed npm package, or undefined. */
export function packageBin(pkg: string, name: string): string | undefined {
  try {
    const require = createRequire(import.meta.url)
    const manifestPath = require.resolve(`${pkg}/package.json`)
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { bin?: string | Record<string, string> }
    const rel = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin?.[name]
    if (!rel) return undefined
    const bin = join(dirname(manifestPath), rel)
    return existsSync(bin) ? bin : undefined
  } catch {
    return undefined
  }
}

/** `mcpConfig`: the file naming Baton's MCP server for this attempt, when it has one. */
export function claudeArgs(ctx: ProviderContext, mcpConfig?: string): string[] {
  const s = ctx.settings
  const args = ['-p', '--output-format', 'stream-json', '--verbose']
  if (ctx.rolePrompt.trim() !== '') args.push('--append-system-prompt', ctx.rolePrompt)
  args.push('--permission-mode', s.permissionMode ?? DEFAULT_PERMISSION_MODE)
  if (s.model) args.push('--model', s.model)
  const resume = ctx.resumeSession ?? ctx.trigger.resumeSession
  if (resume) args.push('--resume', resume)
  // Variadic too: it ends at the next flag.
  if (mcpConfig) args.push('--mcp-config', mcpConfig)
  const tools = (s.allowedTools ?? []).filter((t) => t.trim() !== '')
  // In print mode a tool not allowed is refused: Baton's own are allowed whenever its server is given.
  if (mcpConfig && !tools.includes(CLAUDE_MCP_TOOLS)) tools.push(CLAUDE_MCP_TOOLS)
  if (tools.length > 0) args.push('--allowedTools', ...tools)
  return args
}

export function createClaudeCode(options: ClaudeCodeOptions = {}): Provider {
  return async (ctx) => {
    const command = resolveClaudeExecutable(ctx)
    // Baton's MCP for this attempt: a config file in its private run folder (a temporary one when the runner gave none).
    const runDir = ctx.trigger.mcp ? (ctx.runDir ?? mkdtempSync(join(tmpdir(), 'baton-run-'))) : undefined
    const mcpConfig = ctx.trigger.mcp && runDir ? writeClaudeMcpConfig(runDir, ctx.trigger.mcp) : undefined
    const args = claudeArgs(ctx, mcpConfig)
    const reader = new ClaudeStreamReader()
    let authFailure = false

    const proc = startStreamProcess({
      command,
      args,
      cwd: ctx.cwd,
      // alwaysLoad waits for the server up to this long (the CLI's default, 5 s, is short on a loaded machine).
      env: mcpConfig ? { MCP_CONNECT_TIMEOUT_MS: CLAUDE_MCP_CONNECT_MS, ...ctx.env } : ctx.env,
      stdin: buildTaskPrompt(ctx.trigger),
      signal: ctx.signal,
      timeLimitMs: ctx.settings.timeLimitSec * 1000,
      killGraceMs: options.killGraceMs,
      onLine(line) {
        for (const p of reader.line(line)) ctx.progress(p)
        // Live usage for the spend budgets (main stops a run that passes one).
        if (reader.usageChanged) {
          reader.usageChanged = false
          ctx.usage?.(reader.liveUsage())
        }
        // The CLI retries a refused key ten times with backoff (about two
        // minutes); nothing changes between tries, so stop at the first.
        const status = reader.lastRetry?.status
        if ((options.failFastOnAuth ?? true) && (status === 401 || status === 403) && !reader.result) {
          authFailure = true
          proc.stop('requested')
        }
      }
    })
    const run = await proc.done
    if (runDir && !ctx.runDir) rmSync(runDir, { recursive: true, force: true })
    return claudeOutcome({ command, args, run, reader, authFailure, maxOutputBytes: ctx.settings.maxOutputBytes })
  }
}

interface Outcome {
  command: string
  args: string[]
  run: StreamProcessResult
  reader: ClaudeStreamReader
  authFailure: boolean
  maxOutputBytes: number
}

/** Map how the CLI ended to a result or a typed error. */
export function claudeOutcome({ command, args, run, reader, authFailure, maxOutputBytes }: Outcome): ProviderResult {
  const base = {
    command,
    args,
    exitCode: run.exitCode,
    signal: run.signal,
    stderrTail: run.stderrTail || reader.strayLines.join('\n'),
    details: { sessionId: reader.sessionId, durationMs: run.durationMs }
  }
  if (run.spawnError) {
    const missing = run.spawnError.code === 'ENOENT'
    throw new ProviderError(
      missing
        ? `Claude Code CLI not found at "${command}": install @anthropic-ai/claude-code or set ${CLAUDE_PATH_ENV}`
        : `Claude Code CLI could not start: ${run.spawnError.message}`,
      { ...base, kind: 'not-found' }
    )
  }
  if (authFailure) {
    const retry = reader.lastRetry
    throw new ProviderError(`Claude Code: the model endpoint refused the credentials (HTTP ${retry?.status ?? '401'} ${retry?.error ?? ''})`.trim(), {
      ...base,
      kind: 'auth',
      details: { ...base.details, status: retry?.status }
    })
  }
  if (run.stopped === 'aborted') throw new ProviderError('Claude Code run aborted', { ...base, kind: 'aborted' })
  if (run.stopped === 'timeout') throw new ProviderError('Claude Code run passed its time limit', { ...base, kind: 'timeout' })

  const r = reader.result
  if (!r) {
    const why = run.exitCode === 0 ? 'exited without a result event' : `exited with ${run.signal ?? `code ${run.exitCode}`} and no result event`
    throw new ProviderError(`Claude Code ${why}`, { ...base, kind: run.exitCode === 0 ? 'no-result' : 'exit' })
  }
  const details = { ...base.details, subtype: r.subtype, status: r.api_error_status ?? undefined, usage: claudeUsage(r) }
  if (r.is_error || r.subtype !== 'success') {
    const text = oneLine(r.result ?? r.errors?.join('; ') ?? r.subtype, 500)
    const status = r.api_error_status
    if (status !== null && status !== undefined) {
      const auth = status === 401 || status === 403
      throw new ProviderError(`Claude Code: API error ${status}: ${text}`, {
        ...base,
        kind: auth ? 'auth' : 'api',
        retryable: auth ? false : isRetryableStatus(status),
        details
      })
    }
    // No key and no sign-in: the CLI ends at once with is_error on a
    // "success" result ("Not logged in · Please run /login"). Say what to do.
    if (/not logged in|please run \/login|invalid api key/i.test(text)) {
      throw new ProviderError(`Claude Code is not signed in: add an Anthropic API key in Settings → Providers, or run \`claude /login\` (it said: ${text})`, {
        ...base,
        kind: 'auth',
        details
      })
    }
    // error_max_turns, error_during_execution, …: the CLI's own verdict.
    if (r.subtype === 'success') throw new ProviderError(`Claude Code reported an error: ${text}`, { ...base, kind: 'failed', details })
    throw new ProviderError(`Claude Code failed (${r.subtype}): ${text}`, {
      ...base,
      kind: 'failed',
      retryable: r.subtype === 'error_during_execution',
      details
    })
  }
  const text = r.result ?? ''
  if (Buffer.byteLength(text) > maxOutputBytes) {
    throw new ProviderError(`Claude Code's response is ${Buffer.byteLength(text)} bytes, over the role's cap of ${maxOutputBytes}`, {
      ...base,
      kind: 'output-cap',
      details
    })
  }
  return { text, usage: claudeUsage(r), sessionId: r.session_id ?? reader.sessionId }
}

export const claudeCode: Provider = createClaudeCode()
