// What a hostile agent can plant at a protocol path instead of a file
// (DESIGN.md §5), and a supervisor in its own process to plant them under.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { Trigger } from '../../../src/shared/protocol/trigger'

export const KINDS = ['directory', 'symlink to a file outside', 'symlink to a FIFO', 'FIFO', 'socket'] as const
export type Kind = (typeof KINDS)[number]

/** What main must say it found. */
export const REASON: Record<Kind, RegExp> = {
  directory: /holds a directory, not a file/,
  'symlink to a file outside': /holds a symbolic link, not a file/,
  'symlink to a FIFO': /holds a symbolic link, not a file/,
  FIFO: /holds a FIFO, not a file/,
  socket: /holds a socket, not a file/
}

export interface Planted {
  kind: Kind
  /** A secret outside the ipc folder that a followed link would leak. */
  secret: string | null
  /** Whatever sits outside (a link's target): must be left as it was. */
  outside: string | null
  close(): Promise<void>
}

/** Plants `kind` at `path` in one step (a directory is built aside and renamed in), as an agent could, in place of whatever was there. */
export async function plant(kind: Kind, path: string): Promise<Planted> {
  rmSync(path, { force: true }) // the agent's own last answer, say
  const scratch = mkdtempSync(join(tmpdir(), 'baton-outside-'))
  const none = { secret: null, outside: null, close: () => Promise.resolve() }
  switch (kind) {
    case 'directory': {
      const aside = join(scratch, 'dir')
      mkdirSync(join(aside, 'nested'), { recursive: true })
      writeFileSync(join(aside, 'nested', 'inner.txt'), 'TASK: t_x\nDONE: from inside a directory\n')
      renameSync(aside, path)
      return { kind, ...none }
    }
    case 'symlink to a file outside': {
      const secret = `SECRET-${Math.random().toString(36).slice(2)}`
      const outside = join(scratch, 'secret.txt')
      writeFileSync(outside, `TASK: t_x\nDONE: ${secret}\n\n${secret}\n`)
      symlinkSync(outside, path)
      return { kind, secret, outside, close: none.close }
    }
    case 'symlink to a FIFO': {
      const outside = join(scratch, 'outside.fifo')
      execFileSync('mkfifo', [outside])
      symlinkSync(outside, path)
      return { kind, secret: null, outside, close: none.close }
    }
    case 'FIFO':
      execFileSync('mkfifo', [path])
      return { kind, ...none }
    case 'socket': {
      const server: Server = createServer((c) => c.end())
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(path, resolve))
      return { kind, secret: null, outside: null, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }
    }
  }
}

/** What is at a path now: 'missing', 'file', or what else. */
export function entryAt(path: string): string {
  try {
    const s = lstatSync(path)
    return s.isFile() ? 'file' : s.isDirectory() ? 'directory' : s.isSymbolicLink() ? 'symlink' : s.isFIFO() ? 'FIFO' : s.isSocket() ? 'socket' : 'other'
  } catch {
    return 'missing'
  }
}

/** A planted link's target is left alone: never followed, never removed. */
export function outsideIntact(p: Planted): boolean {
  if (!p.outside) return true
  const kind = entryAt(p.outside)
  if (p.kind === 'symlink to a FIFO') return kind === 'FIFO'
  return kind === 'file' && (p.secret === null || readFileSync(p.outside, 'utf8').includes(p.secret))
}

export interface HostLine {
  event: string
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  data: any
}

/** test/fixtures/agents/supervisor-host.ts as a child process: main, where a hang can be seen. */
export class Host {
  readonly lines: HostLine[] = []
  exit: { code: number | null; signal: NodeJS.Signals | null } | null = null
  stderr = ''
  private readonly child: ChildProcess

