// One Baton per data folder. The lock file records who holds it (pid, mode and,
// for the headless server, its URL and token) so a second instance can say who
// is there, and the CLI can talk to the running app instead of the database.
// A PID is reused, so the lock also records what identifies the process
// (process-identity.ts): a lock whose PID now belongs to someone else is stale.
import { randomBytes } from 'node:crypto'
import { closeSync, linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs'
import { AppError } from '../shared/errors'
import { paths } from './data-dir'
import { processIdentity } from './process-identity'

const TAKEOVER_STALE_MS = 10_000

export interface LockInfo {
  pid: number
  mode: 'desktop' | 'headless'
  startedAt: string
  url?: string
  token?: string
  /** processIdentity(pid) when the lock was taken; absent in older locks and where the platform cannot tell. */
  identity?: string
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
    // A pid of 0 or below would make kill(pid, 0) ask about a whole process group.
    const pidOk = Number.isSafeInteger(value.pid) && value.pid > 0
    return pidOk && (value.identity === undefined || typeof value.identity === 'string') ? value : null
  } catch {
    return null
  }
}

/**
 * Whether the process a lock names still runs: its PID is alive and is the
 * same process. When either side cannot tell (a lock without an identity, a
 * platform without one, the process unreadable) a live PID counts as the
 * holder: refusing a start is recoverable, two Batons on one database are not.
 */
function holderRuns(holder: LockInfo): 'runs' | 'gone' | 'unsure' {
  if (!alive(holder.pid)) return 'gone'
  const now = processIdentity(holder.pid)
  if (holder.identity === undefined || now === undefined) return 'unsure'
  return now === holder.identity ? 'runs' : 'gone'
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
  return info && holderRuns(info) !== 'gone' ? info : null
}

export function acquireLock(dataDir: string, mode: LockInfo['mode']): InstanceLock {
  const file = paths.lock(dataDir)
  const identity = processIdentity(process.pid)
  const info: LockInfo = { pid: process.pid, mode, startedAt: new Date().toISOString(), ...(identity ? { identity } : {}) }
  for (let tries = 0; tries < 3; tries++) {
    let created: boolean
    try {
      created = createWith(file, JSON.stringify(info))
    } catch (error) {
      throw new AppError('unavailable', `Cannot create the lock file ${file}: ${(error as Error).message}`)
    }
    if (!created) {
      let text: string
      try {
        text = readFileSync(file, 'utf8')
      } catch {
        continue // removed meanwhile: try to create it again
      }
      const holder = parse(text)
      const state = holder && holder.pid !== process.pid ? holderRuns(holder) : 'gone'
      if (holder && state !== 'gone') {
        const where = holder.url ? ` at ${holder.url.replace(/token=[^&#]+/, 'token=…')}` : ''
        const unsure = state === 'unsure' ? ` If no Baton runs there, remove ${file}.` : ''
        throw new AppError(
          'conflict',
          `Another Baton (${holder.mode}, pid ${holder.pid}${where}) is already using the data folder ${dataDir}. ` +
            `Use that one, stop it first, or pass another --data-dir.${unsure}`,
          { pid: holder.pid, mode: holder.mode }
        )
      }
      takeOver(file, text)
      continue
    }
    return makeLock(file, info)
  }
  throw new AppError('conflict', `Could not take the lock on ${dataDir}: another Baton is starting there.`)
}

/**
 * Creates `file` holding `content`, or returns false when it exists. The file
 * never exists empty: it is written aside and hard-linked into place (link
 * fails if the name is taken), so a starter reading it meanwhile cannot take a
 * half-written lock for garbage and remove it. Where the file system has no
 * hard links, an exclusive create and a write.
 */
function createWith(file: string, content: string): boolean {
  const aside = `${file}.new-${process.pid}-${randomBytes(4).toString('hex')}`
  writeFileSync(aside, content, { mode: 0o600, flag: 'wx' })
  try {
    linkSync(aside, file)
    return true
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EEXIST') return false
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error
  } finally {
    try {
      unlinkSync(aside)
    } catch {
      /* gone already */
    }
  }
  let fd: number
  try {
    fd = openSync(file, 'wx', 0o600)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  }
  try {
    writeSync(fd, content)
  } finally {
    closeSync(fd)
  }
  return true
}

/**
 * Removes the stale lock `text` was read from, and only that one. Two starters
 * that both read the stale lock must not both remove "it": the second would
 * remove the lock the first has created since, and both would run. So removal
 * happens under a second, short-lived lock (`<lock>.takeover`): its holder
 * reads the file again and removes it only if it still is the stale one. No
 * one else removes, and creating needs the name free, so that read stays true
 * until the removal. A starter that finds the takeover held leaves it to its
 * holder; the retry then finds the new lock (or the name free). A takeover lock
 * left by a process that died holding it (its window is a read and an unlink)
 * is removed once it is older than TAKEOVER_STALE_MS.
 */
function takeOver(file: string, text: string): void {
  const mutex = `${file}.takeover`
  if (!createWith(mutex, String(process.pid))) {
    try {
      if (Date.now() - statSync(mutex).mtimeMs > TAKEOVER_STALE_MS) unlinkSync(mutex)
    } catch {
      /* released meanwhile */
    }
    return
  }
  try {
    if (readFileSync(file, 'utf8') === text) unlinkSync(file)
  } catch {
    /* gone already */
  } finally {
    unlinkSync(mutex)
  }
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
