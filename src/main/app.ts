// The composition root: builds Baton's services from its options. Both entries
// (desktop: index.ts, headless: cli.ts → serve.ts) call createCore and serve
// its API. Nothing here imports electron.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ApiOutput, AppStatus, MergeMethod, RepoSummary } from '../shared/api'
import { AppError } from '../shared/errors'
import { dispatch, type Handlers } from './api/dispatch'
import { storeHandlers } from './api/store-handlers'
import { BoardLog } from './store/board-log'
import { paths, prepareDataDir } from './data-dir'
import { EventHub } from './events'
import { GitHubService } from './github/service'
import { acquireLock, type InstanceLock } from './instance-lock'
import { createLogger, type Logger } from './log'
import { configHandlers } from './api/config-handlers'
import { readRoleOverrides } from './agents/role-config'
import { loadRoles, type Role } from './agents/roles'
import { labelsFor } from './github/label-bootstrap'
import { Pipelines } from './pipeline/loader'
import { startRuntime, type Runtime, type RuntimeOptions } from './runtime'
import { startSandbox, type Sandbox } from './sandbox'
import { apiUrlOf, createTokenStore, type Cipher } from './secrets/token-store'
import { audit } from './store/audit'
import { migrations } from './store/migrations/index'
import { openDatabase, schemaVersion, type Db } from './store/open'
import { listRepos } from './store/queries'
import { setChecksWait } from './store/github-signals'
import { attemptSettings, setAttemptSettings } from './store/attempts'
import { readSettings, writeSettings } from './store/settings'
import type { GateTiming } from './github/octokit'
import { VERSION } from './version'
import { takeEnvSecrets } from './secrets/env-secrets'
import { detectIsolation } from './agents/isolation'
import { createProviderKeys } from './secrets/provider-keys'
import { ProviderStatusService, readiness, type ProviderStatusOptions } from './agents/provider-status'
import { providerHandlers } from './api/provider-handlers'
import { notifyHandlers } from './api/notify-handlers'
import { issueHandlers } from './api/issue-handlers'
import { handoffHandlers } from './api/handoff-handlers'
import { memoryHandlers } from './api/memory-handlers'
import { createNotifier, type Notifier } from './notify/notifier'
import { createWebhookStore } from './notify/webhook-store'
import type { WebhookOptions } from './notify/webhook'
import { effectiveSettings } from './agents/role-config'
import { MODEL_PROVIDERS, type ModelProvider } from '../shared/api'
import { Metrics } from './metrics/registry'
import { checkAgentLabels, markFiledBy } from './pipeline/agent-filed'
import type { Caller } from './memory/scope'
// Registers the fan-out review's joins (`join: review`, `join: review-request-changes`) with the pipeline's registry.
import './review/review-join'
import { AgentMcp } from './mcp/agent-access'

const here = dirname(fileURLToPath(import.meta.url))

export interface CoreOptions {
  dataDir: string
  mode: AppStatus['mode']
  sandbox?: boolean
  /** The sandbox forge's port (baton serve --forge-port): that one or a failure; else the one it had last time, else a free one. */
  sandboxForgePort?: number
  /** better_sqlite3.node for the running runtime (the desktop app passes Electron's build). */
  nativeBinding?: string
  log?: Logger
  /** Electron's safeStorage on the desktop; headless keeps a 0600 file. */
  cipher?: Cipher
  /** Role folders (default: agents/ beside the app). */
  agentsDir?: string
  /** How agent processes start (default: the built runner, or tsx on the source). */
  runner?: RuntimeOptions['runner']
  /** Agents start with the core (default: when a repository is connected). */
  startAgents?: boolean
  /**
   * One call from the CLI with no app running (cli-client.ts): the API's
   * writes are made, but no agent starts, nothing is dispatched and no sync
   * loop runs — an agent started for one command and stopped a moment later
   * would lose its attempt and spend the stage's failure budget.
   */
  oneShot?: boolean
  /** Tests and the sandbox shorten GitHub's pacing. */
  githubTiming?: Partial<GateTiming>
  agentTiming?: RuntimeOptions['timing']
  env?: NodeJS.ProcessEnv
  /** The desktop restarts itself into or out of the sandbox (headless has no such hook). */
  switchMode?: (sandbox: boolean) => void
  /** Tests: the webhook's tries and backoff (notify/webhook.ts). */
  webhook?: WebhookOptions
  /** Tests: where the model CLIs are found and how a provider Check runs (agents/provider-status.ts). */
  providerStatus?: Pick<ProviderStatusOptions, 'bundled' | 'providers' | 'checkTimeoutSec' | 'versionTimeoutMs'>
}

