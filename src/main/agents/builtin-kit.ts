// Small tools shared by the builtin role behaviours (agents/<role>/builtin.ts):
// words of an issue, title similarity, fenced blocks, running a program with
// an argument array (never a shell string: issue text is untrusted, DESIGN.md §9).
import { spawn } from 'node:child_process'
import { formatResponse, type ResponseInput } from '../../shared/protocol/response'
import type { ProviderContext, ProviderResult } from './providers/types'
import { sandboxOthers } from './providers/stream-process'

export function reply(ctx: ProviderContext, r: Omit<ResponseInput, 'task'>): ProviderResult {
  // At the `handoff` stage another role asked for this work and the issue stays
  // where it is: a move out of "handoff" is one main refuses (a role moves only
  // out of a stage it owns), so the answer carries none.
  const stay = ctx.trigger.stage === 'handoff' ? { labelUpdate: null } : {}
  return { text: formatResponse({ issue: ctx.trigger.issue.number, ...r, ...stay, task: ctx.trigger.task }) }
}

const STOP = new Set(
  'a an and are as at be but by can could do does for from has have how i if in into is it its me my no not of on or our should so that the their then there these this to was we were what when where which while who why will with would you your when after before about also just only some than them they too very want need needs make made get got use used using add adds please issue bug feature'.split(
    ' '
  )
)

/** Lowercase words of a text, without the common ones. */
export function words(text: string): string[] {
  return (text.toLowerCase().match(/[a-z0-9][a-z0-9_-]*/g) ?? []).filter((w) => w.length > 2 && !STOP.has(w))
}

/** Similarity of two titles (Jaccard over their words, 0–1). */
export function similarity(a: string, b: string): number {
  const x = new Set(words(a).map(stem))
  const y = new Set(words(b).map(stem))
  if (x.size === 0 || y.size === 0) return 0
  let both = 0
  for (const w of x) if (y.has(w)) both++
  return both / (x.size + y.size - both)
}

/** A crude stem, enough for "crashes"/"crash", "dividing"/"divide". */
export function stem(word: string): string {
  return word.replace(/(ing|ed|es|s)$/, '').replace(/e$/, '') || word
}

export interface FencedBlock {
  info: string
  content: string
}

/** Fenced code blocks (``` or ~~~) of a Markdown text, in order. */
export function fencedBlocks(markdown: string): FencedBlock[] {
  const blocks: FencedBlock[] = []
  const lines = markdown.replace(/\r\n/g, '\n').split('\n')
  for (let i = 0; i < lines.length; i++) {
    const open = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)\s*$/.exec(lines[i] as string)
    if (!open) continue
    const fence = open[1] as string
    const body: string[] = []
    let j = i + 1
    for (; j < lines.length; j++) {
      if (new RegExp(`^ {0,3}${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`).test(lines[j] as string)) break
      body.push(lines[j] as string)
    }
    blocks.push({ info: open[2] ?? '', content: body.join('\n') + '\n' })
    i = j
  }
  return blocks
}

/** A Markdown fence long enough for `text`. */
export function fence(text: string, info = ''): string {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((m) => m.length))
  const f = '`'.repeat(longest + 1)
  return `${f}${info}\n${text.replace(/\n+$/, '')}\n${f}`
}

export function tail(text: string, maxLines = 40, maxChars = 4000): string {
  const lines = text.replace(/\s+$/, '').split('\n')
  let out = lines.slice(-maxLines).join('\n')
  if (out.length > maxChars) out = '…' + out.slice(-maxChars)
  return out
}

/**
 * The environment for running a repository's own tools without colour.
 * `FORCE_COLOR` is not an off switch: pytest, chalk and others read any value,
 * even "0", as colour on. `NO_COLOR` (https://no-color.org) is the one they
 * agree on; pytest also reads `PY_COLORS=0`. Escape codes that still come
 * through are stripped from what Baton posts (src/shared/ansi.ts).
 */
export function colourlessEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { FORCE_COLOR: _force, CLICOLOR_FORCE: _clicolor, PY_COLORS: _py, ...rest } = env
  return { ...rest, NO_COLOR: '1', PY_COLORS: '0' }
}

export interface RunResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** stdout and stderr interleaved as they came. */
  output: string
  ms: number
  error?: NodeJS.ErrnoException
}

/**
 * Runs `command` with `args` (no shell). The program and what it starts die
 * together on abort or timeout: it leads its own process group, which gets
 * the signal. Output past `maxBytes` is dropped from the front.
 */
export function run(
  command: string,
  args: string[],
  o: { cwd: string; env?: NodeJS.ProcessEnv; input?: string; signal?: AbortSignal; timeoutMs?: number; maxBytes?: number }
): Promise<RunResult> {
  const started = Date.now()
  const max = o.maxBytes ?? 1_000_000
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: o.cwd, env: o.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'], detached: process.platform !== 'win32', windowsHide: true })
    let stdout = ''
    let stderr = ''
    let output = ''
    const keep = (s: string) => (s.length > max ? s.slice(-max) : s)
    child.stdout.on('data', (c: Buffer) => {
      stdout = keep(stdout + c.toString('utf8'))
      output = keep(output + c.toString('utf8'))
    })
    child.stderr.on('data', (c: Buffer) => {
      stderr = keep(stderr + c.toString('utf8'))
      output = keep(output + c.toString('utf8'))
    })
    const kill = () => {
      try {
        if (child.pid && process.platform !== 'win32') process.kill(-child.pid, 'SIGKILL')
        else child.kill('SIGKILL')
      } catch {
        /* already gone */
      }
      // In the sandbox, what left the group too (a test suite's own setsid children).
      for (const pid of sandboxOthers()) {
        try {
          process.kill(pid, 'SIGKILL')
        } catch {
          /* gone already */
        }
      }
    }
    const timer = o.timeoutMs ? setTimeout(kill, o.timeoutMs) : null
    o.signal?.addEventListener('abort', kill, { once: true })
    let error: NodeJS.ErrnoException | undefined
    child.on('error', (e) => (error = e))
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer)
      o.signal?.removeEventListener('abort', kill)
      resolve({ code, signal, stdout, stderr, output, ms: Date.now() - started, ...(error ? { error } : {}) })
    })
    child.stdin.on('error', () => undefined)
    child.stdin.end(o.input ?? '')
  })
}

/** Runs git with an argument array; throws with what git said when it fails. */
export async function git(cwd: string, args: string[], o: { input?: string; env?: NodeJS.ProcessEnv; ok?: number[] } = {}): Promise<RunResult> {
  const r = await run('git', args, { cwd, input: o.input, env: { ...(o.env ?? process.env), GIT_TERMINAL_PROMPT: '0' } })
  if (r.error || r.code === null || !(o.ok ?? [0]).includes(r.code)) {
    throw new Error(`git ${args[0]} failed (${r.error?.message ?? `exit ${r.code}`}): ${tail(r.stderr || r.stdout, 8, 1500)}`)
  }
  return r
}
