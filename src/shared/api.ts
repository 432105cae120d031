// The one API of Baton: commands, queries and events. Declared once here and
// served by both transports (Electron IPC in the desktop app, HTTP + WebSocket
// in headless mode). Inputs are zod schemas checked at the boundary; outputs
// are the core's own types.
import { z } from 'zod'
import type { ApiErrorBody } from './errors'
import { PipelineSpec, type PipelineSource, type StageDef } from './pipeline'
import { ForgetInput, LeaseInput, RecallInput, ReleaseInput, RememberInput, type LeaseResult, type LeaseView, type MemoryEntry } from './memory'

const Empty = z.object({}).strict()
const AgentNameSchema = z.string().regex(/^[a-z][a-z0-9-]{0,39}$/)

export const Theme = z.enum(['system', 'light', 'dark'])
export type Theme = z.infer<typeof Theme>

/** GitHub's author associations, most trusted first. */
export const AUTHOR_ASSOCIATIONS = ['OWNER', 'MEMBER', 'COLLABORATOR', 'CONTRIBUTOR', 'FIRST_TIME_CONTRIBUTOR', 'FIRST_TIMER', 'MANNEQUIN', 'NONE'] as const

/** An issue is trusted when its author's association is listed, or a maintainer added the approval label. */
export const TrustPolicy = z
  .object({
    associations: z
      .array(z.enum(AUTHOR_ASSOCIATIONS, { error: () => `an association is one of ${AUTHOR_ASSOCIATIONS.join(', ')}` }))
      .max(AUTHOR_ASSOCIATIONS.length)
      .refine((a) => new Set(a).size === a.length, 'an association is listed once')
      .refine((a) => a.includes('OWNER'), "the repository's owner stays trusted (OWNER must be listed)"),
    approvalLabel: z
      .string()
      .trim()
      .regex(/^[a-z0-9][a-z0-9:._-]{0,49}$/, 'the approval label is lowercase letters, digits and : . _ - (at most 50)')
  })
  .strict()
export type TrustPolicy = z.infer<typeof TrustPolicy>

const Dollars = z.number({ error: () => 'a budget in dollars is a number (0: none)' }).finite().min(0, 'a budget is 0 (none) or more').max(1_000_000, 'a budget is at most $1,000,000')
const Tokens = z.number({ error: () => 'a budget in tokens is a whole number (0: none)' }).int('a budget in tokens is a whole number').min(0, 'a budget is 0 (none) or more').max(1e12, 'a budget is at most 1e12 tokens')

/**
 * Spend caps (Settings → Budgets; pipeline/spend.ts does the arithmetic). Dollars
 * count what providers priced; tokens count usage a provider reported no price
 * for. Per issue: all its tasks ever; per day and per role: since 00:00 UTC.
 * 0 means none. Over one, no task starts and a running agent is stopped.
 */
export const SpendBudgets = z
  .object({
    issueUsd: Dollars,
    dayUsd: Dollars,
    issueTokens: Tokens,
    dayTokens: Tokens,
    /** Per role (base name: `engineer` covers `engineer-2`), per day; a role not listed has none. */
    roles: z.record(z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'a role is a name like engineer'), z.object({ usd: Dollars, tokens: Tokens }).strict())
  })
  .strict()
export type SpendBudgets = z.infer<typeof SpendBudgets>

/** What notifies (Settings → Notifications): each kind, and each channel. */
export const NotificationSettings = z
  .object({
    /** An agent's REQUEST. */
    request: z.boolean(),
    /** A failure that needs a person. */
    failure: z.boolean(),
    /** A PR ready for the person's review. */
    review: z.boolean(),
    /** A spent budget. */
    budget: z.boolean(),
    /** The desktop app's notifications, and the browser's in headless mode. */
    desktop: z.boolean(),
    /** The outgoing webhook (its URL is a secret: notify.webhook*). */
    webhook: z.boolean()
  })
  .strict()
export type NotificationSettings = z.infer<typeof NotificationSettings>
export const NOTIFY_KINDS = ['request', 'failure', 'review', 'budget'] as const
export type NotifyKind = (typeof NOTIFY_KINDS)[number]

export const Settings = z.object({
  theme: Theme,
  /** Seconds between sync polls of each connected repository. */
  pollIntervalSec: z.number().int().min(5).max(3600),
  /** Sequential (one open agent PR at a time) is the safe default. */
  parallelPrs: z.boolean(),
  /** Hand-offs per issue before it waits for a person (DESIGN.md §5). */
  handoffCap: z.number().int().min(0).max(50),
  /** Tester/review loops per issue before the person decides. */
  loopCap: z.number().int().min(1).max(20),
  /** Whose issues agents with tools may see (DESIGN.md §9). */
  trust: TrustPolicy,
  /** Spend caps (pipeline/spend.ts); 0 means none. */
  budgets: SpendBudgets,
  /** What notifies, and where (src/shared/notify.ts). */
  notifications: NotificationSettings
})
export type Settings = z.infer<typeof Settings>

export const DEFAULT_SETTINGS: Settings = {
  theme: 'system',
  pollIntervalSec: 15,
  parallelPrs: false,
  handoffCap: 5,
  loopCap: 3,
  trust: { associations: ['OWNER', 'MEMBER', 'COLLABORATOR'], approvalLabel: 'approved' },
  budgets: { issueUsd: 5, dayUsd: 20, issueTokens: 2_000_000, dayTokens: 10_000_000, roles: {} },
  notifications: { request: true, failure: true, review: true, budget: true, desktop: true, webhook: true }
}