export interface Core {
  readonly dataDir: string
  readonly db: Db
  readonly events: EventHub
  readonly lock: InstanceLock
  readonly log: Logger
  readonly handlers: Handlers
  readonly github: GitHubService
  /** Notifications (notify/notifier.ts): the desktop entry shows its notices. */
  readonly notifier: Notifier
  /** Prometheus metrics (metrics/registry.ts): `/metrics`, the --metrics-port and `baton metrics` read them. */
  readonly metrics: Metrics
  /** Baton's MCP for its own agents: the per-task tokens `/mcp` accepts, and the address agents are given (serve.ts sets it). */
  readonly agentMcp: AgentMcp
  runtime(): Runtime | null
  sandbox(): Sandbox | null
  call(method: unknown, input: unknown): ReturnType<typeof dispatch>
  close(): Promise<void>
}

/** The agent runner: built beside the main bundle (this module may sit in a chunk folder), or the TypeScript source through tsx. */
export function defaultRunner(): RuntimeOptions['runner'] {
  for (const built of [join(here, 'runner.js'), join(here, '..', 'runner.js')]) {
    if (existsSync(built)) return { execPath: process.execPath, args: [built] }
  }
  return { execPath: process.execPath, args: ['--import', 'tsx', join(findUp('agents/runner.ts') ?? process.cwd(), 'agents', 'runner.ts')] }
}

/** The role folders: a release ships them as resources; from source they sit at the top of the project. */
export function defaultAgentsDir(): string {
  const packaged = (process as { resourcesPath?: string }).resourcesPath
  if (packaged && existsSync(join(packaged, 'agents'))) return join(packaged, 'agents')
  return join(findUp('agents/pm/role.yml') ?? process.cwd(), 'agents')
}

/** The nearest folder above this module that holds `relative`. */
function findUp(relative: string): string | null {
  let dir = here
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, relative))) return dir
    dir = dirname(dir)
  }
  return null
}

