// `baton metrics`: the running app's metrics text, read from its /metrics
// with the URL and token of the data folder's lock file (mode 0600), as the
// other CLI commands reach its API. It never starts a core: with no app
// running there is nothing to measure, and it says so.
import { AppError } from '../../shared/errors'
import { readLock } from '../instance-lock'

export async function runningMetrics(dataDir: string): Promise<string> {
  const lock = readLock(dataDir)
  if (!lock) throw new AppError('unavailable', `No Baton is running on ${dataDir}: the metrics are the running app's. Start it with baton serve (--data-dir ${dataDir}).`)
  if (!lock.url || !lock.token) {
    throw new AppError('unavailable', `The Baton desktop app (pid ${lock.pid}) is using ${dataDir}; it serves its API over IPC only, so no /metrics. Run baton serve for metrics.`)
  }
  let response: Response
  try {
    response = await fetch(`${new URL(lock.url).origin}/metrics`, { headers: { authorization: `Bearer ${lock.token}` } })
  } catch (error) {
    throw new AppError('unavailable', `The running Baton (pid ${lock.pid}) did not answer: ${(error as Error).message}`)
  }
  const text = await response.text()
  if (!response.ok) throw new AppError('unavailable', `The running Baton (pid ${lock.pid}) answered ${response.status} to /metrics: ${text.slice(0, 200)}`)
  return text
}
