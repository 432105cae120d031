// One Octokit per connection: @octokit/rest with three layers around each
// request, innermost first:
//
//   gate        (Baton)  holds every send while a rate-limit window is open,
//                        and owns every rate-limit answer (403/429).
//   throttling  (plugin) concurrency, and mutations one at a time about a
//                        second apart (its `write` group, given here so the
//                        gap is injectable; 0 in tests). Its `notifications`
//                        group (3 s between comments and issues) is replaced
//                        by a pass-through: the write gap already spaces them.
//   retry       (plugin) 5xx and network errors, a couple of times — but never
//                        a POST: a POST whose answer was lost may have been
//                        applied (a comment, an issue, a PR), and sending it
//                        again makes a second one. DESIGN.md §7: an effect is
//                        checked against GitHub before it is repeated, which
//                        the callers do (marker, branch's PR, draft). PUT,
//                        PATCH and DELETE set a state, so repeating them is safe.
//
// Who owns a 429 (DESIGN.md §3), decided once: the gate. GitHub answers a
// spent or secondary limit with 403 or 429 and `retry-after`, or with
// `x-ratelimit-remaining: 0` and a reset time. The throttling plugin only
// recognises the second kind and the words "secondary rate", ignores a bare
// 429 with Retry-After, and while it waits to retry one request it lets every
// other request through. So the gate closes for the whole client until the
// window passes — retry-after, else the reset time when none is left, else at
// least `minLimitWaitMs` (60 s) — and then sends the same request again. The
// throttling plugin's limit handlers only log and never retry; the retry
// plugin is told never to retry 403/429 (nor 304, a cache hit).
import { Octokit } from '@octokit/rest'
import { retry } from '@octokit/plugin-retry'
import { throttling } from '@octokit/plugin-throttling'
import type { ThrottlingOptions } from '@octokit/plugin-throttling'
import { AppError } from '../../shared/errors'
import type { Logger } from '../log'
import { registerSecret } from '../log'

export interface RateLimitInfo {
  limit: number | null
  remaining: number | null
  /** ISO time the primary budget resets. */
  resetAt: string | null
}

export interface ClientState extends RateLimitInfo {
  /** No request is sent before this time (an open Retry-After window), or null. */
  blockedUntil: string | null
  /** The last request got no answer at all (network down, DNS, refused). */
  offline: boolean
}

export interface ClientTiming {
  /** Gap between the starts of two mutations (GitHub asks for about 1 s). */
  writeGapMs: number
  /** Least wait on a limit that names no time (GitHub: at least 60 s). */
  minLimitWaitMs: number
  /** Times one request is sent again after rate-limit windows before giving up. */
  maxLimitRetries: number
  /**
   * A window longer than this (a spent primary budget: up to an hour) is not
   * waited out: the call fails at once with rate_limited and its reset time,
   * and so does every call until the window closes, without being sent.
   */
  maxWaitMs: number
  /** Retries of a 5xx or network error. */
  retries: number
  /** Base of the retry plugin's back-off ((n+1)² × base ms). */
  retryBaseMs: number
  sleep: (ms: number) => Promise<void>
  now: () => number
}

export const DEFAULT_TIMING: ClientTiming = {
  writeGapMs: 1000,
  minLimitWaitMs: 60_000,
  maxLimitRetries: 3,
  maxWaitMs: 120_000,
  retries: 2,
  retryBaseMs: 1000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => Date.now()
}

export interface ClientOptions {
  apiUrl: string
  token: string
  log?: Logger
  timing?: Partial<ClientTiming>
  onState?: (state: ClientState) => void
}

type Headers = Record<string, string | number | undefined>
interface HttpError {
  status?: number
  message?: string
  response?: { headers?: Headers; data?: unknown }
}

// The gate lives on the instance; the plugin is registered first so its hook
// is the innermost one: every real send, retries included, passes through it.
interface GateHolder {
  gate?: (request: (o: unknown) => Promise<unknown>, options: Record<string, unknown>) => Promise<unknown>
}
function gatePlugin(octokit: { hook: { wrap: (name: 'request', fn: (request: never, options: never) => Promise<unknown>) => void } }) {
  const holder: GateHolder = {}
  octokit.hook.wrap('request', ((request: (o: unknown) => Promise<unknown>, options: Record<string, unknown>) =>
    holder.gate ? holder.gate(request, options) : request(options)) as never)
  return { baton: holder }
}

const BatonOctokit = Octokit.plugin(gatePlugin as never, throttling, retry)
export type GitHubOctokit = Octokit & { baton: GateHolder }

export interface GitHubClient {
  octokit: GitHubOctokit
  apiUrl: string
  state(): ClientState
}

/** How long a rate-limited answer asks us to wait, or null when it is not a rate limit (a plain 403 is a permission). */
export function limitWaitMs(error: HttpError, now: number, minLimitWaitMs: number): number | null {
  if (error.status !== 403 && error.status !== 429) return null
  const headers = error.response?.headers ?? {}
  const retryAfter = Number(headers['retry-after'])
  if (headers['retry-after'] !== undefined && Number.isFinite(retryAfter) && retryAfter >= 0) return retryAfter * 1000
  if (String(headers['x-ratelimit-remaining']) === '0') {
    const reset = Number(headers['x-ratelimit-reset']) * 1000
    // One second past the reset, as GitHub advises.
    if (Number.isFinite(reset) && reset > 0) return Math.max(reset - now + 1000, 0)
    return minLimitWaitMs
  }
  if (error.status === 429 || /rate limit/i.test(error.message ?? '')) return minLimitWaitMs
  return null
}

