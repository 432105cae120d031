// The GitHub side of Baton: signing in, connecting repositories, creating
// issues (kept as drafts when GitHub cannot take them), the sync loop, and the
// idempotent writes the pipeline asks for.
import { execFile } from 'node:child_process'
import { createOAuthDeviceAuth } from '@octokit/auth-oauth-device'
import { request as octokitRequest } from '@octokit/request'
import type { AuthStatus, DeviceFlow, Draft, MergeMethod, PrDetail, RepoSummary } from '../../shared/api'
import { AppError } from '../../shared/errors'
import { parseMarker, sameLogin, sameMarker } from '../../shared/marker'
import type { EventHub } from '../events'
import { registerSecret, type Logger } from '../log'
import type { GitHubPort, RepoRef } from '../pipeline/ports'
import type { ReviewReads } from '../review/post-review'
import type { GitHubLink } from '../runtime'
import type { TokenStore, StoredToken } from '../secrets/token-store'
import { audit } from '../store/audit'
import { setRequiredChecks } from '../store/github-signals'
import type { Db } from '../store/open'
import { listDrafts, listRepos } from '../store/queries'
import { webBase } from '../store/web-url'
import { allowedMergeMethods, prChecks } from './checks'
import type { Pipelines } from '../pipeline/loader'
import { bootstrapLabels, type LabelSpec } from './label-bootstrap'
import { refreshPipelineFile } from './pipeline-file'
import { getOne } from './conditional'
import { LocalWrites, syncRepository, upsertComment, upsertIssue, upsertPull } from './mirror'
import { createOctokit, describeGitHubError, type GateTiming, type GitHub, type RateState } from './octokit'
import { apiUrlFor, hostOfApi, parseRemote } from './remote'

/** The sync loop's timers (tests and the bench drive them by hand). */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout)
}

export interface GitHubServiceOptions {
  db: Db
  tokens: TokenStore
  log: Logger
  events: EventHub
  /** Where sign-in goes when the person does not say: github.com, or the sandbox's forge. */
  defaultApiUrl?: string
  /** OAuth app for the device flow (github.com needs a registered one). */
  clientId?: string
  pollMs: () => number
  timing?: Partial<GateTiming>
  /** After a sync pass that changed something. */
  onSynced?: (repoId: number, changed: number[]) => void
  /** Each request the client sent and its answer's status (null: none), for the metrics. */
  onRequest?: (method: string, status: number | null) => void
  timers?: Timers
  /** The gh executable (default `gh` on the PATH). */
  gh?: string
  /** Each repository's pipeline: `.baton/pipeline.yml` is read on sync, and its labels created. */
  pipelines?: {
    store: Pipelines
    /** Role names a stage owner may name. */
    roles: () => readonly string[]
    /** The labels a repository's pipeline and the trust policy need (null: one being connected). */
    labels: (repoId: number | null) => LabelSpec[]
  }
}

interface RepoRow {
  id: number
  owner: string
  name: string
  api_url: string
  default_branch: string
}

export class GitHubService implements GitHubLink {
  private client: { octokit: GitHub; state: () => RateState; apiUrl: string } | null = null
  private signedIn: StoredToken | null = null
  private scopes: string[] = []
  private timer: unknown = null
  private pass: Promise<void> | null = null
  private stopped = false
  /** Issues and PRs Baton changed itself, so a poll in flight does not undo them. */
  private readonly local = new LocalWrites()
  private device: { promise: Promise<string>; flow: DeviceFlow; apiUrl: string } | null = null
  /** The login lookup for a token that came without one (BATON_GITHUB_TOKEN), shared while in flight and kept once done. */
  private whoami: Promise<string | null> | null = null
  /** Why the signed-in token is not usable, for Settings (a rejected BATON_GITHUB_TOKEN); null when fine. */
  private problem: string | null = null

  constructor(private readonly o: GitHubServiceOptions) {
    const stored = o.tokens.get()
    if (stored) {
      this.use(stored)
      void this.ensureLogin()
    }
  }

  private use(stored: StoredToken): void {
    registerSecret(stored.token)
    this.signedIn = stored
    this.scopes = stored.scopes ?? []
    this.client = { ...createOctokit({ baseUrl: stored.apiUrl, token: stored.token, log: this.o.log, timing: this.o.timing, onState: () => this.o.events.changed('app'), onResponse: this.o.onRequest }), apiUrl: stored.apiUrl }
  }

