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
import { AppError } from '../../shared/errors'
import { registerSecret } from '../log'
import { secretFile, type Cipher } from './secret-file'

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
  const stored = secretFile(options.dataDir, 'providers', options.cipher)
  const file = stored.path
  const env = options.env ?? process.env
  // Keys given in the environment are masked in logs and agent output too.
  for (const v of ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'CODEX_API_KEY']) registerSecret(env[v])

  const read = (): Partial<Record<KeyedProvider, string>> => {
    // A damaged file, or another machine's keychain: as if no key was typed.
    const value = stored.read() as Record<string, unknown> | null
    const out: Partial<Record<KeyedProvider, string>> = {}
    for (const p of KEYED_PROVIDERS) {
      const k = value?.[p]
      if (typeof k === 'string' && k) {
        registerSecret(k)
        out[p] = k
      }
    }
    return out
  }
  let cache: Partial<Record<KeyedProvider, string>> | null = null
  const all = () => (cache ??= read())

  const write = (next: Partial<Record<KeyedProvider, string>>): void => {
    if (!Object.keys(next).length) {
      stored.remove()
      cache = next
      return
    }
    stored.write(next, 'The system keychain is not available, so Baton will not store the key. Set ANTHROPIC_API_KEY or OPENAI_API_KEY in the environment Baton starts with instead.')
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
