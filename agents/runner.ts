// The agent process (DESIGN.md §5, §6). One long-lived process per agent
// instance, started by main's supervisor with ELECTRON_RUN_AS_NODE so the same
// code runs under Electron and Node. It watches its trigger file, runs the
// role's provider, and writes its response file atomically. Heartbeats and
// live progress go to main over the Node IPC channel; the files stay the
// record, so a crash of either side loses nothing.
import { rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { z } from 'zod'
import { ipcPaths, readIfExists, watchFolder, writeAtomic } from '../src/main/agents/file-ipc'
import { attemptRun } from '../src/main/agents/attempt-provider'
import { providers } from '../src/main/agents/providers/index'
import type { ProviderContext, ProviderResult, Usage } from '../src/main/agents/providers/types'
import { formatResponse, parseResponse } from '../src/shared/protocol/response'
import { Trigger } from '../src/shared/protocol/trigger'

const Config = z.object({
  agent: z.string(),
  role: z.string(),
  ipcDir: z.string(),
  prompt: z.string(),
  settings: z.object({
    provider: z.string(),
    model: z.string().optional(),
    permissionMode: z.string().optional(),
    allowedTools: z.array(z.string()).optional(),
    command: z.string().optional(),
    timeLimitSec: z.number().positive(),
    maxOutputBytes: z.number().int().positive(),
    /** role.yml's capabilities: advertised with every heartbeat, so main routes by what a live instance says it can do. */
    capabilities: z.array(z.string()).default([])
  }),
  heartbeatMs: z.number().int().positive().default(1000)
})
type Config = z.infer<typeof Config>

export type RunnerMessage =
  | { type: 'ready'; pid: number; capabilities?: string[] }
  | { type: 'heartbeat'; task: string | null; capabilities?: string[] }
  | { type: 'started'; task: string; attempt: number }
  | { type: 'progress'; task: string; line: string }
  /** The run's usage so far (running totals, as the provider streams them): main stops a run past a spend budget. */
  | { type: 'usage'; task: string; attempt: number; usage: Usage }
  | { type: 'finished'; task: string; attempt: number }

export type SupervisorMessage = { type: 'cancel'; task: string } | { type: 'stop' }

const send = (message: RunnerMessage) => {
  if (process.send && process.connected) process.send(message)
}

/** The response text with TASK and ATTEMPT first, whatever the provider wrote. */
export function finalizeResponse(task: string, attempt: number, result: ProviderResult, maxBytes: number, durationMs?: number): string {
  const parsed = parseResponse(result.text.trimStart().startsWith('TASK:') ? result.text : `TASK: ${task}\n${result.text}`)
  const usage = result.usage
    ? {
        input_tokens: result.usage.inputTokens,
        output_tokens: result.usage.outputTokens,
        cache_read_tokens: result.usage.cacheReadTokens,
        cache_write_tokens: result.usage.cacheWriteTokens,
        cost_usd: result.usage.costUsd
      }
    : parsed.usage
  const extra = [{ key: 'ATTEMPT', value: String(attempt) }, ...parsed.unknown.filter((u) => u.key !== 'ATTEMPT' && u.key !== 'SESSION' && u.key !== 'DURATION-MS')]
  if (result.sessionId) extra.push({ key: 'SESSION', value: result.sessionId })
  // How long the agent itself worked: main's share of a task is the rest.
  if (durationMs !== undefined) extra.push({ key: 'DURATION-MS', value: String(Math.round(durationMs)) })
  if (parsed.task !== null && parsed.task !== task) {
    return formatResponse({ task, status: 'error', statusText: `The agent answered for task ${parsed.task}, not ${task}`, extra, usage })
  }
  const text = formatResponse({
    task,
    status: parsed.status,
    statusText: parsed.statusText,
    issue: parsed.issue,
    labelUpdate: parsed.labelUpdate,
    branch: parsed.branch,
    pr: parsed.pr,
    labels: parsed.labels,
    handoffs: parsed.handoffs,
    usage,
    extra,
    body: parsed.body
  })
  if (Buffer.byteLength(text) > maxBytes) {
    return formatResponse({
      task,
      status: 'error',
      statusText: `The response was ${Buffer.byteLength(text)} bytes, over the role's cap of ${maxBytes}`,
      extra,
      usage
    })
  }
  return text
}

async function main(): Promise<void> {
  const config: Config = Config.parse(JSON.parse(process.env.BATON_AGENT_CONFIG ?? '{}'))
  delete process.env.BATON_AGENT_CONFIG
  const paths = ipcPaths(config.ipcDir)
  const triggerFile = paths.trigger(config.agent)
  const responseFile = paths.response(config.agent)
  const handled = new Set<string>()
  const previous = readIfExists(responseFile)
  if (previous) {
    const parsed = parseResponse(previous)
    const attempt = parsed.unknown.find((u) => u.key === 'ATTEMPT')?.value
    if (parsed.task && attempt) handled.add(`${parsed.task}:${attempt}`)
  }
  let current: { task: string; attempt: number; abort: AbortController } | null = null
  let stopping = false

  const run = async (trigger: Trigger) => {
    const abort = new AbortController()
    current = { task: trigger.task, attempt: trigger.attempt, abort }
    send({ type: 'started', task: trigger.task, attempt: trigger.attempt })
    const limit = setTimeout(() => abort.abort(new Error(`time limit of ${config.settings.timeLimitSec} s passed`)), config.settings.timeLimitSec * 1000)
    // The attempt's own files (its MCP config, with its task token): beside the
    // ipc folder, in the data folder — which the sandbox replaces with a tmpfs
    // of its own, so no other agent sees them — never in the worktree.
    const runDir = join(dirname(config.ipcDir), 'runs', config.agent, `${trigger.task}-${trigger.attempt}`)
    let text: string
    try {
      // One of several parallel attempts may ask for its own model, or builtin (attempt-provider.ts).
      const picked = attemptRun(config.settings, trigger.parallel)
      if (picked.note) send({ type: 'progress', task: trigger.task, line: picked.note })
      const settings = picked.settings
      const provider = providers[settings.provider]
      if (!provider) throw new Error(`unknown provider "${settings.provider}" (known: ${Object.keys(providers).join(', ')})`)
      const ctx: ProviderContext = {
        trigger,
        rolePrompt: config.prompt,
        settings,
        cwd: trigger.workspace ?? process.cwd(),
        signal: abort.signal,
        progress: (line) => send({ type: 'progress', task: trigger.task, line: line.slice(0, 2000) }),
        usage: (usage) => send({ type: 'usage', task: trigger.task, attempt: trigger.attempt, usage }),
        resumeSession: trigger.resumeSession,
        env: process.env,
        runDir
      }
      const started = performance.now()
      const result = await provider(ctx)
      text = finalizeResponse(trigger.task, trigger.attempt, result, config.settings.maxOutputBytes, performance.now() - started)
    } catch (error) {
      const reason = abort.signal.aborted ? String((abort.signal.reason as Error)?.message ?? abort.signal.reason) : (error as Error).message
      text = formatResponse({ task: trigger.task, status: 'error', statusText: reason.split('\n')[0] ?? 'failed', extra: [{ key: 'ATTEMPT', value: String(trigger.attempt) }], body: reason })
    } finally {
      clearTimeout(limit)
      rmSync(runDir, { recursive: true, force: true })
    }
    current = null
    // Stopping (main is gone, or it stopped this agent): whatever the provider
    // returned was cut short — a test run killed mid-way is not a verdict. No
    // answer is written; the trigger stays pending and the next run does it.
    if (stopping) return
    // A cancelled task's answer is still written: main records it as stale.
    writeAtomic(responseFile, text)
    send({ type: 'finished', task: trigger.task, attempt: trigger.attempt })
    check()
    // Main often answers with the next trigger at once, inside chokidar's 50 ms window.
    watcher.poke()
  }

  const check = () => {
    if (current) return
    const raw = readIfExists(triggerFile)
    if (!raw) return
    let trigger: Trigger
    try {
      trigger = Trigger.parse(JSON.parse(raw))
    } catch (error) {
      const task = /"task"\s*:\s*"([^"]+)"/.exec(raw)?.[1] ?? 't_unknown'
      const key = `${task}:invalid:${raw.length}`
      if (handled.has(key)) return
      handled.add(key)
      writeAtomic(responseFile, formatResponse({ task, status: 'error', statusText: `Unreadable trigger: ${(error as Error).message.split('\n')[0]}` }))
      return
    }
    const key = `${trigger.task}:${trigger.attempt}`
    if (handled.has(key)) return
    handled.add(key)
    void run(trigger)
  }

  const watcher = watchFolder(paths.triggers, `${config.agent}.trigger`, (name) => {
    if (name === `${config.agent}.trigger`) check()
  })
  const heartbeat = setInterval(() => {
    // A parent that died before the 'disconnect' listener existed leaves no event: look.
    if (process.send && !process.connected) stop()
    else send({ type: 'heartbeat', task: current?.task ?? null, capabilities: config.settings.capabilities })
  }, config.heartbeatMs)
  process.on('message', (message: SupervisorMessage) => {
    if (message.type === 'cancel' && current?.task === message.task) current.abort.abort(new Error('cancelled by main'))
    if (message.type === 'stop') {
      stopping = true
      current?.abort.abort(new Error('the agent is stopping'))
      clearInterval(heartbeat)
      void watcher.close().then(() => process.exit(0))
    }
  })
  // Stopped by main (time limit, stall, restart): end the provider's process
  // tree first, so no CLI or test run outlives its agent.
  const stop = () => {
    stopping = true
    current?.abort.abort(new Error('the agent is stopping'))
    setTimeout(() => process.exit(0), 1500).unref()
    if (!current) process.exit(0)
  }
  process.on('SIGTERM', stop)
  process.on('disconnect', stop)
  if (process.send && !process.connected) stop()
  send({ type: 'ready', pid: process.pid, capabilities: config.settings.capabilities })
  check()
}

if (process.env.BATON_AGENT_CONFIG) {
  main().catch((error: unknown) => {
    process.stderr.write(`agent runner failed: ${(error as Error).stack ?? error}\n`)
    process.exit(1)
  })
}
