// The supervisor (DESIGN.md §6): spawns every agent instance as a long-lived
// child process, hands tasks over through trigger files, reads response files,
// tracks heartbeats, restarts crashed agents with backoff, and reclaims a task
// whose agent died, hung or overran. It keeps no database: it reports through
// events, and the pipeline engine persists and decides.
import { spawn, type ChildProcess } from 'node:child_process'
import { EventEmitter } from 'node:events'
import type { Trigger } from '../../shared/protocol/trigger'
import { stripAnsi } from '../../shared/ansi'
import { formatResponse, parseResponse, type ParsedResponse } from '../../shared/protocol/response'
import type { SupervisorMessage, RunnerMessage } from '../../../agents/runner'
import { agentEnvironment } from './agent-env'
import { redact } from '../log'
import { lineSplitter } from './output-lines'
import type { Isolation } from './isolation'
import { checkedName, ensureIpcDirs, ipcPaths, readEntry, readIfExists, removeEntry, watchFolder, writeAtomic, type FolderWatch } from './file-ipc'

export interface RoleSpec {
  name: string
  prompt: string
  settings: {
    provider: string
    model?: string
    permissionMode?: string
    allowedTools?: string[]
    command?: string
    timeLimitSec: number
    maxOutputBytes: number
    instances: number
    /** What the role can do (role.yml): the runner advertises them with each heartbeat. */
    capabilities?: string[]
    /** Among capable free instances, the higher is asked first. */
    priority?: number
  }
}

export type AgentState = 'idle' | 'working' | 'stalled' | 'crashed' | 'stopped' | 'paused' | 'starting'

export interface AgentInfo {
  name: string
  role: string
  provider: string
  model: string | null
  state: AgentState
  pid: number | null
  task: string | null
  attempt: number | null
  since: string | null
  lastHeartbeat: string | null
  restarts: number
  /** What the instance advertised with its last heartbeat (none before its first). */
  capabilities: string[]
  priority: number
  /** Beating: its last heartbeat is at most two beats old, and a person has not paused or stopped it. */
  online: boolean
}

export interface AgentResponse {
  agent: string
  task: string
  attempt: number
  parsed: ParsedResponse
  raw: string
}

export interface SupervisorEvents {
  response: [AgentResponse]
  /** The attempt ended without an answer: crash, hang (no heartbeat) or time limit. */
  lost: [{ agent: string; task: string; attempt: number; reason: string }]
  progress: [{ agent: string; task: string | null; line: string; at: string }]
  /** The running attempt's usage so far (the provider's running totals; the engine's spend budgets read it). */
  usage: [{ agent: string; task: string; attempt: number; usage: LiveUsage }]
  state: [AgentInfo]
  /** A response for an attempt that is no longer current (lost, cancelled, answered): recorded, ignored. */
  stale: [{ agent: string; task: string | null; attempt: number | null; raw: string; reason: string }]
}

export interface SupervisorOptions {
  ipcDir: string
  roles: RoleSpec[]
  /** How to start the runner: the built `out/main/runner.js`, or tsx on the source in dev and tests. */
  runner: { execPath: string; args: string[] }
  /** Main's environment; only an allow-list reaches agents. */
  env?: NodeJS.ProcessEnv
  /** Model keys Baton holds (variable → key), read at each start: laid over `env`, each reaches only its own provider's roles (agent-env.ts). */
  providerKeys?: () => Record<string, string>
  /** The OS sandbox the runner starts in (agents/isolation.ts); none: a plain child process. */
  isolation?: Isolation
  heartbeatMs?: number
  /** No heartbeat for this long: the agent is stalled and is restarted. */
  stallMs?: number
  /** Extra time past a task's deadline before the agent is stopped. */
  graceMs?: number
  /** Backoff before restarting a crashed agent (attempt → ms). */
  restartDelayMs?: (restarts: number) => number
  /** SIGTERM → SIGKILL wait when stopping. */
  killGraceMs?: number
  watchdogMs?: number
}

