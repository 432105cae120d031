// The `codex` provider: OpenAI's Codex CLI in exec mode with JSON events, in
// the task's worktree, by the same adapter shape as claude-code:
//
//   codex exec --json --cd <worktree> --sandbox <mode> --config approval_policy="never"
//              [--model <m>] [resume <thread id>] -
//   (the task prompt, with the role prompt first, on stdin: "-")
//
// Codex has no flag to append to its system prompt, so the role prompt leads
// the task prompt. Its final agent message carries the protocol lines.
import type { Provider, ProviderContext, ProviderResult } from './types'
import { ProviderError } from './stream-errors'
import { startStreamProcess } from './stream-process'
import type { StreamProcessResult } from './stream-process'
import { CodexStreamReader } from './stream-codex'
import { buildTaskPrompt } from './stream-prompt'
import { packageBin } from './claude-code'

export const CODEX_PATH_ENV = 'BATON_CODEX_PATH'

export function resolveCodexExecutable(ctx: Pick<ProviderContext, 'settings' | 'env'>): string {
  const configured = ctx.settings.command?.trim() || ctx.env[CODEX_PATH_ENV]?.trim()
  if (configured) return configured
  return packageBin('@openai/codex', 'codex') ?? 'codex'
}

/** Claude Code's permission modes mapped onto Codex sandboxes; Codex's own names pass through. */
export function codexSandbox(permissionMode: string | undefined): string {
  switch (permissionMode) {
    case 'plan':
    case 'read-only':
      return 'read-only'
    case 'bypassPermissions':
    case 'danger-full-access':
      return 'danger-full-access'
    default:
      return 'workspace-write'
  }
}

export function codexArgs(ctx: ProviderContext): string[] {
  const args = ['exec', '--json', '--cd', ctx.cwd, '--sandbox', codexSandbox(ctx.settings.permissionMode), '--config', 'approval_policy="never"']
  if (ctx.settings.model) args.push('--model', ctx.settings.model)
  const resume = ctx.resumeSession ?? ctx.trigger.resumeSession
  if (resume) args.push('resume', resume)
  args.push('-')
  return args
}

export interface CodexOptions {
  killGraceMs?: number
}

export function createCodex(options: CodexOptions = {}): Provider {
  return async (ctx) => {
    const command = resolveCodexExecutable(ctx)
    const args = codexArgs(ctx)
    const reader = new CodexStreamReader()
    const run = await startStreamProcess({
      command,
      args,
      cwd: ctx.cwd,
      env: ctx.env,
      stdin: buildTaskPrompt(ctx.trigger, { rolePrompt: ctx.rolePrompt }),
      signal: ctx.signal,
      timeLimitMs: ctx.settings.timeLimitSec * 1000,
      killGraceMs: options.killGraceMs,
      onLine(line) {
        for (const p of reader.line(line)) ctx.progress(p)
      }
    }).done
    return codexOutcome(command, args, run, reader, ctx.settings.maxOutputBytes)
  }
}

export function codexOutcome(command: string, args: string[], run: StreamProcessResult, reader: CodexStreamReader, maxOutputBytes: number): ProviderResult {
  const base = {
    command,
    args,
    exitCode: run.exitCode,
    signal: run.signal,
    stderrTail: run.stderrTail || reader.strayLines.join('\n'),
    details: { sessionId: reader.threadId, durationMs: run.durationMs }
  }
  if (run.spawnError) {
    throw new ProviderError(
      run.spawnError.code === 'ENOENT'
        ? `Codex CLI not found at "${command}": install @openai/codex or set ${CODEX_PATH_ENV}`
        : `Codex CLI could not start: ${run.spawnError.message}`,
      { ...base, kind: 'not-found' }
    )
  }
  if (run.stopped === 'aborted') throw new ProviderError('Codex run aborted', { ...base, kind: 'aborted' })
  if (run.stopped === 'timeout') throw new ProviderError('Codex run passed its time limit', { ...base, kind: 'timeout' })
  if (reader.failure !== undefined) {
    const auth = /\b(401|403)\b|unauthori[sz]ed|invalid api key|authentication/i.test(reader.failure)
    throw new ProviderError(`Codex: ${reader.failure}`, { ...base, kind: auth ? 'auth' : 'api' })
  }
  if (reader.lastMessage === undefined) {
    const why = run.exitCode === 0 ? 'exited without a final message' : `exited with ${run.signal ?? `code ${run.exitCode}`} and no final message`
    throw new ProviderError(`Codex ${why}`, { ...base, kind: run.exitCode === 0 ? 'no-result' : 'exit' })
  }
  if (run.exitCode !== 0) {
    throw new ProviderError(`Codex exited with ${run.signal ?? `code ${run.exitCode}`}`, { ...base, kind: 'exit' })
  }
  if (Buffer.byteLength(reader.lastMessage) > maxOutputBytes) {
    throw new ProviderError(`Codex's response is over the role's cap of ${maxOutputBytes} bytes`, { ...base, kind: 'output-cap' })
  }
  return { text: reader.lastMessage, usage: reader.usage(), sessionId: reader.threadId }
}

export const codex: Provider = createCodex()
