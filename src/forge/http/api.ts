// The REST layer's vocabulary: requests as route handlers see them, results,
// GitHub-shaped errors, the router and `Link` pagination.
import type { IncomingHttpHeaders } from 'node:http'
import type { AccountRow, TokenRow } from '../store'
import type { Model } from '../model'
import type { Urls } from '../shapes'

const docs = 'https://docs.github.com/rest'

export interface ValidationErrorItem {
  resource: string
  field?: string
  code: 'missing' | 'missing_field' | 'invalid' | 'already_exists' | 'unprocessable' | 'custom'
  message?: string
}

/** An error answered with GitHub's body: `{ message, documentation_url, errors? }`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: { errors?: (ValidationErrorItem | string)[]; headers?: Record<string, string>; documentationUrl?: string } = {}
  ) {
    super(message)
    this.name = 'HttpError'
  }
  body(): Record<string, unknown> {
    return {
      message: this.message,
      ...(this.extra.errors ? { errors: this.extra.errors } : {}),
      documentation_url: this.extra.documentationUrl ?? docs,
      status: String(this.status)
    }
  }
}

export const notFound = () => new HttpError(404, 'Not Found')
export const validationFailed = (errors: ValidationErrorItem[]) => new HttpError(422, 'Validation Failed', { errors })

export interface ApiRequest {
  method: string
  /** Path after the API prefix, e.g. /repos/o/r/issues */
  path: string
  query: URLSearchParams
  headers: IncomingHttpHeaders
  body: unknown
  params: Record<string, string>
  viewer?: AccountRow
  token?: TokenRow
}

export interface ApiResult {
  status: number
  body?: unknown
  /** Bytes sent as they are instead of a JSON body (a file asked for raw); `headers` names their type. */
  raw?: Buffer
  headers?: Record<string, string>
}

export interface ApiContext {
  model: Model
  urls: Urls
  /** Serializes git work per repository (merges move refs). */
  withRepoLock<T>(repoId: number, fn: () => Promise<T>): Promise<T>
}

export type Handler = (req: ApiRequest, ctx: ApiContext) => ApiResult | Promise<ApiResult>

interface Route {
  method: string
  pattern: RegExp
  names: string[]
  handler: Handler
}

export class Router {
  private routes: Route[] = []

  add(method: string, template: string, handler: Handler): this {
    const names: string[] = []
    const source = template.replace(/\{(\w+)\}/g, (_m, name: string) => {
      names.push(name)
      // Numeric parameters match digits only, so /issues/comments is not issue "comments".
      // `{path}` (a file in a repository) spans folders, and so does `{branch}`:
      // GitHub takes `branches/baton/3-fix` with the `/` unencoded. Routes are
      // tried in the order added, so `branches/{branch}/protection` goes first.
      return name === 'number' || name.endsWith('_id') ? '(\\d+)' : name === 'path' || name === 'branch' ? '(.+)' : '([^/]+)'
    })
    this.routes.push({ method, pattern: new RegExp(`^${source}$`), names, handler })
    return this
  }

  /** The handler for a request, or why there is none (404, or 404 for a known path with another method as GitHub does). */
  match(method: string, path: string): { handler: Handler; params: Record<string, string> } | undefined {
    for (const r of this.routes) {
      if (r.method !== method) continue
      const m = r.pattern.exec(path)
      if (!m) continue
      const params: Record<string, string> = {}
      r.names.forEach((n, i) => {
        params[n] = decodeURIComponent(m[i + 1]!)
      })
      return { handler: r.handler, params }
    }
    return undefined
  }
}

/** Reads `per_page` (max 100, default 30) and `page`, slices, and builds GitHub's `Link` header. */
export function paginate<T>(items: readonly T[], req: ApiRequest, apiBase: string): { page: T[]; headers: Record<string, string> } {
  const perPage = Math.min(100, Math.max(1, intParam(req.query, 'per_page') ?? 30))
  const page = Math.max(1, intParam(req.query, 'page') ?? 1)
  const last = Math.max(1, Math.ceil(items.length / perPage))
  const slice = items.slice((page - 1) * perPage, page * perPage)
  const links: string[] = []
  const at = (p: number) => {
    const q = new URLSearchParams(req.query)
    q.set('per_page', String(perPage))
    q.set('page', String(p))
    return `<${apiBase}${req.path}?${q.toString()}>`
  }
  if (page > 1) {
    links.push(`${at(Math.min(page - 1, last))}; rel="prev"`)
  }
  if (page < last) {
    links.push(`${at(page + 1)}; rel="next"`)
    links.push(`${at(last)}; rel="last"`)
  }
  if (page > 1) links.push(`${at(1)}; rel="first"`)
  return { page: slice, headers: links.length ? { link: links.join(', ') } : {} }
}

export function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name)
  if (v === null || v === '') return undefined
  const n = Number(v)
  if (!Number.isInteger(n)) throw validationFailed([{ resource: 'Search', field: name, code: 'invalid' }])
  return n
}

/** The body as an object, or a 400 like GitHub's for anything else. */
export function bodyObject(req: ApiRequest): Record<string, unknown> {
  const b = req.body
  if (b === undefined || b === null) return {}
  if (typeof b !== 'object' || Array.isArray(b)) throw new HttpError(400, 'Problems parsing JSON')
  return b as Record<string, unknown>
}

export function optString(body: Record<string, unknown>, field: string, resource: string, nullable = false): string | null | undefined {
  const v = body[field]
  if (v === undefined) return undefined
  if (v === null && nullable) return null
  if (typeof v !== 'string') throw new HttpError(422, `Invalid request.\n\nFor '${field}', ${JSON.stringify(v)} is not a string.`, { errors: [{ resource, field, code: 'invalid' }] })
  return v
}

export function optStringArray(body: Record<string, unknown>, field: string, resource: string): string[] | undefined {
  const v = body[field]
  if (v === undefined || v === null) return undefined
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    throw new HttpError(422, `Invalid request.\n\nFor '${field}', ${JSON.stringify(v)} is not an array of strings.`, { errors: [{ resource, field, code: 'invalid' }] })
  return v as string[]
}