interface Instance {
  info: AgentInfo
  spec: RoleSpec
  child: ChildProcess | null
  deadline: number | null
  restartTimer: NodeJS.Timeout | null
  stopping: boolean
  /** New settings wait for the task in hand: respawn when it ends. */
  respawnAfterTask?: boolean
  /** Past the role's instance count: stops when its task ends. */
  retiring?: boolean
  /** Being restarted for new settings: its exit is no crash. */
  respawning?: boolean
  /** The running process has said something (its `ready`, a heartbeat): until then it has advertised nothing. */
  heard?: boolean
  /** When the running process was spawned (ms). */
  spawnedAt?: number
}

const iso = () => new Date().toISOString()

export interface LiveUsage {
  inputTokens: number
  outputTokens: number
  cacheReadTokens: number
  cacheWriteTokens: number
  costUsd: number
}

/** A runner's `usage` report as the protocol would take it (whole token counts below 1e12, a finite cost below 1e6): anything else is dropped. */
export const liveUsageOk = (u: unknown): u is LiveUsage => {
  if (typeof u !== 'object' || u === null) return false
  const r = u as Record<string, unknown>
  const tokens = ['inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens'].every((k) => Number.isInteger(r[k]) && (r[k] as number) >= 0 && (r[k] as number) < 1e12)
  return tokens && typeof r.costUsd === 'number' && Number.isFinite(r.costUsd) && r.costUsd >= 0 && r.costUsd < 1e6
}
/** A runner's advertised capabilities as main keeps them: a short list of names, else ignored. */
const capabilitiesOk = (c: unknown): c is string[] => Array.isArray(c) && c.length <= 20 && c.every((x) => typeof x === 'string' && /^[a-z][a-z0-9-]{0,30}$/.test(x))
/** Triggers are main's own JSON, a few kB: read no more than this of one. */
const TRIGGER_CAP = 16 * 1024 * 1024
/** Room for the header lines the runner adds to a provider's capped output. */
const RESPONSE_SLACK = 16 * 1024
/** Of a response over the cap, only this much is read (its header names the task). */
const RESPONSE_HEAD = 4096

export class Supervisor extends EventEmitter<SupervisorEvents> {
  private readonly instances = new Map<string, Instance>()
  private readonly paths
  private readonly seen = new Set<string>()
  private readonly signatures = new Map<string, string>()
  private responses: FolderWatch | null = null
  private watchdog: NodeJS.Timeout | null = null
  private stopped = false

  constructor(private readonly o: SupervisorOptions) {
    super()
    this.paths = ipcPaths(o.ipcDir)
    for (const spec of o.roles) {
      for (let i = 1; i <= Math.max(0, spec.settings.instances); i++) this.addInstance(spec, i)
    }
  }

  private addInstance(spec: RoleSpec, i: number): Instance {
    const name = checkedName(i === 1 ? spec.name : `${spec.name}-${i}`)
    const instance: Instance = {
      spec,
      child: null,
      deadline: null,
      restartTimer: null,
      stopping: false,
      info: {
        name,
        role: spec.name,
        provider: spec.settings.provider,
        model: spec.settings.model ?? null,
        state: 'starting',
        pid: null,
        task: null,
        attempt: null,
        since: null,
        lastHeartbeat: null,
        restarts: 0,
        capabilities: [],
        priority: spec.settings.priority ?? 0,
        online: false
      }
    }
    this.instances.set(name, instance)
    return instance
  }

  /** Starts every agent and picks up what a previous run left: pending triggers and unapplied responses. */
  start(): void {
    ensureIpcDirs(this.o.ipcDir)
    for (const instance of this.instances.values()) {
      const pending = this.pendingTrigger(instance.info.name)
      if (pending) this.markWorking(instance, pending)
      this.spawn(instance)
    }
    this.responses = watchFolder(this.paths.responses, '.response', (name) => this.readResponse(name.replace(/\.response$/, '')))
    this.watchdog = setInterval(() => this.checkHealth(), this.o.watchdogMs ?? 1000)
    this.watchdog.unref()
  }

