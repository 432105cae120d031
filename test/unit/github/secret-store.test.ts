// The token stores: env wins, a 0600 file in a 0700 folder, safeStorage
// refused without encryption and flagged on basic_text, redaction registered.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { redact } from '../../../src/main/log'
import { createFileSecretStore, createSafeStorageSecretStore, type SafeStorageLike } from '../../../src/main/secrets/secret-store'
import { AppError } from '../../../src/shared/errors'

const dirs: string[] = []
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'baton-secrets-'))
  dirs.push(d)
  return d
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})
const meta = { method: 'token' as const, apiUrl: 'https://api.github.com', login: 'me' }

describe('file store (headless)', () => {
  it('keeps the token in a 0600 file inside a 0700 folder; clear removes it', () => {
    const dataDir = tmp()
    const store = createFileSecretStore({ dataDir, env: {} })
    expect(store.get()).toBeNull()
    store.set('ghp_fileStoreToken123', meta)
    const file = join(dataDir, 'secrets', 'github-token.json')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(statSync(join(dataDir, 'secrets')).mode & 0o777).toBe(0o700)
    expect(createFileSecretStore({ dataDir, env: {} }).get()).toEqual({ token: 'ghp_fileStoreToken123', meta })
    expect(redact('x ghp_fileStoreToken123 y')).toBe('x *** y')
    store.clear()
    expect(existsSync(file)).toBe(false)
    expect(store.get()).toBeNull()
  })

  it('BATON_GITHUB_TOKEN wins over the file and is described as such', () => {
    const dataDir = tmp()
    const store = createFileSecretStore({ dataDir, env: { BATON_GITHUB_TOKEN: 'ghp_fromTheEnv000001', BATON_GITHUB_API_URL: 'http://127.0.0.1:1/api/v3' } })
    store.set('ghp_inTheFile0000001', meta)
    expect(store.get()).toEqual({ token: 'ghp_fromTheEnv000001', meta: { method: 'env', apiUrl: 'http://127.0.0.1:1/api/v3', login: null } })
    expect(store.describe().storage).toMatch(/BATON_GITHUB_TOKEN/)
    expect(redact('ghp_fromTheEnv000001')).toBe('***')
  })

  it('a damaged file reads as signed out', () => {
    const dataDir = tmp()
    const store = createFileSecretStore({ dataDir, env: {} })
    store.set('ghp_willBeDamaged001', meta)
    writeFileSync(join(dataDir, 'secrets', 'github-token.json'), '{not json')
    expect(store.get()).toBeNull()
  })
})

function fakeSafeStorage(available: boolean, backend: string): SafeStorageLike {
  // A reversible cipher standing in for the OS keychain (the real one needs Electron).
  const key = 0x5a
  return {
    isEncryptionAvailable: () => available,
    encryptString: (t) => Buffer.from([...Buffer.from(t, 'utf8')].map((b) => b ^ key)),
    decryptString: (d) => Buffer.from([...d].map((b) => b ^ key)).toString('utf8'),
    getSelectedStorageBackend: () => backend
  }
}

describe('safeStorage store (desktop)', () => {
  it('stores only ciphertext, 0600; reads it back', () => {
    const dataDir = tmp()
    const store = createSafeStorageSecretStore({ dataDir, env: {}, safeStorage: fakeSafeStorage(true, 'gnome_libsecret') })
    store.set('ghp_desktopToken00001', meta)
    const file = join(dataDir, 'secrets', 'github-token.enc')
    expect(readFileSync(file).toString('latin1')).not.toContain('ghp_desktopToken00001')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(store.get()?.token).toBe('ghp_desktopToken00001')
    expect(store.describe()).toEqual({ storage: 'In the system keychain (gnome_libsecret), encrypted.', warning: null })
  })

  it('refuses to save when encryption is unavailable, and writes nothing', () => {
    const dataDir = tmp()
    const store = createSafeStorageSecretStore({ dataDir, env: {}, safeStorage: fakeSafeStorage(false, 'unknown') })
    expect(() => store.set('ghp_notStoredToken001', meta)).toThrow(AppError)
    expect(existsSync(join(dataDir, 'secrets', 'github-token.enc'))).toBe(false)
    expect(store.describe().warning).toMatch(/BATON_GITHUB_TOKEN/)
  })

  it('warns when Linux falls back to basic_text (a fixed key)', () => {
    const store = createSafeStorageSecretStore({ dataDir: tmp(), env: {}, safeStorage: fakeSafeStorage(true, 'basic_text') })
    const d = store.describe()
    expect(d.storage).toMatch(/fixed key/)
    expect(d.warning).toMatch(/fixed key/)
  })
})
