// The CLI beside a running app: calls go to the app's API (its URL and token
// are in the data folder's lock file, mode 0600); with no app running, the
// CLI runs the same core in-process for the one call and stops it.
import { AppError } from '../shared/errors'
import type { ApiInput, ApiMethod, ApiOutput, ApiResult } from '../shared/api'
import { createCore } from './app'
import { readLock } from './instance-lock'
import { createLogger } from './log'

export async function callApi<M extends ApiMethod>(dataDir: string, method: M, input: ApiInput<M>): Promise<ApiOutput<M>> {
  const lock = readLock(dataDir)
  let result: ApiResult<unknown>
  if (lock?.url && lock.token) {
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
    result = (await response.json()) as ApiResult<unknown>
  } else if (lock) {
    throw new AppError('conflict', `The Baton desktop app (pid ${lock.pid}) is using ${dataDir}. Run this from the app, or close it first.`)
  } else {
    const core = await createCore({ dataDir, mode: 'headless', log: createLogger({ level: 'warn' }) })
    try {
      result = await core.call(method, input)
    } finally {
      await core.close()
    }
  }
  if (!result.ok) throw new AppError(result.error.code, result.error.message, result.error.details)
  return result.data as ApiOutput<M>
}
