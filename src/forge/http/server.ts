// One request's way through the forge: faults first, then git smart HTTP,
// OAuth, the admin API, or the REST API with its authentication, rate limits,
// ETags and GitHub-shaped errors. Every answer lands in the request log.
import { createHash, randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Faults, ActiveFault } from '../faults'
import type { RequestLog, RequestLogEntry } from '../request-log'
import type { RateLimiter } from '../rate-limit'
import type { Model } from '../model'
import { atLeast } from '../model'
import type { AccountRow, TokenRow } from '../store'
import type { Urls } from '../shapes'
import { serveGit } from '../smart-http'
import type { DeviceFlowOptions } from '../device-flow'
import { createDeviceCode, decideDeviceCode, exchangeDeviceCode } from '../device-flow'
import { HttpError } from './api'
import type { ApiContext, ApiRequest, ApiResult, Router } from './api'

export interface ServerDeps {
  model: Model
  router: Router
  urls: () => Urls
  faults: Faults
  log: RequestLog
  limiter: RateLimiter
  reposDir: string
  adminToken: string
  settings: ForgeSettings
  withRepoLock: ApiContext['withRepoLock']
}

export interface ForgeSettings {
  /** Primary rate limit per token per hour (GitHub: 5000). */
  rateLimit: number
  /** Budget for anonymous callers (GitHub: 60). */
  anonymousRateLimit: number
  /** When set, mutations from one token closer than this many ms get a secondary-limit 403. Off by default. */
  secondaryRateLimitMs: number | null
  deviceFlow: DeviceFlowOptions
}

const API_PREFIX = '/api/v3'
const GIT_PATH = /^\/([^/]+)\/([^/]+?)\.git(\/.*)?$/

function readBody(req: IncomingMessage, limit = 50 * 1024 * 1024): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > limit) reject(new HttpError(413, 'Request body too large'))
      else chunks.push(c)
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

interface Credentials {
  token?: string
}

/** `Authorization: token X`, `Bearer X` or Basic with the token as password (git). */
function credentials(req: IncomingMessage): Credentials {
  const h = req.headers.authorization
  if (!h) return {}
  const [scheme, value = ''] = h.split(/\s+/, 2) as [string, string?]
  const s = scheme.toLowerCase()
  if (s === 'token' || s === 'bearer') return { token: value.trim() }
  if (s === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8')
    const i = decoded.indexOf(':')
    const password = i >= 0 ? decoded.slice(i + 1) : decoded
    const user = i >= 0 ? decoded.slice(0, i) : ''
    // A token may also come as the user name with an empty password.
    return { token: password || user }
  }
  return { token: '' }
}

