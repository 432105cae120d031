// The error a provider throws when its child process did not produce a
// response: what ran, how it ended, the tail of what it printed, and whether
// running it again can help (like Desktop's GitError and BullMQ's
// UnrecoverableError, STYLE.md "Errors that carry their context").
export type ProviderErrorKind =
  /** The executable could not be found or started. */
  | 'not-found'
  /** The model endpoint refused the credentials (401/403): a retry cannot help. */
  | 'auth'
  /** The model endpoint failed (5xx, 429, overloaded, network). */
  | 'api'
  /** The process exited non-zero, or exited without a final result. */
  | 'exit'
  | 'no-result'
  /** The caller aborted the run (task cancelled). */
  | 'aborted'
  /** The role's time limit passed. */
  | 'timeout'
  /** The output passed the role's size cap. */
  | 'output-cap'
  /** The process finished but reported an error of its own (max turns, bad input, …). */
  | 'failed'

const RETRYABLE: Record<ProviderErrorKind, boolean> = {
  'not-found': false,
  auth: false,
  api: true,
  exit: true,
  'no-result': true,
  aborted: false,
  timeout: true,
  'output-cap': false,
  failed: false
}

export interface ProviderErrorDetails {
  kind: ProviderErrorKind
  /** The executable that ran. */
  command: string
  /** Its arguments (long ones shortened; the prompt goes on stdin, never here). */
  args: string[]
  exitCode?: number | null
  signal?: string | null
  /** The last part of stderr (or of stdout when that is where the CLI complained). */
  stderrTail?: string
  /** Overrides the default for the kind, e.g. a 4xx API error is not worth a retry. */
  retryable?: boolean
  /** Extra facts: HTTP status, session id, the CLI's own error text. */
  details?: Record<string, unknown>
}

export class ProviderError extends Error {
  readonly kind: ProviderErrorKind
  readonly retryable: boolean
  readonly command: string
  readonly args: string[]
  readonly exitCode: number | null
  readonly signal: string | null
  readonly stderrTail: string
  readonly details: Record<string, unknown>

  constructor(message: string, d: ProviderErrorDetails) {
    const tail = d.stderrTail?.trim()
    super(tail ? `${message}\n--- output tail ---\n${tail}` : message)
    this.name = 'ProviderError'
    this.kind = d.kind
    this.retryable = d.retryable ?? RETRYABLE[d.kind]
    this.command = d.command
    this.args = d.args.map(shorten)
    this.exitCode = d.exitCode ?? null
    this.signal = d.signal ?? null
    this.stderrTail = d.stderrTail ?? ''
    this.details = d.details ?? {}
  }

  /** The command line as a person would read it (for logs; never run through a shell). */
  get commandLine(): string {
    return [this.command, ...this.args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ')
  }
}

function shorten(arg: string): string {
  return arg.length > 200 ? `${arg.slice(0, 200)}…(${arg.length} chars)` : arg
}
