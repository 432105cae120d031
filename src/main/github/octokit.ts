// One Octokit per connection: @octokit/rest with the retry plugin for 5xx and
// network errors, and Baton's gate for rate limits.
//
// Who owns a 429 (DESIGN.md §3): the gate, always. GitHub answers a spent or
// secondary limit with 403 or 429 and `retry-after`, or `x-ratelimit-remaining:
// 0` and a reset time. The throttling plugin retries the one request that hit
// the limit but lets every other request through meanwhile, and ignores a bare
// 429 with Retry-After; so the gate closes for everyone until the window
// passes (retry-after, else the reset time when nothing is left, else at
// least 60 s), then retries. A window longer than `maxWaitMs` (a spent
// primary budget: up to an hour) is not waited out: that call and every call
// until the window closes fail at once with rate_limited, without being sent.
// The retry plugin is told never to retry 403/429.
//
// The gate sits inside the retry plugin (it is a plugin registered before
// retry; Octokit's hooks wrap in the order they are added, the last
// outermost), so the plugin's re-sends of a 5xx pass through it like first
// tries: they wait for an open window and take their place in the write
// queue. With the gate outside, as it was, the plugin re-sent 5xx answers
// inside Retry-After windows (14 times in 42 windows on the fault test). A
// 5xx that names a Retry-After (GitHub's 503 in an outage) opens a window too.
//
// Write spacing: mutations one at a time, about a second apart, by the gate's
// own queue, not @octokit/plugin-throttling. That plugin would have to be
// told to leave every limit to the gate (its handlers only say "no"), its
// 3 s `notifications` group and its process-wide Bottleneck groups replaced
// to make the gap injectable (0 in tests and the sandbox, an injected clock
// in the gate's tests): what would be left of it is a queue of one, which is
// what the few lines below are. See docs/ARCHITECTURE.md, "GitHub".
import { Octokit } from '@octokit/rest'
import { retry } from '@octokit/plugin-retry'
import { AppError } from '../../shared/errors'
import type { Logger } from '../log'

type OctokitPlugin = Parameters<typeof Octokit.plugin>[0]
type CoreOctokit = Parameters<OctokitPlugin>[0]
// The type of a `request` wrap hook, which Octokit does not name (a type only: nothing is emitted).
declare const _core: CoreOctokit
type RequestHook = Parameters<typeof _core.hook.wrap<'request'>>[1]

/** Registers a connection's gate (the `gate` option) before the retry plugin, so the gate is inside every retry. */
function gatePlugin(octokit: CoreOctokit, options: Parameters<OctokitPlugin>[1]): void {
  const gate = options.gate as RequestHook | undefined
  if (gate) octokit.hook.wrap('request', gate)
}

const BatonOctokit = Octokit.plugin(gatePlugin, retry)
export type GitHub = InstanceType<typeof BatonOctokit>

export interface RateState {
  limit: number | null
  remaining: number | null
  resetAt: string | null
  /** Until when no request is sent (a Retry-After window), or null. */
  blockedUntil: string | null
  offline: boolean
}

export interface GateTiming {
  /** Gap between mutations (GitHub asks for about 1 s). */
  writeGapMs: number
  /** The least wait on a limit without retry-after or reset (GitHub says at least 60 s). */
  minLimitWaitMs: number
  /** Retries of one request through limit windows before giving up. */
  maxLimitRetries: number
  /** A window longer than this is not waited out: calls fail at once with rate_limited until it closes. */
  maxWaitMs: number
  /** Retries of a 5xx or network error (the retry plugin; never a POST). */
  retries: number
  /** Base of the retry plugin's back-off ((n+1)² × base ms). */
  retryBaseMs: number
  sleep: (ms: number) => Promise<void>
  now: () => number
}

export const DEFAULT_TIMING: GateTiming = {
  writeGapMs: 1000,
  minLimitWaitMs: 60_000,
  maxLimitRetries: 3,
  maxWaitMs: 120_000,
  retries: 2,
  retryBaseMs: 1000,
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  now: () => Date.now()
}

export interface OctokitOptions {
  baseUrl: string
  token: string
  log?: Logger
  timing?: Partial<GateTiming>
  onState?: (state: RateState) => void
  /** Every request sent (a retry too) and its answer's status, or null with no answer (metrics/registry.ts counts them). */
  onResponse?: (method: string, status: number | null) => void
}

const MUTATIONS = new Set(['POST', 'PATCH', 'PUT', 'DELETE'])