  /**
   * The signed-in login. A token from BATON_GITHUB_TOKEN arrives without one:
   * it is looked up once (`GET /user`) and kept, so Settings names the account
   * and answers are signed by it, not "a maintainer". A rejected token becomes
   * a message naming the variable (Settings shows it); a network failure is
   * asked again at the next call (the sync loop calls this before each pass).
   */
  ensureLogin(): Promise<string | null> {
    const stored = this.signedIn
    const client = this.client
    if (!stored || !client) return Promise.resolve(null)
    if (stored.login) return Promise.resolve(stored.login)
    if (this.whoami) return this.whoami
    const host = hostOfApi(stored.apiUrl)
    const lookup = (async (): Promise<string | null> => {
      try {
        const me = await client.octokit.rest.users.getAuthenticated()
        // Signed out, or in with another token, meanwhile: that sign-in decides.
        if (this.signedIn !== stored) return this.login()
        const header = me.headers['x-oauth-scopes']
        const scopes = scopesOf(header)
        this.signedIn = { ...stored, login: me.data.login, scopes }
        this.scopes = scopes
        this.problem =
          header !== undefined && !scopes.some((x) => x === 'repo' || x === 'public_repo')
            ? `The token in BATON_GITHUB_TOKEN lacks the "repo" scope (it has: ${scopes.length ? scopes.join(', ') : 'none'}): Baton cannot move labels or open pull requests with it.`
            : null
        audit(this.o.db, { kind: 'auth.signin', message: `Signed in to ${host} as ${me.data.login} (${stored.method === 'env' ? 'BATON_GITHUB_TOKEN' : stored.method})` })
        this.o.events.changed('app')
        return me.data.login
      } catch (error) {
        if (this.signedIn !== stored) return this.login()
        const e = describeGitHubError(error, `looking up the account of the token on ${host}`)
        const source = stored.method === 'env' ? 'BATON_GITHUB_TOKEN' : 'The stored token'
        if (e.code === 'unauthorized') {
          this.problem = `${source} was rejected by ${host} (401 Bad credentials). ${stored.method === 'env' ? 'Set BATON_GITHUB_TOKEN to a valid token and restart Baton.' : 'Sign out and sign in again.'}`
        } else {
          // Offline, rate-limited, GitHub down: not the token's fault; ask again next time.
          this.problem = `Could not look up the account of ${source === 'The stored token' ? 'the stored token' : source} on ${host}: ${e.message}`
          this.whoami = null
        }
        this.o.log.warn(this.problem)
        this.o.events.changed('app')
        return null
      }
    })()
    this.whoami = lookup
    return lookup
  }

  private require(): GitHub {
    if (!this.client) throw new AppError('unauthorized', 'Sign in to GitHub first (Settings → Sign in).')
    return this.client.octokit
  }

  // ── signing in ────────────────────────────────────────────────────────

  status(): AuthStatus {
    const storage = this.o.tokens.describe()
    const rate = this.client?.state()
    return {
      signedIn: Boolean(this.signedIn),
      login: this.signedIn?.login ?? null,
      host: hostOfApi(this.signedIn?.apiUrl ?? this.o.defaultApiUrl ?? 'https://api.github.com'),
      method: this.signedIn?.method ?? null,
      scopes: this.scopes,
      problem: this.signedIn ? this.problem : null,
      storage: storage.storage,
      storageWarning: storage.warning,
      rateLimit: rate && rate.limit !== null && rate.remaining !== null ? { limit: rate.limit, remaining: rate.remaining, resetAt: rate.resetAt ?? '' } : null,
      offline: rate?.offline ?? false
    }
  }

  async signInWithToken(pasted: string, method: StoredToken['method'] = 'token', apiUrl: string = this.o.defaultApiUrl ?? 'https://api.github.com'): Promise<AuthStatus> {
    const token = pasted.trim()
    registerSecret(token)
    if (!token || /\s/.test(token)) throw new AppError('bad_request', 'Paste the token itself: one word, like ghp_… or github_pat_….')
    const { octokit } = createOctokit({ baseUrl: apiUrl, token, log: this.o.log, timing: this.o.timing, onResponse: this.o.onRequest })
    let login: string
    let header: unknown
    try {
      const me = await octokit.rest.users.getAuthenticated()
      login = me.data.login
      header = me.headers['x-oauth-scopes']
    } catch (error) {
      throw describeGitHubError(error, 'checking the token')
    }
    const scopes = scopesOf(header)
    // A classic token says its scopes (fine-grained ones do not); without a write scope it cannot move labels or open PRs.
    if (header !== undefined && !scopes.some((s) => s === 'repo' || s === 'public_repo')) {
      throw new AppError('forbidden', `The token lacks the "repo" scope (it has: ${scopes.length ? scopes.join(', ') : 'none'}). Create one with "repo" (or "public_repo" for public repositories only).`, { scopes })
    }
    const stored: StoredToken = { token, method, apiUrl, login, scopes }
    this.o.tokens.set(stored)
    this.use(stored)
    this.whoami = null
    this.problem = null
    audit(this.o.db, { kind: 'auth.signin', message: `Signed in to ${hostOfApi(apiUrl)} as ${login} (${method})` })
    this.o.events.changed('app', 'repos')
    return this.status()
  }

  async deviceStart(): Promise<DeviceFlow> {
    const apiUrl = this.o.defaultApiUrl ?? 'https://api.github.com'
    let resolveFlow!: (flow: DeviceFlow) => void
    const flowReady = new Promise<DeviceFlow>((r) => (resolveFlow = r))
    const auth = createOAuthDeviceAuth({
      clientType: 'oauth-app',
      clientId: this.o.clientId ?? 'Iv1.baton-desktop',
      scopes: ['repo'],
      request: octokitRequest.defaults({ baseUrl: apiUrl }),
      onVerification: (v) =>
        resolveFlow({ userCode: v.user_code, verificationUri: v.verification_uri, expiresAt: new Date(Date.now() + v.expires_in * 1000).toISOString() })
    })
    const promise = auth({ type: 'oauth' }).then((a) => a.token)
    promise.catch(() => undefined)
    const flow = await Promise.race([flowReady, promise.then(() => null as never)]).catch((error: unknown) => {
      throw describeGitHubError(error, 'starting the sign-in')
    })
    this.device = { promise, flow, apiUrl }
    return flow
  }

