// createForge: the forge as tests, benchmarks and the sandbox start it.
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { openForgeDb } from './store'
import type { ForgeDb } from './store'
import { Model } from './model'
import type { Permission, ForgeSeed, ParsedSeed } from './seed'
import { parseSeed } from './seed'
import { initBareRepo } from './git'
import { Faults } from './faults'
import type { ActiveFault, FaultRule } from './faults'
import { RequestLog } from './request-log'
import type { RequestLogEntry } from './request-log'
import { RateLimiter } from './rate-limit'
import { Router } from './http/api'
import { createHandler } from './http/server'
import type { ForgeSettings } from './http/server'
import { repoRoutes } from './routes/repos'
import { labelRoutes } from './routes/labels'
import { issueRoutes } from './routes/issues'
import { pullRoutes } from './routes/pulls'
import { releaseRoutes } from './routes/releases'
import { checkRoutes } from './routes/checks'
import { contentRoutes } from './routes/contents'
import { protectionRoutes } from './routes/protection'
import { decideDeviceCode } from './device-flow'
import type { Urls } from './shapes'

export interface ForgeOptions {
  /** Folder for the SQLite file and the bare repositories; created if missing. A folder from an earlier run keeps its state (the seed is then not applied again). */
  dataDir: string
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number
  /** Only 127.0.0.1: the forge never listens on another address. */
  host?: '127.0.0.1'
  seed?: ForgeSeed
  /** Primary rate limit per token per hour. Default 5000. */
  rateLimit?: number
  /** Rate limit for anonymous callers. Default 60. */
  anonymousRateLimit?: number
  /** Minimum ms between mutations of one token before a secondary-limit 403. Default null (off). */
  secondaryRateLimitMs?: number | null
  /** Token for /_forge/* admin calls. Default: random (see `forge.adminToken`). */
  adminToken?: string
  /** Seed of the PRNG that picks which requests a `share` fault hits. Default 1. */
  faultSeed?: number
  /** Seconds between device-flow polls the forge asks for. Default 5 (GitHub's); tests use 0. */
  deviceFlowInterval?: number
  /** The forge's clock, ms since the epoch. Default Date.now. Tests move it. */
  now?: () => number
}

export interface AddUserInput {
  login: string
  name?: string
  email?: string
  /** A personal access token for the user; none by default. */
  token?: string
  /** Default ['repo']. */
  scopes?: string[]
  /** This token's hourly budget (default: the forge's). */
  rateLimit?: number
  siteAdmin?: boolean
}

export interface AddRepoInput {
  owner: string
  name: string
  description?: string | null
  private?: boolean
  archived?: boolean
  defaultBranch?: string
  /** path → content, committed as the initial commit. */
  files?: Record<string, string>
  labels?: { name: string; color?: string; description?: string | null }[]
  collaborators?: Record<string, Permission>
}

export interface CreateIssueInput {
  owner: string
  repo: string
  author: string
  title: string
  body?: string
  labels?: string[]
  assignees?: string[]
  state?: 'open' | 'closed'
  comments?: { author: string; body: string }[]
}

export interface Forge {
  /** e.g. http://127.0.0.1:41234 — the web root; git remotes live under it. */
  readonly url: string
  /** `${url}/api/v3`: Octokit's `baseUrl`, as for GitHub Enterprise Server. */
  readonly apiUrl: string
  readonly adminToken: string
  readonly dataDir: string
  /** Live settings: change `rateLimit` or `secondaryRateLimitMs` mid-test. */
  readonly settings: ForgeSettings
  /** The clone URL; with a token, one git can push with (`x-access-token:<token>@`). */
  gitUrl(owner: string, name: string, token?: string): string
  /** The bare repository's folder. */
  gitDir(owner: string, name: string): string
  addUser(input: AddUserInput): { id: number; login: string }
  addToken(login: string, token: string, scopes?: string[], rateLimit?: number): void
  addOrganization(input: { login: string; name?: string; members?: string[] }): { id: number; login: string }
  addRepo(input: AddRepoInput): Promise<{ id: number; fullName: string }>
  setPermission(owner: string, repo: string, login: string, permission: Permission): void
  setArchived(owner: string, repo: string, archived: boolean): void
  createIssue(input: CreateIssueInput): { number: number; id: number }
  approveDeviceCode(userCode: string, login: string): void
  denyDeviceCode(userCode: string, login: string): void
  readonly faults: {
    inject(rule: FaultRule): ActiveFault
    clear(): void
    list(): ActiveFault[]
    reseed(seed: number): void
  }
  requestLog(): RequestLogEntry[]
  clearLog(): void
  /** Starts every rate-limit window afresh. */
  resetRateLimits(): void
  /** The forge's SQLite handle, for assertions a test cannot make over HTTP. */
  readonly db: ForgeDb
  close(): Promise<void>
}