interface HttpError {
  status?: number
  message?: string
  response?: { headers?: Record<string, unknown> }
}

/** `retry-after` in ms: seconds (GitHub's form) or an HTTP date (RFC 9110 allows both); null when absent or unreadable. */
export function retryAfterMs(headers: Record<string, unknown>, now: number): number | null {
  const value = headers['retry-after']
  if (value === undefined || value === null || String(value).trim() === '') return null
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : null
  const at = Date.parse(String(value))
  return Number.isFinite(at) ? Math.max(at - now, 0) : null
}

/** How long a rate-limited answer asks us to wait, or null when it is not a rate limit (a plain 403 is a permission). */
export function limitWaitMs(error: HttpError, now: number, minLimitWaitMs: number): number | null {
  if (error.status !== 403 && error.status !== 429) return null
  const headers = error.response?.headers ?? {}
  const retryAfter = retryAfterMs(headers, now)
  if (retryAfter !== null) return retryAfter
  if (String(headers['x-ratelimit-remaining']) === '0') {
    const reset = Number(headers['x-ratelimit-reset']) * 1000
    // One second past the reset, as GitHub advises.
    if (Number.isFinite(reset) && reset > 0) return Math.max(reset - now + 1000, 0)
    return minLimitWaitMs
  }
  if (error.status === 429 || /rate limit/i.test(error.message ?? '')) return minLimitWaitMs
  return null
}

/** How long a 5xx answer asks us to wait (its `retry-after`), or null: a 5xx without one is the retry plugin's alone. */
export function unavailableWaitMs(error: HttpError, now: number): number | null {
  if (!error.response || (error.status ?? 0) < 500) return null
  return retryAfterMs(error.response.headers ?? {}, now)
}