/** Providers a role may run (agents/runner.ts's `providers`). */
export const PROVIDERS = ['builtin', 'claude-code', 'codex', 'command'] as const
export type ProviderName = (typeof PROVIDERS)[number]

/** A role's settings as they apply: role.yml with the person's overrides on top. */
export interface RoleConfig {
  name: string
  description: string
  /** Stages the role owns in role.yml. */
  stages: string[]
  provider: string
  model: string | null
  instances: number
  /** role.yml's own values. */
  defaults: { provider: string; model: string | null; instances: number }
  /** Fields a person changed in Settings (over role.yml). */
  overridden: Array<'provider' | 'model' | 'instances'>
  /** role.yml names a command (the command provider needs one). */
  hasCommand: boolean
  /** role.yml's `capabilities:` (what its instances advertise) and `priority:` (the order among capable free instances). */
  capabilities: string[]
  priority: number
  /** Instances running now (0 while no agents run). */
  running: number
}

export interface RoleUpdateResult {
  role: RoleConfig
  /** When the change takes effect, in words. */
  applies: string
  /** The role's provider may not be ready to run (e.g. no sign-in found), and what to do; null when it is. */
  warning?: string | null
}

/** Model providers Baton can check and hold a key for (Settings → Providers). */
export const MODEL_PROVIDERS = ['claude-code', 'codex'] as const
export type ModelProvider = (typeof MODEL_PROVIDERS)[number]

/** The webhook as Settings shows it: never the URL (its path is the secret), only its host. */
export interface WebhookStatus {
  set: boolean
  host: string | null
  /** Where it is kept, in words. */
  storage: string
  /** From BATON_NOTIFY_WEBHOOK: Settings cannot change it. */
  fromEnv: boolean
}

/** Whether a model provider can run: its CLI, its version, how it authenticates (never the key itself). */
export interface ProviderStatus {
  provider: ModelProvider
  /** "Claude Code", "Codex". */
  title: string
  cli: {
    installed: boolean
    /** The executable Baton runs, when found. */
    path: string | null
    /** Where it was found: BATON_CLAUDE_PATH / BATON_CODEX_PATH, Baton's own bundled copy, or PATH. */
    source: 'env' | 'bundled' | 'path' | null
    /** `--version`'s first line, or null when it could not be read (the problem says why). */
    version: string | null
    problem: string | null
  }
  auth: {
    ready: boolean
    /** A key typed into Baton, an environment variable, the CLI's own sign-in, or a cloud provider's setting. */
    source: 'baton' | 'env' | 'login' | 'cloud' | null
    /** In words: which key, which variable, which sign-in file. */
    detail: string
  }
  /** The key typed into Baton for this provider: whether there is one and where it is kept. */
  key: { held: boolean; variable: string; storage: string; warning: string | null }
  /** Installed and able to authenticate (a Check proves it works). */
  ready: boolean
  /** What to do first when it is not ready, in words; null when ready. */
  todo: string | null
  /** Roles that run this provider now. */
  roles: string[]
}

/** One short real turn through the provider, as the runner runs it. */
export interface ProviderCheck {
  provider: ModelProvider
  ok: boolean
  /** The model's answer (first lines, secrets masked). */
  answer: string | null
  durationMs: number
  /** What the provider reported this turn cost; null when it reports no price (tokens then). */
  costUsd: number | null
  tokens: { input: number; output: number } | null
  /** Why it failed, and what to do. */
  error: string | null
  todo: string | null
  checkedAt: string
}

/** A repository's (or every repository's) pipeline and where it comes from. */
export interface PipelineView {
  repoId: number | null
  source: PipelineSource
  stages: StageDef[]
  entry: string
  done: string
  /** The repository's `.baton/pipeline.yml`, when Baton has looked. */
  file: { path: string; present: boolean; error: string | null; checkedAt: string | null } | null
  /** The custom pipeline set in Settings for this scope, if any. */
  custom: boolean
  /** Roles a stage may name as owner. */
  roles: string[]
}

export interface AppStatus {
  version: string
  mode: 'desktop' | 'headless'
  sandbox: boolean
  /** The app can restart itself into (or out of) the sandbox: the desktop can, headless shows the command. */
  canSwitchMode: boolean
  dataDir: string
  database: { path: string; schemaVersion: number; latestVersion: number; sizeBytes: number; journalMode: string }
  startedAt: string
  uptimeSec: number
  platform: string
  node: string
  pid: number
  /** What agents run in (DESIGN.md §9): `bubblewrap` (their own process namespace, the data folder hidden) or `none`, said in words. */
  isolation: { kind: 'bubblewrap' | 'none'; detail: string }
}

export const ChecksWait = z.enum(['required', 'all'], { error: () => 'wait for "required" checks or "all"' })
export type ChecksWait = z.infer<typeof ChecksWait>

export interface RepoSummary {
  id: number
  /** Normalized identity: host/owner/name in lower case. */
  key: string
  owner: string
  name: string
  host: string
  defaultBranch: string
  private: boolean
  connectedAt: string
  lastSyncAt: string | null
  syncError: string | null
  openIssues: number
  /** How a person merges here (the method last chosen); null: the first the repository allows. */
  mergeMethod: MergeMethod | null
  /** Which checks on an agent PR's head an issue waits for before the person's review: branch protection's required ones (default), or all. */
  checksWait: ChecksWait
  /** A hand-off from here into a repository of another owner waits for the person's approval (Settings; repos.setHandoffApproval). */
  handoffApproval: boolean
}