  /** The trigger an agent had not answered yet, if any. */
  private pendingTrigger(agent: string): Trigger | null {
    const file = this.paths.trigger(agent)
    const entry = readEntry(file, TRIGGER_CAP)
    if (entry.kind === 'refused') {
      // Nothing names its task: the engine's resume() finds the attempt no
      // file hands over and queues it again. Removed, so the next start is clean.
      removeEntry(file)
      this.emit('progress', { agent, task: null, line: `Removed what was at the trigger path: it ${entry.reason}`, at: iso() })
      return null
    }
    const raw = entry.kind === 'file' ? entry.text : null
    if (!raw) return null
    let trigger: Trigger
    try {
      trigger = JSON.parse(raw) as Trigger
    } catch {
      return null
    }
    // Not a regular file (refused by the first scan): no answer, so the trigger is pending.
    const answered = this.answered(agent)
    if (answered?.task === trigger.task && answered.attempt === trigger.attempt) return null
    return trigger
  }

  /**
   * Whether the files hand this attempt over: the agent's trigger names it (and
   * the agent exists to run it), or its response file answers it (read and
   * reported on start whatever the instance). False when main stopped between
   * starting the attempt and writing its trigger: nobody will ever answer it.
   */
  handedOver(agent: string, task: string, attempt: number): boolean {
    let name: string
    try {
      name = checkedName(agent)
    } catch {
      return false
    }
    const answered = this.answered(name)
    if (answered?.task === task && answered.attempt === attempt) return true
    if (!this.instances.has(name)) return false
    const raw = readIfExists(this.paths.trigger(name), TRIGGER_CAP)
    if (!raw) return false
    try {
      const trigger = JSON.parse(raw) as Partial<Trigger>
      return trigger.task === task && trigger.attempt === attempt
    } catch {
      return false
    }
  }

  /** The task and attempt the agent's response file names, read as readResponse reads it (a file, within the cap). */
  private answered(agent: string): { task: string | null; attempt: number | null } | null {
    const file = readEntry(this.paths.response(agent), this.responseCap(agent), { headBytes: RESPONSE_HEAD })
    if (file.kind !== 'file') return null
    const parsed = parseResponse(file.text)
    return { task: parsed.task, attempt: parsed.attempt }
  }

  /** The runner caps what it writes; main still reads no more than the cap (plus room for the header lines the runner adds). */
  private responseCap(agent: string): number {
    return (this.instances.get(agent)?.spec.settings.maxOutputBytes ?? 1024 * 1024) + RESPONSE_SLACK
  }

  private markWorking(instance: Instance, trigger: Trigger): void {
    instance.info.task = trigger.task
    instance.info.attempt = trigger.attempt
    instance.info.since = iso()
    instance.info.state = 'working'
    instance.deadline = Date.parse(trigger.deadline) || Date.now() + instance.spec.settings.timeLimitSec * 1000
  }

  private spawn(instance: Instance): void {
    if (this.stopped || instance.info.state === 'stopped') return
    const { spec, info } = instance
    const config = {
      agent: info.name,
      role: spec.name,
      ipcDir: this.o.ipcDir,
      prompt: spec.prompt,
      settings: spec.settings,
      heartbeatMs: this.o.heartbeatMs ?? 1000
    }
    const command = this.o.isolation?.wrap(this.o.runner) ?? this.o.runner
    const child = spawn(command.execPath, command.args, {
      // By environment, never a file: the sandbox hides the data folder (isolation.ts).
      env: agentEnvironment({ ...(this.o.env ?? process.env), ...this.o.providerKeys?.() }, { ELECTRON_RUN_AS_NODE: '1', BATON_AGENT_CONFIG: JSON.stringify(config), ...(this.o.isolation?.kind === 'bubblewrap' ? { BATON_SANDBOXED: '1' } : {}) }, spec.settings.provider),
      stdio: ['ignore', 'pipe', 'pipe', 'ipc']
    })
    instance.child = child
    instance.stopping = false
    instance.heard = false
    instance.spawnedAt = Date.now()
    info.provider = spec.settings.provider
    info.model = spec.settings.model ?? null
    info.pid = child.pid ?? null
    info.lastHeartbeat = iso()
    if (info.state !== 'working' && info.state !== 'paused') info.state = 'idle'
    // The dashboard shows these as text: whole lines, terminal escapes stripped (output-lines.ts).
    for (const stream of [child.stdout, child.stderr]) {
      const lines = lineSplitter((line) => this.emit('progress', { agent: info.name, task: info.task, line: redact(line), at: iso() }))
      stream?.on('data', (chunk: Buffer) => lines.push(chunk))
      stream?.on('end', () => lines.end())
    }
    child.on('message', (message: RunnerMessage) => this.onMessage(instance, message))
    child.on('exit', (code, signal) => this.onExit(instance, child, code, signal))
    child.on('error', () => undefined) // surfaced through 'exit'
    this.emit('state', { ...info })
  }

