// Model keys typed into Baton: kept like the GitHub token (a 0600 file in a
// 0700 folder headless, safeStorage on the desktop and refused without a
// keychain), masked in logs, laid out as their provider's variables.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { redact } from '../../../src/main/log'
import { createProviderKeys } from '../../../src/main/secrets/provider-keys'
import type { Cipher } from '../../../src/main/secrets/token-store'
import { AppError } from '../../../src/shared/errors'

const dirs: string[] = []
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'baton-keys-'))
  dirs.push(d)
  return d
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

const ANTHROPIC = 'sk-ant-api03-unitTestKey-0000000001'
const OPENAI = 'sk-proj-unitTestKey-00000000000002'

describe('provider keys (headless file)', () => {
  it('keeps each key in a 0600 file in a 0700 folder, reads it back in a new store, and clears one at a time', () => {
    const dataDir = tmp()
    const keys = createProviderKeys({ dataDir, env: {} })
    expect(keys.get('claude-code')).toBeNull()
    expect(keys.env()).toEqual({})
    keys.set('claude-code', `  ${ANTHROPIC}\n`)
    keys.set('codex', OPENAI)
    const file = join(dataDir, 'secrets', 'providers.json')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(statSync(join(dataDir, 'secrets')).mode & 0o777).toBe(0o700)
    const again = createProviderKeys({ dataDir, env: {} })
    expect(again.get('claude-code')).toBe(ANTHROPIC)
    expect(again.env()).toEqual({ ANTHROPIC_API_KEY: ANTHROPIC, OPENAI_API_KEY: OPENAI })
    expect(redact(`key=${ANTHROPIC} and ${OPENAI}`)).toBe('key=*** and ***')
    again.clear('claude-code')
    expect(createProviderKeys({ dataDir, env: {} }).env()).toEqual({ OPENAI_API_KEY: OPENAI })
    again.clear('codex')
    expect(existsSync(file)).toBe(false)
    expect(again.describe().storage).toContain('mode 0600')
  })

  it('refuses what is not a key, in words, and keeps what was there', () => {
    const dataDir = tmp()
    const keys = createProviderKeys({ dataDir, env: {} })
    keys.set('codex', OPENAI)
    for (const [bad, why] of [
      ['sk-short', 'longer than that'],
      ['sk-ant-api03 with spaces in the middle', 'no spaces or line breaks'],
      ['x'.repeat(600), 'at most 512']
    ] as const) {
      let error: unknown
      try {
        keys.set('claude-code', bad)
      } catch (e) {
        error = e
      }
      expect(error).toBeInstanceOf(AppError)
      expect((error as AppError).message).toContain(why)
    }
    expect(createProviderKeys({ dataDir, env: {} }).env()).toEqual({ OPENAI_API_KEY: OPENAI })
  })

  it('a damaged file reads as no key; keys from the environment are masked in logs too', () => {
    const dataDir = tmp()
    createProviderKeys({ dataDir, env: {} }).set('codex', OPENAI)
    writeFileSync(join(dataDir, 'secrets', 'providers.json'), '{not json')
    expect(createProviderKeys({ dataDir, env: {} }).get('codex')).toBeNull()
    createProviderKeys({ dataDir, env: { ANTHROPIC_API_KEY: 'sk-ant-fromTheEnvironment-123' } })
    expect(redact('sk-ant-fromTheEnvironment-123')).toBe('***')
  })
})

describe('provider keys (desktop: safeStorage)', () => {
  const cipher = (available: boolean, backend = 'gnome_libsecret'): Cipher => ({
    isEncryptionAvailable: () => available,
    encryptString: (t) => Buffer.from(`enc:${Buffer.from(t).toString('base64')}`),
    decryptString: (b) => Buffer.from(b.toString().replace(/^enc:/, ''), 'base64').toString(),
    getSelectedStorageBackend: () => backend
  })

  it('encrypts the file (no key in clear on disk)', () => {
    const dataDir = tmp()
    createProviderKeys({ dataDir, env: {}, cipher: cipher(true) }).set('claude-code', ANTHROPIC)
    const raw = readFileSync(join(dataDir, 'secrets', 'providers.enc'), 'utf8')
    expect(raw.startsWith('enc:')).toBe(true)
    expect(raw).not.toContain(ANTHROPIC)
    expect(createProviderKeys({ dataDir, env: {}, cipher: cipher(true) }).get('claude-code')).toBe(ANTHROPIC)
  })

  it('refuses to store without a keychain and says so; warns on the fixed-key fallback', () => {
    const dataDir = tmp()
    const keys = createProviderKeys({ dataDir, env: {}, cipher: cipher(false) })
    expect(() => keys.set('claude-code', ANTHROPIC)).toThrow(/keychain is not available/)
    expect(existsSync(join(dataDir, 'secrets', 'providers.enc'))).toBe(false)
    expect(keys.describe().warning).toMatch(/GNOME Keyring or KWallet/)
    expect(createProviderKeys({ dataDir, env: {}, cipher: cipher(true, 'basic_text') }).describe().warning).toMatch(/fixed key/)
  })
})
