// The `codex` provider: OpenAI's Codex CLI in exec mode with JSON events, in
// the task's worktree, by the same adapter shape as claude-code:
//
//   codex exec --json --skip-git-repo-check --cd <worktree> --sandbox <mode>
//              --config approval_policy="never" [git roots] [endpoint config]
//              [--model <m>] [resume <thread id>] -
//   (the task prompt, with the role prompt first, on stdin: "-")
//
// Codex has no flag to append to its system prompt, so the role prompt leads
// the task prompt. Its final agent message carries the protocol lines.
// Checked with the real Codex CLI 0.171.0 (codex-cli.test.ts):
// - exec-level flags go before `resume`, which has no --cd or --sandbox of
//   its own; `resume <id> -` continues the thread with the prompt from stdin.
// - `--skip-git-repo-check`: Baton chooses the working folder, and a stage
//   with no worktree runs in a folder that is not a repository, where codex
//   would otherwise refuse with "Not inside a trusted directory".
// - the CLI ignores OPENAI_BASE_URL, and its built-in `openai` provider does
//   not read OPENAI_API_KEY (it reads CODEX_API_KEY or a login); without a
//   base URL it would try api.openai.com and wait for the network for ever.
//   So when the agent env sets OPENAI_BASE_URL, the run gets a provider of
//   its own, `baton`, speaking the Responses API at that URL with the key
//   from OPENAI_API_KEY, by `--config` pairs. (A partial
//   `[model_providers.baton]` table in config.toml is refused before those
//   pairs apply — "provider name must not be empty" — so tuning such as
//   request_max_retries goes in CodexOptions.config.) Without OPENAI_BASE_URL
//   the person's own codex config and login apply.
// - `workspace-write` keeps every `.git` read-only, and a worktree's git
//   folders live in the main clone, outside the worktree: `git commit` fails
//   with "Unable to create '…/.git/worktrees/<name>/index.lock': Read-only
//   file system". So in that mode the worktree's own git folder and the
//   clone's objects, refs and logs are added as writable roots (never its
//   hooks or config, which main's own git runs would obey).
// - usage on `turn.completed` is the thread's running total: on a resume the
//   provider subtracts what the thread's rollout file last recorded.
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { isAbsolute, join, relative, resolve } from 'node:path'
import type { Provider, ProviderContext, ProviderResult } from './types'
import { ProviderError } from './stream-errors'
import { startStreamProcess } from './stream-process'
import type { StreamProcessResult } from './stream-process'
import { CodexStreamReader, codexErrorCause, codexErrorStatus } from './stream-codex'
import type { CodexTokens } from './stream-codex'
import { buildTaskPrompt } from './stream-prompt'
import { packageBin } from './claude-code'
import { isRetryableStatus } from './stream-claude'
import { codexMcpConfig } from './mcp-config'

export const CODEX_PATH_ENV = 'BATON_CODEX_PATH'
/** The model provider id Baton defines when the agent env sets OPENAI_BASE_URL. */
export const CODEX_PROVIDER_ID = 'baton'

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

/** A TOML basic string (what `--config key=value` parses the value as). */
function tomlString(s: string): string {
  return JSON.stringify(s)
}

/** `--config` pairs pointing codex at OPENAI_BASE_URL, when the env sets it. */
export function codexEndpointConfig(env: NodeJS.ProcessEnv): string[] {
  const baseUrl = env.OPENAI_BASE_URL?.trim()
  if (!baseUrl) return []
  const p = `model_providers.${CODEX_PROVIDER_ID}`
  return [
    `model_provider=${tomlString(CODEX_PROVIDER_ID)}`,
    `${p}.name=${tomlString('OPENAI_BASE_URL (Baton)')}`,
    `${p}.base_url=${tomlString(baseUrl)}`,
    `${p}.env_key=${tomlString('OPENAI_API_KEY')}`,
    `${p}.wire_api=${tomlString('responses')}`
  ].flatMap((kv) => ['--config', kv])
}

/**
 * The git folders a commit in the worktree `cwd` writes outside it: the
 * worktree's git dir (HEAD, index) and the common dir's objects, refs and
 * logs. Empty when `cwd` is not a linked worktree.
 */
