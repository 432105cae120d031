// The file protocol's folders, atomic writes and watchers (DESIGN.md §5).
//
//   <ipc>/triggers/<agent>.trigger    written by main, one task (JSON, v1)
//   <ipc>/responses/<agent>.response  written by the agent (text, v1)
//
// Watcher events are hints, not the record: chokidar drops a second `change`
// for the same path within 50 ms of the first, so every hint makes the owner
// read the file and act on any task it has not seen, and a periodic scan hints
// every file again to catch what the watcher missed.
import { closeSync, constants, fstatSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, writeSync, type Stats } from 'node:fs'
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

/**
 * What is at a protocol path. A response or trigger path holds a regular file
 * or nothing (DESIGN.md §5): anything else an agent may have planted there — a
 * directory, a symlink (to a secret, or to a FIFO), a FIFO (opening it blocks
 * until a writer comes), a socket — is `refused`, named, and never followed or
 * read.
 */
export type IpcEntry =
  | { kind: 'missing' }
  | { kind: 'file'; text: string; size: number; signature: string }
  | { kind: 'refused'; reason: string; signature: string }

const KINDS: Array<[keyof Stats, string]> = [
  ['isDirectory', 'a directory'],
  ['isSymbolicLink', 'a symbolic link'],
  ['isFIFO', 'a FIFO'],
  ['isSocket', 'a socket'],
  ['isBlockDevice', 'a block device'],
  ['isCharacterDevice', 'a character device']
]
const kindOf = (stat: Stats) => KINDS.find(([is]) => (stat[is] as () => boolean).call(stat))?.[1] ?? 'something other than a file'
// Not on Windows (0 there): a symlink is then caught by lstat alone.
const READ_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0)

/**
 * Reads a protocol file without ever following a link or blocking: lstat,
 * then open with O_NOFOLLOW | O_NONBLOCK, then fstat the opened fd (the path
 * may have been swapped since the lstat). Reads at most `maxBytes` (the size
 * is checked on the fd first: a file over the cap yields only its first
 * `headBytes`, so a misbehaving agent cannot make main read gigabytes). The
 * signature (inode, size, mtime) changes with every rename into place.
 */
export function readEntry(file: string, maxBytes: number, options: { headBytes?: number } = {}): IpcEntry {
  let linkStat: Stats
  try {
    linkStat = lstatSync(file)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' }
    return { kind: 'refused', reason: `cannot be looked at (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, signature: `lstat:${(error as NodeJS.ErrnoException).code}` }
  }
  const refused = (stat: Stats): IpcEntry => ({ kind: 'refused', reason: `holds ${kindOf(stat)}, not a file`, signature: `${stat.ino}:${kindOf(stat)}:${stat.mtimeMs}` })
  if (!linkStat.isFile()) return refused(linkStat)
  let fd: number
  try {
    fd = openSync(file, READ_FLAGS)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return { kind: 'missing' }
    // Swapped between the lstat and the open: ELOOP is a symlink (O_NOFOLLOW), ENXIO a socket.
    const reason = code === 'ELOOP' ? 'holds a symbolic link, not a file' : code === 'ENXIO' ? 'holds a socket, not a file' : `cannot be opened (${code ?? (error as Error).message})`
    return { kind: 'refused', reason, signature: `open:${code}:${linkStat.ino}:${linkStat.mtimeMs}` }
  }
  try {
    const stat = fstatSync(fd, { bigint: true })
    if (!stat.isFile()) return refused(fstatSync(fd))
    const size = Number(stat.size)
    const buffer = Buffer.alloc(size > maxBytes ? Math.min(size, options.headBytes ?? maxBytes) : size)
    let read = 0
    while (read < buffer.length) {
      const n = readSync(fd, buffer, read, buffer.length - read, read)
      if (n === 0) break
      read += n
    }
    return { kind: 'file', text: buffer.subarray(0, read).toString('utf8'), size, signature: `${stat.ino}:${stat.size}:${stat.mtimeNs}` }
  } catch (error) {
    return { kind: 'refused', reason: `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, signature: `read:${linkStat.ino}:${linkStat.mtimeMs}` }
  } finally {
    closeSync(fd)
  }
}

/**
 * Removes whatever is at a protocol path, so the next start is clean: a
 * directory with what is in it, a symlink itself (never its target). Never
 * throws: what cannot be removed is looked at again on the next scan.
 */
export function removeEntry(file: string): boolean {
  try {
    // rmSync works on lstat: it unlinks a symlink rather than following it.
    rmSync(file, { recursive: true, force: true })
    return true
  } catch {
    return false
  }
}

function isDirectory(file: string): boolean {
  try {
    return lstatSync(file).isDirectory()
  } catch {
    return false
  }
}

/** A protocol file's text; null when there is none, or when the path holds anything but a regular file. */
export function readIfExists(file: string, maxBytes = 64 * 1024 * 1024): string | null {
  const entry = readEntry(file, maxBytes)
  return entry.kind === 'file' ? entry.text : null
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
      // A rename replaces a file, a symlink (not its target), a FIFO or a
      // socket, but not a directory: one planted at a protocol path goes first.
      if ((code === 'EISDIR' || code === 'ENOTEMPTY' || code === 'EEXIST') && attempt < 8 && isDirectory(file)) {
        removeEntry(file)
        continue
      }
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
    // A symlink planted at a protocol path is refused when read, never watched through.
    followSymlinks: false,
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
