// Connecting a repository: the ways people name one — owner/name, an https
// URL (github.com or a GHES host, with or without .git), an ssh remote — are
// reduced to one identity, host/owner/name in lower case, so two clones of
// one repository are one project. Then access is checked (write needed, not
// archived), the labels bootstrapped and the `repos` row written.
import { AppError } from '../../shared/errors'
import type { Db } from '../store/open'
import type { GitHubOctokit } from './client'
import { toAppError } from './errors'
import { bootstrapLabels } from './labels'

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
    // An ssh port is the transport's, not the host's identity; an https port (a GHES or the forge on 127.0.0.1:4747) is.
    host = url.protocol.startsWith('http') ? url.host : url.hostname
    path = decodeURIComponent(url.pathname)
  } else if (scp && scp[1]!.includes('.')) {
    host = scp[1] as string // git@github.com:owner/name.git
    path = scp[2] as string
  } else {
    path = text
  }
  const parts = path.replace(/^\/+|\/+$/g, '').replace(/\.git$/i, '').split('/')
  const [owner, name, ...rest] = parts
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

/** The web (and git) base of a repository: https://github.com/o/r, or the GHES host without /api/v3. */
export function webUrl(apiUrl: string, owner: string, name: string): string {
  const url = new URL(apiUrl)
  if (url.hostname === 'api.github.com') return `https://github.com/${owner}/${name}`
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/api\/v3\/?$/, '')}/${owner}/${name}`
}

export interface ConnectedRepo {
  id: number
  key: string
  owner: string
  name: string
  defaultBranch: string
  labelsCreated: string[]
}

/** Checks access, bootstraps labels and writes the repos row (the first sync is the caller's). */
export async function connectRepository(db: Db, octokit: GitHubOctokit, apiUrl: string, ref: RemoteRef, login: string | null): Promise<ConnectedRepo> {
  const host = hostOfApi(apiUrl)
  if (ref.host !== host) {
    throw new AppError('bad_request', `${ref.host}/${ref.owner}/${ref.name} is on ${ref.host}, but Baton is signed in to ${host}. Sign in to ${ref.host} first.`)
  }
  let repo
  try {
    repo = (await octokit.rest.repos.get({ owner: ref.owner, repo: ref.name })).data
  } catch (error) {
    const e = toAppError(error, `reading ${ref.owner}/${ref.name}`)
    if (e.code === 'not_found') {
      throw new AppError('not_found', `${ref.owner}/${ref.name} does not exist on ${host}, or ${login ?? 'the signed-in account'} cannot see it (a private repository needs the "repo" scope).`)
    }
    throw e
  }
  if (repo.archived) throw new AppError('forbidden', `${repo.full_name} is archived, so it is read-only. Unarchive it on GitHub to connect it.`)
  if (!repo.permissions?.push) {
    throw new AppError('forbidden', `${login ?? 'The signed-in account'} cannot write to ${repo.full_name}: Baton needs write access to move labels and open pull requests. Ask an owner for the Write role.`)
  }
  let labelsCreated: string[]
  try {
    labelsCreated = await bootstrapLabels(octokit, repo.owner.login, repo.name)
  } catch (error) {
    throw toAppError(error, `creating the pipeline's labels on ${repo.full_name}`)
  }
  // GitHub's spelling of owner and name wins over what was typed; the key stays the normalized one.
  const key = `${host}/${repo.owner.login}/${repo.name}`.toLowerCase()
  db.prepare(
    `INSERT INTO repos (key, host, api_url, owner, name, default_branch, private, connected_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(key) DO UPDATE SET api_url = excluded.api_url, owner = excluded.owner, name = excluded.name,
       default_branch = excluded.default_branch, private = excluded.private`
  ).run(key, host, apiUrl, repo.owner.login, repo.name, repo.default_branch, repo.private ? 1 : 0, new Date().toISOString())
  const row = db.prepare('SELECT id FROM repos WHERE key = ?').get(key) as { id: number }
  return { id: row.id, key, owner: repo.owner.login, name: repo.name, defaultBranch: repo.default_branch, labelsCreated }
}
