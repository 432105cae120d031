// The one API of Baton: commands, queries and events. Declared once here and
// served by both transports (Electron IPC in the desktop app, HTTP + WebSocket
// in headless mode). Inputs are zod schemas checked at the boundary; outputs
// are the core's own types.
import { z } from 'zod'
import type { ApiErrorBody } from './errors'

const Empty = z.object({}).strict()

export const Theme = z.enum(['system', 'light', 'dark'])
export type Theme = z.infer<typeof Theme>

export const Settings = z.object({
  theme: Theme,
  /** Seconds between sync polls of each connected repository. */
  pollIntervalSec: z.number().int().min(5).max(3600),
  /** Sequential (one open agent PR at a time) is the safe default. */
  parallelPrs: z.boolean(),
  /** Hand-offs per issue before it waits for a person (DESIGN.md §5). */
  handoffCap: z.number().int().min(0).max(50),
  /** Tester/review loops per issue before the person decides. */
  loopCap: z.number().int().min(1).max(20)
})
export type Settings = z.infer<typeof Settings>

export const DEFAULT_SETTINGS: Settings = {
  theme: 'system',
  pollIntervalSec: 15,
  parallelPrs: false,
  handoffCap: 5,
  loopCap: 3
}

export interface AppStatus {
  version: string
  mode: 'desktop' | 'headless'
  sandbox: boolean
  dataDir: string
  database: { path: string; schemaVersion: number; latestVersion: number; sizeBytes: number; journalMode: string }
  startedAt: string
  uptimeSec: number
  platform: string
  node: string
  pid: number
}

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
}

export interface AgentSummary {
  name: string
  role: string
  provider: string
  model: string | null
  state: 'idle' | 'working' | 'stalled' | 'crashed' | 'stopped' | 'paused'
  pid: number | null
  task: string | null
  issue: number | null
  since: string | null
}

export interface InboxItem {
  id: number
  kind: 'request' | 'failure'
  repo: string
  issue: number | null
  agent: string | null
  question: string
  createdAt: string
}

export interface UsageSummary {
  range: '24h' | '7d' | '30d'
  totals: { inputTokens: number; outputTokens: number; cacheReadTokens: number; costUsd: number; tasks: number }
  byAgent: Array<{ agent: string; inputTokens: number; outputTokens: number; costUsd: number }>
  byDay: Array<{ day: string; costUsd: number; tokens: number }>
}

export interface AuditEvent {
  id: number
  at: string
  kind: string
  subject: string | null
  message: string
}

/** Every method: its input schema. Outputs are typed in `ApiOutputs`. */
export const api = {
  'app.status': { input: Empty },
  'events.recent': { input: z.object({ limit: z.number().int().min(1).max(500).default(50) }).strict() },
  'repos.list': { input: Empty },
  'agents.list': { input: Empty },
  'inbox.list': { input: Empty },
  'usage.summary': { input: z.object({ range: z.enum(['24h', '7d', '30d']).default('7d') }).strict() },
  'settings.get': { input: Empty },
  'settings.update': { input: Settings.partial().strict() }
} as const

export interface ApiOutputs {
  'app.status': AppStatus
  'events.recent': AuditEvent[]
  'repos.list': RepoSummary[]
  'agents.list': AgentSummary[]
  'inbox.list': InboxItem[]
  'usage.summary': UsageSummary
  'settings.get': Settings
  'settings.update': Settings
}

export type ApiMethod = keyof typeof api
export type ApiInput<M extends ApiMethod> = z.input<(typeof api)[M]['input']>
export type ApiParsedInput<M extends ApiMethod> = z.output<(typeof api)[M]['input']>
export type ApiOutput<M extends ApiMethod> = ApiOutputs[M]

export type ApiResult<T> = { ok: true; data: T } | { ok: false; error: ApiErrorBody }

export type Topic = 'app' | 'repos' | 'issues' | 'agents' | 'tasks' | 'inbox' | 'usage' | 'settings' | 'events'

/** Pushed from the core to every connected renderer. */
export type ApiEvent =
  | { type: 'changed'; topics: Topic[] }
  | { type: 'agent.output'; agent: string; task: string | null; line: string; at: string }
  | { type: 'notify'; kind: 'request' | 'failure' | 'info'; title: string; body: string }

export function isApiMethod(value: unknown): value is ApiMethod {
  return typeof value === 'string' && Object.hasOwn(api, value)
}
