// Whether a model provider can run, in words a person can act on (Settings →
// Providers, `baton providers`): is its CLI there (BATON_CLAUDE_PATH /
// BATON_CODEX_PATH, Baton's bundled copy, or PATH — the order the providers
// resolve it in), which version, and can it authenticate (a key Baton holds,
// an environment variable, the CLI's own sign-in). The Check runs one short
// real turn through the same provider code the runner uses, in a temp folder
// with a tiny prompt and the environment that provider's agents get, and
// reports its answer, time and cost.
import { execFile } from 'node:child_process'
import { accessSync, constants, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, isAbsolute, join } from 'node:path'
import type { ModelProvider, ProviderCheck, ProviderStatus } from '../../shared/api'
import { stripAnsi } from '../../shared/ansi'
import type { Trigger } from '../../shared/protocol/trigger'
import { redact } from '../log'
import type { ProviderKeys } from '../secrets/provider-keys'
import { KEY_VARIABLE } from '../secrets/provider-keys'
import { agentEnvironment } from './agent-env'
import { CLAUDE_PATH_ENV, createClaudeCode, packageBin } from './providers/claude-code'
import { CODEX_PATH_ENV, createCodex } from './providers/codex'
import { ProviderError } from './providers/stream-errors'
import type { Provider } from './providers/types'

interface Spec {
  title: string
  pathEnv: string
  pkg: string
  bin: string
  keyName: string
  login: string
}

const SPECS: Record<ModelProvider, Spec> = {
  'claude-code': { title: 'Claude Code', pathEnv: CLAUDE_PATH_ENV, pkg: '@anthropic-ai/claude-code', bin: 'claude', keyName: 'an Anthropic API key', login: 'claude /login' },
  codex: { title: 'Codex', pathEnv: CODEX_PATH_ENV, pkg: '@openai/codex', bin: 'codex', keyName: 'an OpenAI API key', login: 'codex login' }
}

export interface ProviderStatusOptions {
  /** Main's environment (secrets taken out of process.env). */
  env: NodeJS.ProcessEnv
  keys: ProviderKeys
  /** Roles running each provider now. */
  rolesOf?: (provider: ModelProvider) => string[]
  /** Baton's bundled copy of a CLI (default: the npm package's bin); tests make it absent. */
  bundled?: (provider: ModelProvider) => string | undefined
  /** `--version` and the Check are stopped past these. */
  versionTimeoutMs?: number
  checkTimeoutSec?: number
  /** The providers as the runner has them (tests inject options such as no retries). */
  providers?: Partial<Record<ModelProvider, Provider>>
}

export interface Located {
  path: string | null
  source: 'env' | 'bundled' | 'path' | null
  problem: string | null
}

function executable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false
    if (process.platform !== 'win32') accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** `name` on PATH, as spawn would find it. */
export function onPath(name: string, env: NodeJS.ProcessEnv): string | null {
  const exts = process.platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : ['']
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue
    for (const ext of exts) {
      const candidate = join(dir, name + ext)
      if (executable(candidate)) return candidate
    }
  }
  return null
}

export function installHint(provider: ModelProvider): string {
  const s = SPECS[provider]
  return `install it with \`npm install -g ${s.pkg}\` (or put \`${s.bin}\` on PATH), or set ${s.pathEnv} to its path`
}

/** Where the provider's CLI is, in the order the provider resolves it (providers/claude-code.ts, codex.ts). */
export function locateCli(provider: ModelProvider, env: NodeJS.ProcessEnv, bundled: (p: ModelProvider) => string | undefined): Located {
  const s = SPECS[provider]
  const configured = env[s.pathEnv]?.trim()
  if (configured) {
    const path = isAbsolute(configured) ? configured : onPath(configured, env)
    if (path && executable(path)) return { path, source: 'env', problem: null }
    return { path: null, source: null, problem: `${s.title} is not installed where ${s.pathEnv} says ("${configured}" is not an executable file): fix the variable, or remove it to use Baton's own copy` }
  }
  const own = bundled(provider)
  if (own && existsSync(own)) return { path: own, source: 'bundled', problem: null }
  const found = onPath(s.bin, env)
  if (found) return { path: found, source: 'path', problem: null }
  return { path: null, source: null, problem: `${s.title} is not installed: ${installHint(provider)}` }
}

function readVersion(path: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ version: string | null; problem: string | null }> {
  return new Promise((resolve) => {
    execFile(path, ['--version'], { env, timeout: timeoutMs, killSignal: 'SIGKILL', encoding: 'utf8', windowsHide: true }, (error, stdout, stderr) => {
      const line = stripAnsi(String(stdout || stderr)).split('\n').map((l) => l.trim()).find((l) => l !== '') ?? ''
      if (error) {
        const timedOut = (error as { killed?: boolean }).killed === true
        resolve({ version: null, problem: timedOut ? `\`${path} --version\` did not answer within ${Math.round(timeoutMs / 1000)} s` : `\`${path} --version\` failed: ${redact(line || error.message).slice(0, 200)}` })
      } else resolve({ version: line.slice(0, 120) || null, problem: line ? null : `\`${path} --version\` printed nothing` })
    })
  })
}