  async deviceWait(): Promise<AuthStatus> {
    if (!this.device) throw new AppError('bad_request', 'Start the sign-in first.')
    const { promise, apiUrl } = this.device
    let token: string
    try {
      token = await promise
    } catch (error) {
      this.device = null
      const message = (error as Error).message ?? String(error)
      if (/access_denied|denied/i.test(message)) throw new AppError('unauthorized', 'The sign-in was denied on GitHub. Start again if that was a mistake.')
      if (/expired/i.test(message)) throw new AppError('unauthorized', 'The code expired before it was approved. Start the sign-in again.')
      throw new AppError('unauthorized', `The sign-in did not complete: ${message}`)
    }
    this.device = null
    return this.signInWithToken(token, 'device', apiUrl)
  }

  /** The gh CLI's token (`gh auth token`), through execFile: no shell, nothing on a command line. */
  async useGhToken(): Promise<AuthStatus> {
    const apiUrl = this.o.defaultApiUrl ?? 'https://api.github.com'
    const host = hostOfApi(apiUrl)
    const args = ['auth', 'token', ...(host !== 'github.com' ? ['--hostname', host] : [])]
    const token = await new Promise<string>((resolve, reject) =>
      execFile(this.o.gh ?? 'gh', args, { timeout: 10_000, windowsHide: true }, (error, stdout) => {
        if (error) {
          const code = (error as NodeJS.ErrnoException).code
          reject(
            code === 'ENOENT'
              ? new AppError('not_found', 'The GitHub CLI (gh) is not installed or not on the PATH. Install it from https://cli.github.com, or sign in with a token.')
              : new AppError('unauthorized', 'The GitHub CLI is not signed in. Run "gh auth login" in a terminal first, or sign in with a token.')
          )
        } else if (!stdout.trim()) reject(new AppError('unauthorized', 'The GitHub CLI gave no token. Run "gh auth login" in a terminal first.'))
        else resolve(stdout.trim())
      })
    )
    return this.signInWithToken(token, 'gh', apiUrl)
  }

  signOut(): AuthStatus {
    this.o.tokens.clear()
    this.signedIn = null
    this.client = null
    this.scopes = []
    this.whoami = null
    this.problem = null
    audit(this.o.db, { kind: 'auth.signout', message: 'Signed out of GitHub' })
    this.o.events.changed('app', 'repos')
    return this.status()
  }

  login(): string | null {
    return this.signedIn?.login ?? null
  }

  token(): string | null {
    return this.signedIn?.token ?? null
  }

  // ── repositories ─────────────────────────────────────────────────────

  async connect(remote: string): Promise<RepoSummary> {
    const octokit = this.require()
    await this.ensureLogin()
    const apiUrl = this.client?.apiUrl as string
    const ref = parseRemote(remote, hostOfApi(apiUrl))
    const signedHost = hostOfApi(apiUrl)
    if (ref.host !== signedHost) {
      throw new AppError(
        'bad_request',
        `${ref.owner}/${ref.name} lives on ${ref.host}, but Baton is signed in to ${signedHost}. Sign in to ${ref.host} instead (headless: set BATON_GITHUB_API_URL to its API, ${apiUrlFor(ref.host)}, and BATON_GITHUB_TOKEN to a token from there), or connect a repository on ${signedHost}.`,
        { repoHost: ref.host, signedInHost: signedHost }
      )
    }
    let repo
    try {
      repo = (await octokit.rest.repos.get({ owner: ref.owner, repo: ref.name })).data
    } catch (error) {
      const e = describeGitHubError(error, `${ref.owner}/${ref.name}`)
      if (e.code === 'not_found') throw new AppError('not_found', `${ref.owner}/${ref.name} does not exist, or the signed-in account (${this.login()}) cannot see it.`)
      throw e
    }
    if (repo.archived) throw new AppError('forbidden', `${repo.full_name} is archived, so it is read-only. Unarchive it on GitHub first.`)
    if (repo.permissions && !repo.permissions.push) {
      throw new AppError('forbidden', `${this.login()} cannot write to ${repo.full_name}: Baton needs write access to move labels and open pull requests.`)
    }
    try {
      await bootstrapLabels(octokit, repo.owner.login, repo.name, this.o.pipelines?.labels(null))
    } catch (error) {
      throw describeGitHubError(error, `creating the pipeline's labels on ${repo.full_name}`)
    }
    const key = `${hostOfApi(apiUrl)}/${repo.owner.login}/${repo.name}`.toLowerCase()
    this.o.db
      .prepare(
        `INSERT INTO repos (key, host, api_url, owner, name, default_branch, private, connected_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(key) DO UPDATE SET api_url = excluded.api_url, owner = excluded.owner, name = excluded.name, default_branch = excluded.default_branch, private = excluded.private`
      )
      .run(key, hostOfApi(apiUrl), apiUrl, repo.owner.login, repo.name, repo.default_branch, repo.private ? 1 : 0, new Date().toISOString())
    const row = this.o.db.prepare('SELECT id FROM repos WHERE key = ?').get(key) as { id: number }
    audit(this.o.db, { kind: 'repo.connect', repoId: row.id, message: `Connected ${repo.full_name}` })
    await this.syncOne(row.id)
    this.o.events.changed('repos', 'issues')
    return listRepos(this.o.db).find((r) => r.id === row.id) as RepoSummary
  }

