// GitHub's primary rate limit (a budget per token per hour) and the opt-in
// secondary limit on mutations that come too fast.
export interface RateWindow {
  limit: number
  used: number
  /** Unix seconds when the window resets. */
  reset: number
}

export class RateLimiter {
  private windows = new Map<string, RateWindow>()
  private lastMutation = new Map<string, number>()

  constructor(private readonly now: () => number) {}

  /** The window for a key, starting a fresh hour when the last one has passed. */
  window(key: string, limit: number): RateWindow {
    const nowS = Math.floor(this.now() / 1000)
    let w = this.windows.get(key)
    if (!w || nowS >= w.reset) {
      w = { limit, used: 0, reset: nowS + 3600 }
      this.windows.set(key, w)
    }
    w.limit = limit
    return w
  }

  spend(w: RateWindow): void {
    w.used++
  }

  headers(w: RateWindow): Record<string, string> {
    return {
      'x-ratelimit-limit': String(w.limit),
      'x-ratelimit-remaining': String(Math.max(0, w.limit - w.used)),
      'x-ratelimit-used': String(w.used),
      'x-ratelimit-reset': String(w.reset),
      'x-ratelimit-resource': 'core'
    }
  }

  /** Seconds to wait when a mutation from `key` came sooner than `minIntervalMs` after the last; 0 lets it through. */
  secondary(key: string, minIntervalMs: number): number {
    const t = this.now()
    const last = this.lastMutation.get(key)
    if (last !== undefined && t - last < minIntervalMs) return Math.max(1, Math.ceil((minIntervalMs - (t - last)) / 1000))
    this.lastMutation.set(key, t)
    return 0
  }

  reset(): void {
    this.windows.clear()
    this.lastMutation.clear()
  }
}
