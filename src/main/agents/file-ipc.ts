// The file protocol's folders, atomic writes and watchers (DESIGN.md §5).
//
//   <ipc>/triggers/<agent>.trigger    written by main, one task (JSON, v1)
//   <ipc>/responses/<agent>.response  written by the agent (text, v1)
//
// Watcher events are hints, not the record: chokidar drops a second `change`
// for the same path within 50 ms of the first, so every hint makes the owner
// read the file and act on any task it has not seen, and a periodic scan hints
// every file again to catch what the watcher missed.
import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, writeSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { basename, dirname, join, resolve, sep } from 'node:path'
import { watch, type FSWatcher } from 'chokidar'
import { AgentName } from '../../shared/protocol/trigger'

/** Validates an agent name, so no name can reach outside the ipc folder. */
export function checkedName(name: string): string {
  const parsed = AgentName.safeParse(name)
  if (!parsed.success) throw new Error(`Invalid agent name ${JSON.stringify(name)}: ${parsed.error.issues[0]?.message ?? 'bad name'}`)
  return parsed.data
}

function inside(folder: string, file: string): string {
  const path = resolve(folder, file)
  if (!path.startsWith(folder + sep)) throw new Error(`Path ${JSON.stringify(file)} escapes ${folder}`)
  return path
}

export interface IpcPaths {
  root: string
  triggers: string
  responses: string
  trigger(agent: string): string
  response(agent: string): string
}

export function ipcPaths(ipcDir: string): IpcPaths {
  const root = resolve(ipcDir)
  const triggers = join(root, 'triggers')
  const responses = join(root, 'responses')
  return {
    root,
    triggers,
    responses,
    trigger: (agent) => inside(triggers, `${checkedName(agent)}.trigger`),
    response: (agent) => inside(responses, `${checkedName(agent)}.response`)
  }
}

export function ensureIpcDirs(ipcDir: string): void {
  const p = ipcPaths(ipcDir)
  mkdirSync(p.triggers, { recursive: true })
  mkdirSync(p.responses, { recursive: true })
}

export function readIfExists(file: string): string | null {
  try {
    return readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
}

/**
 * Reads at most `maxBytes` of a file (a misbehaving agent cannot make main
 * read gigabytes), with its full size and a signature (inode, size, mtime)
 * that changes with every rename into place; null when there is no file.
 */
export function readHead(file: string, maxBytes: number): { text: string; size: number; signature: string } | null {
  let fd: number
  try {
    fd = openSync(file, 'r')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
  try {
    const stat = fstatSync(fd, { bigint: true })
    const size = Number(stat.size)
    const buffer = Buffer.alloc(Math.min(size, maxBytes))
    let read = 0
    while (read < buffer.length) {
      const n = readSync(fd, buffer, read, buffer.length - read, read)
      if (n === 0) break
      read += n
    }
    return { text: buffer.subarray(0, read).toString('utf8'), size, signature: `${stat.ino}:${stat.size}:${stat.mtimeNs}` }
  } finally {
    closeSync(fd)
  }
}

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)

/**
 * Writes a temporary file (`*.tmp`, which the watchers ignore) in the same
 * folder, fsyncs it, renames it into place and fsyncs the folder. On Windows a
 * rename fails with EPERM/EBUSY while another program holds the target: retried.
 */
export function writeAtomic(file: string, text: string): number {
  const dir = dirname(file)
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  const fd = openSync(tmp, 'w', 0o600)
  try {
    writeSync(fd, text)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  let renamedAt = 0
  for (let attempt = 1; ; attempt++) {
    try {
      renameSync(tmp, file)
      renamedAt = performance.timeOrigin + performance.now()
      break
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if ((code !== 'EPERM' && code !== 'EBUSY' && code !== 'EACCES') || attempt >= 8) {
        rmSync(tmp, { force: true })
        throw new Error(`Could not rename ${tmp} to ${file} (attempt ${attempt}): ${(error as Error).message}`, { cause: error })
      }
      sleepSync(10 * 2 ** (attempt - 1))
    }
  }
  if (process.platform !== 'win32') {
    try {
      const dfd = openSync(dir, 'r')
      try {
        fsyncSync(dfd)
      } finally {
        closeSync(dfd)
      }
    } catch {
      // Some file systems refuse fsync on a folder; the rename is still atomic.
    }
  }
  /** When the file appeared under its name (epoch ms, sub-millisecond): for benchmarks. */
  return renamedAt
}

export interface FolderWatch {
  /** Hints every matching file now (the periodic scan does this too). */
  scan(): void
  /** Scans again just past chokidar's 50 ms throttle window (after a hand-off). */
  poke(): void
  close(): Promise<void>
}

/**
 * Watches `dir` for files whose name ends with `suffix` and calls `onName`
 * with the file's base name on each event, once for each file present at
 * start, and for every file on each periodic scan (`scanMs`, default 500).
 */
export function watchFolder(dir: string, suffix: string, onName: (name: string) => void, options: { scanMs?: number } = {}): FolderWatch {
  mkdirSync(dir, { recursive: true })
  const matches = (name: string) => name.endsWith(suffix) && !name.endsWith('.tmp')
  let closed = false
  // No awaitWriteFinish: files arrive complete by rename; polling for a
  // stable size would only add its delay to every hand-off.
  const watcher: FSWatcher = watch(dir, {
    ignoreInitial: true,
    depth: 0,
    ignored: (path: string) => path !== dir && !matches(basename(path))
  })
  const hint = (path: string) => {
    const name = basename(path)
    if (!closed && matches(name)) onName(name)
  }
  watcher.on('add', hint).on('change', hint).on('error', () => undefined)
  const scan = () => {
    if (closed) return
    let names: string[] = []
    try {
      names = readdirSync(dir)
    } catch {
      return
    }
    for (const name of names) if (matches(name) && !closed) onName(name)
  }
  const timer = setInterval(scan, options.scanMs ?? 500)
  timer.unref()
  queueMicrotask(scan)
  const pokes = new Set<NodeJS.Timeout>()
  return {
    scan,
    poke() {
      // Soon (the other side usually answers within milliseconds), then just
      // past the 50 ms window in which chokidar drops a second change.
      for (const ms of [3, 15, 60, 150]) {
        const t = setTimeout(() => {
          pokes.delete(t)
          scan()
        }, ms)
        t.unref()
        pokes.add(t)
      }
    },
    async close() {
      closed = true
      clearInterval(timer)
      for (const t of pokes) clearTimeout(t)
      await watcher.close()
    }
  }
}