  disconnect(id: number): { disconnected: true } {
    const row = this.repoRow(id)
    this.o.db.prepare('DELETE FROM repos WHERE id = ?').run(id)
    audit(this.o.db, { kind: 'repo.disconnect', message: `Disconnected ${row.owner}/${row.name}` })
    this.o.events.changed('repos', 'issues', 'tasks')
    return { disconnected: true }
  }

  private repoRow(id: number): RepoRow {
    const row = this.o.db.prepare('SELECT id, owner, name, api_url, default_branch FROM repos WHERE id = ?').get(id) as RepoRow | undefined
    if (!row) throw new AppError('not_found', `No connected repository with id ${id}.`)
    return row
  }

  cloneUrl(repo: RepoRef): string {
    const row = this.repoRow(repo.id)
    return `${webBase(row.api_url, row.owner, row.name)}.git`
  }

  async syncNow(id: number): Promise<RepoSummary> {
    await this.syncOne(id)
    return listRepos(this.o.db).find((r) => r.id === id) as RepoSummary
  }

  private async syncOne(id: number): Promise<number[]> {
    const octokit = this.require()
    const row = this.repoRow(id)
    try {
      const result = await syncRepository(this.o.db, octokit, row, this.local)
      await this.refreshPipeline(octokit, row)
      if (result.changed.length) {
        this.o.events.changed('issues', 'repos')
        this.o.onSynced?.(id, result.changed)
      }
      return result.changed
    } catch (error) {
      const e = describeGitHubError(error, `syncing ${row.owner}/${row.name}`)
      this.o.db.prepare('UPDATE repos SET sync_error = ? WHERE id = ?').run(e.message, id)
      this.o.events.changed('repos', 'app')
      throw e
    }
  }

  /**
   * Re-reads `.baton/pipeline.yml` when the default branch moved (a 304 on the
   * branch costs nothing). A change creates the new stages' labels; a broken
   * file shows as the repository's sync error, and its last good pipeline stays.
   */
  private async refreshPipeline(octokit: GitHub, row: RepoRow): Promise<void> {
    const hooks = this.o.pipelines
    if (!hooks) return
    try {
      const result = await refreshPipelineFile(octokit, row, hooks.store, hooks.roles(), undefined, (branch) => {
        // The checks branch protection requires: an issue waits for them before the person's review (github-signals.ts).
        if (setRequiredChecks(this.o.db, row.id, branch.protection?.required_status_checks?.contexts ?? [])) this.o.onSynced?.(row.id, [])
      })
      if (result.changed) {
        const { source } = hooks.store.resolve(row.id)
        audit(this.o.db, {
          kind: 'pipeline.change',
          repoId: row.id,
          message:
            source === 'file'
              ? `${row.owner}/${row.name} follows its .baton/pipeline.yml`
              : `${row.owner}/${row.name} has no usable .baton/pipeline.yml: its pipeline comes from ${source === 'default' ? 'the default' : 'Settings'}`
        })
        await this.ensureLabels(row.id)
        this.o.onSynced?.(row.id, [])
      }
      if (result.error) {
        this.o.db.prepare('UPDATE repos SET sync_error = ? WHERE id = ?').run(result.error, row.id)
        if (result.requests > 1) audit(this.o.db, { kind: 'pipeline.refused', repoId: row.id, message: `${result.error} (the last good pipeline stays)` })
      }
      if (result.changed || result.error) this.o.events.changed('repos', 'settings')
    } catch (error) {
      this.o.log.debug(`pipeline file of ${row.owner}/${row.name}: ${(error as Error).message}`)
    }
  }

  /** Creates the labels a repository's pipeline and the trust policy need, where missing. */
  async ensureLabels(repoId: number): Promise<string[]> {
    const hooks = this.o.pipelines
    if (!hooks || !this.client) return []
    const row = this.repoRow(repoId)
    try {
      return await bootstrapLabels(this.client.octokit, row.owner, row.name, hooks.labels(repoId))
    } catch (error) {
      throw describeGitHubError(error, `creating the pipeline's labels on ${row.owner}/${row.name}`)
    }
  }

  /** Polls every connected repository, forever, at the configured interval. Called again (after a sign-in), it polls now: still one loop. */
  startSync(): void {
    this.stopped = false
    void this.tick()
  }

