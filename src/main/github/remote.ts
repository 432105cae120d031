// A repository named the ways people name it — owner/name, an https URL, an
// ssh remote — reduced to one identity: two clones of one repository are one
// project.
import { AppError } from '../../shared/errors'

export interface RemoteRef {
  host: string
  owner: string
  name: string
  /** host/owner/name, lower case. */
  key: string
}

const PART = /^[A-Za-z0-9_.-]+$/

export function parseRemote(input: string, defaultHost = 'github.com'): RemoteRef {
  const text = input.trim()
  let host = defaultHost
  let path: string
  let m: RegExpExecArray | null
  if ((m = /^[\w.-]+@([\w.-]+(?::\d+)?):(.+)$/.exec(text)) && !text.includes('://')) {
    host = m[1] as string // git@github.com:owner/name.git
    path = m[2] as string
  } else if (/^[a-z+]+:\/\//i.test(text)) {
    let url: URL
    try {
      url = new URL(text)
    } catch {
      throw new AppError('bad_request', `"${input}" is not a repository address. Use owner/name, an https URL or an ssh remote.`)
    }
    if (!['https:', 'http:', 'ssh:', 'git+ssh:', 'git:'].includes(url.protocol)) {
      throw new AppError('bad_request', `"${input}": ${url.protocol} addresses are not supported. Use owner/name, an https URL or an ssh remote.`)
    }
    host = url.host
    path = url.pathname
  } else {
    path = text
  }
  const parts = path
    .replace(/^\/+|\/+$/g, '')
    .replace(/\.git$/, '')
    .split('/')
  // GHES and the forge: https://host/owner/name; the API lives elsewhere.
  const [owner, name, ...rest] = parts
  if (!owner || !name || rest.length > 0 || !PART.test(owner) || !PART.test(name)) {
    throw new AppError('bad_request', `"${input}" is not a repository address. Use owner/name (like octocat/hello-world), an https URL or an ssh remote.`)
  }
  const normalizedHost = host.toLowerCase().replace(/^www\./, '')
  return { host: normalizedHost, owner, name, key: `${normalizedHost}/${owner}/${name}`.toLowerCase() }
}

/** The REST base for a host: api.github.com for github.com, /api/v3 elsewhere (GHES, the forge). */
export function apiUrlFor(host: string, scheme = 'https'): string {
  return host === 'github.com' ? 'https://api.github.com' : `${scheme}://${host}/api/v3`
}

export function hostOfApi(apiUrl: string): string {
  const url = new URL(apiUrl)
  return url.hostname === 'api.github.com' ? 'github.com' : url.host.toLowerCase()
}
