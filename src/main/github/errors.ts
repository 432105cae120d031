// GitHub's answers turned into AppErrors a person can act on (issue 3, "Bad
// input"): a rejected token, a missing scope, not found, archived, no write
// access, rate limited (with when it resets), offline.
import { AppError } from '../../shared/errors'

interface HttpError {
  status?: number
  message?: string
  response?: { headers?: Record<string, string | number | undefined>; data?: { message?: string } | string }
}

export function isNotModified(error: unknown): boolean {
  return (error as HttpError | null)?.status === 304
}

export function githubMessage(error: unknown): string {
  const e = error as HttpError
  const data = e.response?.data
  if (data && typeof data === 'object' && typeof data.message === 'string') return data.message
  return e.message ?? String(error)
}

/** `what` names the action for the message: "creating the issue", "owner/name". */
export function toAppError(error: unknown, what: string): AppError {
  if (error instanceof AppError) return error
  const e = error as HttpError
  const message = githubMessage(error)
  if (!e || typeof e !== 'object' || !e.response) {
    return new AppError('offline', `GitHub could not be reached while ${what} (${message}). Baton keeps trying by itself; nothing typed is lost.`)
  }
  const headers = e.response.headers ?? {}
  const reset = Number(headers['x-ratelimit-reset'])
  const retryAfter = Number(headers['retry-after'])
  switch (e.status) {
    case 401:
      return new AppError('unauthorized', 'GitHub rejected the token (401 Bad credentials). It may be mistyped, expired or revoked: sign in again with a valid token.')
    case 403:
    case 429: {
      if (e.status === 429 || String(headers['x-ratelimit-remaining']) === '0' || headers['retry-after'] !== undefined || /rate limit/i.test(message)) {
        const resetAt =
          headers['retry-after'] !== undefined && Number.isFinite(retryAfter)
            ? new Date(Date.now() + retryAfter * 1000).toISOString()
            : Number.isFinite(reset) && reset > 0
              ? new Date(reset * 1000).toISOString()
              : null
        return new AppError(
          'rate_limited',
          `GitHub's rate limit stopped ${what}${resetAt ? `; it resets at ${resetAt.slice(11, 19)} UTC` : ''}. Baton tries again by itself after that.`,
          { resetAt }
        )
      }
      if (/archived/i.test(message)) return new AppError('forbidden', `The repository is archived, so it is read-only (${what}). Unarchive it on GitHub first.`)
      return new AppError('forbidden', `GitHub refused ${what}: ${message}. The token may lack the "repo" scope or write access.`)
    }
    case 404:
      return new AppError('not_found', `Not found on GitHub while ${what}: it does not exist, or the token cannot see it.`)
    case 410:
      return new AppError('not_found', `Gone on GitHub while ${what}: ${message}.`)
    case 422:
      return new AppError('bad_request', `GitHub did not accept ${what}: ${message}.`)
    default: {
      const status = e.status ?? 0
      if (status >= 500) return new AppError('unavailable', `GitHub had a problem (${status}) while ${what}. Baton tries again by itself.`)
      return new AppError('bad_request', `GitHub answered ${status} while ${what}: ${message}.`)
    }
  }
}