  /**
   * One pass over every repository now (or the pass in flight), then the next
   * at the interval. An error is logged and shown on its repository, and the
   * loop goes on: offline resumes by itself. Signed out, a pass does nothing.
   */
  tick(): Promise<void> {
    if (this.pass) return this.pass
    const timers = this.o.timers ?? realTimers
    if (this.timer !== null) timers.clearTimeout(this.timer)
    this.timer = null
    const run = async () => {
      // The login first: answers applied after this pass are signed by it, and its comments recognised.
      await this.ensureLogin()
      for (const { id } of this.o.db.prepare('SELECT id FROM repos ORDER BY id').all() as Array<{ id: number }>) {
        if (this.stopped || !this.client) return
        await this.syncOne(id).catch((error: unknown) => this.o.log.debug(`sync: ${(error as Error).message}`))
      }
    }
    this.pass = run().finally(() => {
      this.pass = null
      if (!this.stopped) this.timer = timers.setTimeout(() => void this.tick(), this.o.pollMs())
    })
    return this.pass
  }

  stop(): void {
    this.stopped = true
    if (this.timer !== null) (this.o.timers ?? realTimers).clearTimeout(this.timer)
    this.timer = null
  }

  // ── issues and drafts ────────────────────────────────────────────────

  async createIssue(input: { repoId: number; title: string; body: string; labels: string[] }): Promise<{ created: true; number: number; url: string } | { created: false; draft: Draft }> {
    const row = this.repoRow(input.repoId)
    if (!input.title.trim()) throw new AppError('bad_request', 'A title is needed.')
    // No labels given: the entry stage of the repository's own pipeline.
    const labels = input.labels.length ? [...new Set(input.labels)] : [this.o.pipelines?.store.forRepo(row.id).entry ?? 'backlog']
    try {
      const octokit = this.require()
      const issue = (await octokit.rest.issues.create({ owner: row.owner, repo: row.name, title: input.title, body: input.body, labels })).data
      upsertIssue(this.o.db, row.id, issue as unknown as Record<string, unknown>)
      audit(this.o.db, { kind: 'issue.create', repoId: row.id, issue: issue.number, message: `Created #${issue.number}: ${input.title}` })
      this.o.events.changed('issues')
      this.o.onSynced?.(row.id, [issue.number])
      return { created: true, number: issue.number, url: `${webBase(row.api_url, row.owner, row.name)}/issues/${issue.number}` }
    } catch (error) {
      const reason = describeGitHubError(error, 'creating the issue').message
      const id = Number(
        this.o.db
          .prepare('INSERT INTO drafts (repo_id, title, body, labels, error, created_at) VALUES (?, ?, ?, ?, ?, ?)')
          .run(row.id, input.title, input.body, JSON.stringify(labels), reason, new Date().toISOString()).lastInsertRowid
      )
      this.o.events.changed('issues')
      return { created: false, draft: listDrafts(this.o.db).find((d) => d.id === id) as Draft }
    }
  }

  async retryDraft(id: number): Promise<{ created: true; number: number; url: string } | { created: false; draft: Draft }> {
    const draft = listDrafts(this.o.db).find((d) => d.id === id)
    if (!draft) throw new AppError('not_found', `No draft ${id}.`)
    // The first attempt may have reached GitHub even though its answer did not:
    // adopt an issue this account opened with the same title and body since.
    const row = this.repoRow(draft.repoId)
    try {
      const octokit = this.require()
      const since = new Date(Date.parse(draft.createdAt) - 10 * 60_000).toISOString()
      const mine = await octokit.rest.issues.listForRepo({ owner: row.owner, repo: row.name, state: 'all', since, creator: this.login() ?? undefined, per_page: 100 })
      const same = mine.data.find((i) => !i.pull_request && i.title === draft.title && (i.body ?? '') === draft.body)
      if (same) {
        this.o.db.prepare('DELETE FROM drafts WHERE id = ?').run(id)
        upsertIssue(this.o.db, row.id, same as unknown as Record<string, unknown>)
        this.o.events.changed('issues')
        return { created: true, number: same.number, url: `${webBase(row.api_url, row.owner, row.name)}/issues/${same.number}` }
      }
    } catch {
      /* GitHub still unreachable: the create below keeps the draft with the reason */
    }
    this.o.db.prepare('DELETE FROM drafts WHERE id = ?').run(id)
    return this.createIssue({ repoId: draft.repoId, title: draft.title, body: draft.body, labels: draft.labels })
  }

  discardDraft(id: number): { discarded: true } {
    this.o.db.prepare('DELETE FROM drafts WHERE id = ?').run(id)
    this.o.events.changed('issues')
    return { discarded: true }
  }

  // ── pull requests ────────────────────────────────────────────────────

