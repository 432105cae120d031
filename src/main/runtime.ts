// The running pipeline: agents (supervisor), workspaces and the engine, wired
// to GitHub. Built by the composition root when a GitHub connection exists.
import { join } from 'node:path'
import type { AgentOutputLine, AgentSummary, Settings } from '../shared/api'
import { effectiveSettings, type RoleOverride } from './agents/role-config'
import { loadRoles, type Role, type RoleSettings } from './agents/roles'
import { toAgentResult } from './agents/results'
import { Supervisor, type AgentInfo } from './agents/supervisor'
import type { Isolation } from './agents/isolation'
import { paths } from './data-dir'
import type { EventHub } from './events'
import type { Logger } from './log'
import { defaultPipeline, type Pipeline } from './pipeline/definition'
import { PipelineEngine } from './pipeline/engine'
import type { GitHubPort, RepoRef } from './pipeline/ports'
import { audit } from './store/audit'
import type { Db } from './store/open'
import { Workspaces } from './workspace/workspaces'
import type { Metrics } from './metrics/registry'
import type { AgentMcp } from './mcp/agent-access'

/** What the runtime needs from the GitHub side. */
export interface GitHubLink {
  port(): GitHubPort
  /** Clone URL of a connected repository, without credentials. */
  cloneUrl(repo: RepoRef): string
  /** Main's token for git over HTTPS (never given to agents). */
  token(): string | null
}

export interface RuntimeOptions {
  db: Db
  dataDir: string
  events: EventHub
  log: Logger
  github: GitHubLink
  settings: () => Settings
  /** Folder of the role folders (agents/). */
  agentsDir: string
  /** How agent processes start: the built runner under Electron/Node, or tsx on the source. */
  runner: { execPath: string; args: string[] }
  env?: NodeJS.ProcessEnv
  /** Model keys Baton holds, as variables; each reaches only its provider's roles (secrets/provider-keys.ts). */
  providerKeys?: () => Record<string, string>
  /** The sandbox agents start in (agents/isolation.ts). */
  isolation?: Isolation
  /** Shared with the board: why an issue waits. */
  waits?: Map<string, string>
  /** How often the scheduler looks again on its own (backoffs expiring). */
  tickMs?: number
  /** Start the agents and the engine's ticks (default true; false for a one-shot CLI call, see CoreOptions.oneShot). */
  agents?: boolean
  timing?: { heartbeatMs?: number; stallMs?: number; backoffMs?: (attempt: number) => number }
  /** Each repository's pipeline (default: the default pipeline). */
  pipeline?: (repoId: number) => Pipeline
  /** A person's overrides over role.yml (provider, model, instances), by role. */
  roleOverrides?: () => Record<string, RoleOverride>
  /** Prometheus metrics (metrics/registry.ts): the engine counts task transitions, the supervisor's expired claims are counted here. */
  metrics?: Metrics
  /** Baton's MCP for its own agents: each attempt's trigger gets the address and a token scoped to its task (mcp/agent-access.ts). */
  mcp?: AgentMcp
}

export interface Runtime {
  engine: PipelineEngine
  supervisor: Supervisor
  roles: Role[]
  waits: Map<string, string>
  agents(): AgentSummary[]
  output(agent: string, limit: number): AgentOutputLine[]
  /** Applies a role's current overrides to its agents; says, per instance, when. */
  configureRole(role: string): ReturnType<Supervisor['configureRole']>
  /** A role's settings as they apply now (role.yml with the overrides). */
  settingsOf(role: string): RoleSettings | undefined
  stop(): Promise<void>
}

const OUTPUT_LINES = 500

