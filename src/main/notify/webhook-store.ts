// Where the webhook URL lives: like the GitHub token (secrets/token-store.ts,
// DESIGN.md §9), since a Slack or Discord webhook URL is its own key. Never in
// SQLite, never in a log (registered with the masker as soon as it is known).
//   BATON_NOTIFY_WEBHOOK in the environment wins (headless);
//   else a 0600 file in <data>/secrets/ (0700), on the desktop encrypted with
//   Electron's safeStorage (the injected Cipher; refused without a keychain).
import { AppError } from '../../shared/errors'
import { registerSecret } from '../log'
import { secretFile, type Cipher } from '../secrets/secret-file'
import { checkWebhookUrl } from './webhook'

export const WEBHOOK_VARIABLE = 'BATON_NOTIFY_WEBHOOK'

export interface WebhookStore {
  get(): string | null
  set(url: string): void
  clear(): void
  /** Where it is kept, in words; `host` is safe to show (the path is the secret). */
  describe(): { set: boolean; host: string | null; storage: string; fromEnv: boolean }
}

export function createWebhookStore(options: { dataDir: string; env?: NodeJS.ProcessEnv; cipher?: Cipher }): WebhookStore {
  const stored = secretFile(options.dataDir, 'webhook', options.cipher)
  const file = stored.path
  const env = options.env ?? process.env
  const fromEnv = () => {
    const v = env[WEBHOOK_VARIABLE]?.trim()
    if (!v) return null
    registerSecret(v)
    try {
      return checkWebhookUrl(v)
    } catch {
      return null
    }
  }
  const read = (): string | null => {
    // Damaged, or another machine's keychain: as if none were set.
    const value = stored.read() as { url?: unknown } | null
    if (typeof value?.url !== 'string') return null
    registerSecret(value.url)
    try {
      return checkWebhookUrl(value.url)
    } catch {
      return null
    }
  }
  const store: WebhookStore = {
    get: () => fromEnv() ?? read(),
    set(url) {
      let checked: string
      try {
        checked = checkWebhookUrl(url)
      } catch (e) {
        throw new AppError('bad_request', (e as Error).message, { field: 'url' })
      }
      registerSecret(url.trim())
      registerSecret(checked)
      stored.write({ url: checked }, `The system keychain is not available, so Baton will not store the webhook URL. Set ${WEBHOOK_VARIABLE} instead.`)
    },
    clear() {
      stored.remove()
    },
    describe() {
      const url = store.get()
      const env = fromEnv() !== null
      return {
        set: url !== null,
        host: url ? new URL(url).host : null,
        fromEnv: env,
        storage: env ? `from the ${WEBHOOK_VARIABLE} environment variable` : options.cipher ? 'in the system keychain' : `in ${file} (readable only by you, mode 0600)`
      }
    }
  }
  return store
}