  async prDetail(repoId: number, number: number): Promise<PrDetail> {
    const octokit = this.require()
    const row = this.repoRow(repoId)
    const base = { owner: row.owner, repo: row.name, pull_number: number }
    try {
      const [pull, files, reviews, repo, commits] = await Promise.all([
        octokit.rest.pulls.get(base),
        octokit.paginate(octokit.rest.pulls.listFiles, { ...base, per_page: 100 }),
        octokit.rest.pulls.listReviews({ ...base, per_page: 100 }),
        octokit.rest.repos.get({ owner: row.owner, repo: row.name }),
        octokit.paginate(octokit.rest.pulls.listCommits, { ...base, per_page: 100 })
      ])
      const checks = await prChecks(octokit, row.owner, row.name, pull.data.head.sha)
      const allowed = allowedMergeMethods(repo.data)
      const chosen = (this.o.db.prepare('SELECT merge_method FROM repos WHERE id = ?').get(row.id) as { merge_method: MergeMethod | null } | undefined)?.merge_method
      upsertPull(this.o.db, row.id, pull.data as unknown as Record<string, unknown>)
      const issue = (this.o.db.prepare('SELECT issue FROM pulls WHERE repo_id = ? AND number = ?').get(row.id, number) as { issue: number | null } | undefined)?.issue ?? null
      const report = issue
        ? (this.o.db
            .prepare("SELECT body, created_at FROM notes WHERE repo_id = ? AND issue = ? AND kind = 'test-report' ORDER BY id DESC LIMIT 1")
            .get(row.id, issue) as { body: string; created_at: string } | undefined)
        : undefined
      const passed = issue
        ? (this.o.db.prepare("SELECT 1 FROM events WHERE repo_id = ? AND issue = ? AND kind = 'stage.move' AND message = 'needs-testing → needs-review' ORDER BY id DESC LIMIT 1").get(row.id, issue) !== undefined)
        : false
      return {
        repoId,
        number,
        issue,
        title: pull.data.title,
        body: pull.data.body ?? '',
        state: pull.data.state as 'open' | 'closed',
        merged: Boolean(pull.data.merged),
        mergeable: pull.data.mergeable ?? null,
        head: pull.data.head.ref,
        base: pull.data.base.ref,
        url: `${webBase(row.api_url, row.owner, row.name)}/pull/${number}`,
        files: files.map((f) => ({ filename: f.filename, status: f.status, additions: f.additions, deletions: f.deletions, patch: f.patch ?? null })),
        testReport: report ? { passed, body: report.body, at: report.created_at } : null,
        reviews: reviews.data.map((r) => ({ author: r.user?.login ?? 'ghost', state: r.state, body: r.body ?? '', at: r.submitted_at ?? '' })),
        mergeMethod: chosen && allowed.includes(chosen) ? chosen : (allowed[0] ?? 'merge'),
        allowedMergeMethods: allowed,
        mergeableState: pull.data.mergeable_state ?? null,
        checks,
        commits: commits.map((c) => ({
          sha: c.sha,
          message: c.commit.message,
          author: c.author?.login ?? c.commit.author?.name ?? 'unknown',
          at: c.commit.author?.date ?? null,
          url: c.html_url ?? null
        })),
        mergedBy: pull.data.merged_by?.login ?? null,
        mergedAt: pull.data.merged_at ?? null,
        closedAt: pull.data.closed_at ?? null
      }
    } catch (error) {
      throw describeGitHubError(error, `pull request #${number}`)
    }
  }

  // ── the person's issue writes (the issue page; issue #13) ────────────

  /**
   * Closes (as completed or not planned) or reopens an issue. Safe to repeat:
   * GitHub's current state is read first and an issue already so is no write.
   * Mirrored at once; a poll already in flight must not undo it.
   */
  async setIssueState(repoId: number, issue: number, to: { state: 'open' } | { state: 'closed'; reason: 'completed' | 'not_planned' }): Promise<{ changed: boolean }> {
    const octokit = this.require()
    const row = this.repoRow(repoId)
    try {
      const current = (await octokit.rest.issues.get({ owner: row.owner, repo: row.name, issue_number: issue })).data
      if (current.pull_request) throw new AppError('bad_request', `#${issue} is a pull request: close or merge it from its review page.`)
      const reason = to.state === 'closed' ? to.reason : null
      const same = current.state === to.state && (to.state === 'open' || (current.state_reason ?? 'completed') === reason)
      if (same) {
        upsertIssue(this.o.db, row.id, current as unknown as Record<string, unknown>)
        return { changed: false }
      }
      const result = await octokit.rest.issues.update({
        owner: row.owner,
        repo: row.name,
        issue_number: issue,
        state: to.state,
        ...(to.state === 'closed' ? { state_reason: to.reason } : {})
      })
      this.local.touch(row.id, issue)
      upsertIssue(this.o.db, row.id, result.data as unknown as Record<string, unknown>)
      this.o.events.changed('issues')
      return { changed: true }
    } catch (error) {
      if (error instanceof AppError) throw error
      throw describeGitHubError(error, `${to.state === 'open' ? 'reopening' : 'closing'} #${issue}`)
    }
  }

  // ── the pipeline's writes (all safe to repeat) ───────────────────────

