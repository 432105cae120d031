// Spawn an agent CLI and read its stdout line by line: argument arrays only (no
// shell, so issue text can never become a command), input on stdin, a stderr
// tail kept for errors, and a stop that escalates SIGTERM → SIGKILL after a
// grace period (Fiddle's fiddle-core.ts). A stop reaches the whole process
// tree, so a tool the CLI started (a Bash `sleep`, a test run) dies with it
// instead of holding the worktree: Claude Code 2.1 runs each Bash command in a
// session of its own (setsid) and leaves it running when it gets SIGTERM, so
// signalling the CLI's process group is not enough.
import { execFileSync, spawn } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { StringDecoder } from 'node:string_decoder'

/** Variables that carry a forge token; never handed to an agent CLI (DESIGN.md §9). */
const TOKEN_VARS = ['GITHUB_TOKEN', 'GH_TOKEN', 'GH_ENTERPRISE_TOKEN', 'GITHUB_ENTERPRISE_TOKEN', 'BATON_GITHUB_TOKEN']

/**
 * The environment a CLI runs with: the runner's env (which should already hold
 * no token), with the token variables removed once more as a second lock.
 */
export function agentEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env }
  for (const k of TOKEN_VARS) delete out[k]
  return out
}

export type StopReason = 'aborted' | 'timeout' | 'output-cap' | 'requested'

export interface StreamProcessOptions {
  command: string
  args: string[]
  cwd: string
  env: NodeJS.ProcessEnv
  /** Written to stdin, which is then closed. Omit to close stdin at once. */
  stdin?: string
  /** Aborting it stops the process (reported as stopped: 'aborted'). */
  signal?: AbortSignal
  /** Called with each complete stdout line (no newline; CR stripped). */
  onLine(line: string): void
  /** Called with each complete stderr line, when given (e.g. as progress). */
  onStderrLine?(line: string): void
  /** Stop the process when it runs longer than this. */
  timeLimitMs?: number
  /** Stop the process when stdout passes this many bytes. */
  maxOutputBytes?: number
  /** SIGTERM → SIGKILL delay. Default 5 s. */
  killGraceMs?: number
  /** How much of stderr to keep (its end). Default 8 KiB. */
  stderrTailBytes?: number
  /** A single stdout line longer than this is dropped (guards memory). Default 64 MiB. */
  maxLineBytes?: number
}

export interface StreamProcessResult {
  exitCode: number | null
  signal: NodeJS.Signals | null
  /** Why we stopped it, when we did. */
  stopped: StopReason | null
  stderrTail: string
  stdoutBytes: number
  /** The process could not be started (ENOENT, EACCES, …). */
  spawnError: NodeJS.ErrnoException | null
  durationMs: number
}

export interface StreamProcess {
  pid: number | undefined
  done: Promise<StreamProcessResult>
  /** Stop the process (SIGTERM, then SIGKILL after the grace period). */
  stop(reason: StopReason): void
}

const isWindows = process.platform === 'win32'