  private onMessage(instance: Instance, message: RunnerMessage): void {
    const { info } = instance
    info.lastHeartbeat = iso()
    instance.heard = true
    // What the instance says it can do, with each beat: routing by capability reads only what a live instance advertised.
    if ((message.type === 'heartbeat' || message.type === 'ready') && capabilitiesOk(message.capabilities)) info.capabilities = [...message.capabilities]
    if (info.state === 'stalled') info.state = info.task ? 'working' : 'idle'
    if (message.type === 'progress') {
      // A key an agent printed is never shown (log.ts masks every registered secret).
      const line = redact(stripAnsi(message.line))
      if (line.trim()) this.emit('progress', { agent: info.name, task: message.task, line, at: iso() })
    }
    if (message.type === 'finished') this.readResponse(info.name)
    // Only for the attempt the instance holds, and only numbers the protocol would take (shared/protocol/response.ts LIMITS).
    if (message.type === 'usage' && message.task === info.task && message.attempt === info.attempt && liveUsageOk(message.usage)) {
      this.emit('usage', { agent: info.name, task: message.task, attempt: message.attempt, usage: message.usage })
    }
  }

  private onExit(instance: Instance, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (instance.child !== child) return
    instance.child = null
    const { info } = instance
    info.pid = null
    if (this.stopped || info.state === 'stopped') {
      this.emit('state', { ...info })
      return
    }
    // An answer written just before the exit still counts.
    this.readResponse(info.name)
    if (instance.respawning) {
      instance.respawning = false
      if (info.state !== 'paused') info.state = 'idle'
      this.spawn(instance)
      return
    }
    if (info.task && info.attempt !== null && !instance.stopping) {
      this.loseTask(instance, `the agent crashed (${signal ? `signal ${signal}` : `exit code ${code}`})`)
    }
    info.state = info.state === 'paused' ? 'paused' : 'crashed'
    this.emit('state', { ...info })
    if (info.state === 'paused') return
    const delay = (this.o.restartDelayMs ?? ((n) => Math.min(1000 * 2 ** n, 30_000)))(info.restarts)
    info.restarts++
    instance.restartTimer = setTimeout(() => {
      instance.restartTimer = null
      this.spawn(instance)
    }, delay)
    instance.restartTimer.unref()
  }

  private loseTask(instance: Instance, reason: string): void {
    const { info } = instance
    if (!info.task || info.attempt === null) return
    const lost = { agent: info.name, task: info.task, attempt: info.attempt, reason }
    this.seen.add(`${info.name}:${info.task}:${info.attempt}`)
    info.task = null
    info.attempt = null
    info.since = null
    instance.deadline = null
    this.emit('lost', lost)
    this.afterTask(instance)
  }