export interface AgentSummary {
  name: string
  role: string
  provider: string
  model: string | null
  state: 'idle' | 'working' | 'stalled' | 'crashed' | 'stopped' | 'paused'
  pid: number | null
  task: string | null
  repo: string | null
  issue: number | null
  since: string | null
  lastHeartbeat: string | null
  restarts: number
  /** What it advertised with its last heartbeat (role.yml `capabilities:`): stages owned by a capability route by these. */
  capabilities: string[]
  /** Beating (its last heartbeat at most two beats old) and not paused or stopped: it can be given work. */
  online: boolean
  today: { inputTokens: number; outputTokens: number; costUsd: number }
  /** Its last run, kept after it goes idle (a builtin run takes milliseconds): the task, its issue, its last line's time. */
  lastRun: { task: string; repoId: number | null; repo: string | null; issue: number | null; at: string } | null
}

/** One line of an agent's output, tagged with the issue its task is for (null: no task, e.g. a start-up line). */
export interface AgentOutputLine {
  at: string
  line: string
  task: string | null
  repoId: number | null
  repo: string | null
  issue: number | null
}

export interface InboxItem {
  id: number
  /** `handoff`: a hand-off into another owner's repository waits for approval (handoffs.approve / handoffs.refuse). */
  kind: 'request' | 'failure' | 'handoff'
  repoId: number | null
  repo: string
  issue: number | null
  issueTitle: string | null
  agent: string | null
  task: string | null
  question: string
  createdAt: string
  /** A `handoff` item's hand-off id (handoffs.approve / handoffs.refuse take it); null otherwise. */
  handoff?: number | null
}

export interface UsageSummary {
  range: '24h' | '7d' | '30d'
  totals: { inputTokens: number; outputTokens: number; cacheReadTokens: number; costUsd: number; tasks: number }
  /** Cache reads as a share of all input tokens (0..1). */
  cacheShare: number
  byAgent: Array<{ agent: string; inputTokens: number; outputTokens: number; cacheReadTokens: number; costUsd: number }>
  byIssue: Array<{ repo: string; issue: number; title: string; tokens: number; costUsd: number }>
  byDay: Array<{ day: string; costUsd: number; tokens: number }>
  /** Spent beside each spend budget (store/spend.ts#budgetUse): today's, each role's with a budget, and the issues that spent most. */
  budgets: BudgetUse
}

/** One budget's use: spent (dollars, and tokens of unpriced usage) beside its limits (0: none). */
export interface BudgetLine {
  spentUsd: number
  limitUsd: number
  spentTokens: number
  limitTokens: number
  /** Nothing left: no task starts in this scope until a person raises the budget or retries. */
  over: boolean
}

export interface BudgetUse {
  /** Since 00:00 UTC. */
  day: BudgetLine
  roles: Array<BudgetLine & { role: string }>
  /** Issues that spent most (since a person's Retry, when there was one), at most 20. */
  issues: Array<BudgetLine & { repo: string; issue: number }>
}

export interface AuditEvent {
  id: number
  at: string
  kind: string
  subject: string | null
  message: string
}

/** A hand-off to another project (handoff_to_project, issue #14; pipeline/handoff.ts). */
export interface Handoff {
  id: number
  /** The origin, `owner/repo#n`: it waits while the hand-off is pending. */
  from: string
  /** The target repository, `owner/name`. */
  to: string
  /** The issue filed there, `owner/name#n` (null until filed). */
  issue: string | null
  number: number | null
  url: string | null
  title: string
  /** approval: waits for the person (another owner's repository); filing; open: filed, not closed; closed; refused. */
  state: 'approval' | 'filing' | 'open' | 'closed' | 'refused'
  /** GitHub's state_reason once closed (completed, not_planned), or the person's reason for a refusal. */
  stateReason: string | null
  createdAt: string
  resolvedAt: string | null
}

const HandoffText = (what: string, max: number) => z.string({ error: () => `${what} is Markdown text` }).max(max, `${what} is at most ${max.toLocaleString('en-US')} characters`)

/** What a hand-off carries (the MCP tool's schema says the same in its own words). */
export const HandoffInput = z
  .object({
    repoId: z.number({ error: () => 'repoId is the origin issue\'s connected repository id' }).int(),
    issue: z.number({ error: () => 'issue is the origin issue number' }).int().positive('issue is the origin issue number'),
    toRepoId: z.number({ error: () => 'toRepoId is a connected repository id' }).int(),
    title: z.string({ error: () => 'title is the new issue\'s title' }).trim().min(1, 'a title is needed').max(256, 'title is at most 256 characters'),
    summary: HandoffText('summary', 20_000).trim().min(1, 'a summary is needed: what is wrong, found where'),
    repro: HandoffText('repro', 20_000).optional(),
    logs: HandoffText('logs', 30_000).optional(),
    diffs: HandoffText('diffs', 30_000).optional(),
    hypotheses: z.array(HandoffText('a hypothesis', 2_000), { error: () => 'hypotheses is a list of texts' }).max(20, 'at most 20 hypotheses').default([]),
    labels: z.array(z.string().min(1, 'a label is a name').max(100, 'a label is at most 100 characters'), { error: () => 'labels is a list of label names' }).max(20, 'at most 20 labels').default([])
  })
  .strict()


