// Model-provider keys a person types into Baton (Settings → Providers), kept
// like the GitHub token (token-store.ts, DESIGN.md §9): on the desktop
// encrypted by Electron's safeStorage (the injected Cipher; refused without a
// keychain), headless a 0600 file in <data>/secrets/ (0700). Never in SQLite,
// never in a log (each key is registered with the log masker), never on a
// command line. A key reaches only its own provider's agents: `env()` lays the
// keys over main's environment under their variables, and the supervisor's
// allow-list (agents/agent-env.ts) passes each only to roles of that provider.
// The keys travel to the runner by environment, never by a file: the agents'
// sandbox hides the data folder (agents/isolation.ts).
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AppError } from '../../shared/errors'
import { registerSecret } from '../log'
import type { Cipher } from './token-store'

/** The providers that take a key, and the variable their CLI reads it from. */
export const KEY_VARIABLE = { 'claude-code': 'ANTHROPIC_API_KEY', codex: 'OPENAI_API_KEY' } as const
export type KeyedProvider = keyof typeof KEY_VARIABLE
export const KEYED_PROVIDERS = Object.keys(KEY_VARIABLE) as KeyedProvider[]

export interface ProviderKeys {
  /** The key Baton holds for the provider, or null. */
  get(provider: KeyedProvider): string | null
  set(provider: KeyedProvider, key: string): void
  clear(provider: KeyedProvider): void
  /** The held keys as environment variables (ANTHROPIC_API_KEY, OPENAI_API_KEY). */
  env(): Record<string, string>
  /** Where a typed key is kept, in words, and a warning when that is weak. */
  describe(): { storage: string; warning: string | null }
}

/** A key as typed: one line of printable characters (a paste's spaces and newline trimmed). */
export function checkKey(provider: KeyedProvider, key: string): string {
  const k = key.trim()
  const name = provider === 'claude-code' ? 'An Anthropic API key' : 'An OpenAI API key'
  if (k.length < 20) throw new AppError('bad_request', `${name} is longer than that (it starts with ${provider === 'claude-code' ? '"sk-ant-"' : '"sk-"'}).`, { field: 'key' })
  if (k.length > 512) throw new AppError('bad_request', `${name} is at most 512 characters; that is ${k.length}.`, { field: 'key' })
  if (!/^[\x21-\x7e]+$/.test(k)) throw new AppError('bad_request', `${name} has no spaces or line breaks: paste only the key.`, { field: 'key' })
  return k
}

export function createProviderKeys(options: { dataDir: string; env?: NodeJS.ProcessEnv; cipher?: Cipher }): ProviderKeys {
  const dir = join(options.dataDir, 'secrets')
  const file = join(dir, options.cipher ? 'providers.enc' : 'providers.json')
  const env = options.env ?? process.env
  // Keys given in the environment are masked in logs and agent output too.
  for (const v of ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'CODEX_API_KEY']) registerSecret(env[v])

  const read = (): Partial<Record<KeyedProvider, string>> => {
    let raw: Buffer
    try {
      raw = readFileSync(file)
    } catch {
      return {}
    }
    try {
      if (options.cipher && !options.cipher.isEncryptionAvailable()) return {}
      const value = JSON.parse(options.cipher ? options.cipher.decryptString(raw) : raw.toString('utf8')) as Record<string, unknown> | null
      const out: Partial<Record<KeyedProvider, string>> = {}
      for (const p of KEYED_PROVIDERS) {
        const k = value?.[p]
        if (typeof k === 'string' && k) {
          registerSecret(k)
          out[p] = k
        }
      }
      return out
    } catch {
      // A damaged file, or another machine's keychain: as if no key was typed.
      return {}
    }
  }
  let cache: Partial<Record<KeyedProvider, string>> | null = null
  const all = () => (cache ??= read())

  const write = (next: Partial<Record<KeyedProvider, string>>): void => {
    if (!Object.keys(next).length) {
      rmSync(file, { force: true })
      cache = next
      return
    }
    if (options.cipher && !options.cipher.isEncryptionAvailable()) {
      throw new AppError('unavailable', 'The system keychain is not available, so Baton will not store the key. Set ANTHROPIC_API_KEY or OPENAI_API_KEY in the environment Baton starts with instead.')
    }
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    chmodSync(dir, 0o700)
    const text = JSON.stringify(next)
    // A fresh 0600 file, then rename: never a moment with wider rights.
    const tmp = `${file}.${process.pid}.tmp`
    writeFileSync(tmp, options.cipher ? options.cipher.encryptString(text) : text, { mode: 0o600 })
    chmodSync(tmp, 0o600)
    renameSync(tmp, file)
    cache = next
  }

  return {
    get: (provider) => all()[provider] ?? null,
    set(provider, key) {
      const k = checkKey(provider, key)
      registerSecret(k)
      write({ ...all(), [provider]: k })
    },
    clear(provider) {
      const next = { ...all() }
      delete next[provider]
      write(next)
    },
    env() {
      const out: Record<string, string> = {}
      for (const [p, k] of Object.entries(all()) as Array<[KeyedProvider, string]>) out[KEY_VARIABLE[p]] = k
      return out
    },
    describe() {
      if (!options.cipher) return { storage: `in ${file} (readable only by you, mode 0600)`, warning: null }
      if (!options.cipher.isEncryptionAvailable()) {
        return { storage: 'not stored: the system keychain is not available', warning: 'Baton cannot keep a key without a keychain: install GNOME Keyring or KWallet, or set the key in the environment Baton starts with.' }
      }
      if (options.cipher.getSelectedStorageBackend?.() === 'basic_text') {
        return { storage: 'encrypted with a fixed key', warning: 'No secret store (GNOME Keyring or KWallet) was found, so keys are encrypted with a fixed key that other programs can read.' }
      }
      return { storage: 'in the system keychain', warning: null }
    }
  }
}
