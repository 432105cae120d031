// Running git for the workspaces: argument arrays only (no shell, so a branch
// or an issue title can never become a command), no prompt that could hang,
// and errors that carry what ran and what git said (like Desktop's GitError).
import { spawn } from 'node:child_process'
import { withoutCredentials } from '../secrets/env-secrets'

export interface GitRunOptions {
  cwd: string
  /** Extra variables for this run only (credentials travel here, never in args). */
  env?: Record<string, string>
  /** Written to git's stdin. */
  input?: string
  /** Exit codes that are not failures (default [0]). */
  okCodes?: number[]
  /** Kill git after this long (default 5 min). */
  timeoutMs?: number
  gitPath?: string
}

export interface GitResult {
  stdout: string
  stderr: string
  code: number
}

export class GitError extends Error {
  constructor(
    readonly args: string[],
    readonly cwd: string,
    readonly code: number | null,
    readonly stderr: string,
    readonly stdout: string,
    readonly signal: NodeJS.Signals | null = null
  ) {
    const said = (stderr.trim() || stdout.trim()).split('\n').slice(-5).join('\n')
    super(`git ${args.join(' ')} failed in ${cwd} (${signal ? `signal ${signal}` : `exit ${code}`})${said ? `: ${said}` : ''}`)
    this.name = 'GitError'
  }
}

/** The environment every git run gets: never a prompt (a missing credential fails at once). */
export function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  // Our own credentials come only through `extra` (and only for commands that
  // talk to the remote); no token variable or askpass helper is inherited.
  return { ...withoutCredentials(process.env), GIT_TERMINAL_PROMPT: '0', GCM_INTERACTIVE: 'never', ...extra }
}

export function runGit(args: string[], o: GitRunOptions): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(o.gitPath ?? 'git', args, { cwd: o.cwd, env: gitEnv(o.env), stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (c: Buffer) => out.push(c))
    child.stderr.on('data', (c: Buffer) => err.push(c))
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 300_000)
    child.on('error', (e) => {
      clearTimeout(timer)
      reject(new GitError(args, o.cwd, null, e.message, ''))
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const stdout = Buffer.concat(out).toString('utf8')
      const stderr = Buffer.concat(err).toString('utf8')
      if (code !== null && (o.okCodes ?? [0]).includes(code)) resolve({ stdout, stderr, code })
      else reject(new GitError(args, o.cwd, code, stderr, stdout, signal))
    })
    child.stdin.on('error', () => undefined)
    child.stdin.end(o.input ?? '')
  })
}