export function createOctokit(options: OctokitOptions): { octokit: GitHub; state: () => RateState } {
  const timing = { ...DEFAULT_TIMING, ...options.timing }
  const state: RateState = { limit: null, remaining: null, resetAt: null, blockedUntil: null, offline: false }
  let blockedUntil = 0
  /** What opened the window that lasts longest: a rate limit, or GitHub being unavailable. */
  let blockedBy: 'limit' | 'unavailable' = 'limit'
  let writeChain: Promise<unknown> = Promise.resolve()
  let lastWrite = 0
  const changed = () => options.onState?.({ ...state })

  const observe = (headers: Record<string, unknown> | undefined) => {
    if (!headers) return
    const limit = Number(headers['x-ratelimit-limit'])
    const remaining = Number(headers['x-ratelimit-remaining'])
    const reset = Number(headers['x-ratelimit-reset'])
    if (Number.isFinite(limit)) state.limit = limit
    if (Number.isFinite(remaining)) state.remaining = remaining
    if (Number.isFinite(reset) && reset > 0) state.resetAt = new Date(reset * 1000).toISOString()
  }

  const refuse = () => {
    const resetAt = new Date(blockedUntil).toISOString()
    if (blockedBy === 'unavailable') {
      return new AppError('unavailable', `GitHub is unavailable and asked Baton to wait until ${resetAt.slice(11, 16)} UTC. Baton tries again by itself after that.`, { resetAt })
    }
    return new AppError('rate_limited', `GitHub's rate limit is spent; it resets at ${resetAt.slice(11, 16)} UTC. Baton tries again by itself after that.`, { resetAt })
  }

  /** No request is sent for `waitMs` from now; a window only ever widens, never shrinks. */
  const widen = (waitMs: number, cause: typeof blockedBy) => {
    const until = timing.now() + waitMs
    if (until > blockedUntil) {
      blockedUntil = until
      blockedBy = cause
    }
    state.blockedUntil = new Date(blockedUntil).toISOString()
  }

  // Every request, first try or the retry plugin's re-send, comes through here.
  const gate: RequestHook = async (request, requestOptions) => {
    const mutation = MUTATIONS.has(String(requestOptions.method))
    // A POST whose answer was lost may have been applied: sending it again
    // would post twice. Only the caller, who can look first (a comment's
    // marker, a branch's PR), may repeat it. PUT, PATCH and DELETE set a state
    // and are safe to resend. (The options object is the one the retry plugin
    // reads when the answer is an error.)
    if (requestOptions.method === 'POST') requestOptions.request = { ...requestOptions.request, retries: 0 }
    const send = async () => {
      for (let attempt = 0; ; attempt++) {
        // Re-read after every sleep: another request may have widened the window meanwhile.
        for (let wait = blockedUntil - timing.now(); wait > 0; wait = blockedUntil - timing.now()) {
          if (wait > timing.maxWaitMs) throw refuse()
          await timing.sleep(wait)
        }
        try {
          const response = await request(requestOptions)
          options.onResponse?.(String(requestOptions.method), response.status)
          observe(response.headers as Record<string, unknown>)
          if (state.offline) {
            state.offline = false
          }
          changed()
          return response
        } catch (error) {
          const e = error as HttpError
          options.onResponse?.(String(requestOptions.method), e.response ? (e.status ?? null) : null)
          observe(e.response?.headers)
          if (!e.response) {
            // No answer at all: the network (Octokit reports it as a 500 without a response).
            state.offline = true
            changed()
          } else if (state.offline) {
            state.offline = false
            changed()
          }
          const outage = unavailableWaitMs(e, timing.now())
          if (outage !== null) {
            // The retry plugin re-sends it (never a POST); its re-send, and every
            // other request, waits here for this window.
            widen(outage, 'unavailable')
            options.log?.info(`GitHub unavailable (${e.status}): waiting ${Math.ceil(outage / 1000)} s before any request`)
            changed()
            throw error
          }
          const waitMs = limitWaitMs(e, timing.now(), timing.minLimitWaitMs)
          if (waitMs === null) throw error
          widen(waitMs, 'limit')
          if (attempt >= timing.maxLimitRetries || waitMs > timing.maxWaitMs) {
            changed()
            throw error
          }
          options.log?.info(`GitHub rate limit (${e.status}): waiting ${Math.ceil(waitMs / 1000)} s before any request`)
          changed()
        }
      }
    }
    if (!mutation) return send()
    // Mutations one at a time, about a second apart (GitHub's secondary limits).
    const run = writeChain.then(async () => {
      const gap = lastWrite + timing.writeGapMs - timing.now()
      if (gap > 0) await timing.sleep(gap)
      try {
        return await send()
      } finally {
        lastWrite = timing.now()
      }
    })
    writeChain = run.catch(() => undefined)
    return run
  }

  const octokit = new BatonOctokit({
    gate,
    baseUrl: options.baseUrl.replace(/\/$/, ''),
    auth: options.token,
    userAgent: 'Baton',
    // Retries for 5xx and the network only: 304 is a cache hit, 403/429 belong to the gate.
    retry: { retries: timing.retries, retryAfterBaseValue: timing.retryBaseMs, doNotRetry: [304, 400, 401, 403, 404, 405, 409, 410, 422, 429, 451] },
    log: {
      debug: () => undefined,
      info: () => undefined,
      warn: (m: string) => options.log?.debug(`octokit: ${m}`),
      error: (m: string) => options.log?.debug(`octokit: ${m}`)
    }
  })

  return { octokit, state: () => ({ ...state, blockedUntil: blockedUntil > timing.now() ? new Date(blockedUntil).toISOString() : null }) }
}

/** GitHub's errors as messages for a person. */
export function describeGitHubError(error: unknown, what: string): AppError {
  if (error instanceof AppError) return error
  const e = error as { status?: number; message?: string; response?: { headers?: Record<string, string>; data?: { message?: string } } }
  const message = e.response?.data?.message ?? e.message ?? String(error)
  switch (e.response ? e.status : undefined) {
    case undefined:
      return new AppError('offline', `GitHub could not be reached (${what}): ${message}. Baton keeps trying by itself.`)
    case 401:
      return new AppError('unauthorized', 'GitHub rejected the token (401 Bad credentials). Sign in again with a valid token.')
    case 403: {
      const h = e.response?.headers ?? {}
      if (h['x-ratelimit-remaining'] === '0' || /rate limit/i.test(message)) {
        const reset = Number(h['x-ratelimit-reset'])
        const resetAt = reset ? new Date(reset * 1000).toISOString() : null
        return new AppError('rate_limited', `GitHub's rate limit is spent${resetAt ? `; it resets at ${resetAt.slice(11, 16)} UTC` : ''}.`, { resetAt })
      }
      return new AppError('forbidden', `GitHub refused ${what}: ${message}`)
    }
    case 404:
      return new AppError('not_found', `${what}: not found on GitHub, or the token cannot see it.`)
    case 429:
      return new AppError('rate_limited', `GitHub asked Baton to slow down (${what}). It retries by itself.`)
    default:
      return new AppError((e.status ?? 500) >= 500 ? 'unavailable' : 'bad_request', `GitHub answered ${e.status} to ${what}: ${message}`)
  }
}