  private readResponse(agent: string): void {
    const instance = this.instances.get(agent)
    const cap = this.responseCap(agent)
    const path = this.paths.response(agent)
    const file = readEntry(path, cap, { headBytes: RESPONSE_HEAD })
    if (file.kind === 'missing') return
    // The periodic scan hints every file again: skip one already read.
    if (this.signatures.get(agent) === file.signature) return
    this.signatures.set(agent, file.signature)
    if (file.kind === 'refused') {
      // A directory, symlink, FIFO or socket (DESIGN.md §5): never followed or
      // read, removed so no later start meets it again, and an ERROR for the
      // task the agent holds. Whatever the agent writes next lands as a file.
      const removed = removeEntry(path)
      this.answerFor(agent, instance, `The response path ${file.reason} (${removed ? 'removed' : 'could not be removed'} unread)`)
      return
    }
    const oversized = file.size > cap
    let raw = file.text
    let parsed = parseResponse(raw)
    // No TASK line at all: it can only be about what the agent is doing now.
    const task = parsed.task ?? instance?.info.task ?? null
    const attempt = parsed.attempt ?? (parsed.task === null ? (instance?.info.attempt ?? null) : null)
    if (task === null) {
      this.emit('stale', { agent, task: null, attempt, raw, reason: 'a response with no TASK line while the agent had no task' })
      return
    }
    if (oversized) {
      raw = `${raw}\n…(${file.size - Buffer.byteLength(raw)} more bytes not read)`
      parsed = {
        ...parseResponse(
          formatResponse({
            task,
            status: 'error',
            statusText: `The response file is ${file.size} bytes, over the ${cap - RESPONSE_SLACK}-byte cap of ${instance?.spec.name ?? agent}`,
            extra: attempt !== null ? [{ key: 'ATTEMPT', value: String(attempt) }] : []
          })
        ),
        raw
      }
    } else if (parsed.task === null) {
      parsed = { ...parsed, task }
    }
    this.report(agent, instance, task, attempt, parsed, raw)
  }

  /** An ERROR main writes itself for the task the agent holds (nothing readable to blame it on). */
  private answerFor(agent: string, instance: Instance | undefined, statusText: string): void {
    const task = instance?.info.task ?? null
    const attempt = instance?.info.attempt ?? null
    if (task === null) {
      this.emit('stale', { agent, task: null, attempt: null, raw: '', reason: `${statusText}, while the agent had no task` })
      return
    }
    const raw = formatResponse({ task, status: 'error', statusText, extra: attempt !== null ? [{ key: 'ATTEMPT', value: String(attempt) }] : [] })
    this.report(agent, instance, task, attempt, parseResponse(raw), raw)
  }

  private report(agent: string, instance: Instance | undefined, task: string, attempt: number | null, parsed: ParsedResponse, raw: string): void {
    const key = `${agent}:${task}:${attempt}`
    if (this.seen.has(key)) {
      // Lost, cancelled or already answered: recorded, ignored (DESIGN.md §5).
      this.emit('stale', { agent, task, attempt, raw, reason: 'that attempt was already answered, lost or cancelled' })
      return
    }
    this.seen.add(key)
    if (instance && instance.info.task === task && instance.info.attempt === attempt) {
      instance.info.task = null
      instance.info.attempt = null
      instance.info.since = null
      instance.deadline = null
      if (instance.info.state === 'working' || instance.info.state === 'stalled') instance.info.state = 'idle'
      this.emit('state', { ...instance.info })
      this.afterTask(instance)
    }
    // Every new response is reported; the engine ignores one that is not current.
    this.emit('response', { agent, task, attempt: attempt ?? 0, parsed, raw })
  }

  private checkHealth(): void {
    const now = Date.now()
    const stallMs = this.o.stallMs ?? 15_000
    for (const instance of this.instances.values()) {
      const { info } = instance
      if (!instance.child || info.state === 'paused' || info.state === 'stopped') continue
      if (info.task && instance.deadline && now > instance.deadline + (this.o.graceMs ?? 5000)) {
        this.loseTask(instance, 'the task ran past its time limit')
        this.kill(instance)
        continue
      }
      const silent = now - Date.parse(info.lastHeartbeat ?? iso())
      if (silent > stallMs) {
        info.state = 'stalled'
        this.emit('state', { ...info })
        if (info.task) this.loseTask(instance, `the agent stopped sending heartbeats for ${Math.round(silent / 1000)} s`)
        this.kill(instance)
      }
    }
  }

