// Where GitHub's token lives (DESIGN.md §9): never in SQLite in clear, never
// in a log (every token read or written is registered for redaction), never
// on a command line, never in an agent's environment.
//
//   headless  BATON_GITHUB_TOKEN wins; else a 0600 file in <data>/secrets/ (0700).
//   desktop   the same folder, the file encrypted by Electron's safeStorage,
//             passed in (the core never imports electron): refused when
//             encryption is unavailable; a warning when Linux falls back to
//             `basic_text`, a fixed key any program can use.
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import { AppError } from '../../shared/errors'
import { registerSecret } from '../log'

/** What is known about the token besides itself. */
export interface SecretMeta {
  method: 'token' | 'device' | 'gh' | 'env' | 'sandbox'
  apiUrl: string
  login: string | null
  scopes?: string[]
}

export interface StoredSecret {
  token: string
  meta: SecretMeta
}

export interface SecretStore {
  get(): StoredSecret | null
  set(token: string, meta: SecretMeta): void
  clear(): void
  /** How the token is kept, in words a person understands, and a warning when that is weak. */
  describe(): { storage: string; warning: string | null }
}

/** Electron's safeStorage, as the desktop entry passes it. */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean
  encryptString(text: string): Buffer
  decryptString(data: Buffer): string
  getSelectedStorageBackend?(): string
}

const fileSchema = z.object({
  token: z.string().min(1),
  meta: z.object({
    method: z.enum(['token', 'device', 'gh', 'env', 'sandbox']),
    apiUrl: z.string(),
    login: z.string().nullable(),
    scopes: z.array(z.string()).optional()
  })
})

function writePrivate(dir: string, file: string, data: string | Buffer): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  chmodSync(dir, 0o700)
  // Write to a fresh 0600 file, then rename: never a moment with wider rights.
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, data, { mode: 0o600 })
  chmodSync(tmp, 0o600)
  renameSync(tmp, file)
}

function fromEnv(env: NodeJS.ProcessEnv, defaultApiUrl: string): StoredSecret | null {
  const token = env.BATON_GITHUB_TOKEN?.trim()
  if (!token) return null
  registerSecret(token)
  return { token, meta: { method: 'env', apiUrl: env.BATON_GITHUB_API_URL ?? defaultApiUrl, login: null } }
}

function parseStored(text: string): StoredSecret | null {
  try {
    const parsed = fileSchema.safeParse(JSON.parse(text))
    if (!parsed.success) return null
    registerSecret(parsed.data.token)
    return parsed.data
  } catch {
    return null
  }
}

export interface FileStoreOptions {
  dataDir: string
  env?: NodeJS.ProcessEnv
  /** The API base assumed for BATON_GITHUB_TOKEN when BATON_GITHUB_API_URL is not set. */
  defaultApiUrl?: string
}

/** Headless: BATON_GITHUB_TOKEN, else <data>/secrets/github-token.json (0600, folder 0700). */
export function createFileSecretStore(options: FileStoreOptions): SecretStore {
  const dir = join(options.dataDir, 'secrets')
  const file = join(dir, 'github-token.json')
  const env = options.env ?? process.env
  const defaultApiUrl = options.defaultApiUrl ?? 'https://api.github.com'
  return {
    get() {
      const e = fromEnv(env, defaultApiUrl)
      if (e) return e
      let text: string
      try {
        text = readFileSync(file, 'utf8')
      } catch {
        return null
      }
      return parseStored(text)
    },
    set(token, meta) {
      registerSecret(token)
      writePrivate(dir, file, JSON.stringify({ token, meta }))
    },
    clear() {
      rmSync(file, { force: true })
    },
    describe() {
      if (env.BATON_GITHUB_TOKEN?.trim()) return { storage: 'Read from the BATON_GITHUB_TOKEN environment variable (not stored by Baton).', warning: null }
      return { storage: `In ${file}, readable only by you (mode 0600).`, warning: null }
    }
  }
}

export interface SafeStorageStoreOptions extends FileStoreOptions {
  safeStorage: SafeStorageLike
}

/** Desktop: the token encrypted with Electron's safeStorage, in <data>/secrets/github-token.enc. */
export function createSafeStorageSecretStore(options: SafeStorageStoreOptions): SecretStore {
  const dir = join(options.dataDir, 'secrets')
  const file = join(dir, 'github-token.enc')
  const env = options.env ?? process.env
  const defaultApiUrl = options.defaultApiUrl ?? 'https://api.github.com'
  const safe = options.safeStorage
  const backend = () => {
    try {
      return safe.getSelectedStorageBackend?.() ?? null
    } catch {
      return null
    }
  }
  return {
    get() {
      const e = fromEnv(env, defaultApiUrl)
      if (e) return e
      let data: Buffer
      try {
        data = readFileSync(file)
      } catch {
        return null
      }
      if (!safe.isEncryptionAvailable()) return null
      try {
        return parseStored(safe.decryptString(data))
      } catch {
        // Another machine's or user's keychain: as if signed out.
        return null
      }
    },
    set(token, meta) {
      registerSecret(token)
      if (!safe.isEncryptionAvailable()) {
        throw new AppError(
          'unavailable',
          'The system keychain is not available, so Baton will not store the token. Unlock or install a keychain (GNOME Keyring, KWallet), or set BATON_GITHUB_TOKEN.'
        )
      }
      writePrivate(dir, file, safe.encryptString(JSON.stringify({ token, meta })))
    },
    clear() {
      rmSync(file, { force: true })
    },
    describe() {
      if (env.BATON_GITHUB_TOKEN?.trim()) return { storage: 'Read from the BATON_GITHUB_TOKEN environment variable (not stored by Baton).', warning: null }
      if (!safe.isEncryptionAvailable()) {
        return { storage: 'Not stored: the system keychain is not available.', warning: 'Baton cannot keep the token without a keychain; set BATON_GITHUB_TOKEN, or install GNOME Keyring or KWallet.' }
      }
      const b = backend()
      if (b === 'basic_text') {
        return {
          storage: 'Encrypted with a fixed key (no system keychain was found).',
          warning:
            'No secret store (GNOME Keyring or KWallet) was found, so the token is encrypted with a fixed key that any program running as you can undo. Install a secret store and sign in again, or use BATON_GITHUB_TOKEN.'
        }
      }
      return { storage: `In the system keychain${b && b !== 'unknown' ? ` (${b})` : ''}, encrypted.`, warning: null }
    }
  }
}