  constructor(readonly ipcDir: string) {
    this.child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/agents/supervisor-host.ts', ipcDir], { stdio: ['pipe', 'pipe', 'pipe'] })
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      try {
        this.lines.push(JSON.parse(line) as HostLine)
      } catch {
        /* a stray line */
      }
    })
    this.child.stderr!.on('data', (c: Buffer) => (this.stderr = (this.stderr + c.toString()).slice(-4000)))
    this.child.on('exit', (code, signal) => (this.exit = { code, signal }))
  }

  send(message: { cmd: 'dispatch'; trigger: Trigger } | { cmd: 'ping' | 'list' | 'stop' }): void {
    this.child.stdin!.write(JSON.stringify(message) + '\n')
  }

  /** The first line from `from` on that matches; fails if main died or went silent. */
  async waitFor(what: string, match: (l: HostLine) => boolean, timeoutMs = 15_000, from = 0): Promise<HostLine> {
    const end = Date.now() + timeoutMs
    for (;;) {
      const found = this.lines.slice(from).find(match)
      if (found) return found
      if (this.exit) throw new Error(`main exited (${JSON.stringify(this.exit)}) before ${what}: ${this.stderr}`)
      if (Date.now() > end) throw new Error(`main did not show ${what} within ${timeoutMs} ms (hung?): ${this.stderr}\nit showed:\n${this.summary()}`)
      await new Promise((r) => setTimeout(r, 25))
    }
  }

  /** One line per event, for a failure's message. */
  summary(): string {
    return this.lines
      .slice(-30)
      .map((l) => [l.event, l.data?.task, l.data?.state, l.data?.line, l.data?.parsed?.statusText, l.data?.reason].filter(Boolean).join(' '))
      .join('\n')
  }

  /**
   * Main's start: booting tsx and the modules may take long on a loaded
   * machine, but the start itself (reading what the folders hold) is quick —
   * where a blocking open would hang it.
   */
  async started(): Promise<void> {
    await this.waitFor('its modules loaded', (l) => l.event === 'booted', 45_000)
    await this.waitFor('its start (past reading the ipc folders)', (l) => l.event === 'started', 5000)
  }

  /** Main still answers at once: it is not blocked on anything. */
  async ping(): Promise<void> {
    const from = this.lines.length
    this.send({ cmd: 'ping' })
    await this.waitFor('an answer to a ping', (l) => l.event === 'pong', 3000, from)
  }

  async idle(): Promise<void> {
    const end = Date.now() + 20_000
    for (;;) {
      const from = this.lines.length
      this.send({ cmd: 'list' })
      const list = await this.waitFor('the agent list', (l) => l.event === 'list', 3000, from)
      if ((list.data as Array<{ state: string; pid: number | null; task: string | null }>).every((a) => a.state === 'idle' && a.pid && !a.task)) return
      if (Date.now() > end) throw new Error(`the agent is not idle: ${JSON.stringify(list.data)}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  async stop(): Promise<void> {
    if (this.exit) return
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()))
    this.send({ cmd: 'stop' })
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000)
    await gone
    clearTimeout(timer)
  }

  kill(): void {
    if (!this.exit) this.child.kill('SIGKILL')
  }
}

let seq = 0
export const trigger = (title: string): Trigger => ({
  v: 1,
  task: `t_hostile${process.pid}x${++seq}`,
  attempt: 1,
  agent: 'pm',
  role: 'pm',
  stage: 'backlog',
  repo: { owner: 'acme', name: 'shop', defaultBranch: 'main' },
  issue: { number: seq, title, body: '', labels: ['backlog'], author: 'a', comments: [] },
  workspace: null,
  instructions: '',
  handoffs: [],
  notes: [],
  deadline: new Date(Date.now() + 30_000).toISOString()
})

export const answerTo = (task: string) => (l: HostLine) => l.event === 'response' && l.data.task === task
/** Everything main said, as one string: to look for a leaked secret. */
export const everything = (h: Host) => JSON.stringify(h.lines)

/** Main started, and one round trip done: the runner has booted and watches its trigger. */
export async function startedHost(ipcDir: string, hosts: Host[]): Promise<Host> {
  const h = new Host(ipcDir)
  hosts.push(h)
  await h.started()
  await h.idle()
  const warm = trigger('echo')
  h.send({ cmd: 'dispatch', trigger: warm })
  await h.waitFor('the warm-up answer', answerTo(warm.task), 45_000) // the runner boots first
  return h
}

/** After each test: every host stopped (killed if it hangs), every socket closed. */
export async function cleanUp(hosts: Host[], planted: Planted[]): Promise<void> {
  await Promise.all(hosts.splice(0).map((h) => Promise.race([h.stop(), new Promise((r) => setTimeout(r, 5000))]).then(() => h.kill())))
  await Promise.all(planted.splice(0).map((p) => p.close()))
}