export interface AuthState {
  ready: boolean
  source: ProviderStatus['auth']['source']
  detail: string
}

/** How the provider would authenticate, best first; never reads a key's value into the answer. */
export function authOf(provider: ModelProvider, env: NodeJS.ProcessEnv, keys: ProviderKeys): AuthState {
  const s = SPECS[provider]
  if (keys.get(provider)) return { ready: true, source: 'baton', detail: `${s.keyName[0]?.toUpperCase()}${s.keyName.slice(1)} kept by Baton` }
  const home = env.HOME ?? env.USERPROFILE ?? ''
  if (provider === 'claude-code') {
    if (env.ANTHROPIC_API_KEY) return { ready: true, source: 'env', detail: "ANTHROPIC_API_KEY in Baton's environment" }
    if (env.CLAUDE_CODE_USE_BEDROCK) return { ready: true, source: 'cloud', detail: 'Amazon Bedrock (CLAUDE_CODE_USE_BEDROCK)' }
    if (env.CLAUDE_CODE_USE_VERTEX) return { ready: true, source: 'cloud', detail: 'Google Vertex AI (CLAUDE_CODE_USE_VERTEX)' }
    const file = join(env.CLAUDE_CONFIG_DIR?.trim() || join(home, '.claude'), '.credentials.json')
    if (home && existsSync(file)) return { ready: true, source: 'login', detail: `Claude Code's own sign-in (${file})` }
  } else {
    if (env.OPENAI_API_KEY) return { ready: true, source: 'env', detail: "OPENAI_API_KEY in Baton's environment" }
    if (env.CODEX_API_KEY) return { ready: true, source: 'env', detail: "CODEX_API_KEY in Baton's environment" }
    const file = join(env.CODEX_HOME?.trim() || join(home, '.codex'), 'auth.json')
    if (home && existsSync(file)) return { ready: true, source: 'login', detail: `Codex's own sign-in (${file})` }
  }
  return { ready: false, source: null, detail: 'no key and no sign-in found' }
}

/** What to do when the provider cannot authenticate, in words. */
export function signInHint(provider: ModelProvider): string {
  const s = SPECS[provider]
  return `${s.title} is not signed in: add ${s.keyName} in Settings → Providers, or run \`${s.login}\``
}

/**
 * Whether a role may switch to the provider now (no version probe: quick).
 * `refuse`: it cannot run at all (no CLI); `warn`: it may not authenticate.
 */
export function readiness(provider: ModelProvider, o: Pick<ProviderStatusOptions, 'env' | 'keys' | 'bundled'>): { refuse: string | null; warn: string | null } {
  const cli = locateCli(provider, o.env, o.bundled ?? defaultBundled)
  if (!cli.path) return { refuse: cli.problem, warn: null }
  const auth = authOf(provider, o.env, o.keys)
  return { refuse: null, warn: auth.ready ? null : `${signInHint(provider)}. Until then its tasks fail.` }
}

function defaultBundled(provider: ModelProvider): string | undefined {
  const s = SPECS[provider]
  return packageBin(s.pkg, s.bin)
}

/** The tiny task a Check sends: no tools, no files, one line back. */
export function checkTrigger(provider: ModelProvider): Trigger {
  return {
    v: 1,
    task: 't_check',
    attempt: 1,
    agent: 'check',
    role: 'check',
    stage: 'check',
    repo: { owner: 'baton', name: 'provider-check', defaultBranch: 'main' },
    issue: { number: 1, title: `Is ${SPECS[provider].title} ready?`, body: 'A connection check from Baton Settings → Providers.', labels: [], author: 'baton', comments: [] },
    workspace: null,
    instructions: 'This is only a connection check. Do not use any tool and do not read or change any file. Answer with exactly one line: DONE: ready',
    handoffs: [],
    notes: [],
    deadline: new Date(Date.now() + 5 * 60_000).toISOString()
  }
}

export class ProviderStatusService {
  private readonly running = new Map<ModelProvider, Promise<ProviderCheck>>()
  private readonly versions = new Map<string, { version: string | null; problem: string | null }>()

  constructor(private readonly o: ProviderStatusOptions) {}

  /** The environment that provider's agents get: main's, the held keys over it, through the allow-list. */
  agentEnv(provider: ModelProvider): NodeJS.ProcessEnv {
    return agentEnvironment({ ...this.o.env, ...this.o.keys.env() }, {}, provider)
  }

