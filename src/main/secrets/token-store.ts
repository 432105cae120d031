// Where GitHub's token lives (DESIGN.md §9): never in SQLite, never in a log,
// never on a command line, never in an agent's environment.
//   headless: BATON_GITHUB_TOKEN wins (on BATON_GITHUB_API_URL's GitHub, checked
//             by apiUrlOf); else a 0600 file in <data>/secrets/ (0700)
//   desktop:  the same file, encrypted with Electron's safeStorage (injected:
//             the core never imports electron); refused when encryption is
//             unavailable; a warning when Linux falls back to a fixed key.
import { AppError } from '../../shared/errors'
import { registerSecret } from '../log'
import { secretFile } from './secret-file'

export interface StoredToken {
  token: string
  method: 'token' | 'device' | 'gh' | 'env' | 'sandbox'
  apiUrl: string
  login: string | null
  /** From x-oauth-scopes at sign-in; absent for fine-grained tokens. */
  scopes?: string[]
}

const METHODS = new Set(['token', 'device', 'gh', 'env', 'sandbox'])

import type { Cipher } from './secret-file'
export type { Cipher }

export interface TokenStore {
  get(): StoredToken | null
  set(value: StoredToken): void
  clear(): void
  describe(): { storage: string; warning: string | null }
}

/**
 * `BATON_GITHUB_API_URL` as Octokit's base URL: an http(s) URL, trailing
 * slash dropped. A GitHub Enterprise Server's web address (no path) stands for
 * its API at `/api/v3`, and github.com's for api.github.com, the two ways
 * people write it; anything else is refused with a message naming the
 * variable (the app does not start on a value it would only fail with later).
 */
export function apiUrlOf(value: string, name = 'BATON_GITHUB_API_URL'): string {
  const refuse = (why: string, echo = true) =>
    new AppError(
      'bad_request',
      `${name} ${why}: set it to the GitHub API's URL, like https://ghe.example.com/api/v3 for GitHub Enterprise Server or the local forge's${echo ? ` (got "${value.slice(0, 200)}")` : ''}.`
    )
  let url: URL
  try {
    url = new URL(value.trim())
  } catch {
    throw refuse('is not a URL')
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw refuse('must start with https:// (or http://)')
  // A token in the URL would end up in logs and error messages.
  if (url.username || url.password) throw refuse('must not hold a user name or password', false)
  if (url.search || url.hash) throw refuse('must not hold a query or a fragment')
  const path = url.pathname.replace(/\/+$/, '')
  if (path === '' && (url.hostname === 'github.com' || url.hostname === 'www.github.com')) return 'https://api.github.com'
  if (path === '' && url.hostname !== 'api.github.com') return `${url.origin}/api/v3`
  return `${url.origin}${path}`
}

export function createTokenStore(options: { dataDir: string; env?: NodeJS.ProcessEnv; cipher?: Cipher; apiUrl?: string }): TokenStore {
  const stored = secretFile(options.dataDir, 'github', options.cipher)
  const file = stored.path
  const env = options.env ?? process.env
  let memory: StoredToken | null = null

  const read = (): StoredToken | null => {
    const value = stored.read() as Partial<StoredToken> | null
    // A damaged file, or another machine's keychain: as if signed out.
    if (!value || typeof value.token !== 'string' || !value.token || typeof value.apiUrl !== 'string' || !METHODS.has(String(value.method))) return null
    return value as StoredToken
  }

  return {
    get() {
      if (memory) return memory
      const fromEnv = env.BATON_GITHUB_TOKEN
      if (fromEnv) {
        registerSecret(fromEnv)
        return { token: fromEnv, method: 'env', apiUrl: env.BATON_GITHUB_API_URL ? apiUrlOf(env.BATON_GITHUB_API_URL) : (options.apiUrl ?? 'https://api.github.com'), login: null }
      }
      const found = read()
      if (found) registerSecret(found.token)
      return found
    },
    set(value) {
      registerSecret(value.token)
      if (value.method === 'sandbox') {
        // The sandbox's token is a fixture of the local forge: kept in memory only.
        memory = value
        return
      }
      stored.write(value, 'The system keychain is not available, so Baton will not store the token. Set BATON_GITHUB_TOKEN instead.')
    },
    clear() {
      memory = null
      stored.remove()
    },
    describe() {
      if (env.BATON_GITHUB_TOKEN) return { storage: 'from the BATON_GITHUB_TOKEN environment variable', warning: null }
      if (!options.cipher) return { storage: `in ${file} (readable only by you, mode 0600)`, warning: null }
      if (!options.cipher.isEncryptionAvailable()) {
        return { storage: 'not stored: the system keychain is not available', warning: 'Baton cannot keep the token without a keychain: install GNOME Keyring or KWallet, or set BATON_GITHUB_TOKEN.' }
      }
      const backend = options.cipher.getSelectedStorageBackend?.()
      if (backend === 'basic_text') {
        return {
          storage: 'encrypted with a fixed key',
          warning: 'No secret store (GNOME Keyring or KWallet) was found, so the token is encrypted with a fixed key that other programs can read. Install a secret store, or set BATON_GITHUB_TOKEN.'
        }
      }
      return { storage: `in the system keychain${backend ? ` (${backend})` : ''}`, warning: null }
    }
  }
}