/** `done`: its PR merged; `closed`: closed as not planned, or its agent PR closed without a merge (never shown as done). */
export type Activity = 'idle' | 'queued' | 'working' | 'waiting' | 'blocked' | 'failed' | 'done' | 'closed'

/** A card on the pipeline board. */
export interface BoardIssue {
  repoId: number
  repo: string
  number: number
  title: string
  stage: string | null
  labels: string[]
  author: string
  /** The role that owns the stage, or null for a person's stage. */
  owner: string | null
  /** The agent instance working on it now, if any. */
  agent: string | null
  activity: Activity
  /** Why it waits, is blocked or failed, in words. */
  reason: string | null
  /** Since when it has been in this activity (ISO). */
  since: string
  updatedAt: string
  pr: number | null
  url: string
  /** What the person is asked to do, when the card waits for them (the board's "Needs you" lane); null otherwise. */
  needs: NeedsYou | null
  /** What holds it, as data: the open issues it depends on, the issue (and its PR) holding the one-PR-at-a-time slot, or its PR's checks. */
  blockedBy: BlockedBy | null
  /** The open question when an agent asked one (`inbox.answer` takes its id). */
  request: { id: number; question: string } | null
}

/**
 * What a card asks of the person: review its PR, answer an agent's question,
 * approve an outsider's issue, retry a spent failure budget, lift a spent spend
 * budget (raise it, or Retry), resume a role they paused, or pick which of
 * several parallel attempts that passed becomes the PR (issue #15).
 */
export type NeedsYou = 'review' | 'answer' | 'approve' | 'retry' | 'budget' | 'paused' | 'pick'

export type BlockedBy =
  | { kind: 'issues'; issues: number[]; /** Other repositories' issues, `owner/name#n` (issue #14). */ elsewhere?: string[] }
  | { kind: 'pr-slot'; issue: number; pr: number | null }
  | { kind: 'checks' }

/**
 * The board since a version (`issues.boardChanges`): the changed cards and the
 * keys (`repoId#number`) of cards gone, or the whole board (`full`) when the
 * client had none, another epoch's, one too old, or too much changed.
 */
export type BoardDelta =
  | { kind: 'full'; epoch: string; version: number; cards: BoardIssue[] }
  | { kind: 'delta'; epoch: string; version: number; from: number; cards: BoardIssue[]; removed: string[] }

/** Carried by `changed` events: the board's version now and the cards changed since the previous event. */
export interface BoardVersion {
  /** Changes with each start of the core: a version of another epoch means nothing. */
  epoch: string
  version: number
  /** `repoId#number` of the cards changed since the previous event; null: too many, or all of them. */
  keys: string[] | null
}

export interface IssueComment {
  id: number
  author: string
  body: string
  createdAt: string
  /** The role that posted it through Baton, if any. */
  role: string | null
}

export interface TaskAttempt {
  attempt: number
  agent: string
  startedAt: string
  endedAt: string | null
  outcome: string | null
  response: string | null
  log: string | null
}

export interface TaskInfo {
  id: string
  stage: string
  role: string
  agent: string | null
  state: string
  attempt: number
  createdAt: string
  updatedAt: string
  result: string | null
  attempts: TaskAttempt[]
}

/** A repository's parallel attempts (issue #15): how many (1: none in parallel), who picks, the providers they take in turn. */
export interface AttemptSettingsView {
  repoId: number
  attempts: number
  pick: 'first' | 'person'
  /** "provider[:model]"; attempt i takes entry (i − 1) mod n; empty: the role's own. */
  providers: string[]
}

/** The issue's newest group of parallel attempts, side by side (issue #15). */
export interface IssueAttempts {
  group: string
  /** running → picked (a winner, the PR) | failed (none passed) | choosing (a person picks among those that passed). */
  state: 'running' | 'choosing' | 'picked' | 'failed'
  pick: 'first' | 'person'
  winner: number | null
  /** "3 attempts: 1 passed, 1 failed, 1 running". */
  summary: string
  attempts: Array<{
    index: number
    branch: string
    provider: string | null
    model: string | null
    state: 'working' | 'testing' | 'passed' | 'failed' | 'stopped'
    /** The Engineer's answer line. */
    summary: string | null
    /** The Tester's answer line on this attempt's branch. */
    testResult: string | null
    costUsd: number
  }>
}

export interface IssueDetail {
  repoId: number
  repo: string
  number: number
  title: string
  /** Markdown as written on GitHub: untrusted, the renderer sanitizes it. */
  body: string
  state: 'open' | 'closed'
  author: string
  authorAssociation: string
  labels: string[]
  stage: string | null
  activity: Activity
  reason: string | null
  url: string
  createdAt: string
  updatedAt: string
  comments: IssueComment[]
  tasks: TaskInfo[]
  notes: Array<{ role: string; kind: string; body: string; createdAt: string }>
  /** The issue scope's remembered entries (issue #14: `remember issue:owner/repo#n`), live ones only, oldest first. */
  memory: MemoryEntry[]
  timeline: AuditEvent[]
  usage: { inputTokens: number; outputTokens: number; costUsd: number }
  pr: { number: number; state: string; merged: boolean; head: string; url: string } | null
  /** The issue's board card (what it waits for, what blocks it, its question): the page offers the card's actions. Null when closed long ago. */
  card: BoardIssue | null
  /** Its newest parallel attempts at the Engineer stage, null when it never had any (issue #15). */
  attempts: IssueAttempts | null
}

