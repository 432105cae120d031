// The token store: env wins, a 0600 file in a 0700 folder, safeStorage
// refused without encryption and flagged on basic_text, redaction registered.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { redact } from '../../../src/main/log'
import { apiUrlOf, createTokenStore, type Cipher, type StoredToken } from '../../../src/main/secrets/token-store'
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
const stored = (token: string): StoredToken => ({ token, method: 'token', apiUrl: 'https://api.github.com', login: 'me', scopes: ['repo'] })

describe('file store (headless)', () => {
  it('keeps the token in a 0600 file inside a 0700 folder; clear removes it', () => {
    const dataDir = tmp()
    const store = createTokenStore({ dataDir, env: {} })
    expect(store.get()).toBeNull()
    store.set(stored('ghp_fileStoreToken123'))
    const file = join(dataDir, 'secrets', 'github.json')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(statSync(join(dataDir, 'secrets')).mode & 0o777).toBe(0o700)
    expect(createTokenStore({ dataDir, env: {} }).get()).toEqual(stored('ghp_fileStoreToken123'))
    expect(redact('x ghp_fileStoreToken123 y')).toBe('x *** y')
    store.clear()
    expect(existsSync(file)).toBe(false)
    expect(store.get()).toBeNull()
  })

  it('BATON_GITHUB_TOKEN wins over the file and is described as such', () => {
    const dataDir = tmp()
    const store = createTokenStore({ dataDir, env: { BATON_GITHUB_TOKEN: 'ghp_fromTheEnv000001', BATON_GITHUB_API_URL: 'http://127.0.0.1:1/api/v3' } })
    store.set(stored('ghp_inTheFile0000001'))
    expect(store.get()).toEqual({ token: 'ghp_fromTheEnv000001', method: 'env', apiUrl: 'http://127.0.0.1:1/api/v3', login: null })
    expect(store.describe().storage).toMatch(/BATON_GITHUB_TOKEN/)
    expect(redact('ghp_fromTheEnv000001')).toBe('***')
  })

  it('BATON_GITHUB_API_URL: the API URL as given, a GHES or github.com web address taken for its API, anything else refused naming the variable', () => {
    expect(apiUrlOf('http://127.0.0.1:4747/api/v3/')).toBe('http://127.0.0.1:4747/api/v3')
    expect(apiUrlOf('https://api.github.com')).toBe('https://api.github.com')
    expect(apiUrlOf(' https://ghe.example.com ')).toBe('https://ghe.example.com/api/v3')
    expect(apiUrlOf('https://github.com/')).toBe('https://api.github.com')
    for (const [bad, why] of [
      ['ghe.example.com', 'is not a URL'],
      ['ftp://ghe.example.com/api/v3', 'must start with https://'],
      ['https://x-access-token:ghp_secret123@ghe.example.com/api/v3', 'must not hold a user name or password'],
      ['https://ghe.example.com/api/v3?x=1', 'must not hold a query']
    ] as const) {
      let error: unknown
      try {
        apiUrlOf(bad)
      } catch (e) {
        error = e
      }
      expect(error, bad).toBeInstanceOf(AppError)
      expect((error as AppError).message).toMatch(new RegExp(`^BATON_GITHUB_API_URL ${why}`))
      expect((error as AppError).message).toContain('https://ghe.example.com/api/v3')
      expect((error as AppError).message).not.toContain('ghp_secret123')
    }
    const store = createTokenStore({ dataDir: tmp(), env: { BATON_GITHUB_TOKEN: 'ghp_fromTheEnv000002', BATON_GITHUB_API_URL: 'https://ghe.example.com' } })
    expect(store.get()?.apiUrl).toBe('https://ghe.example.com/api/v3')
    expect(() => createTokenStore({ dataDir: tmp(), env: { BATON_GITHUB_TOKEN: 'ghp_fromTheEnv000003', BATON_GITHUB_API_URL: 'nope' } }).get()).toThrow(/BATON_GITHUB_API_URL is not a URL/)
  })

  it('a damaged file reads as signed out', () => {
    const dataDir = tmp()
    const store = createTokenStore({ dataDir, env: {} })
    store.set(stored('ghp_willBeDamaged001'))
    writeFileSync(join(dataDir, 'secrets', 'github.json'), '{not json')
    expect(store.get()).toBeNull()
    writeFileSync(join(dataDir, 'secrets', 'github.json'), '{"login":"me"}')
    expect(store.get()).toBeNull()
  })
})

function fakeSafeStorage(available: boolean, backend: string): Cipher {
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
    const store = createTokenStore({ dataDir, env: {}, cipher: fakeSafeStorage(true, 'gnome_libsecret') })
    store.set(stored('ghp_desktopToken00001'))
    const file = join(dataDir, 'secrets', 'github.enc')
    expect(readFileSync(file).toString('latin1')).not.toContain('ghp_desktopToken00001')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(store.get()?.token).toBe('ghp_desktopToken00001')
    expect(store.describe()).toEqual({ storage: 'in the system keychain (gnome_libsecret)', warning: null })
  })

  it('refuses to save when encryption is unavailable, and writes nothing', () => {
    const dataDir = tmp()
    const store = createTokenStore({ dataDir, env: {}, cipher: fakeSafeStorage(false, 'unknown') })
    expect(() => store.set(stored('ghp_notStoredToken001'))).toThrow(AppError)
    expect(existsSync(join(dataDir, 'secrets', 'github.enc'))).toBe(false)
    expect(store.describe().warning).toMatch(/BATON_GITHUB_TOKEN/)
  })

  it('warns when Linux falls back to basic_text (a fixed key)', () => {
    const store = createTokenStore({ dataDir: tmp(), env: {}, cipher: fakeSafeStorage(true, 'basic_text') })
    const d = store.describe()
    expect(d.storage).toMatch(/fixed key/)
    expect(d.warning).toMatch(/fixed key/)
  })
})