export function startStreamProcess(o: StreamProcessOptions): StreamProcess {
  const started = Date.now()
  const killGraceMs = o.killGraceMs ?? 5_000
  const stderrTailBytes = o.stderrTailBytes ?? 8 * 1024
  const maxLineBytes = o.maxLineBytes ?? 64 * 1024 * 1024

  const child = spawn(o.command, o.args, {
    cwd: o.cwd,
    env: agentEnv(o.env),
    stdio: ['pipe', 'pipe', 'pipe'],
    shell: false,
    windowsHide: true,
    detached: !isWindows
  })

  let stopped: StopReason | null = null
  let spawnError: NodeJS.ErrnoException | null = null
  let stdoutBytes = 0
  let stderrTail = ''
  let killTimer: NodeJS.Timeout | undefined
  let limitTimer: NodeJS.Timeout | undefined
  let exited = false

  // Taken when the stop starts: once the CLI is gone its children are
  // re-parented and can no longer be found from its pid.
  let tree: number[] = []
  const signalTree = (sig: NodeJS.Signals): void => {
    if (child.pid === undefined) return
    if (isWindows) {
      if (!exited) killWindowsTree(child.pid)
      return
    }
    // Each process group in the tree, then each process (a member may have
    // left its group).
    for (const pid of [child.pid, ...new Set([...tree, ...sandboxOthers()])]) {
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, sig)
        } catch {
          // gone already, or not a group leader
        }
      }
    }
  }

  const stop = (reason: StopReason): void => {
    if (stopped || exited) return
    stopped = reason
    if (child.pid !== undefined && !isWindows) tree = descendants(child.pid)
    signalTree('SIGTERM')
    killTimer = setTimeout(() => signalTree('SIGKILL'), killGraceMs)
    killTimer.unref()
  }

  const onAbort = (): void => stop('aborted')
  if (o.signal?.aborted) queueMicrotask(onAbort)
  else o.signal?.addEventListener('abort', onAbort, { once: true })
  if (o.timeLimitMs !== undefined && o.timeLimitMs > 0) {
    limitTimer = setTimeout(() => stop('timeout'), o.timeLimitMs)
  }

  // stdout: split into lines with a decoder, so a UTF-8 character cut between
  // two chunks is not mangled.
  const decoder = new StringDecoder('utf8')
  let pending = ''
  let dropping = false
  const emitLines = (text: string): void => {
    let start = 0
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      const piece = text.slice(start, nl)
      start = nl + 1
      const line = (pending + piece).replace(/\r$/, '')
      pending = ''
      if (dropping) {
        dropping = false
        continue
      }
      deliver(line)
    }
    if (dropping) return
    pending += text.slice(start)
    if (pending.length > maxLineBytes) {
      pending = ''
      dropping = true
    }
  }
  const deliver = (line: string): void => {
    try {
      o.onLine(line)
    } catch {
      // A consumer bug must not leave the child running unread.
    }
  }
  child.stdout.on('data', (chunk: Buffer) => {
    stdoutBytes += chunk.length
    if (o.maxOutputBytes !== undefined && stdoutBytes > o.maxOutputBytes) {
      stop('output-cap')
      return
    }
    emitLines(decoder.write(chunk))
  })
  const errDecoder = new StringDecoder('utf8')
  let errPending = ''
  child.stderr.on('data', (chunk: Buffer) => {
    const text = errDecoder.write(chunk)
    stderrTail += text
    if (stderrTail.length > stderrTailBytes * 2) stderrTail = stderrTail.slice(-stderrTailBytes)
    if (!o.onStderrLine) return
    const lines = (errPending + text).split('\n')
    errPending = (lines.pop() ?? '').slice(-64 * 1024)
    for (const l of lines) {
      try {
        o.onStderrLine(l.replace(/\r$/, ''))
      } catch {
        // see deliver()
      }
    }
  })

  // The child may exit without reading its input (EPIPE): that is its answer.
  child.stdin.on('error', () => {})
  child.stdin.end(o.stdin ?? '')

  const done = new Promise<StreamProcessResult>((resolve) => {
    let settled = false
    const finish = (exitCode: number | null, sig: NodeJS.Signals | null): void => {
      if (settled) return
      settled = true
      // The SIGKILL timer stays armed after a stop: it still has to reach
      // grandchildren that ignored SIGTERM after the CLI itself exited.
      if (!stopped) clearTimeout(killTimer)
      clearTimeout(limitTimer)
      o.signal?.removeEventListener('abort', onAbort)
      if (!dropping) {
        const rest = pending + decoder.end()
        if (rest.trim() !== '' && stopped !== 'output-cap') deliver(rest.replace(/\r$/, ''))
      }
      resolve({
        exitCode,
        signal: sig,
        stopped,
        stderrTail: stderrTail.slice(-stderrTailBytes),
        stdoutBytes,
        spawnError,
        durationMs: Date.now() - started
      })
    }
    child.on('error', (err: NodeJS.ErrnoException) => {
      spawnError = err
      // No 'exit' follows a failed spawn.
      if (child.pid === undefined) finish(null, null)
    })
    child.on('exit', () => {
      exited = true
      // A grandchild that inherited stdout can keep the pipes open after the
      // CLI is gone; give them a moment, then stop waiting for them.
      setTimeout(() => {
        child.stdout.destroy()
        child.stderr.destroy()
      }, 2_000).unref()
    })
    child.on('close', (code, sig) => finish(code, sig))
  })

  return { pid: child.pid, done, stop }
}

/**
 * Inside Baton's sandbox (agents/isolation.ts; BATON_SANDBOXED=1) the runner
 * has a PID namespace of its own, and it runs one task at a time: every
 * process in it but the namespace's init (pid 1) and the runner itself belongs
 * to the task being stopped — also one started after the tree was read, or one
 * that left it (a Bash tool's `setsid`). Outside the sandbox: none.
 */
export function sandboxOthers(env: NodeJS.ProcessEnv = process.env): number[] {
  if (env.BATON_SANDBOXED !== '1') return []
  try {
    return readdirSync('/proc')
      .filter((n) => /^\d+$/.test(n))
      .map(Number)
      .filter((pid) => pid !== 1 && pid !== process.pid)
  } catch {
    return []
  }
}

/** All descendants of a process (children first), from /proc or `ps`. */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>()
  const add = (pid: number, ppid: number): void => {
    const list = children.get(ppid)
    if (list) list.push(pid)
    else children.set(ppid, [pid])
  }
  try {
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
        // pid (comm) state ppid …; comm may contain spaces and parentheses.
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
        add(Number(name), ppid)
      } catch {
        // exited while we looked
      }
    }
  } catch {
    try {
      const out = execFileSync('ps', ['-A', '-o', 'pid=,ppid='], { encoding: 'utf8', timeout: 5_000 })
      for (const line of out.split('\n')) {
        const [pid, ppid] = line.trim().split(/\s+/).map(Number)
        if (pid !== undefined && ppid !== undefined && Number.isInteger(pid) && Number.isInteger(ppid)) add(pid, ppid)
      }
    } catch {
      return []
    }
  }
  const out: number[] = []
  const queue = [root]
  while (queue.length > 0) {
    const next = queue.shift() as number
    for (const c of children.get(next) ?? []) {
      out.push(c)
      queue.push(c)
    }
  }
  return out
}

function killWindowsTree(pid: number): void {
  try {
    spawn('taskkill', ['/pid', String(pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true }).on('error', () => {})
  } catch {
    // nothing more to try
  }
}