export function createGitHubClient(options: ClientOptions): GitHubClient {
  const timing: ClientTiming = { ...DEFAULT_TIMING, ...options.timing }
  registerSecret(options.token)
  const apiUrl = options.apiUrl.replace(/\/+$/, '')
  const state: ClientState = { limit: null, remaining: null, resetAt: null, blockedUntil: null, offline: false }
  let blockedUntil = 0
  const publish = () => options.onState?.(snapshot())
  const snapshot = (): ClientState => ({ ...state, blockedUntil: blockedUntil > timing.now() ? new Date(blockedUntil).toISOString() : null })

  // Mutations one at a time, `writeGapMs` apart: a group in the shape the
  // throttling plugin schedules its write slot on (`key(id).schedule`).
  let writeChain: Promise<unknown> = Promise.resolve()
  let lastWrite = -Infinity
  const writeGroup = {
    key: () => ({
      schedule: (...args: unknown[]) => {
        const fn = args.find((a) => typeof a === 'function') as () => Promise<unknown>
        const run = writeChain.then(async () => {
          const gap = lastWrite + timing.writeGapMs - timing.now()
          if (gap > 0) await timing.sleep(gap)
          lastWrite = timing.now()
          return fn()
        })
        writeChain = run.catch(() => undefined)
        return run
      }
    })
  }
  const passThrough = {
    key: () => ({ schedule: (...args: unknown[]) => (args.find((a) => typeof a === 'function') as () => Promise<unknown>)() })
  }

  const quiet = (m: string) => options.log?.debug(`octokit: ${m}`)
  const throttle: ThrottlingOptions = {
    write: writeGroup as unknown as NonNullable<ThrottlingOptions['write']>,
    notifications: passThrough as unknown as NonNullable<ThrottlingOptions['notifications']>,
    // The gate has already waited and retried; these only say so.
    onRateLimit: (after: number, o: { method?: string; url?: string }) => {
      quiet(`rate limit on ${o.method} ${o.url} (reset in ${after} s); the gate retries`)
      return false
    },
    onSecondaryRateLimit: (after: number, o: { method?: string; url?: string }) => {
      quiet(`secondary rate limit on ${o.method} ${o.url} (${after} s); the gate retries`)
      return false
    }
  } as ThrottlingOptions

  const octokit = new BatonOctokit({
    baseUrl: apiUrl,
    auth: options.token,
    userAgent: 'Baton',
    throttle,
    retry: { doNotRetry: [304, 400, 401, 403, 404, 405, 409, 410, 422, 429, 451], retries: timing.retries, retryAfterBaseValue: timing.retryBaseMs },
    log: { debug: () => undefined, info: () => undefined, warn: quiet, error: quiet }
  } as never) as unknown as GitHubOctokit
  octokit.hook.before('request', (o) => {
    if (String(o.method).toUpperCase() === 'POST') o.request = { ...o.request, retries: 0 }
  })

  const observe = (headers: Headers | undefined) => {
    if (!headers) return
    const limit = Number(headers['x-ratelimit-limit'])
    const remaining = Number(headers['x-ratelimit-remaining'])
    const reset = Number(headers['x-ratelimit-reset'])
    if (headers['x-ratelimit-limit'] !== undefined && Number.isFinite(limit)) state.limit = limit
    if (headers['x-ratelimit-remaining'] !== undefined && Number.isFinite(remaining)) state.remaining = remaining
    if (Number.isFinite(reset) && reset > 0) state.resetAt = new Date(reset * 1000).toISOString()
  }

  const refuse = () => {
    const resetAt = new Date(blockedUntil).toISOString()
    return new AppError('rate_limited', `GitHub's rate limit is spent; it resets at ${resetAt.slice(11, 19)} UTC. Baton tries again by itself after that.`, { resetAt })
  }

  octokit.baton.gate = async (request, requestOptions) => {
    for (let attempt = 0; ; attempt++) {
      // Re-read after every sleep: another request may have widened the window meanwhile.
      for (let wait = blockedUntil - timing.now(); wait > 0; wait = blockedUntil - timing.now()) {
        if (wait > timing.maxWaitMs) throw refuse()
        await timing.sleep(wait)
      }
      try {
        const response = (await request(requestOptions)) as { headers?: Headers }
        observe(response.headers)
        state.offline = false
        publish()
        return response
      } catch (error) {
        const e = error as HttpError
        observe(e.response?.headers)
        // Octokit reports a request that got no answer as status 500 without a response.
        state.offline = !e.response && e.status !== 304
        const wait = limitWaitMs(e, timing.now(), timing.minLimitWaitMs)
        if (wait !== null) blockedUntil = Math.max(blockedUntil, timing.now() + wait)
        if (wait === null || attempt >= timing.maxLimitRetries || wait > timing.maxWaitMs) {
          publish()
          throw error
        }
        options.log?.info(`GitHub rate limit (${e.status}): no request for ${Math.ceil(wait / 1000)} s`)
        publish()
      }
    }
  }

  return { octokit, apiUrl, state: snapshot }
}