  private kill(instance: Instance): void {
    const child = instance.child
    if (!child) return
    instance.stopping = true
    // Ask the runner itself: in a sandbox, SIGTERM would reach bubblewrap, whose
    // end takes the whole namespace down at once (the runner could not stop
    // its provider's work in order). Unsandboxed, SIGTERM asks the same.
    try {
      child.send({ type: 'stop' } satisfies SupervisorMessage)
    } catch {
      /* channel already closed */
    }
    if (this.o.isolation?.kind !== 'bubblewrap') child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), this.o.killGraceMs ?? 3000)
    timer.unref()
    child.once('exit', () => clearTimeout(timer))
  }

  // ── what the pipeline calls ──────────────────────────────────────────

  /**
   * Whether the instance beats: its last heartbeat at most two beats old. A
   * process that stopped beating (SIGSTOP, a hung event loop) gets no new work
   * within two beats, long before the watchdog's `stallMs` restarts it.
   */
  private beating(instance: Instance, now = Date.now()): boolean {
    const last = Date.parse(instance.info.lastHeartbeat ?? '')
    return Number.isFinite(last) && now - last <= 2 * (this.o.heartbeatMs ?? 1000)
  }

  private online(instance: Instance, now = Date.now()): boolean {
    const { state } = instance.info
    return Boolean(instance.child && instance.heard) && !instance.retiring && !instance.stopping && state !== 'paused' && state !== 'stopped' && state !== 'crashed' && state !== 'stalled' && this.beating(instance, now)
  }

  /** Idle instances per role: beating ones only. */
  idle(): Map<string, string[]> {
    const out = new Map<string, string[]>()
    const now = Date.now()
    for (const instance of this.instances.values()) {
      if (instance.info.state === 'idle' && instance.child && !instance.info.task && !instance.retiring && !instance.stopping && this.beating(instance, now)) {
        const list = out.get(instance.spec.name) ?? []
        list.push(instance.info.name)
        out.set(instance.spec.name, list)
      }
    }
    return out
  }

  /** Roles with instances, every one of them paused by a person. */
  pausedRoles(): Set<string> {
    const seen = new Map<string, boolean>()
    for (const instance of this.instances.values()) {
      // A paused instance's process is stopped (and `stopping` may stay set): only retiring ones do not count.
      if (instance.retiring) continue
      const role = instance.spec.name
      seen.set(role, (seen.get(role) ?? true) && instance.info.state === 'paused')
    }
    return new Set([...seen].filter(([, paused]) => paused).map(([role]) => role))
  }

  roles(): string[] {
    return [...new Set(this.o.roles.map((r) => r.name))]
  }

  dispatch(trigger: Trigger): void {
    const instance = this.instances.get(trigger.agent)
    if (!instance) throw new Error(`no agent named ${trigger.agent}`)
    this.markWorking(instance, trigger)
    writeAtomic(this.paths.trigger(trigger.agent), JSON.stringify(trigger))
    this.emit('state', { ...instance.info })
    this.responses?.poke()
  }

  cancel(agent: string, task: string): void {
    const instance = this.instances.get(agent)
    if (!instance || instance.info.task !== task) return
    const message: SupervisorMessage = { type: 'cancel', task }
    instance.child?.send(message)
    this.seen.add(`${agent}:${task}:${instance.info.attempt}`)
    instance.info.task = null
    instance.info.attempt = null
    instance.info.since = null
    instance.deadline = null
    if (instance.info.state === 'working') instance.info.state = 'idle'
    this.emit('state', { ...instance.info })
    this.afterTask(instance)
  }

  // ── a person's changes to a role (Settings) ──────────────────────────

  /**
   * New settings for a role (provider, model, …) and its instance count. An
   * idle instance restarts with them now; a working one finishes its task
   * first, so the change applies to each instance's next task. Growing starts
   * new instances; shrinking stops idle ones now and busy ones after their task.
   * Returns, per instance, when the change applies.
   */
  configureRole(role: string, settings: RoleSpec['settings']): Array<{ agent: string; applies: 'now' | 'after-task' | 'stopped' | 'started' }> {
    const spec = this.o.roles.find((r) => r.name === role)
    if (!spec) throw new Error(`no role named ${role}`)
    const before = JSON.stringify({ ...spec.settings, instances: 0 })
    spec.settings = { ...settings }
    const changed = before !== JSON.stringify({ ...settings, instances: 0 })
    const out: Array<{ agent: string; applies: 'now' | 'after-task' | 'stopped' | 'started' }> = []
    const mine = [...this.instances.values()].filter((i) => i.spec.name === role)
    for (const instance of mine) {
      instance.spec = spec
      // A working instance keeps reporting what it runs with until it restarts.
      if (!instance.info.task) {
        instance.info.provider = settings.provider
        instance.info.model = settings.model ?? null
      }
    }
    // Shrink: the highest-numbered instances go.
    const ordinal = (i: Instance) => Number(/-(\d+)$/.exec(i.info.name)?.[1] ?? 1)
    for (const instance of mine.filter((i) => ordinal(i) > settings.instances)) {
      if (instance.info.task) {
        instance.retiring = true
        out.push({ agent: instance.info.name, applies: 'after-task' })
      } else {
        this.retire(instance)
        out.push({ agent: instance.info.name, applies: 'stopped' })
      }
    }
    for (const instance of mine.filter((i) => ordinal(i) <= settings.instances)) {
      instance.retiring = false
      if (!changed) continue
      if (instance.info.task) {
        instance.respawnAfterTask = true
        out.push({ agent: instance.info.name, applies: 'after-task' })
      } else {
        this.respawnQuietly(instance)
        out.push({ agent: instance.info.name, applies: 'now' })
      }
    }
    // Grow: the missing ordinals start now.
    for (let i = 1; i <= settings.instances; i++) {
      const name = i === 1 ? role : `${role}-${i}`
      if (this.instances.has(name)) continue
      const instance = this.addInstance(spec, i)
      out.push({ agent: name, applies: 'started' })
      if (this.responses && !this.stopped) this.spawn(instance)
    }
    return out
  }

  /** Respawns or retires an instance whose task just ended, if a person's change waited for it. */
  private afterTask(instance: Instance): void {
    if (!instance.retiring && !instance.respawnAfterTask) return
    setImmediate(() => {
      if (instance.info.task) return
      if (instance.retiring) {
        instance.retiring = false
        this.retire(instance)
        return
      }
      instance.respawnAfterTask = false
      // A crashed or paused instance picks the new settings up when it next starts.
      if (instance.child && !instance.stopping && instance.info.state === 'idle') this.respawnQuietly(instance)
    })
  }

  /** Stops an instance for good and forgets it. */
  private retire(instance: Instance): void {
    if (this.instances.get(instance.info.name) === instance) this.instances.delete(instance.info.name)
    if (instance.restartTimer) clearTimeout(instance.restartTimer)
    instance.restartTimer = null
    instance.info.state = 'stopped'
    if (instance.child) {
      try {
        instance.child.send({ type: 'stop' } satisfies SupervisorMessage)
      } catch {
        /* channel already closed */
      }
      this.kill(instance)
    }
    this.emit('state', { ...instance.info })
  }

  /** Restarts an idle instance so it runs with its role's current settings (not a crash, not counted). */
  /**
   * A key for `provider` was set or removed: its instances start again with
   * the new environment (an idle one now, a working one after its task; not
   * counted as crashes). Returns the agents that will.
   */
  restartProvider(provider: string): string[] {
    const out: string[] = []
    for (const instance of this.instances.values()) {
      if (instance.spec.settings.provider !== provider || !instance.child) continue
      if (instance.info.task) instance.respawnAfterTask = true
      else this.respawnQuietly(instance)
      out.push(instance.info.name)
    }
    return out
  }

  private respawnQuietly(instance: Instance): void {
    if (!instance.child) return
    instance.respawning = true
    this.kill(instance)
  }

  pause(agent: string): AgentInfo {
    const instance = this.require(agent)
    if (instance.info.task) this.loseTask(instance, 'the agent was paused by a person')
    instance.info.state = 'paused'
    this.kill(instance)
    this.emit('state', { ...instance.info })
    return { ...instance.info }
  }

  resume(agent: string): AgentInfo {
    const instance = this.require(agent)
    if (instance.info.state !== 'paused') return { ...instance.info }
    instance.info.state = 'idle'
    if (!instance.child) this.spawn(instance)
    return { ...instance.info }
  }

  restart(agent: string): AgentInfo {
    const instance = this.require(agent)
    if (instance.info.task) this.loseTask(instance, 'the agent was restarted by a person')
    instance.info.restarts++
    if (instance.info.state === 'paused') instance.info.state = 'idle'
    const child = instance.child
    if (child) {
      instance.stopping = true
      child.once('exit', () => {
        if (instance.restartTimer) clearTimeout(instance.restartTimer)
        instance.restartTimer = null
        instance.info.state = 'idle'
        this.spawn(instance)
      })
      this.kill(instance)
    } else this.spawn(instance)
    return { ...instance.info }
  }

  private require(agent: string): Instance {
    const instance = this.instances.get(agent)
    if (!instance) throw new Error(`no agent named ${agent}`)
    return instance
  }

  list(): AgentInfo[] {
    const now = Date.now()
    return [...this.instances.values()].map((i) => ({ ...i.info, capabilities: [...i.info.capabilities], priority: i.spec.settings.priority ?? 0, online: this.online(i, now) }))
  }

  /** Every instance with what it advertised and whether it is online (capability routing, pipeline/capabilities.ts). */
  presence(): Array<{ agent: string; role: string; capabilities: string[]; priority: number; online: boolean; starting: boolean; declared: string[] }> {
    const now = Date.now()
    return [...this.instances.values()].map((i) => ({
      agent: i.info.name,
      role: i.spec.name,
      capabilities: [...i.info.capabilities],
      priority: i.spec.settings.priority ?? 0,
      online: this.online(i, now),
      // Its first start, not heard from yet, within the stall time: what it will advertise is role.yml's (`declared`).
      // One that never speaks, or is coming back from a crash, is not waited for (a fan-out would wait on it for ever).
      starting:
        Boolean(i.child) &&
        !i.heard &&
        !i.retiring &&
        i.info.restarts === 0 &&
        now - (i.spawnedAt ?? 0) < (this.o.stallMs ?? 15_000) &&
        !['paused', 'stopped', 'stalled', 'crashed'].includes(i.info.state),
      declared: [...(i.spec.settings.capabilities ?? [])]
    }))
  }

  /** A role's capabilities as role.yml (with a person's overrides) gives them. */
  capabilitiesOf(role: string): string[] {
    return [...(this.o.roles.find((r) => r.name === role)?.settings.capabilities ?? [])]
  }

  /** Graceful stop: ask, then SIGKILL after the grace period. */
  async stop(): Promise<void> {
    this.stopped = true
    if (this.watchdog) clearInterval(this.watchdog)
    await this.responses?.close()
    const exits: Promise<void>[] = []
    for (const instance of this.instances.values()) {
      if (instance.restartTimer) clearTimeout(instance.restartTimer)
      instance.info.state = 'stopped'
      const child = instance.child
      if (!child) continue
      exits.push(new Promise<void>((resolve) => child.once('exit', () => resolve())))
      instance.stopping = true
      try {
        child.send({ type: 'stop' } satisfies SupervisorMessage)
      } catch {
        /* channel already closed */
      }
      const timer = setTimeout(() => child.kill('SIGKILL'), this.o.killGraceMs ?? 3000)
      timer.unref()
      child.once('exit', () => clearTimeout(timer))
    }
    await Promise.all(exits)
  }
}