export function worktreeGitRoots(cwd: string): string[] {
  let gitDir: string
  try {
    const m = /^gitdir:\s*(.+?)\s*$/m.exec(readFileSync(join(cwd, '.git'), 'utf8'))
    if (!m?.[1]) return []
    gitDir = resolve(cwd, m[1])
  } catch {
    return [] // no .git, or a .git folder (a plain checkout, not a worktree)
  }
  let common: string
  try {
    common = resolve(gitDir, readFileSync(join(gitDir, 'commondir'), 'utf8').trim())
  } catch {
    return []
  }
  return [gitDir, ...['objects', 'refs', 'logs'].map((d) => join(common, d)).filter((d) => existsSync(d))]
}

export function codexArgs(ctx: ProviderContext, extraConfig: string[] = []): string[] {
  const sandbox = codexSandbox(ctx.settings.permissionMode)
  const args = ['exec', '--json', '--skip-git-repo-check', '--cd', ctx.cwd, '--sandbox', sandbox, '--config', 'approval_policy="never"']
  const gitRoots = sandbox === 'workspace-write' ? worktreeGitRoots(ctx.cwd) : []
  if (gitRoots.length > 0) args.push('--config', `sandbox_workspace_write.writable_roots=[${gitRoots.map(tomlString).join(', ')}]`)
  args.push(...codexEndpointConfig(ctx.env ?? {}))
  for (const kv of extraConfig) args.push('--config', kv)
  if (ctx.settings.model) args.push('--model', ctx.settings.model)
  const resume = ctx.resumeSession ?? ctx.trigger.resumeSession
  if (resume) args.push('resume', resume)
  args.push('-')
  return args
}

/**
 * Why Codex's command sandbox cannot work with this environment, or null.
 * On Linux Codex runs every command and patch through a helper it links into
 * `$CODEX_HOME/tmp/arg0`, and refuses to make it inside the temporary folder
 * ("Refusing to create helper binaries under temporary dir"); each command
 * then fails with "bwrap: execvp codex-linux-sandbox: No such file or
 * directory" while the turn goes on. Seen with 0.171.0 and a HOME under /tmp.
 */
export function codexHomeProblem(env: NodeJS.ProcessEnv, sandbox: string, platform: NodeJS.Platform = process.platform, temp: string = tmpdir()): string | null {
  if (platform !== 'linux' || sandbox === 'danger-full-access') return null
  const home = env.CODEX_HOME?.trim() || (env.HOME?.trim() ? join(env.HOME.trim(), '.codex') : '')
  if (!home) return null
  const inside = (dir: string): boolean => {
    const rel = relative(resolve(dir), resolve(home))
    return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))
  }
  if (!inside(temp) && !inside('/tmp')) return null
  return `Codex cannot sandbox its commands with CODEX_HOME at ${home}, inside the temporary folder: set CODEX_HOME (or HOME) to a folder outside ${inside(temp) ? temp : '/tmp'}`
}

export interface CodexOptions {
  /** SIGTERM → SIGKILL delay when stopping the CLI. Default 5 s. */
  killGraceMs?: number
  /** Stop at the first retry of a 401/403 instead of letting the CLI retry five times with backoff. Default true. */
  failFastOnAuth?: boolean
  /** More `--config key=value` pairs, after Baton's own (e.g. `model_providers.baton.stream_max_retries=0`). */
  config?: string[]
}

export function createCodex(options: CodexOptions = {}): Provider {
  return async (ctx) => {
    const command = resolveCodexExecutable(ctx)
    // Baton's MCP for this attempt (mcp-config.ts): its address by --config, its token in the CLI's environment only.
    const mcp = ctx.trigger.mcp ? codexMcpConfig(ctx.trigger.mcp) : undefined
    const args = codexArgs(ctx, [...(mcp?.config ?? []), ...(options.config ?? [])])
    // Said first in the live output: otherwise each command just fails while the
    // model goes on. Not refused: a turn that runs no command (a check, a
    // triage) still works.
    const homeProblem = codexHomeProblem(ctx.env ?? {}, codexSandbox(ctx.settings.permissionMode))
    if (homeProblem) ctx.progress(`warning: ${homeProblem}`)
    const reader = new CodexStreamReader()
    const resume = ctx.resumeSession ?? ctx.trigger.resumeSession
    // Codex reports the thread's running total; remember where it stood.
    const before = resume ? codexThreadUsage(ctx.env, resume) : undefined
    let authFailure = false
    const proc = startStreamProcess({
      command,
      args,
      cwd: ctx.cwd,
      env: mcp ? { ...ctx.env, ...mcp.env } : ctx.env,
      stdin: buildTaskPrompt(ctx.trigger, { rolePrompt: ctx.rolePrompt }),
      signal: ctx.signal,
      timeLimitMs: ctx.settings.timeLimitSec * 1000,
      killGraceMs: options.killGraceMs,
      onLine(line) {
        for (const p of reader.line(line)) ctx.progress(p)
        // Each completed turn's running total (no price: it counts against the token budgets).
        if (line.includes('"turn.completed"')) {
          const u = reader.usage(before)
          if (u) ctx.usage?.(u)
        }
        // Codex retries a refused key five times with backoff (about 7 s);
        // nothing changes between tries, so stop at the first.
        if ((options.failFastOnAuth ?? true) && !authFailure && reader.retryingRefusedKey) {
          authFailure = true
          proc.stop('requested')
        }
      }
    })
    const run = await proc.done
    return codexOutcome(command, args, run, reader, ctx.settings.maxOutputBytes, authFailure, before)
  }
}

