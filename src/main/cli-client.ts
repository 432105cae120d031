// The CLI beside a running app: calls go to the app's API (its URL and token
// are in the data folder's lock file, mode 0600); with no app running, the
// CLI runs the same core in-process for the one call and stops it.
import { AppError } from '../shared/errors'
import type { ApiInput, ApiMethod, ApiOutput, ApiResult } from '../shared/api'
import { createCore } from './app'
import { readLock, type LockInfo } from './instance-lock'
import { createLogger } from './log'

/** One call to the app that holds the lock, over its HTTP API (`baton mcp` uses this alone: it never starts a core). */
export async function callRunning(lock: LockInfo & { url: string; token: string }, method: ApiMethod, input: unknown): Promise<ApiResult<unknown>> {
  const origin = new URL(lock.url).origin
  let response: Response
  try {
    response = await fetch(`${origin}/api/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${lock.token}` },
      body: JSON.stringify(input)
    })
  } catch (error) {
    throw new AppError('unavailable', `The running Baton (pid ${lock.pid}) did not answer: ${(error as Error).message}`)
  }
  return (await response.json()) as ApiResult<unknown>
}

export async function callApi<M extends ApiMethod>(dataDir: string, method: M, input: ApiInput<M>): Promise<ApiOutput<M>> {
  const lock = readLock(dataDir)
  let result: ApiResult<unknown>
  if (lock?.url && lock.token) {
    result = await callRunning({ ...lock, url: lock.url, token: lock.token }, method, input)
  } else if (lock) {
    throw new AppError('conflict', `The Baton desktop app (pid ${lock.pid}) is using ${dataDir}. Run this from the app, or close it first.`)
  } else {
    const core = await createCore({ dataDir, mode: 'headless', oneShot: true, log: createLogger({ level: 'warn' }) })
    try {
      result = await core.call(method, input)
    } finally {
      await core.close()
    }
  }
  if (!result.ok) throw new AppError(result.error.code, result.error.message, result.error.details)
  return result.data as ApiOutput<M>
}
