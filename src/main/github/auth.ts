// Signing in: a personal access token (checked with GET /user; scopes from
// x-oauth-scopes), GitHub's OAuth device flow (@octokit/auth-oauth-device,
// client id configurable), or the `gh` CLI's token on the person's say-so.
import { execFile } from 'node:child_process'
import { createOAuthDeviceAuth } from '@octokit/auth-oauth-device'
import { request as octokitRequest } from '@octokit/request'
import type { DeviceFlow } from '../../shared/api'
import { AppError } from '../../shared/errors'
import { registerSecret } from '../log'
import { createGitHubClient, type ClientTiming } from './client'
import { toAppError } from './errors'

export interface TokenCheck {
  login: string
  /** From x-oauth-scopes; empty for fine-grained tokens, which do not report them. */
  scopes: string[]
}

/** Scopes that let Baton write to repositories (classic tokens). */
const WRITE_SCOPES = ['repo', 'public_repo']

export async function validateToken(apiUrl: string, token: string, timing?: Partial<ClientTiming>): Promise<TokenCheck> {
  registerSecret(token)
  if (!token.trim() || /\s/.test(token.trim())) throw new AppError('bad_request', 'Paste the token itself: one word, like ghp_… or github_pat_….')
  const { octokit } = createGitHubClient({ apiUrl, token: token.trim(), timing })
  let response
  try {
    response = await octokit.rest.users.getAuthenticated()
  } catch (error) {
    const e = toAppError(error, 'checking the token')
    if (e.code === 'unauthorized') throw new AppError('unauthorized', 'GitHub rejected the token (401 Bad credentials): it may be mistyped, expired or revoked. Create a new one and paste it again.')
    throw e
  }
  const header = response.headers['x-oauth-scopes']
  const scopes = String(header ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  // A classic token says its scopes; one without any write scope cannot move labels or open PRs.
  if (header !== undefined && !scopes.some((s) => WRITE_SCOPES.includes(s))) {
    throw new AppError(
      'forbidden',
      `The token lacks the "repo" scope (it has: ${scopes.length ? scopes.join(', ') : 'none'}). Create a token with the "repo" scope (or "public_repo" for public repositories only).`,
      { scopes }
    )
  }
  return { login: response.data.login, scopes }
}

export interface DeviceSession {
  flow: DeviceFlow
  /** Resolves with the token once the person approves; rejects when denied or expired. */
  token: Promise<string>
}

/**
 * Starts the device flow: resolves as soon as GitHub hands out the user code;
 * `token` settles when the person has approved it at `verificationUri`.
 */
export async function startDeviceFlow(options: { apiUrl: string; clientId: string; scopes?: string[]; now?: () => number }): Promise<DeviceSession> {
  const now = options.now ?? Date.now
  let onFlow!: (flow: DeviceFlow) => void
  const flowReady = new Promise<DeviceFlow>((resolve) => (onFlow = resolve))
  const auth = createOAuthDeviceAuth({
    clientType: 'oauth-app',
    clientId: options.clientId,
    scopes: options.scopes ?? ['repo'],
    // oauth-methods maps api.github.com to github.com and strips /api/v3 (GHES, the forge).
    request: octokitRequest.defaults({ baseUrl: options.apiUrl.replace(/\/+$/, '') }),
    onVerification: (v) => onFlow({ userCode: v.user_code, verificationUri: v.verification_uri, expiresAt: new Date(now() + v.expires_in * 1000).toISOString() })
  })
  const token = auth({ type: 'oauth' }).then((a) => {
    registerSecret(a.token)
    return a.token
  })
  token.catch(() => undefined) // the caller may never wait for it
  const flow = await Promise.race([flowReady, token.then(() => flowReady)]).catch((error: unknown) => {
    throw toAppError(error, 'starting the GitHub sign-in')
  })
  return {
    flow,
    token: token.catch((error: unknown) => {
      const message = (error as Error).message ?? String(error)
      if (/access_denied|denied/i.test(message)) throw new AppError('unauthorized', 'The sign-in was denied on GitHub. Start again if that was a mistake.')
      if (/expired/i.test(message)) throw new AppError('unauthorized', 'The code expired before it was approved. Start the sign-in again.')
      throw toAppError(error, 'waiting for the GitHub sign-in')
    })
  }
}

/** The gh CLI's token (`gh auth token`), through execFile: no shell, nothing on a command line. */
export function ghAuthToken(options: { gh?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; host?: string } = {}): Promise<string> {
  const args = ['auth', 'token', ...(options.host && options.host !== 'github.com' ? ['--hostname', options.host] : [])]
  return new Promise((resolve, reject) => {
    execFile(options.gh ?? 'gh', args, { timeout: options.timeoutMs ?? 10_000, env: options.env ?? process.env, windowsHide: true }, (error, stdout) => {
      if (error) {
        const code = (error as NodeJS.ErrnoException).code
        if (code === 'ENOENT') {
          reject(new AppError('not_found', 'The GitHub CLI (gh) is not installed or not on the PATH. Install it from https://cli.github.com, or sign in with a token.'))
        } else {
          reject(new AppError('unauthorized', 'The GitHub CLI is not signed in. Run "gh auth login" in a terminal first, or sign in with a token.'))
        }
        return
      }
      const token = stdout.trim()
      if (!token) return reject(new AppError('unauthorized', 'The GitHub CLI gave no token. Run "gh auth login" in a terminal first.'))
      registerSecret(token)
      resolve(token)
    })
  })
}