  port(): GitHubPort & ReviewReads {
    return {
      comment: async (repo, issue, body, marker) => {
        const octokit = this.require()
        const row = this.repoRow(repo.id)
        // Only Baton's own comment with this answer's marker stops the post:
        // anyone can type a marker, and an outsider's comment carrying the
        // next answer's must not silence Baton (GitHub's author says who wrote it).
        const wanted = parseMarker(marker)
        if (!wanted) throw new AppError('internal', `Not a Baton marker: ${marker.slice(0, 120)}`)
        // A BATON_GITHUB_TOKEN's login may still be unknown right after start (an answer replayed before the first sync).
        const login = await this.ensureLogin()
        try {
          const existing = await octokit.paginate(octokit.rest.issues.listComments, { owner: row.owner, repo: row.name, issue_number: issue, per_page: 100 })
          const mine = existing.find((c) => {
            if (!sameLogin(c.user?.login, login)) return false
            const found = parseMarker(c.body ?? '')
            return found !== null && sameMarker(found, wanted)
          })
          const comment = mine ?? (await octokit.rest.issues.createComment({ owner: row.owner, repo: row.name, issue_number: issue, body })).data
          upsertComment(this.o.db, row.id, comment as unknown as Record<string, unknown>, issue)
          return comment.html_url ?? null
        } catch (error) {
          throw describeGitHubError(error, `commenting on #${issue}`)
        }
      },
      setLabels: async (repo, issue, add, remove) => {
        const octokit = this.require()
        const row = this.repoRow(repo.id)
        try {
          const current = (await octokit.rest.issues.get({ owner: row.owner, repo: row.name, issue_number: issue })).data
          const have = current.labels.map((l) => (typeof l === 'string' ? l : (l.name ?? '')))
          const next = [...have.filter((l) => !remove.includes(l)), ...add.filter((l) => !have.includes(l))]
          if (next.length === have.length && next.every((l) => have.includes(l))) return have
          // One request: PUT sets the whole list (adding and removing at once).
          const result = await octokit.rest.issues.setLabels({ owner: row.owner, repo: row.name, issue_number: issue, labels: next })
          const after = result.data.map((l) => l.name)
          this.local.touch(row.id, issue)
          // GitHub moved updated_at with this change; a poll that started before it must not undo it.
          // GitHub's own clock (the answer's Date header), never this machine's: a later change by
          // a person must never look older than this one.
          const served = Date.parse(String(result.headers.date ?? ''))
          const stamp = Number.isFinite(served) ? new Date(served).toISOString().replace(/\.\d{3}Z$/, 'Z') : null
          this.o.db
            .prepare('UPDATE issues SET labels = ?, updated_at = MAX(updated_at, COALESCE(?, updated_at)) WHERE repo_id = ? AND number = ?')
            .run(JSON.stringify(after), stamp, row.id, issue)
          return after
        } catch (error) {
          throw describeGitHubError(error, `changing the labels of #${issue}`)
        }
      },
      ensurePullRequest: async (repo, head, title, body) => {
        const octokit = this.require()
        const row = this.repoRow(repo.id)
        try {
          const find = async () =>
            (await octokit.rest.pulls.list({ owner: row.owner, repo: row.name, state: 'open', head: `${row.owner}:${head}`, per_page: 10 })).data.find((p) => p.head.ref === head)
          let pull: Record<string, unknown> & { number: number } | undefined = await find()
          if (!pull) {
            try {
              pull = (await octokit.rest.pulls.create({ owner: row.owner, repo: row.name, head, base: row.default_branch, title, body })).data
            } catch (error) {
              // Opened meanwhile (a retry after a lost answer raced the list): find it rather than fail.
              const e = error as { status?: number; message?: string }
              if (e.status === 422 && /already exists/i.test(e.message ?? '')) pull = await find()
              if (!pull) throw error
            }
          }
          upsertPull(this.o.db, row.id, pull as unknown as Record<string, unknown>)
          this.o.events.changed('issues')
          return pull.number
        } catch (error) {
          throw describeGitHubError(error, `opening the pull request for ${head}`)
        }
      },
      merge: async (repo, pr, method) => {
        const octokit = this.require()
        const row = this.repoRow(repo.id)
        try {
          const result = await octokit.rest.pulls.merge({ owner: row.owner, repo: row.name, pull_number: pr, merge_method: method })
          // In the mirror at once; a poll already in flight must not undo it.
          this.local.touch(row.id, pr)
          this.o.db.prepare("UPDATE pulls SET state = 'closed', merged = 1 WHERE repo_id = ? AND number = ?").run(row.id, pr)
          this.o.events.changed('issues')
          return { sha: result.data.sha }
        } catch (error) {
          const e = error as { status?: number; response?: { data?: { message?: string } } }
          if (e.status === 405 || e.status === 409) {
            throw new AppError('conflict', `GitHub would not merge #${pr}: ${(e.response?.data?.message ?? 'not mergeable').replace(/\.?$/, '.')}`)
          }
          throw describeGitHubError(error, `merging #${pr}`)
        }
      },
      review: async (repo, pr, event, body, comments) => {
        const octokit = this.require()
        const row = this.repoRow(repo.id)
        // GitHub lets no account approve or request changes on its own pull
        // request (422), and Baton opens the agents' PRs with the person's own
        // token: there the review goes as a comment that says what it is, and
        // the engine still sends the issue back (the decision is Baton's).
        const author = (this.o.db.prepare('SELECT author FROM pulls WHERE repo_id = ? AND number = ?').get(repo.id, pr) as { author: string } | undefined)?.author
        const own = (e: string) => e !== 'COMMENT' && Boolean(author && this.login() && author.toLowerCase() === this.login()?.toLowerCase())
        const send = (e: typeof event, asComment: boolean) => {
          const said = asComment ? `**${e === 'APPROVE' ? 'Approved' : 'Changes requested'}** in Baton (sent as a comment: GitHub does not let an account ${e === 'APPROVE' ? 'approve' : 'request changes on'} its own pull request).\n\n${body}` : body
          // Baton's marker: the sync reads this review back and must not act on it a second time (the engine already did).
          const marked = `${said.trim()}\n\n<!-- baton:review -->`
          return octokit.rest.pulls.createReview({ owner: row.owner, repo: row.name, pull_number: pr, event: asComment ? 'COMMENT' : e, body: marked, comments: comments.map((c) => ({ path: c.path, line: c.line, body: c.body })) })
        }
        try {
          try {
            await send(event, own(event))
          } catch (error) {
            const message = String((error as { response?: { data?: unknown } }).response?.data ? JSON.stringify((error as { response: { data: unknown } }).response.data) : (error as Error).message)
            if (event === 'COMMENT' || (error as { status?: number }).status !== 422 || !/own pull request/i.test(message)) throw error
            await send(event, true)
          }
        } catch (error) {
          throw describeGitHubError(error, `reviewing #${pr}`)
        }
      },
      // A fan-out review's reads (review/post-review.ts): which lines a comment may be on, and whether the round's review is there already.
      pullFiles: async (repo, pr) => {
        const octokit = this.require()
        const row = this.repoRow(repo.id)
        try {
          const files = await octokit.paginate(octokit.rest.pulls.listFiles, { owner: row.owner, repo: row.name, pull_number: pr, per_page: 100 })
          return files.map((f) => ({ path: f.filename, patch: f.patch ?? null }))
        } catch (error) {
          throw describeGitHubError(error, `reading #${pr}'s files`)
        }
      },
      reviewBodies: async (repo, pr) => {
        const octokit = this.require()
        const row = this.repoRow(repo.id)
        try {
          const reviews = await octokit.paginate(octokit.rest.pulls.listReviews, { owner: row.owner, repo: row.name, pull_number: pr, per_page: 100 })
          return reviews.map((r) => ({ author: r.user?.login ?? 'ghost', body: r.body ?? '' }))
        } catch (error) {
          throw describeGitHubError(error, `reading #${pr}'s reviews`)
        }
      },
      setStatus: async (repo, sha, status) => {
        const octokit = this.require()
        const row = this.repoRow(repo.id)
        try {
          // Statuses are append-only on GitHub: post only when the latest of this context differs.
          const combined = await octokit.rest.repos.getCombinedStatusForRef({ owner: row.owner, repo: row.name, ref: sha, per_page: 100 })
          const latest = combined.data.statuses.find((s) => s.context === status.context)
          if (latest && latest.state === status.state && (latest.description ?? null) === status.description && (latest.target_url ?? null) === status.targetUrl) return false
          await octokit.rest.repos.createCommitStatus({
            owner: row.owner,
            repo: row.name,
            sha,
            state: status.state,
            context: status.context,
            description: status.description,
            ...(status.targetUrl ? { target_url: status.targetUrl } : {})
          })
          return true
        } catch (error) {
          throw describeGitHubError(error, `publishing ${status.context} on ${sha.slice(0, 7)}`)
        }
      },
      createIssue: async (repo, issue, marker, since) => {
        const octokit = this.require()
        const row = this.repoRow(repo.id)
        const wanted = parseMarker(marker)
        if (!wanted) throw new AppError('internal', `Not a Baton marker: ${marker.slice(0, 120)}`)
        const login = await this.ensureLogin()
        const url = (n: number) => `${webBase(row.api_url, row.owner, row.name)}/issues/${n}`
        try {
          // A first try whose answer was lost may have filed it: take Baton's own issue with this marker.
          const mine = await octokit.paginate(octokit.rest.issues.listForRepo, { owner: row.owner, repo: row.name, state: 'all', since, creator: login ?? undefined, per_page: 100 })
          const found = mine.find((i) => !i.pull_request && sameLogin(i.user?.login, login) && sameMarker(parseMarker(i.body ?? '') ?? { task: '', role: null, fields: {} }, wanted))
          const made = found ?? (await octokit.rest.issues.create({ owner: row.owner, repo: row.name, title: issue.title, body: issue.body, labels: issue.labels })).data
          upsertIssue(this.o.db, row.id, made as unknown as Record<string, unknown>)
          this.o.events.changed('issues')
          this.o.onSynced?.(row.id, [made.number])
          return { number: made.number, url: url(made.number) }
        } catch (error) {
          throw describeGitHubError(error, `filing the issue in ${row.owner}/${row.name}`)
        }
      },
      readIssue: async (owner, name, number, etag) => {
        const octokit = this.require()
        const got = await getOne<{ state: string; state_reason?: string | null; title: string; html_url: string; pull_request?: unknown }>(
          octokit,
          'GET /repos/{owner}/{repo}/issues/{issue_number}',
          { owner, repo: name, issue_number: number },
          etag,
          { requests: 0, notModified: 0 }
        )
        const i = got.data
        return { notModified: got.notModified, etag: got.etag, issue: i ? { state: i.state, stateReason: i.state_reason ?? null, title: i.title, url: i.html_url } : null }
      },
      syncNow: async (repo) => {
        await this.syncOne(repo.id)
      },
      login: () => this.login()
    }
  }
}

/** `x-oauth-scopes` as a list (absent for fine-grained tokens: empty). */
function scopesOf(header: unknown): string[] {
  return String(header ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
}

export { apiUrlFor }