export async function createForge(options: ForgeOptions): Promise<Forge> {
  if (typeof options.dataDir !== 'string' || options.dataDir === '') throw new Error(`createForge: expected dataDir to be a folder path, got ${JSON.stringify(options.dataDir)}`)
  if (options.host !== undefined && options.host !== '127.0.0.1') throw new Error(`createForge: expected host 127.0.0.1, got ${String(options.host)}`)
  const seed = options.seed === undefined ? undefined : parseSeed(options.seed)
  const now = options.now ?? Date.now
  const reposDir = join(options.dataDir, 'repos')
  mkdirSync(reposDir, { recursive: true })
  const { db, fresh } = openForgeDb(join(options.dataDir, 'forge.sqlite'))
  const model = new Model(db, reposDir, now)
  const settings: ForgeSettings = {
    rateLimit: options.rateLimit ?? 5000,
    anonymousRateLimit: options.anonymousRateLimit ?? 60,
    secondaryRateLimitMs: options.secondaryRateLimitMs ?? null,
    deviceFlow: { interval: options.deviceFlowInterval ?? 5, expiresIn: 900 }
  }
  const adminToken = options.adminToken ?? `forge_admin_${randomBytes(16).toString('hex')}`
  const faults = new Faults(options.faultSeed ?? 1)
  const log = new RequestLog()
  const limiter = new RateLimiter(now)
  const router = new Router()
  repoRoutes(router)
  labelRoutes(router)
  issueRoutes(router)
  pullRoutes(router)
  releaseRoutes(router)
  checkRoutes(router)
  // Before contents: `branches/{branch}` takes a name with `/`, so `…/protection` must match first.
  protectionRoutes(router)
  contentRoutes(router)

  const locks = new Map<number, Promise<unknown>>()
  const withRepoLock = <T>(repoId: number, fn: () => Promise<T>): Promise<T> => {
    const prev = locks.get(repoId) ?? Promise.resolve()
    const next = prev.then(fn, fn)
    const settled = next.catch(() => undefined)
    locks.set(repoId, settled)
    void settled.then(() => {
      if (locks.get(repoId) === settled) locks.delete(repoId)
    })
    return next
  }

  let urls: Urls = { web: '', api: '' }
  const server: Server = createServer(
    createHandler({ model, router, urls: () => urls, faults, log, limiter, reposDir, adminToken, settings, withRepoLock })
  )
  // Idle keep-alive connections are kept a minute, as GitHub's front end does.
  // With 5 s, a client whose event loop lagged past its own 4 s idle timer
  // (undici's: the server's hint less 1 s) sent a request on a socket the forge
  // was closing and read ECONNRESET (closed.test.ts, in a CI run at load 30).
  server.keepAliveTimeout = 65_000

  const userByLogin = (login: string) => {
    const u = model.accountByLogin(login)
    if (!u) throw new Error(`No user or organization "${login}" on the forge`)
    return u
  }
  const repoByName = (owner: string, name: string) => {
    const r = model.repo(owner, name)
    if (!r) throw new Error(`No repository "${owner}/${name}" on the forge`)
    return r
  }

  const forge: Forge = {
    get url() {
      return urls.web
    },
    get apiUrl() {
      return urls.api
    },
    adminToken,
    dataDir: options.dataDir,
    settings,
    db,
    gitUrl(owner, name, token) {
      const u = new URL(`${urls.web}/${owner}/${name}.git`)
      if (token) {
        u.username = 'x-access-token'
        u.password = token
      }
      return u.toString()
    },
    gitDir(owner, name) {
      return model.gitDir(repoByName(owner, name))
    },
    addUser(input) {
      const u = model.createAccount({ login: input.login, name: input.name, email: input.email, siteAdmin: input.siteAdmin })
      if (input.token) model.addToken(u.id, input.token, input.scopes ?? ['repo'], input.rateLimit)
      return { id: u.id, login: u.login }
    },
    addToken(login, token, scopes = ['repo'], rateLimit) {
      model.addToken(userByLogin(login).id, token, scopes, rateLimit)
    },
    addOrganization(input) {
      const o = model.createAccount({ login: input.login, name: input.name, type: 'Organization' })
      for (const m of input.members ?? []) model.addMember(o.id, userByLogin(m).id)
      return { id: o.id, login: o.login }
    },
    async addRepo(input) {
      const owner = model.accountByLogin(input.owner) ?? model.createAccount({ login: input.owner, type: 'Organization' })
      if (model.repo(owner.login, input.name)) throw new Error(`The repository "${owner.login}/${input.name}" already exists`)
      const branch = input.defaultBranch ?? 'main'
      const t = now()
      const info = db
        .prepare('INSERT INTO repos (owner_id, name, description, private, archived, default_branch, created_at, updated_at, pushed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(owner.id, input.name, input.description ?? null, input.private ? 1 : 0, input.archived ? 1 : 0, branch, t, t, t)
      const repo = model.repoById(Number(info.lastInsertRowid))
      try {
        await initBareRepo(model.gitDir(repo), branch, input.files ?? {}, {
          name: owner.name ?? owner.login,
          email: owner.email ?? `${owner.id}+${owner.login}@users.noreply.forge.local`,
          time: Math.floor(t / 1000)
        })
      } catch (error) {
        db.prepare('DELETE FROM repos WHERE id = ?').run(repo.id)
        throw error
      }
      for (const l of input.labels ?? []) model.createLabel(repo.id, l.name, l.color ?? 'ededed', l.description ?? null)
      for (const [login, p] of Object.entries(input.collaborators ?? {})) model.setPermission(repo.id, userByLogin(login).id, p)
      return { id: repo.id, fullName: `${owner.login}/${repo.name}` }
    },
    setPermission(owner, name, login, permission) {
      model.setPermission(repoByName(owner, name).id, userByLogin(login).id, permission)
    },
    setArchived(owner, name, archived) {
      const r = repoByName(owner, name)
      db.prepare('UPDATE repos SET archived = ? WHERE id = ?').run(archived ? 1 : 0, r.id)
      model.touchRepo(r.id)
    },
    createIssue(input) {
      const repo = repoByName(input.owner, input.repo)
      const author = userByLogin(input.author)
      const issue = model.createIssue(repo, {
        title: input.title,
        body: input.body ?? '',
        userId: author.id,
        labels: input.labels,
        assignees: (input.assignees ?? []).map((a) => userByLogin(a).id)
      })
      for (const c of input.comments ?? []) model.createComment(issue, userByLogin(c.author).id, c.body)
      if (input.state === 'closed') model.setIssueState(model.issueById(issue.id), 'closed', 'completed', author.id)
      return { number: issue.number, id: issue.id }
    },
    approveDeviceCode(userCode, login) {
      decideDeviceCode(model, userCode, login, true)
    },
    denyDeviceCode(userCode, login) {
      decideDeviceCode(model, userCode, login, false)
    },
    faults: {
      inject: (rule) => faults.inject(rule),
      clear: () => faults.clear(),
      list: () => faults.list(),
      reseed: (s) => faults.reseed(s)
    },
    requestLog: () => log.list(),
    clearLog: () => log.clear(),
    resetRateLimits: () => limiter.reset(),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => {
          db.close()
          resolve()
        })
      })
  }

  if (fresh && seed) await applySeed(forge, seed)

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  urls = { web: `http://127.0.0.1:${port}`, api: `http://127.0.0.1:${port}/api/v3` }
  return forge
}

async function applySeed(forge: Forge, seed: ParsedSeed): Promise<void> {
  for (const u of seed.users)
    forge.addUser({ login: u.login, name: u.name, email: u.email, token: u.token, scopes: u.scopes, rateLimit: u.rateLimit, siteAdmin: u.siteAdmin })
  for (const o of seed.organizations) forge.addOrganization({ login: o.login, name: o.name, members: o.members })
  // Repositories are independent: create their git folders side by side.
  await Promise.all(
    seed.repositories.map((r) =>
      forge.addRepo({
        owner: r.owner,
        name: r.name,
        description: r.description,
        private: r.private,
        archived: r.archived,
        defaultBranch: r.defaultBranch,
        files: r.files,
        labels: r.labels,
        collaborators: r.collaborators
      })
    )
  )
  for (const r of seed.repositories)
    for (const i of r.issues)
      forge.createIssue({ owner: r.owner, repo: r.name, author: i.author, title: i.title, body: i.body, labels: i.labels, assignees: i.assignees, state: i.state, comments: i.comments })
}
