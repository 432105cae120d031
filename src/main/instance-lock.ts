// One Baton per data folder. The lock file records who holds it (pid, mode and,
// for the headless server, its URL and token) so a second instance can say who
// is there, and the CLI can talk to the running app instead of the database.
import { closeSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs'
import { AppError } from '../shared/errors'
import { paths } from './data-dir'

export interface LockInfo {
  pid: number
  mode: 'desktop' | 'headless'
  startedAt: string
  url?: string
  token?: string
}

export interface InstanceLock {
  readonly info: LockInfo
  update(patch: Partial<Pick<LockInfo, 'url' | 'token'>>): void
  release(): void
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function parse(text: string): LockInfo | null {
  try {
    const value = JSON.parse(text) as LockInfo
    return typeof value.pid === 'number' ? value : null
  } catch {
    return null
  }
}

/** The live holder of the data folder's lock, or null when none. */
export function readLock(dataDir: string): LockInfo | null {
  let text: string
  try {
    text = readFileSync(paths.lock(dataDir), 'utf8')
  } catch {
    return null
  }
  const info = parse(text)
  return info && alive(info.pid) ? info : null
}

export function acquireLock(dataDir: string, mode: LockInfo['mode']): InstanceLock {
  const file = paths.lock(dataDir)
  const info: LockInfo = { pid: process.pid, mode, startedAt: new Date().toISOString() }
  for (let tries = 0; tries < 2; tries++) {
    let fd: number
    try {
      fd = openSync(file, 'wx', 0o600)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new AppError('unavailable', `Cannot create the lock file ${file}: ${(error as Error).message}`)
      }
      let holder: LockInfo | null = null
      try {
        holder = parse(readFileSync(file, 'utf8'))
      } catch {
        holder = null
      }
      if (holder && holder.pid !== process.pid && alive(holder.pid)) {
        const where = holder.url ? ` at ${holder.url.replace(/token=[^&#]+/, 'token=…')}` : ''
        throw new AppError(
          'conflict',
          `Another Baton (${holder.mode}, pid ${holder.pid}${where}) is already using the data folder ${dataDir}. ` +
            'Use that one, stop it first, or pass another --data-dir.',
          { pid: holder.pid, mode: holder.mode }
        )
      }
      // A lock left by a process that is gone: take it over.
      try {
        unlinkSync(file)
      } catch {
        /* another starter removed it first; the retry decides */
      }
      continue
    }
    writeSync(fd, JSON.stringify(info))
    closeSync(fd)
    return makeLock(file, info)
  }
  throw new AppError('conflict', `Could not take the lock on ${dataDir}: another Baton is starting there.`)
}

function makeLock(file: string, info: LockInfo): InstanceLock {
  let released = false
  return {
    info,
    update(patch) {
      Object.assign(info, patch)
      const tmp = `${file}.tmp`
      writeFileSync(tmp, JSON.stringify(info), { mode: 0o600 })
      renameSync(tmp, file)
    },
    release() {
      if (released) return
      released = true
      try {
        const holder = parse(readFileSync(file, 'utf8'))
        if (holder?.pid === info.pid) unlinkSync(file)
      } catch {
        /* already gone */
      }
    }
  }
}
