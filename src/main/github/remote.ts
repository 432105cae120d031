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

// GitHub's rules: owners are alphanumerics and single hyphens; names add . and _.
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/
const NAME = /^[A-Za-z0-9._-]{1,100}$/
const HINT = 'Use owner/name (like octocat/hello-world), an https URL (https://github.com/octocat/hello-world) or an ssh remote (git@github.com:octocat/hello-world.git).'

export function parseRemote(input: string, defaultHost = 'github.com'): RemoteRef {
  const text = input.trim()
  if (!text) throw new AppError('bad_request', `Name a repository. ${HINT}`)
  let host = defaultHost
  let path: string
  const scp = /^(?:[\w.-]+@)?([\w.-]+):(?!\/\/)(.+)$/.exec(text)
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    let url: URL
    try {
      url = new URL(text)
    } catch {
      throw new AppError('bad_request', `"${input}" is not a repository address. ${HINT}`)
    }
    if (!['https:', 'http:', 'ssh:', 'git+ssh:', 'ssh+git:', 'git:'].includes(url.protocol)) {
      throw new AppError('bad_request', `"${input}": ${url.protocol}// addresses are not supported. ${HINT}`)
    }
    // An ssh port is the transport's, not the host's identity; an https port (a GHES, or the forge on 127.0.0.1:4747) is.
    host = url.protocol.startsWith('http') ? url.host : url.hostname
    path = decodeURIComponent(url.pathname)
  } else if (scp && scp[1]!.includes('.')) {
    host = scp[1] as string // git@github.com:owner/name.git (scp-like: no port)
    path = scp[2] as string
  } else {
    path = text
  }
  const [owner, name, ...rest] = path.replace(/^\/+|\/+$/g, '').replace(/\.git$/i, '').split('/')
  if (!owner || !name || rest.length > 0 || !OWNER.test(owner) || !NAME.test(name) || name === '.' || name === '..') {
    throw new AppError('bad_request', `"${input}" is not a repository address. ${HINT}`)
  }
  const normalizedHost = host.toLowerCase().replace(/^www\./, '').replace(/:443$/, '')
  return { host: normalizedHost, owner, name, key: `${normalizedHost}/${owner}/${name}`.toLowerCase() }
}

/** The REST base for a host: api.github.com for github.com, /api/v3 elsewhere (GHES, the forge). */
export function apiUrlFor(host: string, scheme = 'https'): string {
  return host === 'github.com' ? 'https://api.github.com' : `${scheme}://${host}/api/v3`
}

/** The web host an API base belongs to: github.com for api.github.com, else the host itself. */
export function hostOfApi(apiUrl: string): string {
  const url = new URL(apiUrl)
  return url.hostname === 'api.github.com' ? 'github.com' : url.host.toLowerCase()
}