export function codexOutcome(
  command: string,
  args: string[],
  run: StreamProcessResult,
  reader: CodexStreamReader,
  maxOutputBytes: number,
  /** We stopped the CLI at its first retry of a 401/403. */
  authFailure = false,
  /** The thread's usage before this run (a resume), subtracted from what codex reports. */
  before?: CodexTokens
): ProviderResult {
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
  if (authFailure) {
    const cause = codexErrorCause(reader.failure ?? 'unexpected status 401')
    throw new ProviderError(`Codex: the model endpoint refused the credentials: ${cause}`, {
      ...base,
      kind: 'auth',
      details: { ...base.details, status: codexErrorStatus(cause) }
    })
  }
  if (run.stopped === 'aborted') throw new ProviderError('Codex run aborted', { ...base, kind: 'aborted' })
  if (run.stopped === 'timeout') throw new ProviderError('Codex run passed its time limit', { ...base, kind: 'timeout' })
  if (reader.failure !== undefined) {
    // e.g. "unexpected status 401 Unauthorized: Incorrect API key provided: …, url: …"
    const status = codexErrorStatus(reader.failure)
    const auth = status === 401 || status === 403 || /unauthori[sz]ed|invalid api key|incorrect api key|authentication/i.test(reader.failure)
    throw new ProviderError(`Codex: ${reader.failure}`, {
      ...base,
      kind: auth ? 'auth' : 'api',
      retryable: auth ? false : isRetryableStatus(status),
      details: { ...base.details, status }
    })
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
  return { text: reader.lastMessage, usage: reader.usage(before), sessionId: reader.threadId }
}

/**
 * What a thread had used so far, from the last `token_count` event of its
 * rollout file ($CODEX_HOME/sessions/YYYY/MM/DD/rollout-<time>-<thread id>.jsonl,
 * CODEX_HOME defaulting to ~/.codex). Undefined when the file cannot be found
 * or read: the run's usage then is the thread's total, an overcount.
 */
export function codexThreadUsage(env: NodeJS.ProcessEnv, threadId: string): CodexTokens | undefined {
  const home = env.CODEX_HOME?.trim() || (env.HOME ? join(env.HOME, '.codex') : undefined)
  if (!home || !/^[\w-]+$/.test(threadId)) return undefined
  const file = findRollout(join(home, 'sessions'), `-${threadId}.jsonl`, 3)
  if (!file) return undefined
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
  const lines = text.split('\n')
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i] ?? ''
    if (!line.includes('"token_count"')) continue
    try {
      const u = (JSON.parse(line) as { payload?: { type?: string; info?: { total_token_usage?: Record<string, unknown> } | null } }).payload
      const t = u?.type === 'token_count' ? u.info?.total_token_usage : undefined
      if (!t) continue
      const n = (k: string): number => (typeof t[k] === 'number' ? t[k] : 0)
      return { input: n('input_tokens'), cached: n('cached_input_tokens'), cacheWrite: n('cache_write_input_tokens'), output: n('output_tokens') }
    } catch {
      // a torn line: look further back
    }
  }
  return undefined
}

/** The file under `dir` (YYYY/MM/DD folders, newest first) whose name ends with `suffix`. */
function findRollout(dir: string, suffix: string, depth: number): string | undefined {
  let names: string[]
  try {
    names = readdirSync(dir).sort().reverse()
  } catch {
    return undefined
  }
  if (depth === 0) {
    const hit = names.find((n) => n.startsWith('rollout-') && n.endsWith(suffix))
    return hit === undefined ? undefined : join(dir, hit)
  }
  for (const name of names) {
    const found = findRollout(join(dir, name), suffix, depth - 1)
    if (found) return found
  }
  return undefined
}

export const codex: Provider = createCodex()