export function startRuntime(o: RuntimeOptions): Runtime {
  const { roles, refused } = loadRoles(o.agentsDir)
  for (const error of refused) {
    o.log.warn(`agents: refused a role folder: ${error.message}`)
    audit(o.db, { kind: 'role.refused', message: error.message })
  }
  const byName = new Map(roles.map((r) => [r.name, r]))
  const settingsOf = (role: string): RoleSettings | undefined => {
    const r = byName.get(role)
    return r ? effectiveSettings(r, o.roleOverrides?.()[role]) : undefined
  }
  const supervisor = new Supervisor({
    ipcDir: paths.ipc(o.dataDir),
    roles: roles.map((r) => ({ name: r.name, prompt: r.prompt, settings: settingsOf(r.name) ?? r.settings })),
    runner: o.runner,
    env: o.env,
    providerKeys: o.providerKeys,
    isolation: o.isolation,
    heartbeatMs: o.timing?.heartbeatMs,
    stallMs: o.timing?.stallMs
  })
  // The provider an instance runs with now (its role's, until a change waits for its task).
  const providerOf = (agent: string): string => supervisor.list().find((a) => a.name === agent)?.provider ?? settingsOf(agent.replace(/-\d+$/, ''))?.provider ?? 'unknown'
  const waits = o.waits ?? new Map<string, string>()
  const workspaces = new Workspaces({
    root: join(o.dataDir, 'workspaces'),
    cloneUrl: (repo) => o.github.cloneUrl(repo),
    token: () => o.github.token()
  })
  const engine = new PipelineEngine({
    db: o.db,
    events: o.events,
    log: o.log,
    pool: {
      idle: () => supervisor.idle(),
      pausedRoles: () => supervisor.pausedRoles(),
      roles: () => supervisor.roles(),
      presence: () => supervisor.presence(),
      capabilitiesOf: (role) => supervisor.capabilitiesOf(role),
      // Each attempt gets its own task token (when its CLI speaks MCP), revoked when the attempt ends.
      dispatch: (trigger) => supervisor.dispatch(o.mcp ? o.mcp.grant(trigger, providerOf(trigger.agent)) : trigger),
      cancel: (agent, task) => {
        supervisor.cancel(agent, task)
        o.mcp?.end(task)
      },
      handedOver: (agent, task, attempt) => supervisor.handedOver(agent, task, attempt)
    },
    github: o.github.port(),
    workspace: workspaces,
    pipeline: o.pipeline ?? ((): Pipeline => defaultPipeline),
    settings: o.settings,
    waits,
    timeLimitSec: (role) => settingsOf(role)?.timeLimitSec ?? 900,
    backoffMs: o.timing?.backoffMs,
    metrics: o.metrics
  })

  // Each agent's last lines, kept after it goes idle: a builtin run that took
  // milliseconds stays visible on the Agents screen. Each line carries its
  // task's issue (looked up once per task), so runs can be told apart.
  const outputs = new Map<string, AgentOutputLine[]>()
  const tags = new Map<string, Pick<AgentOutputLine, 'repoId' | 'repo' | 'issue'>>()
  const tagOf = (task: string | null): Pick<AgentOutputLine, 'repoId' | 'repo' | 'issue'> => {
    if (!task) return { repoId: null, repo: null, issue: null }
    const known = tags.get(task)
    if (known) return known
    const row = o.db.prepare('SELECT t.repo_id AS repoId, t.issue, r.owner, r.name FROM tasks t JOIN repos r ON r.id = t.repo_id WHERE t.id = ?').get(task) as
      | { repoId: number; issue: number; owner: string; name: string }
      | undefined
    const tag = row ? { repoId: row.repoId, repo: `${row.owner}/${row.name}`, issue: row.issue } : { repoId: null, repo: null, issue: null }
    if (row) {
      if (tags.size >= 1000) tags.delete(tags.keys().next().value as string)
      tags.set(task, tag)
    }
    return tag
  }
  supervisor.on('response', (r) => {
    o.mcp?.end(r.task, r.attempt)
    // The instance's own provider and model: the ones it ran with, even just after a change.
    const info = supervisor.list().find((a) => a.name === r.agent)
    const role = settingsOf(r.agent.replace(/-\d+$/, ''))
    void engine
      .handleResult(toAgentResult(r, { provider: info?.provider ?? role?.provider ?? 'unknown', model: info ? info.model : (role?.model ?? null) }))
      .catch(() => undefined)
  })
  supervisor.on('usage', (u) => {
    const info = supervisor.list().find((a) => a.name === u.agent)
    engine.liveUsage({ ...u, provider: info?.provider ?? 'unknown', model: info?.model ?? null })
  })
  supervisor.on('lost', (l) => {
    o.mcp?.end(l.task, l.attempt)
    audit(o.db, { kind: 'agent.lost', taskId: l.task, subject: l.agent, message: `${l.agent} lost task ${l.task}: ${l.reason}` })
    o.metrics?.attemptLost(l.agent, l.reason)
    void engine.attemptLost(l.task, l.attempt, l.reason).catch(() => undefined)
  })
  supervisor.on('progress', (p) => {
    const list = outputs.get(p.agent) ?? []
    const row: AgentOutputLine = { at: p.at, line: p.line, task: p.task, ...tagOf(p.task) }
    list.push(row)
    if (list.length > OUTPUT_LINES) list.splice(0, list.length - OUTPUT_LINES)
    outputs.set(p.agent, list)
    o.events.emit({ type: 'agent.output', agent: p.agent, ...row })
  })
  let idleKick: NodeJS.Timeout | null = null
  supervisor.on('state', (info) => {
    o.events.changed('agents')
    // An agent came free: there may be work for it.
    if (info.state === 'idle' && !idleKick) {
      idleKick = setTimeout(() => {
        idleKick = null
        void engine.tick().catch(() => undefined)
      }, 50)
    }
  })
  let timer: NodeJS.Timeout | null = null
  if (o.agents !== false) {
    // A trigger an earlier run left pending carries that run's token, dead now: a fresh one, or none.
    if (o.mcp) o.mcp.regrantPending(paths.ipc(o.dataDir), (task, attempt) => runningAttempt(o.db, task, attempt), providerOf)
    supervisor.start()
    // Running tasks whose trigger was never written (main stopped in between) go back to the queue.
    void engine.resume().catch(() => undefined)
    timer = setInterval(() => void engine.tick().catch(() => undefined), o.tickMs ?? 2000)
    timer.unref()
  }

  const lastRun = (agent: string): AgentSummary['lastRun'] => {
    const last = (outputs.get(agent) ?? []).findLast((l) => l.task !== null)
    return last?.task ? { task: last.task, repoId: last.repoId, repo: last.repo, issue: last.issue, at: last.at } : null
  }
  const summary = (info: AgentInfo): AgentSummary => {
    const task = info.task ? (o.db.prepare('SELECT t.issue, r.owner, r.name FROM tasks t JOIN repos r ON r.id = t.repo_id WHERE t.id = ?').get(info.task) as { issue: number; owner: string; name: string } | undefined) : undefined
    const today = o.db
      .prepare(
        "SELECT COALESCE(SUM(input_tokens),0) AS inputTokens, COALESCE(SUM(output_tokens),0) AS outputTokens, COALESCE(SUM(cost_usd),0) AS costUsd FROM usage WHERE agent = ? AND at >= ?"
      )
      .get(info.name, new Date().toISOString().slice(0, 10)) as AgentSummary['today']
    return {
      name: info.name,
      role: info.role,
      provider: info.provider,
      // A model means something only to a model provider.
      model: info.provider === 'builtin' ? null : info.model,
      state: info.state === 'starting' ? 'idle' : info.state,
      pid: info.pid,
      task: info.task,
      repo: task ? `${task.owner}/${task.name}` : null,
      issue: task?.issue ?? null,
      since: info.since,
      lastHeartbeat: info.lastHeartbeat,
      restarts: info.restarts,
      capabilities: info.capabilities,
      online: info.online,
      today,
      lastRun: lastRun(info.name)
    }
  }

  return {
    engine,
    supervisor,
    roles,
    waits,
    agents: () => supervisor.list().map(summary),
    output: (agent, limit) => (outputs.get(agent) ?? []).slice(-limit),
    configureRole(role) {
      const settings = settingsOf(role)
      if (!settings) throw new Error(`no role named ${role}`)
      const result = supervisor.configureRole(role, settings)
      o.events.changed('agents')
      // New instances may take waiting work.
      void engine.tick().catch(() => undefined)
      return result
    },
    settingsOf,
    async stop() {
      if (timer) clearInterval(timer)
      if (idleKick) clearTimeout(idleKick)
      await engine.idle()
      await supervisor.stop()
    }
  }
}

/** Whether the task's attempt is the one running (an earlier run's pending trigger may be for an attempt since ended). */
function runningAttempt(db: Db, task: string, attempt: number): boolean {
  const row = db.prepare('SELECT state, attempt FROM tasks WHERE id = ?').get(task) as { state: string; attempt: number } | undefined
  return row?.state === 'running' && row.attempt === attempt
}
