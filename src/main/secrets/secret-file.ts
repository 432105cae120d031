// One secret kept in <data>/secrets/ (DESIGN.md §9): the GitHub token, the
// model-provider keys, the webhook URL. Headless a 0600 JSON file in a 0700
// folder; on the desktop encrypted with Electron's safeStorage (the injected
// Cipher) and refused when no keychain can encrypt it. Written to a fresh
// 0600 file and renamed into place, so there is never a moment with wider
// rights or a half-written file. A damaged file, or one another machine's
// keychain encrypted, reads as none.
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AppError } from '../../shared/errors'

/** Electron's safeStorage, passed in by the desktop entry. */
export interface Cipher {
  isEncryptionAvailable(): boolean
  encryptString(text: string): Buffer
  decryptString(data: Buffer): string
  getSelectedStorageBackend?(): string
}

export interface SecretFile {
  /** Where it is kept. */
  readonly path: string
  /** The stored JSON value, or null: no file, a damaged one, or no keychain to decrypt it. */
  read(): unknown
  /** Stores `value`; without a keychain on the desktop, refuses with `noKeychain` (an `unavailable` error). */
  write(value: unknown, noKeychain: string): void
  remove(): void
}

export function secretFile(dataDir: string, name: string, cipher?: Cipher): SecretFile {
  const dir = join(dataDir, 'secrets')
  const path = join(dir, cipher ? `${name}.enc` : `${name}.json`)
  return {
    path,
    read() {
      let raw: Buffer
      try {
        raw = readFileSync(path)
      } catch {
        return null
      }
      try {
        if (cipher && !cipher.isEncryptionAvailable()) return null
        return JSON.parse(cipher ? cipher.decryptString(raw) : raw.toString('utf8')) as unknown
      } catch {
        return null
      }
    },
    write(value, noKeychain) {
      if (cipher && !cipher.isEncryptionAvailable()) throw new AppError('unavailable', noKeychain)
      mkdirSync(dir, { recursive: true, mode: 0o700 })
      chmodSync(dir, 0o700)
      const text = JSON.stringify(value)
      const tmp = `${path}.${process.pid}.tmp`
      writeFileSync(tmp, cipher ? cipher.encryptString(text) : text, { mode: 0o600 })
      chmodSync(tmp, 0o600)
      renameSync(tmp, path)
    },
    remove() {
      rmSync(path, { force: true })
    }
  }
}
