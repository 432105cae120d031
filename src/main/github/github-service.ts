// The GitHub side of Baton tied together: signing in, the token store,
// connecting repositories, the sync loop, issues and drafts, and the
// pipeline's port. One client per signed-in account; every error an AppError
// with a message for a person.
//
// (The file is github-service.ts because service.ts in this folder belongs to
// an earlier implementation that app.ts still uses.)
import type { AuthStatus, DeviceFlow, Draft, RepoSummary } from '../../shared/api'
import { AppError } from '../../shared/errors'
import type { Logger } from '../log'
import { registerSecret } from '../log'
import type { GitHubPort } from '../pipeline/ports'
import type { SecretMeta, SecretStore } from '../secrets/secret-store'
import { audit } from '../store/audit'
import type { Db } from '../store/open'
import { ghAuthToken, startDeviceFlow, validateToken, type DeviceSession } from './auth'
import { createGitHubClient, type ClientTiming, type GitHubClient, type GitHubOctokit } from './client'
import { connectRepository, hostOfApi, parseRemote, webUrl } from './connect'
import { toAppError } from './errors'
import { createIssue, discardDraft, getDraft, listDraftsOf, type CreateIssueResult, type IssueInput } from './issues'
import { createGitHubPort } from './port'
import { LocalWrites, startSyncLoop, syncRepository, type SyncLoop, type SyncResult, type Timers } from './sync'

export interface GitHubServiceOptions {
  db: Db
  dataDir: string
  secrets: SecretStore
  log: Logger
  /** REST base when none is stored: https://api.github.com, a GHES /api/v3, or the forge's. */
  apiUrl?: string
  /** OAuth app for the device flow (github.com needs a registered one). */
  clientId?: string
  /** After a sync pass or a write changed issues of a repository. */
  onChange?: (repoId: number, changed: number[]) => void
  /** After the sign-in, rate or offline state changed (the UI's banner). */
  onStatus?: () => void
  timing?: Partial<ClientTiming>
  /** Poll interval (default 15 s). */
  intervalMs?: number | (() => number)
  timers?: Timers
  /** The gh executable (tests point it at a missing one). */
  gh?: string
}

interface Session {
  token: string
  meta: SecretMeta
  client: GitHubClient
}

interface RepoRow {
  id: number
  key: string
  host: string
  api_url: string
  owner: string
  name: string
  default_branch: string
  private: number
  connected_at: string
  last_sync_at: string | null
  sync_error: string | null
}

export interface GitHubService {
  status(): AuthStatus
  signInWithToken(token: string, apiUrl?: string): Promise<AuthStatus>
  deviceStart(): Promise<DeviceFlow>
  deviceWait(): Promise<AuthStatus>
  useGhToken(): Promise<AuthStatus>
  signOut(): AuthStatus
  repos(): RepoSummary[]
  connect(remote: string): Promise<RepoSummary>
  disconnect(id: number): { disconnected: true }
  syncNow(id: number): Promise<RepoSummary>
  createIssue(input: IssueInput & { repoId: number }): Promise<CreateIssueResult>
  drafts(repoId?: number): Draft[]
  retryDraft(id: number): Promise<CreateIssueResult>
  discardDraft(id: number): { discarded: true }
  port(): GitHubPort
  /** The repository's https clone URL, without credentials. */
  cloneUrl(repoId: number): string
  /** Env vars that give git main's credentials for this host, never on a command line. Empty when signed out. */
  gitAuthEnv(): Record<string, string>
  startSync(): SyncLoop
  stop(): void
}

