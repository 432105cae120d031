// Every request the forge answered, for tests and benchmarks to count.
export interface RequestLogEntry {
  /** Milliseconds since the epoch, on the forge's clock. */
  time: number
  method: string
  /** Path with the query string. */
  path: string
  status: number
  /** The token's user, or null for anonymous or unknown tokens. */
  user: string | null
  /** Whether the request spent the caller's primary rate limit. */
  countedAgainstRateLimit: boolean
  /** api, git, oauth or admin. */
  kind: 'api' | 'git' | 'oauth' | 'admin' | 'other'
  /** The injected fault that answered it, if any. */
  fault?: string
  /**
   * The window this answer's `retry-after` announced (forge clock, ms): from
   * when the answer was sent until `until`, no request should arrive.
   */
  window?: { from: number; until: number }
  durationMs: number
}

export class RequestLog {
  private entries: RequestLogEntry[] = []
  constructor(private readonly max = 200_000) {}

  add(entry: RequestLogEntry): void {
    this.entries.push(entry)
    if (this.entries.length > this.max) this.entries.splice(0, this.entries.length - this.max)
  }
  list(): RequestLogEntry[] {
    return this.entries.slice()
  }
  clear(): void {
    this.entries = []
  }
}