  async status(provider: ModelProvider): Promise<ProviderStatus> {
    const s = SPECS[provider]
    const located = locateCli(provider, this.o.env, this.o.bundled ?? defaultBundled)
    let version: string | null = null
    let problem = located.problem
    if (located.path) {
      // The version of one file does not change while it stays the same file.
      let stamp = located.path
      try {
        stamp += `:${statSync(located.path).mtimeMs}`
      } catch {
        /* read it again */
      }
      const known = this.versions.get(stamp) ?? (await readVersion(located.path, this.agentEnv(provider), this.o.versionTimeoutMs ?? 15_000))
      if (!known.problem) this.versions.set(stamp, known)
      version = known.version
      problem = known.problem
    }
    const auth = authOf(provider, this.o.env, this.o.keys)
    const described = this.o.keys.describe()
    const installed = located.path !== null
    return {
      provider,
      title: s.title,
      cli: { installed, path: located.path, source: located.source, version, problem },
      auth,
      key: { held: this.o.keys.get(provider) !== null, variable: KEY_VARIABLE[provider], storage: described.storage, warning: described.warning },
      ready: installed && auth.ready,
      todo: !installed ? located.problem : !auth.ready ? signInHint(provider) : null,
      roles: this.o.rolesOf?.(provider) ?? []
    }
  }

  /** One short real turn; one at a time per provider (a second Check shares the first). */
  check(provider: ModelProvider, model?: string): Promise<ProviderCheck> {
    const running = this.running.get(provider)
    if (running) return running
    const p = this.runCheck(provider, model).finally(() => this.running.delete(provider))
    this.running.set(provider, p)
    return p
  }

  private async runCheck(provider: ModelProvider, model?: string): Promise<ProviderCheck> {
    const checkedAt = new Date().toISOString()
    const fail = (error: string, todo: string | null, durationMs = 0): ProviderCheck => ({ provider, ok: false, answer: null, durationMs, costUsd: null, tokens: null, error: redact(error), todo, checkedAt })
    const located = locateCli(provider, this.o.env, this.o.bundled ?? defaultBundled)
    if (!located.path) return fail(located.problem ?? `${SPECS[provider].title} is not installed`, installHint(provider))
    const auth = authOf(provider, this.o.env, this.o.keys)
    if (!auth.ready) return fail(signInHint(provider), `add ${SPECS[provider].keyName} below, or run \`${SPECS[provider].login}\``)

    const run = this.o.providers?.[provider] ?? (provider === 'claude-code' ? createClaudeCode({ killGraceMs: 1000 }) : createCodex({ killGraceMs: 1000 }))
    const cwd = mkdtempSync(join(tmpdir(), 'baton-check-'))
    const started = performance.now()
    try {
      const result = await run({
        trigger: checkTrigger(provider),
        rolePrompt: 'You are checking that Baton can reach you. Answer in one line.',
        settings: {
          provider,
          ...(model ? { model } : {}),
          // Nothing to write: Claude Code asks before edits (and print mode refuses), Codex gets a read-only sandbox.
          permissionMode: provider === 'codex' ? 'read-only' : 'default',
          allowedTools: [],
          command: located.path,
          timeLimitSec: this.o.checkTimeoutSec ?? 90,
          maxOutputBytes: 64 * 1024
        },
        cwd,
        signal: new AbortController().signal,
        progress: () => undefined,
        env: this.agentEnv(provider)
      })
      const durationMs = Math.round(performance.now() - started)
      const answer = redact(stripAnsi(result.text)).trim().split('\n').slice(0, 5).join('\n').slice(0, 500)
      const cost = result.usage?.costUsd
      return {
        provider,
        ok: true,
        answer: answer || '(an empty answer)',
        durationMs,
        costUsd: cost !== undefined && cost > 0 ? cost : null,
        tokens: result.usage ? { input: result.usage.inputTokens + result.usage.cacheReadTokens + result.usage.cacheWriteTokens, output: result.usage.outputTokens } : null,
        error: null,
        todo: null,
        checkedAt
      }
    } catch (error) {
      const durationMs = Math.round(performance.now() - started)
      const message = (error as Error).message.split('\n--- output tail ---')[0] ?? String(error)
      if (error instanceof ProviderError && error.kind === 'auth') {
        const how = auth.source === 'baton' ? 'replace the key in Settings → Providers' : auth.source === 'env' ? 'fix the key in that environment variable, or add another in Settings → Providers' : `sign in again (\`${SPECS[provider].login}\`) or add ${SPECS[provider].keyName} in Settings → Providers`
        const what = auth.source === 'baton' ? `the ${SPECS[provider].keyName.replace(/^an /, '')} kept by Baton` : auth.source === 'login' ? `${SPECS[provider].title}'s own sign-in` : auth.detail
        // "Claude Code: the model endpoint refused the credentials (HTTP 401 …)": keep what the endpoint said.
        const said = message.replace(/^(Claude Code|Codex): the model endpoint refused the credentials:?\s*/, '').replace(/^\((.*)\)$/, '$1')
        return fail(`The model endpoint refused ${what}${said ? ` (${said})` : ''}`, how, durationMs)
      }
      if (error instanceof ProviderError && error.kind === 'not-found') return fail(message, installHint(provider), durationMs)
      if (error instanceof ProviderError && error.kind === 'timeout') return fail(`${SPECS[provider].title} did not answer within ${this.o.checkTimeoutSec ?? 90} s`, 'check the network and the endpoint, then try again', durationMs)
      return fail(message, null, durationMs)
    } finally {
      rmSync(cwd, { recursive: true, force: true })
    }
  }
}