export async function createCore(options: CoreOptions): Promise<Core> {
  const log = options.log ?? createLogger()
  const dataDir = prepareDataDir(options.dataDir)
  // The lock comes first: a second instance must not touch the database at all.
  const lock = acquireLock(dataDir, options.mode)
  let db: Db
  try {
    db = openDatabase(paths.database(dataDir), { nativeBinding: options.nativeBinding })
  } catch (error) {
    lock.release()
    throw error
  }
  const events = new EventHub()
  const startedAt = new Date()
  audit(db, { kind: 'app.start', message: `Baton ${VERSION} started (${options.mode}${options.sandbox ? ', sandbox' : ''})` })

  let sandbox: Sandbox | null = null
  if (options.sandbox) {
    try {
      const asked = options.sandboxForgePort
      sandbox = await (asked !== undefined
        ? startSandbox(dataDir, { port: asked })
        : startSandbox(dataDir, { port: sandboxPort(dataDir) }).catch(() => startSandbox(dataDir, { port: 0 })))
      writeFileSync(join(dataDir, 'sandbox-forge', 'port'), String(new URL(sandbox.forge.url).port))
    } catch (error) {
      db.close()
      lock.release()
      throw new AppError('unavailable', `The sandbox could not start its local GitHub: ${(error as Error).message}`)
    }
  }

  const waits = new Map<string, string>()
  let runtime: Runtime | null = null
  const agentMcp = new AgentMcp()
  const agentsDir = options.agentsDir ?? defaultAgentsDir()
  // The role folders: the running agents' own, else read once for Settings and pipeline checks.
  let catalog: Role[] | null = null
  const roles = (): Role[] => {
    if (runtime) return runtime.roles
    try {
      return (catalog ??= loadRoles(agentsDir).roles)
    } catch (error) {
      log.warn(`agents: no role folders at ${agentsDir}: ${(error as Error).message}`)
      return (catalog = [])
    }
  }
  // Each repository's pipeline: its .baton/pipeline.yml, else Settings', else the default.
  const pipelines = new Pipelines({ db, roles: () => roles().map((r) => r.name), log })
  // The board's version log: which cards every write changed (renderers fetch only those).
  const boardLog = new BoardLog(db, { waits, pipelineOf: (repoId) => pipelines.forRepo(repoId), onChange: () => events.changed('issues') })
  events.board = () => boardLog.forEvent()
  // Main's environment with its secrets; they leave process.env, so no child inherits them.
  const env = options.env ?? takeEnvSecrets()
  const tokens = createTokenStore({ dataDir, env, cipher: options.cipher })
  // Model keys typed into Baton (Settings → Providers): kept like the token, given only to their provider's agents.
  const providerKeys = createProviderKeys({ dataDir, env, cipher: options.cipher })
  // Notifications: the webhook URL is a secret kept like the token; each kind and channel can be turned off.
  const webhook = createWebhookStore({ dataDir, env, cipher: options.cipher })
  const notifier = createNotifier({ events, settings: () => readSettings(db).notifications, webhook, log, send: options.webhook })
  // This core's own registry: task transitions, GitHub answers and expired claims counted as they happen, the rest read at each scrape.
  const metrics = new Metrics({
    db,
    waits,
    pipeline: (repoId) => pipelines.forRepo(repoId),
    agents: () => runtime?.supervisor.list() ?? [],
    rateLimit: () => {
      const status = github.status()
      return status.rateLimit && { host: status.host, ...status.rateLimit }
    }
  })
  const github = new GitHubService({
    db,
    tokens,
    log,
    events,
    defaultApiUrl: sandbox?.forge.apiUrl ?? (env.BATON_GITHUB_API_URL ? apiUrlOf(env.BATON_GITHUB_API_URL) : undefined),
    clientId: env.BATON_GITHUB_CLIENT_ID,
    pollMs: () => readSettings(db).pollIntervalSec * 1000,
    timing: options.githubTiming ?? (sandbox ? { writeGapMs: 0 } : undefined),
    onRequest: (method, status) => metrics.githubResponse(method, status),
    onSynced: () => {
      // GitHub is the truth: follow a person's changes, act on what people did there (answers, reviews, checks), then schedule.
      void runtime?.engine.reconcile().catch(() => undefined)
      void runtime?.engine.fromGitHub().catch(() => undefined)
    },
    pipelines: {
      store: pipelines,
      roles: () => roles().map((r) => r.name),
      labels: (repoId) => labelsFor(pipelines.forRepo(repoId ?? -1).stages, readSettings(db).trust.approvalLabel)
    }
  })

  // What agents run in (agents/isolation.ts): looked at once, shown in Settings.
  const isolation = detectIsolation({ dataDir, shared: [paths.ipc(dataDir), join(dataDir, 'workspaces')], env })
  if (isolation.kind === 'none') log.warn(`agents: ${isolation.detail}`)

  const ensureRuntime = (): Runtime => {
    if (runtime) return runtime
    runtime = startRuntime({
      db,
      dataDir,
      events,
      log,
      github,
      settings: () => readSettings(db),
      agentsDir,
      runner: options.runner ?? defaultRunner(),
      agents: !options.oneShot,
      env,
      providerKeys: () => providerKeys.env(),
      isolation,
      waits,
      metrics,
      timing: options.agentTiming,
      pipeline: (repoId) => pipelines.forRepo(repoId),
      roleOverrides: () => readRoleOverrides(db),
      mcp: agentMcp
    })
    pipelines.invalidate()
    // What people did on GitHub while no engine ran (an answer, a review, a failed check) is in the mirror already.
    void runtime.engine.fromGitHub().catch(() => undefined)
    return runtime
  }

  if (sandbox) {
    // The sandbox signs in as its maintainer and connects its sample repository.
    await github.signInWithToken(sandbox.token, 'sandbox', sandbox.forge.apiUrl)
    const [owner, name] = sandbox.repo.split('/') as [string, string]
    const known = db.prepare('SELECT id FROM repos WHERE owner = ? AND name = ?').get(owner, name) as { id: number } | undefined
    const host = new URL(sandbox.forge.url).host
    if (known) {
      // The forge may have come back on another port.
      db.prepare('UPDATE repos SET api_url = ?, host = ?, key = ? WHERE id = ?').run(sandbox.forge.apiUrl, host, `${host}/${owner}/${name}`.toLowerCase(), known.id)
    } else await github.connect(sandbox.repo)
    // The sandbox's seeded issues predate the connection: it adopts them all.
    db.prepare('UPDATE repos SET connected_at = ? WHERE owner = ? AND name = ?').run('1970-01-01T00:00:00Z', owner, name)
  }
  if (!options.oneShot && (options.startAgents ?? (db.prepare('SELECT COUNT(*) AS n FROM repos').get() as { n: number }).n > 0)) ensureRuntime()
  if (!options.oneShot && github.status().signedIn) github.startSync()

  const status = (): AppStatus => {
    const dbPath = paths.database(dataDir)
    let sizeBytes = 0
    try {
      sizeBytes = statSync(dbPath).size
    } catch {
      /* not yet flushed */
    }
    return {
      version: VERSION,
      mode: options.mode,
      sandbox: Boolean(sandbox),
      canSwitchMode: Boolean(options.switchMode),
      dataDir,
      database: {
        path: dbPath,
        schemaVersion: schemaVersion(db),
        latestVersion: migrations.length,
        sizeBytes,
        journalMode: String(db.pragma('journal_mode', { simple: true }))
      },
      startedAt: startedAt.toISOString(),
      uptimeSec: Math.round((Date.now() - startedAt.getTime()) / 1000),
      isolation: { kind: isolation.kind, detail: isolation.detail },
      platform: `${process.platform}-${process.arch}`,
      node: process.versions.node,
      pid: process.pid
    }
  }

  const engine = () => {
    const r = ensureRuntime()
    return r.engine
  }
  const repoIdOfRequest = (id: number): void => {
    const item = db.prepare('SELECT kind FROM requests WHERE id = ?').get(id) as { kind: string } | undefined
    if (!item) throw new AppError('not_found', `No inbox item ${id}.`)
    // A hand-off is approved or refused, never answered in words (it would close the item and leave the hand-off waiting).
    if (item.kind === 'handoff') throw new AppError('bad_request', `Inbox item ${id} is a hand-off: approve or refuse it (handoffs.approve / handoffs.refuse).`)
  }

  const { checkSettings, settingsChanged, ...configMethods } = configHandlers({
    db,
    events,
    log,
    pipelines,
    roles,
    runtime: () => runtime,
    ensureLabels: (repoId) => github.ensureLabels(repoId),
    providerReadiness: (provider) =>
      (MODEL_PROVIDERS as readonly string[]).includes(provider)
        ? readiness(provider as ModelProvider, { env, keys: providerKeys, bundled: options.providerStatus?.bundled })
        : { refuse: null, warn: null }
  })
  const providerStatus = new ProviderStatusService({
    env,
    keys: providerKeys,
    rolesOf: (provider) => {
      const overrides = readRoleOverrides(db)
      return roles()
        .filter((r) => effectiveSettings(r, overrides[r.name]).provider === provider && effectiveSettings(r, overrides[r.name]).instances > 0)
        .map((r) => r.name)
    },
    ...options.providerStatus
  })

  const handlers: Handlers = {
    // One sign-in serves every repository: its login is Baton's own on all of them.
    ...storeHandlers(db, { pipeline: (repoId) => pipelines.forRepo(repoId), waits, batonLogin: () => github.login() }, boardLog),
    ...configMethods,
    ...providerHandlers({ db, events, keys: providerKeys, status: providerStatus, runtime: () => runtime }),
    ...notifyHandlers({ db, events, webhook, notifier }),
    // The issue page's writes (issue #13); the engine's next pass sees the change.
    ...issueHandlers({ db, events, github, tick: () => void runtime?.engine.tick().catch(() => undefined) }),
    // Hand-offs to other projects (issue #14): through the engine, under the origin issue's lock.
    ...handoffHandlers({ db, events, engine, login: () => github.login(), tick: () => void runtime?.engine.tick().catch(() => undefined) }),
    // Scoped memory and file leases (issue #14): a person here; /mcp passes a task's agent as the caller.
    ...memoryHandlers({ db, events, login: () => github.login(), tick: () => void runtime?.engine.tick().catch(() => undefined) }),
    'app.status': () => status(),
    'app.switchMode': ({ sandbox: into }) => {
      const restart = options.switchMode
      if (!restart) {
        throw new AppError(
          'unavailable',
          into ? 'Headless Baton cannot restart itself: run `baton serve --sandbox` (it keeps its own data folder with --data-dir).' : 'Headless Baton cannot restart itself: run `baton serve` without --sandbox.'
        )
      }
      audit(db, { kind: 'app.switch', message: into ? 'A person chose to try the sandbox' : 'A person left the sandbox' })
      // Answer first; the restart follows.
      setTimeout(() => restart(into), 50).unref?.()
      return { restarting: true as const }
    },
    'settings.get': () => readSettings(db),
    'settings.update': (patch) => {
      checkSettings(patch)
      const before = readSettings(db)
      const next = writeSettings(db, patch)
      audit(db, { kind: 'settings.update', message: `Settings changed: ${Object.keys(patch).join(', ')}` })
      settingsChanged(before, next)
      events.changed('settings', 'events')
      return next
    },
    'agents.list': () => runtime?.agents() ?? [],
    'agents.output': ({ name, limit }) => runtime?.output(name, limit) ?? [],
    'agents.control': ({ name, action }) => {
      const r = runtime
      if (!r) throw new AppError('unavailable', 'No agents are running: connect a repository first.')
      try {
        if (action === 'pause') r.supervisor.pause(name)
        else if (action === 'resume') r.supervisor.resume(name)
        else r.supervisor.restart(name)
      } catch (error) {
        throw new AppError('not_found', (error as Error).message)
      }
      audit(db, { kind: `agent.${action}`, subject: name, message: `A person chose ${action} for ${name}` })
      return r.agents().find((a) => a.name === name) as ApiOutput<'agents.control'>
    },
    'auth.status': () => github.status(),
    'auth.signInToken': async ({ token, apiUrl }) => {
      const result = await github.signInWithToken(token, 'token', apiUrl)
      github.startSync()
      return result
    },
    'auth.deviceStart': () => github.deviceStart(),
    'auth.deviceWait': async () => {
      const result = await github.deviceWait()
      github.startSync()
      return result
    },
    'auth.useGhToken': async () => {
      const result = await github.useGhToken()
      github.startSync()
      return result
    },
    'auth.signOut': () => github.signOut(),
    'repos.connect': async ({ remote }) => {
      const summary = await github.connect(remote)
      ensureRuntime()
      void runtime?.engine.tick().catch(() => undefined)
      return summary
    },
    'repos.disconnect': ({ id }) => github.disconnect(id),
    'repos.syncNow': ({ id }) => github.syncNow(id),
    'repos.setMergeMethod': ({ id, method }) => {
      if (db.prepare('UPDATE repos SET merge_method = ? WHERE id = ?').run(method, id).changes === 0) throw new AppError('not_found', `No connected repository ${id}.`)
      audit(db, { kind: 'repo.merge-method', repoId: id, message: `Merge method set to ${method}` })
      events.changed('repos')
      return listRepos(db).find((r) => r.id === id) as RepoSummary
    },
    'repos.setChecksWait': ({ id, wait }) => {
      if (!setChecksWait(db, id, wait) && !listRepos(db).some((r) => r.id === id)) throw new AppError('not_found', `No connected repository ${id}.`)
      audit(db, { kind: 'repo.checks-wait', repoId: id, message: wait === 'all' ? 'Issues wait for every check before review' : "Issues wait for branch protection's required checks before review" })
      events.changed('repos', 'issues')
      void runtime?.engine.tick().catch(() => undefined)
      return listRepos(db).find((r) => r.id === id) as RepoSummary
    },
    // Parallel attempts at the Engineer stage (issue #15): the repository's setting, and a person's pick.
    'attempts.settings': ({ repoId }) => {
      if (!listRepos(db).some((r) => r.id === repoId)) throw new AppError('not_found', `No connected repository ${repoId}.`)
      return { repoId, ...attemptSettings(db, repoId) }
    },
    'attempts.configure': ({ repoId, attempts, pick, providers }) => {
      if (!listRepos(db).some((r) => r.id === repoId)) throw new AppError('not_found', `No connected repository ${repoId}.`)
      const before = attemptSettings(db, repoId)
      setAttemptSettings(db, repoId, { attempts, pick, providers })
      const how = pick === 'person' ? 'a person picks' : 'the first to pass wins'
      audit(db, { kind: 'attempts.configure', repoId, message: `Parallel attempts: ${before.attempts} → ${attempts} (${how}${providers.length ? `; providers in turn: ${providers.join(', ')}` : ''})` })
      // Not 'repos': the repositories list would reload under the person's typing.
      events.changed('settings')
      return { repoId, ...attemptSettings(db, repoId) }
    },
    'attempts.pick': async ({ repoId, issue, attempt }) => ({ picked: true as const, ...(await engine().pickAttempt(repoId, issue, attempt)) }),
    'attempts.diff': ({ repoId, issue, attempt }) => engine().attemptDiff(repoId, issue, attempt),
    'issues.create': async (input, caller?: Caller) => {
      // An agent's issue (a task's token on /mcp) is its words: marked, at the entry stage, untrusted until a person's approval label (pipeline/agent-filed.ts).
      if (caller?.kind === 'agent') {
        checkAgentLabels(input.labels, pipelines.forRepo(input.repoId).stages.map((s) => s.label), readSettings(db).trust.approvalLabel, caller.name)
        input = { ...input, body: markFiledBy(input.body, caller.name) }
      }
      const result = await github.createIssue(input)
      void runtime?.engine.tick().catch(() => undefined)
      return result
    },
    'drafts.retry': ({ id }) => github.retryDraft(id),
    'drafts.discard': ({ id }) => github.discardDraft(id),
    'prs.detail': ({ repoId, number }) => github.prDetail(repoId, number),
    'prs.merge': async ({ repoId, number, method }) => {
      const chosen = method ?? (db.prepare('SELECT merge_method FROM repos WHERE id = ?').get(repoId) as { merge_method: MergeMethod | null } | undefined)?.merge_method ?? 'merge'
      const { sha } = await engine().merge(repoId, number, chosen)
      // Like GitHub, the method a person used is the one offered next time in this repository.
      db.prepare('UPDATE repos SET merge_method = ? WHERE id = ?').run(chosen, repoId)
      return { merged: true as const, sha }
    },
    'prs.requestChanges': async ({ repoId, number, body, comments }) => {
      await engine().requestChanges(repoId, number, body, comments)
      return { sent: true as const }
    },
    'inbox.answer': async ({ id, answer }) => {
      repoIdOfRequest(id)
      await engine().answer(id, answer)
      return { answered: true as const }
    },
    'tasks.retry': async ({ repoId, issue }) => {
      const outcome = await engine().retry(repoId, issue)
      return { retried: true as const, ...outcome }
    },
    // The board's actions (issue #13): each through the engine, under the issue's lock, audited there.
    'issues.approve': async ({ repoId, issue }) => ({ approved: true as const, ...(await engine().approve(repoId, issue)) }),
    'tasks.stop': async ({ repoId, issue }) => ({ stopped: true as const, ...(await engine().stop(repoId, issue)) })
  }

  let closed = false
  return {
    dataDir,
    db,
    events,
    lock,
    log,
    handlers,
    github,
    notifier,
    metrics,
    agentMcp,
    runtime: () => runtime,
    sandbox: () => sandbox,
    call: (method, input) => dispatch(handlers, method, input, log),
    async close() {
      if (closed) return
      closed = true
      github.stop()
      await runtime?.stop()
      agentMcp.serve(null)
      notifier.stop()
      await sandbox?.close()
      boardLog.stop()
      events.board = null
      audit(db, { kind: 'app.stop', message: 'Baton stopped' })
      db.close()
      lock.release()
    }
  }
}

/** The sandbox's forge keeps its port across restarts, so links and clones stay valid. */
function sandboxPort(dataDir: string): number {
  try {
    const port = Number(readFileSync(join(dataDir, 'sandbox-forge', 'port'), 'utf8'))
    return Number.isInteger(port) && port > 0 ? port : 0
  } catch {
    return 0
  }
}