export interface PrFile {
  filename: string
  status: string
  additions: number
  deletions: number
  patch: string | null
}

export interface PrDetail {
  repoId: number
  number: number
  issue: number | null
  title: string
  body: string
  state: 'open' | 'closed'
  merged: boolean
  mergeable: boolean | null
  head: string
  base: string
  url: string
  files: PrFile[]
  /** The Tester's latest report on this issue (Markdown), if any. */
  testReport: { passed: boolean; body: string; at: string } | null
  reviews: Array<{ author: string; state: string; body: string; at: string }>
  /** The repository's merge method (the one last used here), among the allowed ones. */
  mergeMethod: MergeMethod
  /** What the repository allows, in GitHub's order: merge commit, squash, rebase. */
  allowedMergeMethods: MergeMethod[]
  /** GitHub's mergeable_state: clean, blocked (protection unmet), dirty (conflicts), unstable, behind, unknown. */
  mergeableState: string | null
  /** Commit statuses and check runs on the head commit. */
  checks: PrChecks
  /** The PR's commits, oldest first (GitHub lists at most 250). */
  commits: PrCommit[]
  /** Who merged it and when, once merged (GitHub's merged_by / merged_at; null when it does not say). */
  mergedBy: string | null
  mergedAt: string | null
  /** When it was closed (merged or not). */
  closedAt: string | null
}

export interface PrCommit {
  sha: string
  /** The whole message; its first line is the title. */
  message: string
  /** The GitHub account when GitHub links one, else the name git recorded. */
  author: string
  at: string | null
  url: string | null
}

export type MergeMethod = 'merge' | 'squash' | 'rebase'

export interface PrCheck {
  name: string
  kind: 'status' | 'check-run'
  state: 'success' | 'pending' | 'failure' | 'neutral'
  description: string | null
  url: string | null
}

export interface PrChecks {
  /** failure if any failed, pending if any still runs, success when all passed, none when nothing reported. */
  state: 'success' | 'pending' | 'failure' | 'none'
  items: PrCheck[]
}

export interface AuthStatus {
  signedIn: boolean
  login: string | null
  host: string
  method: 'token' | 'device' | 'gh' | 'env' | 'sandbox' | null
  scopes: string[]
  /** Why the signed-in token does not work (e.g. BATON_GITHUB_TOKEN rejected by GitHub), in words for the person; null when it does. */
  problem: string | null
  /** How the token is stored, in words a person understands (and a warning when weak). */
  storage: string
  storageWarning: string | null
  rateLimit: { remaining: number; limit: number; resetAt: string } | null
  offline: boolean
}

export interface DeviceFlow {
  userCode: string
  verificationUri: string
  expiresAt: string
}

export interface Draft {
  id: number
  repoId: number
  repo: string
  title: string
  body: string
  labels: string[]
  error: string | null
  createdAt: string
}