export function createGitHubService(o: GitHubServiceOptions): GitHubService {
  const defaultApiUrl = (o.apiUrl ?? 'https://api.github.com').replace(/\/+$/, '')
  const local = new LocalWrites()
  let session: Session | null = null
  let device: { session: DeviceSession; apiUrl: string } | null = null
  let loop: SyncLoop | null = null

  const use = (token: string, meta: SecretMeta): Session => {
    registerSecret(token)
    const client = createGitHubClient({ apiUrl: meta.apiUrl, token, log: o.log, timing: o.timing, onState: () => o.onStatus?.() })
    session = { token, meta, client }
    return session
  }
  const stored = o.secrets.get()
  if (stored) use(stored.token, stored.meta)

  const octokit = (): GitHubOctokit => {
    if (!session) throw new AppError('unauthorized', 'Sign in to GitHub first (Settings → GitHub).')
    return session.client.octokit
  }

  const row = (id: number): RepoRow => {
    const r = o.db.prepare('SELECT * FROM repos WHERE id = ?').get(id) as RepoRow | undefined
    if (!r) throw new AppError('not_found', `No connected repository with id ${id}.`)
    return r
  }

  const summary = (r: RepoRow): RepoSummary => ({
    id: r.id,
    key: r.key,
    owner: r.owner,
    name: r.name,
    host: r.host,
    defaultBranch: r.default_branch,
    private: r.private === 1,
    connectedAt: r.connected_at,
    lastSyncAt: r.last_sync_at,
    syncError: r.sync_error,
    openIssues: (o.db.prepare("SELECT COUNT(*) AS n FROM issues WHERE repo_id = ? AND state = 'open' AND is_pull = 0").get(r.id) as { n: number }).n
  })

  const changed = (repoId: number, numbers: number[]) => {
    if (numbers.length) o.onChange?.(repoId, numbers)
  }

  const syncOne = async (id: number): Promise<SyncResult> => {
    const r = row(id)
    try {
      const result = await syncRepository(o.db, octokit(), { id: r.id, owner: r.owner, name: r.name }, local)
      changed(id, result.changed)
      return result
    } catch (error) {
      const e = toAppError(error, `syncing ${r.owner}/${r.name}`)
      // The row may be gone (disconnected mid-pass): then there is nothing to mark.
      o.db.prepare('UPDATE repos SET sync_error = ? WHERE id = ?').run(e.message, id)
      throw e
    }
  }

  const signIn = async (token: string, method: SecretMeta['method'], apiUrl = defaultApiUrl): Promise<AuthStatus> => {
    const clean = token.trim()
    registerSecret(clean)
    const check = await validateToken(apiUrl, clean, o.timing)
    const meta: SecretMeta = { method, apiUrl, login: check.login, scopes: check.scopes }
    o.secrets.set(clean, meta)
    use(clean, meta)
    audit(o.db, { kind: 'auth.signin', message: `Signed in to ${hostOfApi(apiUrl)} as ${check.login} (${method})` })
    o.onStatus?.()
    return service.status()
  }

  const service: GitHubService = {
    status() {
      const storage = o.secrets.describe()
      const s = session?.client.state()
      return {
        signedIn: session !== null,
        login: session?.meta.login ?? null,
        host: hostOfApi(session?.meta.apiUrl ?? defaultApiUrl),
        method: session?.meta.method ?? null,
        scopes: session?.meta.scopes ?? [],
        storage: storage.storage,
        storageWarning: storage.warning,
        rateLimit: s && s.limit !== null && s.remaining !== null ? { limit: s.limit, remaining: s.remaining, resetAt: s.resetAt ?? '' } : null,
        offline: s?.offline ?? false
      }
    },

    signInWithToken: (token, apiUrl) => signIn(token, 'token', apiUrl ?? defaultApiUrl),

    async deviceStart() {
      if (!o.clientId && defaultApiUrl === 'https://api.github.com') {
        throw new AppError('unavailable', 'Signing in through the browser needs an OAuth app client id (BATON_GITHUB_CLIENT_ID). Use a personal access token instead.')
      }
      const started = await startDeviceFlow({ apiUrl: defaultApiUrl, clientId: o.clientId ?? 'baton-desktop' })
      device = { session: started, apiUrl: defaultApiUrl }
      return started.flow
    },

    async deviceWait() {
      if (!device) throw new AppError('bad_request', 'Start the sign-in first.')
      const { session: d, apiUrl } = device
      try {
        const token = await d.token
        return await signIn(token, 'device', apiUrl)
      } finally {
        device = null
      }
    },

    async useGhToken() {
      const token = await ghAuthToken({ gh: o.gh, host: hostOfApi(defaultApiUrl) })
      return signIn(token, 'gh')
    },

    signOut() {
      o.secrets.clear()
      const who = session?.meta.login
      session = null
      device = null
      audit(o.db, { kind: 'auth.signout', message: `Signed out of GitHub${who ? ` (${who})` : ''}` })
      o.onStatus?.()
      return service.status()
    },

    repos() {
      return (o.db.prepare('SELECT * FROM repos ORDER BY owner, name').all() as RepoRow[]).map(summary)
    },

    async connect(remote) {
      const s = session
      if (!s) throw new AppError('unauthorized', 'Sign in to GitHub first (Settings → GitHub), then connect a repository.')
      const ref = parseRemote(remote, hostOfApi(s.meta.apiUrl))
      const connected = await connectRepository(o.db, s.client.octokit, s.meta.apiUrl, ref, s.meta.login)
      audit(o.db, { kind: 'repo.connect', repoId: connected.id, message: `Connected ${connected.owner}/${connected.name}`, data: { labelsCreated: connected.labelsCreated } })
      try {
        await syncOne(connected.id)
      } catch (error) {
        // Connected all the same: the first sync's failure is shown on the repository and retried by the loop.
        o.log.warn(`first sync of ${connected.owner}/${connected.name}: ${(error as Error).message}`)
      }
      return summary(row(connected.id))
    },

    disconnect(id) {
      const r = row(id)
      o.db.prepare('DELETE FROM repos WHERE id = ?').run(id)
      audit(o.db, { kind: 'repo.disconnect', message: `Disconnected ${r.owner}/${r.name}` })
      return { disconnected: true }
    },

    async syncNow(id) {
      await syncOne(id)
      return summary(row(id))
    },

    async createIssue(input) {
      const r = row(input.repoId)
      const result = await createIssue(o.db, session?.client.octokit ?? null, r, input, (n) => `${webUrl(r.api_url, r.owner, r.name)}/issues/${n}`)
      if (result.created) changed(r.id, [result.number])
      return result
    },

    drafts: (repoId) => listDraftsOf(o.db, repoId),

    async retryDraft(id) {
      const d = getDraft(o.db, id)
      const r = row(d.repoId)
      const result = await createIssue(o.db, session?.client.octokit ?? null, r, { title: d.title, body: d.body, labels: d.labels }, (n) => `${webUrl(r.api_url, r.owner, r.name)}/issues/${n}`, {
        draftId: id
      })
      if (result.created) changed(r.id, [result.number])
      return result
    },

    discardDraft: (id) => discardDraft(o.db, id),

    port() {
      return createGitHubPort({
        db: o.db,
        octokit,
        login: () => session?.meta.login ?? null,
        syncNow: (id) => syncOne(id),
        local,
        changed
      })
    },

    cloneUrl(repoId) {
      const r = row(repoId)
      return `${webUrl(r.api_url, r.owner, r.name)}.git`
    },

    gitAuthEnv(): Record<string, string> {
      if (!session) return {}
      // Scoped to the account's host, so the token goes to no other remote (a submodule elsewhere).
      const api = new URL(session.meta.apiUrl)
      const web = api.hostname === 'api.github.com' ? 'https://github.com/' : `${api.protocol}//${api.host}/`
      const basic = Buffer.from(`x-access-token:${session.token}`).toString('base64')
      registerSecret(basic)
      return {
        GIT_CONFIG_COUNT: '1',
        GIT_CONFIG_KEY_0: `http.${web}.extraHeader`,
        GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
        GIT_TERMINAL_PROMPT: '0'
      }
    },

    startSync() {
      loop?.stop()
      loop = startSyncLoop({
        intervalMs: o.intervalMs ?? 15_000,
        // Signed out: nothing to poll; the loop keeps ticking and resumes after sign-in.
        repos: () => (session ? (o.db.prepare('SELECT id FROM repos ORDER BY id').all() as Array<{ id: number }>).map((r) => r.id) : []),
        syncOne: async (id) => (await syncOne(id)).changed,
        onError: (id, error) => o.log.debug(`sync of repository ${id}: ${(error as Error).message}`),
        timers: o.timers
      })
      return loop
    },

    stop() {
      loop?.stop()
      loop = null
    }
  }
  return service
}