function etagOf(body: string, viewer: string): string {
  return `W/"${createHash('sha1').update(viewer).update('\0').update(body).digest('hex')}"`
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false
  const bare = (t: string) => t.trim().replace(/^W\//, '')
  return header.split(',').some((t) => t.trim() === '*' || bare(t) === bare(etag))
}

export function createHandler(deps: ServerDeps) {
  const { model, faults, log, limiter } = deps

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now()
    const method = (req.method ?? 'GET').toUpperCase()
    const url = new URL(req.url ?? '/', 'http://forge.invalid')
    const path = url.pathname
    const entry: RequestLogEntry = {
      time: model.now(),
      method,
      path: path + url.search,
      status: 0,
      user: null,
      countedAgainstRateLimit: false,
      kind: path.startsWith(API_PREFIX) ? 'api' : GIT_PATH.test(path) ? 'git' : path.startsWith('/login/') ? 'oauth' : path.startsWith('/_forge/') ? 'admin' : 'other',
      durationMs: 0
    }
    const finish = () => {
      entry.status = entry.status || res.statusCode
      entry.durationMs = Date.now() - started
      // The log counts traffic to the forge, not the harness's own admin calls.
      if (entry.kind !== 'admin') log.add(entry)
    }
    try {
      if (entry.kind !== 'admin') {
        const { delayMs, failure } = faults.pick(method, path)
        if (delayMs) await new Promise((r) => setTimeout(r, delayMs))
        if (failure) {
          entry.fault = failure.kind
          if (failure.kind === 'drop') {
            entry.status = 0
            req.socket.destroy()
            finish()
            return
          }
          sendFault(res, failure, entry)
          finish()
          return
        }
      }
      if (entry.kind === 'admin') await admin(req, res, url, entry)
      else if (entry.kind === 'git') await git(req, res, url, entry)
      else if (entry.kind === 'oauth') await oauth(req, res, url)
      else if (entry.kind === 'api') await api(req, res, url, entry)
      else sendJson(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' })
    } catch (error) {
      if (!res.headersSent) {
        const e = error instanceof HttpError ? error : new HttpError(500, `Forge error: ${(error as Error).message}`)
        sendJson(res, e.status, e.body(), e.extra.headers)
      } else res.destroy()
    }
    finish()
  }

  function sendFault(res: ServerResponse, f: ActiveFault, entry: RequestLogEntry) {
    const retry = String(f.retryAfter ?? 60)
    if (f.kind !== 'error' || f.retryAfter !== undefined) entry.window = { from: model.now(), until: model.now() + Number(retry) * 1000 }
    if (f.kind === 'rate-limit') {
      sendJson(res, 429, { message: 'API rate limit exceeded (injected).', documentation_url: 'https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting' }, { 'retry-after': retry })
    } else if (f.kind === 'secondary-rate-limit') {
      sendJson(
        res,
        403,
        { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits' },
        { 'retry-after': retry }
      )
    } else {
      // A 5xx may carry Retry-After too (GitHub's 503 during an outage does).
      const status = f.status ?? 502
      sendJson(res, status, { message: status === 503 ? 'Service Unavailable' : 'Server Error' }, f.retryAfter !== undefined ? { 'retry-after': retry } : undefined)
    }
    entry.status = res.statusCode
  }

  function lookup(token: string | undefined): { user?: AccountRow; token?: TokenRow; bad: boolean } {
    if (token === undefined) return { bad: false }
    const row = token ? model.tokenRow(token) : undefined
    if (!row) return { bad: true }
    return { user: model.account(row.account_id), token: row, bad: false }
  }

  // ── git smart HTTP ────────────────────────────────────────────────────────
  async function git(req: IncomingMessage, res: ServerResponse, url: URL, entry: RequestLogEntry) {
    const m = GIT_PATH.exec(url.pathname)!
    const repo = model.repo(decodeURIComponent(m[1]!), decodeURIComponent(m[2]!))
    const who = lookup(credentials(req).token)
    const challenge = () => {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="GitHub"', 'content-type': 'text/plain' })
      res.end('Authentication failed\n')
    }
    if (who.bad) return challenge()
    entry.user = who.user?.login ?? null
    const permission = repo ? model.permission(repo, who.user) : 'none'
    if (!repo || permission === 'none') {
      // Like GitHub: an anonymous caller is asked to authenticate, an authenticated one is told "not found".
      if (!who.user) return challenge()
      res.writeHead(404, { 'content-type': 'text/plain' })
      return res.end('Repository not found.\n')
    }
    const rest = m[3] ?? '/'
    const push = url.searchParams.get('service') === 'git-receive-pack' || rest === '/git-receive-pack'
    if (push) {
      if (!who.user) return challenge()
      if (!atLeast(permission, 'write') || repo.archived) {
        res.writeHead(403, { 'content-type': 'text/plain' })
        return res.end(repo.archived ? 'This repository was archived so it is read-only.\n' : `Permission to ${m[1]}/${m[2]}.git denied to ${who.user.login}.\n`)
      }
    }
    const owner = model.account(repo.owner_id).login.toLowerCase()
    const status = await serveGit(req, res, {
      projectRoot: deps.reposDir,
      pathInfo: `/${owner}/${repo.name.toLowerCase()}.git${rest}`,
      query: url.search.replace(/^\?/, ''),
      remoteUser: who.user?.login
    })
    if (push && rest === '/git-receive-pack' && status === 200) afterPush(repo.id)
  }

  // A push moves branch tips: open PRs on those branches change, as a syncing client must see.
  function afterPush(repoId: number) {
    model.touchRepo(repoId, true)
    const t = model.now()
    model.db
      .prepare("UPDATE issues SET updated_at = ? WHERE repo_id = ? AND is_pull = 1 AND state = 'open'")
      .run(t, repoId)
  }

  // ── OAuth device flow ─────────────────────────────────────────────────────
  async function oauth(req: IncomingMessage, res: ServerResponse, url: URL) {
    const params: Record<string, string> = Object.fromEntries(url.searchParams)
    if (req.method === 'POST') {
      const raw = (await readBody(req)).toString('utf8')
      const type = req.headers['content-type'] ?? ''
      if (raw) {
        if (type.includes('json')) Object.assign(params, JSON.parse(raw) as Record<string, string>)
        else Object.assign(params, Object.fromEntries(new URLSearchParams(raw)))
      }
    }
    const json = (req.headers.accept ?? '').includes('application/json')
    const answer = (status: number, body: Record<string, unknown>) => {
      if (json) return sendJson(res, status, body)
      const form = new URLSearchParams(Object.entries(body).map(([k, v]): [string, string] => [k, String(v)])).toString()
      res.writeHead(status, { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' })
      res.end(form)
    }
    if (req.method !== 'POST') return answer(404, { error: 'not_found' })
    if (url.pathname === '/login/device/code') {
      if (!params.client_id) return answer(400, { error: 'invalid_request', error_description: 'client_id is required' })
      return answer(200, createDeviceCode(model, deps.urls(), deps.settings.deviceFlow, params.client_id, params.scope ?? ''))
    }
    if (url.pathname === '/login/oauth/access_token') return answer(200, exchangeDeviceCode(model, params))
    return answer(404, { error: 'not_found' })
  }

  // ── admin API ─────────────────────────────────────────────────────────────
  async function admin(req: IncomingMessage, res: ServerResponse, url: URL, _entry: RequestLogEntry) {
    const path = url.pathname
    if (path === '/_forge/health') return sendJson(res, 200, { ok: true })
    if (credentials(req).token !== deps.adminToken) return sendJson(res, 401, { message: 'Bad credentials' })
    const raw = req.method === 'GET' ? '' : (await readBody(req)).toString('utf8')
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {}
    const method = req.method ?? 'GET'
    try {
      if (path === '/_forge/faults') {
        if (method === 'GET') return sendJson(res, 200, faults.list())
        if (method === 'POST') return sendJson(res, 201, faults.inject(body as never))
        if (method === 'DELETE') {
          faults.clear()
          return sendJson(res, 204, undefined)
        }
      }
      if (path === '/_forge/log') {
        if (method === 'GET') return sendJson(res, 200, log.list())
        if (method === 'DELETE') {
          log.clear()
          return sendJson(res, 204, undefined)
        }
      }
      if (path === '/_forge/device/approve' && method === 'POST') {
        decideDeviceCode(model, String(body.user_code ?? ''), String(body.login ?? ''), body.deny !== true)
        return sendJson(res, 204, undefined)
      }
    } catch (error) {
      return sendJson(res, 422, { message: (error as Error).message })
    }
    return sendJson(res, 404, { message: 'Not Found' })
  }

  // ── REST API ──────────────────────────────────────────────────────────────
  async function api(req: IncomingMessage, res: ServerResponse, url: URL, entry: RequestLogEntry) {
    const method = (req.method ?? 'GET').toUpperCase()
    const path = url.pathname.slice(API_PREFIX.length).replace(/\/+$/, '') || '/'
    const headers: Record<string, string> = {
      'x-github-media-type': 'github.v3; format=json',
      'x-github-api-version-selected': '2022-11-28',
      'x-github-request-id': randomUUID().toUpperCase(),
      vary: 'Accept, Authorization, Cookie, X-GitHub-OTP'
    }
    const who = lookup(credentials(req).token)
    const rateKey = who.token ? `token:${who.token.token}` : `anon:${req.socket.remoteAddress ?? ''}`
    const window = limiter.window(rateKey, who.token ? who.token.rate_limit ?? deps.settings.rateLimit : deps.settings.anonymousRateLimit)
    if (who.bad) {
      // Like GitHub: a bad token gets 401 and its request still spends the anonymous budget.
      limiter.spend(window)
      entry.countedAgainstRateLimit = true
      return sendJson(res, 401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' }, { ...headers, ...limiter.headers(window) })
    }
    entry.user = who.user?.login ?? null
    if (who.token) {
      headers['x-oauth-scopes'] = who.token.scopes
      headers['x-accepted-oauth-scopes'] = ''
    }
    if (path === '/rate_limit' && method === 'GET') {
      // Asking about the rate limit is free, as on GitHub.
      const rate = { limit: window.limit, used: window.used, remaining: Math.max(0, window.limit - window.used), reset: window.reset }
      const other = { limit: 5000, used: 0, remaining: 5000, reset: window.reset }
      return sendJson(res, 200, { resources: { core: rate, search: { ...other, limit: 30, remaining: 30 }, graphql: other, integration_manifest: other }, rate }, { ...headers, ...limiter.headers(window) })
    }
    const mutation = method !== 'GET' && method !== 'HEAD'
    const exhausted = () => window.used >= window.limit
    const rateLimited = () => {
      entry.countedAgainstRateLimit = false
      entry.window = { from: model.now(), until: window.reset * 1000 }
      return sendJson(
        res,
        403,
        { message: `API rate limit exceeded for ${who.user ? `user ID ${who.user.id}` : 'this address'}.`, documentation_url: 'https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting', status: '403' },
        { ...headers, ...limiter.headers(window) }
      )
    }
    if (mutation && exhausted()) return rateLimited()
    if (mutation && deps.settings.secondaryRateLimitMs !== null) {
      const wait = limiter.secondary(rateKey, deps.settings.secondaryRateLimitMs)
      if (wait > 0) {
        entry.window = { from: model.now(), until: model.now() + wait * 1000 }
        return sendJson(
          res,
          403,
          { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits', status: '403' },
          { ...headers, ...limiter.headers(window), 'retry-after': String(wait) }
        )
      }
    }
    const match = deps.router.match(method, path)
    let result: ApiResult
    try {
      if (!match) throw new HttpError(404, 'Not Found')
      const raw = mutation ? await readBody(req) : Buffer.alloc(0)
      let body: unknown
      if (raw.length) {
        try {
          body = JSON.parse(raw.toString('utf8'))
        } catch {
          throw new HttpError(400, 'Problems parsing JSON')
        }
      }
      const apiReq: ApiRequest = { method, path, query: url.searchParams, headers: req.headers, body, params: match.params, viewer: who.user, token: who.token }
      result = await match.handler(apiReq, { model, urls: deps.urls(), withRepoLock: deps.withRepoLock })
    } catch (error) {
      if (!(error instanceof HttpError)) throw error
      result = { status: error.status, body: error.body(), headers: error.extra.headers }
    }
    const text = result.raw ? result.raw.toString('base64') : result.body === undefined ? '' : JSON.stringify(result.body)
    if (method === 'GET' && result.status === 200) {
      // The raw and JSON forms of one file differ, so the Accept header is part of the tag (as `vary` says).
      const etag = etagOf(result.raw ? `raw\0${text}` : text, who.user?.login ?? '')
      headers.etag = etag
      headers['cache-control'] = who.user ? 'private, max-age=60, s-maxage=60' : 'public, max-age=60, s-maxage=60'
      // A conditional hit is free: GitHub does not count a 304 against the rate limit.
      if (etagMatches(req.headers['if-none-match'], etag)) {
        res.writeHead(304, { ...headers, ...limiter.headers(window), ...result.headers })
        res.end()
        return
      }
    }
    if (exhausted()) return rateLimited()
    limiter.spend(window)
    entry.countedAgainstRateLimit = true
    if (result.raw) {
      res.writeHead(result.status, { ...headers, ...limiter.headers(window), 'content-length': String(result.raw.length), ...result.headers })
      res.end(result.raw)
      return
    }
    sendJson(res, result.status, result.body, { ...headers, ...limiter.headers(window), ...result.headers })
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (status === 204 || body === undefined) {
    res.writeHead(status, headers)
    res.end()
    return
  }
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), ...headers })
  res.end(text)
}