/** Every method: its input schema. Outputs are typed in `ApiOutputs`. */
export const api = {
  'app.status': { input: Empty },
  /** Desktop: restart into the sandbox (its own data folder) or back out of it. */
  'app.switchMode': { input: z.object({ sandbox: z.boolean() }).strict() },
  'events.recent': { input: z.object({ limit: z.number().int().min(1).max(500).default(50) }).strict() },
  'repos.list': { input: Empty },
  'agents.list': { input: Empty },
  'inbox.list': { input: Empty },
  'usage.summary': { input: z.object({ range: z.enum(['24h', '7d', '30d']).default('7d') }).strict() },
  'settings.get': { input: Empty },
  'settings.update': { input: Settings.partial().strict() },
  'usage.csv': { input: z.object({ range: z.enum(['24h', '7d', '30d']).default('30d') }).strict() },

  'issues.board': {
    input: z
      .object({
        repoId: z.number().int().optional(),
        q: z.string().max(200).optional(),
        label: z.string().max(100).optional(),
        agent: z.string().max(100).optional()
      })
      .strict()
  },
  /** The whole board, or only what changed since a version of this epoch (see BoardDelta). */
  'issues.boardChanges': {
    input: z
      .object({
        since: z.number().int().min(0).optional(),
        epoch: z.string().max(64).optional()
      })
      .strict()
  },
  'issues.detail': { input: z.object({ repoId: z.number().int(), number: z.number().int().positive() }).strict() },
  'issues.create': {
    input: z
      .object({
        repoId: z.number().int(),
        title: z.string().trim().min(1, 'a title is needed').max(256),
        body: z.string().max(65_536).default(''),
        labels: z.array(z.string().min(1).max(100)).max(20).default([])
      })
      .strict()
  },
  'drafts.list': { input: Empty },
  'drafts.retry': { input: z.object({ id: z.number().int() }).strict() },
  'drafts.discard': { input: z.object({ id: z.number().int() }).strict() },

  'prs.detail': { input: z.object({ repoId: z.number().int(), number: z.number().int().positive() }).strict() },
  'prs.merge': {
    input: z.object({ repoId: z.number().int(), number: z.number().int().positive(), method: z.enum(['merge', 'squash', 'rebase']).optional() }).strict()
  },
  'prs.requestChanges': {
    input: z
      .object({
        repoId: z.number().int(),
        number: z.number().int().positive(),
        body: z.string().trim().min(1, 'say what should change').max(65_536),
        comments: z
          .array(z.object({ path: z.string().min(1), line: z.number().int().positive(), body: z.string().min(1).max(65_536) }).strict())
          .max(100)
          .default([])
      })
      .strict()
  },

  'inbox.answer': { input: z.object({ id: z.number().int(), answer: z.string().trim().min(1, 'an answer is needed').max(65_536) }).strict() },
  /** A person's Retry on an issue whose stage spent its failure budget: one more budget for that stage. */
  'tasks.retry': {
    input: z
      .object({
        repoId: z.number({ error: () => 'repoId is a connected repository id' }).int(),
        issue: z.number({ error: () => 'issue is an issue number' }).int().positive('issue is an issue number')
      })
      .strict()
  },
  // The board's actions where the wait is (the card's Approve and Stop; issue #13).
  /** A maintainer approves an outsider's issue: the approval label of Settings → Trust is added on GitHub. */
  'issues.approve': {
    input: z
      .object({
        repoId: z.number({ error: () => 'repoId is a connected repository id' }).int(),
        issue: z.number({ error: () => 'issue is an issue number' }).int().positive('issue is an issue number')
      })
      .strict()
  },
  /** A person stops the issue's running (or queued) task: the agent is cancelled and the stage waits for Retry. */
  'tasks.stop': {
    input: z
      .object({
        repoId: z.number({ error: () => 'repoId is a connected repository id' }).int(),
        issue: z.number({ error: () => 'issue is an issue number' }).int().positive('issue is an issue number')
      })
      .strict()
  },
  // (end of the board's actions)
  // The issue page's writes (issue #13): each through the GitHub service's idempotent path, mirrored at once, audited.
  /** A person's comment. `key` (the page makes one per draft) names it: the same key twice posts once. */
  'issues.comment': {
    input: z
      .object({
        repoId: z.number({ error: () => 'repoId is a connected repository id' }).int(),
        issue: z.number({ error: () => 'issue is an issue number' }).int().positive('issue is an issue number'),
        body: z.string().trim().min(1, 'write something to comment').max(65_000, 'a comment is at most 65,000 characters (GitHub refuses longer)'),
        key: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'key is 8 to 64 letters, digits, _ or -').optional()
      })
      .strict()
  },
  /** Adds and removes labels (computed against the issue's current labels; one write). */
  'issues.setLabels': {
    input: z
      .object({
        repoId: z.number({ error: () => 'repoId is a connected repository id' }).int(),
        issue: z.number({ error: () => 'issue is an issue number' }).int().positive('issue is an issue number'),
        add: z.array(z.string().trim().min(1, 'a label has a name').max(50, 'a label name is at most 50 characters')).max(100).default([]),
        remove: z.array(z.string().trim().min(1, 'a label has a name').max(50, 'a label name is at most 50 characters')).max(100).default([])
      })
      .strict()
      .refine((v) => v.add.length + v.remove.length > 0, { message: 'name a label to add or to remove', path: ['add'] })
  },
  /** Closes the issue as completed (the default) or as not planned. */
  'issues.close': {
    input: z
      .object({
        repoId: z.number({ error: () => 'repoId is a connected repository id' }).int(),
        issue: z.number({ error: () => 'issue is an issue number' }).int().positive('issue is an issue number'),
        reason: z.enum(['completed', 'not_planned'], { error: () => 'reason is completed or not_planned' }).default('completed')
      })
      .strict()
  },
  'issues.reopen': {
    input: z
      .object({
        repoId: z.number({ error: () => 'repoId is a connected repository id' }).int(),
        issue: z.number({ error: () => 'issue is an issue number' }).int().positive('issue is an issue number')
      })
      .strict()
  },
  // (end of the issue page's writes)
  // Hand-offs to other projects (issue #14, pipeline/handoff.ts).
  /** Files an issue in another connected repository with the context; the origin waits for it (or for the person's approval, into another owner's repository). */
  'handoffs.create': { input: HandoffInput },
  /** Hand-offs, newest first: of one origin issue, of a repository's issues, or all. */
  'handoffs.list': {
    input: z
      .object({
        repoId: z.number({ error: () => 'repoId is a connected repository id' }).int().optional(),
        issue: z.number({ error: () => 'issue is an issue number' }).int().positive('issue is an issue number').optional()
      })
      .strict()
  },
  /** The person approves a hand-off waiting for approval: the issue is filed now. */
  'handoffs.approve': { input: z.object({ id: z.number({ error: () => 'id is a hand-off id' }).int() }).strict() },
  /** The person refuses it: nothing is filed, the origin gets a comment and resumes. */
  'handoffs.refuse': {
    input: z.object({ id: z.number({ error: () => 'id is a hand-off id' }).int(), reason: z.string().trim().max(2_000, 'a reason is at most 2,000 characters').optional() }).strict()
  },
  /** Whether hand-offs from this repository into another owner's wait for the person (default true). */
  'repos.setHandoffApproval': { input: z.object({ id: z.number().int(), required: z.boolean({ error: () => 'required is true or false' }) }).strict() },
  'agents.control': { input: z.object({ name: AgentNameSchema, action: z.enum(['pause', 'resume', 'restart']) }).strict() },
  'agents.output': { input: z.object({ name: AgentNameSchema, limit: z.number().int().min(1).max(2000).default(200) }).strict() },

  'auth.status': { input: Empty },
  'auth.signInToken': {
    input: z
      .object({
        token: z.string().trim().min(10, 'that is too short to be a GitHub token').max(512),
        /** GitHub Enterprise Server's API, e.g. https://github.example.com/api/v3 (default: github.com). */
        apiUrl: z.string().trim().url('the API address is a URL, like https://github.example.com/api/v3').optional()
      })
      .strict()
  },
  'auth.deviceStart': { input: Empty },
  'auth.deviceWait': { input: Empty },
  'auth.useGhToken': { input: Empty },
  'auth.signOut': { input: Empty },
  'repos.connect': { input: z.object({ remote: z.string().trim().min(3, 'enter owner/name, a URL or an ssh remote').max(512) }).strict() },
  'repos.disconnect': { input: z.object({ id: z.number().int() }).strict() },
  'repos.syncNow': { input: z.object({ id: z.number().int() }).strict() },
  'repos.setMergeMethod': { input: z.object({ id: z.number().int(), method: z.enum(['merge', 'squash', 'rebase']) }).strict() },
  'repos.setChecksWait': { input: z.object({ id: z.number().int(), wait: ChecksWait }).strict() },
  // Parallel attempts at the Engineer stage (issue #15, pipeline/attempts.ts).
  'attempts.settings': { input: z.object({ repoId: z.number({ error: () => 'repoId is a connected repository id' }).int() }).strict() },
  'attempts.configure': {
    input: z
      .object({
        repoId: z.number({ error: () => 'repoId is a connected repository id' }).int(),
        attempts: z.number({ error: () => 'attempts is a number from 1 to 5' }).int('attempts is a whole number').min(1, 'attempts is at least 1').max(5, 'attempts is at most 5'),
        pick: z.enum(['first', 'person'], { error: () => 'pick is first (the first to pass becomes the PR) or person (a person picks)' }).default('first'),
        providers: z
          .array(
            z
              .string()
              .trim()
              .regex(/^(builtin|claude-code|codex|command)(:[A-Za-z0-9._/@-]{1,100})?$/, 'each provider is builtin, claude-code, codex or command, optionally with :model (e.g. claude-code:claude-sonnet-4-5)')
          )
          .max(5, 'at most 5 providers (one per attempt)')
          .default([])
      })
      .strict()
  },
  'attempts.diff': {
    input: z
      .object({
        repoId: z.number({ error: () => 'repoId is a connected repository id' }).int(),
        issue: z.number({ error: () => 'issue is an issue number' }).int().positive('issue is an issue number'),
        attempt: z.number({ error: () => 'attempt is an attempt number, 1 to 5' }).int().min(1).max(5)
      })
      .strict()
  },
  'attempts.pick': {
    input: z
      .object({
        repoId: z.number({ error: () => 'repoId is a connected repository id' }).int(),
        issue: z.number({ error: () => 'issue is an issue number' }).int().positive('issue is an issue number'),
        attempt: z.number({ error: () => 'attempt is the number of an attempt that passed' }).int().min(1).max(5)
      })
      .strict()
  },

  'roles.list': { input: Empty },
  'roles.update': {
    input: z
      .object({
        role: AgentNameSchema,
        provider: z.enum(PROVIDERS, { error: () => `a provider is one of ${PROVIDERS.join(', ')}` }).optional(),
        /** null: the provider's own default model. */
        model: z
          .string()
          .trim()
          .regex(/^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,99}$/, 'a model is a name like claude-sonnet-4-5 (letters, digits and . _ : / @ -)')
          .nullable()
          .optional(),
        instances: z.number({ error: () => 'instances is a whole number from 0 to 20' }).int('instances is a whole number from 0 to 20').min(0, 'instances is at least 0').max(20, 'instances is at most 20').optional(),
        /** Forget the overrides: role.yml applies again. */
        reset: z.boolean().optional()
      })
      .strict()
  },
  'providers.status': { input: Empty },
  /** One short real turn (a tiny prompt in a temp folder) through the provider; optional model (default: the provider's). */
  'providers.check': {
    input: z
      .object({
        provider: z.enum(MODEL_PROVIDERS, { error: () => `a model provider is one of ${MODEL_PROVIDERS.join(', ')}` }),
        model: z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,99}$/, 'a model is a name like claude-sonnet-4-5').optional()
      })
      .strict()
  },
  /** A key typed into Baton: kept like the GitHub token, given only to that provider's agents. */
  'providers.setKey': { input: z.object({ provider: z.enum(MODEL_PROVIDERS, { error: () => `a model provider is one of ${MODEL_PROVIDERS.join(', ')}` }), key: z.string().min(1, 'paste the key').max(1024) }).strict() },
  'providers.clearKey': { input: z.object({ provider: z.enum(MODEL_PROVIDERS, { error: () => `a model provider is one of ${MODEL_PROVIDERS.join(', ')}` }) }).strict() },
  'notify.webhook': { input: Empty },
  'notify.setWebhook': { input: z.object({ url: z.string().min(1, 'paste the webhook URL').max(2048, 'a webhook URL is at most 2,048 characters') }).strict() },
  'notify.clearWebhook': { input: Empty },
  'notify.testWebhook': { input: Empty },
  'pipeline.get': { input: z.object({ repoId: z.number().int().nullable().default(null) }).strict() },
  // Scoped memory and file leases (issue #14; shared/memory.ts, api/memory-handlers.ts): the MCP tools' own schemas.
  'memory.remember': { input: RememberInput },
  'memory.recall': { input: RecallInput },
  'memory.forget': { input: ForgetInput },
  'leases.take': { input: LeaseInput },
  'leases.release': { input: ReleaseInput },
  'leases.list': { input: z.object({ repo: LeaseInput.shape.repo }).strict() },
  'pipeline.update': {
    input: z
      .object({
        /** null: every repository's custom pipeline. */
        repoId: z.number().int().nullable().default(null),
        /** null: forget the custom pipeline (the next in line applies). */
        pipeline: PipelineSpec.nullable()
      })
      .strict()
  }
} as const

export interface ApiOutputs {
  'app.status': AppStatus
  'app.switchMode': { restarting: true }
  'events.recent': AuditEvent[]
  'repos.list': RepoSummary[]
  'agents.list': AgentSummary[]
  'inbox.list': InboxItem[]
  'usage.summary': UsageSummary
  'settings.get': Settings
  'settings.update': Settings
  'usage.csv': { filename: string; csv: string }
  'issues.board': BoardIssue[]
  'issues.boardChanges': BoardDelta
  'issues.detail': IssueDetail
  'issues.create': { created: true; number: number; url: string } | { created: false; draft: Draft }
  'drafts.list': Draft[]
  'drafts.retry': { created: true; number: number; url: string } | { created: false; draft: Draft }
  'drafts.discard': { discarded: true }
  'prs.detail': PrDetail
  'prs.merge': { merged: true; sha: string }
  'prs.requestChanges': { sent: true }
  'inbox.answer': { answered: true }
  'tasks.retry': { retried: true; stage: string; task: string | null }
  'issues.approve': { approved: true; label: string; added: boolean }
  'tasks.stop': { stopped: true; task: string; stage: string }
  'issues.comment': { commented: true; url: string | null }
  'issues.setLabels': { labels: string[] }
  'issues.close': { closed: true; reason: 'completed' | 'not_planned'; changed: boolean }
  'issues.reopen': { reopened: true; changed: boolean }
  'handoffs.create': Handoff
  'handoffs.list': Handoff[]
  'handoffs.approve': Handoff
  'handoffs.refuse': Handoff
  'repos.setHandoffApproval': RepoSummary
  'agents.control': AgentSummary
  'agents.output': AgentOutputLine[]
  'auth.status': AuthStatus
  'auth.signInToken': AuthStatus
  'auth.deviceStart': DeviceFlow
  'auth.deviceWait': AuthStatus
  'auth.useGhToken': AuthStatus
  'auth.signOut': AuthStatus
  'repos.connect': RepoSummary
  'repos.disconnect': { disconnected: true }
  'repos.syncNow': RepoSummary
  'repos.setMergeMethod': RepoSummary
  'repos.setChecksWait': RepoSummary
  'attempts.settings': AttemptSettingsView
  'attempts.configure': AttemptSettingsView
  'attempts.pick': { picked: true; group: string; attempt: number }
  /** null: the attempt's branch is not there (never pushed, or deleted once another won). */
  'attempts.diff': { stat: string; patch: string; truncated: boolean } | null
  'roles.list': RoleConfig[]
  'roles.update': RoleUpdateResult
  'providers.status': ProviderStatus[]
  'providers.check': ProviderCheck
  'providers.setKey': ProviderStatus
  'providers.clearKey': ProviderStatus
  'notify.webhook': WebhookStatus
  'notify.setWebhook': WebhookStatus
  'notify.clearWebhook': WebhookStatus
  'notify.testWebhook': { ok: boolean; status: number | null; tries: number; error: string | null }
  'pipeline.get': PipelineView
  'pipeline.update': PipelineView
  'memory.remember': { scope: string; key: string; created: boolean; expiresAt: string | null }
  'memory.recall': { scope: string; entries: MemoryEntry[]; truncated: boolean }
  'memory.forget': { scope: string; key: string; forgotten: boolean }
  'leases.take': LeaseResult
  'leases.release': { released: number }
  'leases.list': LeaseView[]
}

export type ApiMethod = keyof typeof api
export type ApiInput<M extends ApiMethod> = z.input<(typeof api)[M]['input']>
export type ApiParsedInput<M extends ApiMethod> = z.output<(typeof api)[M]['input']>
export type ApiOutput<M extends ApiMethod> = ApiOutputs[M]

export type ApiResult<T> = { ok: true; data: T } | { ok: false; error: ApiErrorBody }

export type Topic = 'app' | 'repos' | 'issues' | 'agents' | 'tasks' | 'inbox' | 'usage' | 'settings' | 'events'

/** Pushed from the core to every connected renderer. */
export type ApiEvent =
  | { type: 'changed'; topics: Topic[]; board?: BoardVersion }
  | ({ type: 'agent.output'; agent: string } & AgentOutputLine)
  | {
      type: 'notify'
      kind: NotifyKind | 'info'
      title: string
      body: string
      /** The item a click opens (src/shared/notify.ts#routeOf). */
      repoId?: number
      issue?: number
      pr?: number
      /** Its page on GitHub, for the webhook. */
      url?: string
    }

export function isApiMethod(value: unknown): value is ApiMethod {
  return typeof value === 'string' && Object.hasOwn(api, value)
}
