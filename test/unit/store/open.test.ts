import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { migrations } from '../../../src/main/store/migrations/index'
import { openDatabase, schemaVersion } from '../../../src/main/store/open'

const tmp = () => mkdtempSync(join(tmpdir(), 'baton-store-'))

describe('openDatabase', () => {
  it('opens in WAL mode with busy_timeout and foreign keys, and applies every migration', () => {
    const db = openDatabase(join(tmp(), 'baton.db'))
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000)
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
    expect(db.pragma('synchronous', { simple: true })).toBe(1) // NORMAL
    expect(schemaVersion(db)).toBe(migrations.length)
    db.close()
  })

  it('migrates an old schema forward and keeps its rows', () => {
    const file = join(tmp(), 'baton.db')
    const old = openDatabase(file, { migrations: migrations.slice(0, 1) })
    expect(schemaVersion(old)).toBe(1)
    old
      .prepare("INSERT INTO repos (key, host, api_url, owner, name, default_branch, connected_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .run('github.com/acme/shop', 'github.com', 'https://api.github.com', 'acme', 'shop', 'main', '2026-01-01T00:00:00Z')
    old.prepare("INSERT INTO settings (key, value) VALUES ('theme', '\"dark\"')").run()
    old.close()

    const db = openDatabase(file)
    expect(schemaVersion(db)).toBe(migrations.length)
    expect(db.prepare('SELECT owner, name FROM repos').all()).toEqual([{ owner: 'acme', name: 'shop' }])
    // Tables from later migrations now exist and reference the old rows.
    db.prepare("INSERT INTO issues (repo_id, number, title, state, author, created_at, updated_at) VALUES (1, 7, 't', 'open', 'a', 'x', 'x')").run()
    expect(() => db.prepare("INSERT INTO issues (repo_id, number, title, state, author, created_at, updated_at) VALUES (99, 1, 't', 'open', 'a', 'x', 'x')").run()).toThrow(/FOREIGN KEY/)
    db.close()
  })

  it('re-opening applies nothing twice', () => {
    const file = join(tmp(), 'baton.db')
    openDatabase(file).close()
    const db = openDatabase(file)
    expect(schemaVersion(db)).toBe(migrations.length)
    db.close()
  })

  it('refuses a damaged file with a clear message and leaves it untouched', () => {
    const file = join(tmp(), 'baton.db')
    const garbage = 'this is not an sqlite database '.repeat(200)
    writeFileSync(file, garbage)
    expect(() => openDatabase(file)).toThrow(/damaged or is not a Baton database.*left it untouched/)
    expect(readFileSync(file, 'utf8')).toBe(garbage)
  })

  it('refuses a database from a newer Baton without changing it', () => {
    const file = join(tmp(), 'baton.db')
    const db = openDatabase(file)
    db.pragma(`user_version = ${migrations.length + 5}`)
    db.close()
    expect(() => openDatabase(file)).toThrow(/newer Baton/)
    const again = openDatabase(file, { readonly: true })
    expect(schemaVersion(again)).toBe(migrations.length + 5)
    again.close()
  })

  it('reads beside a writer without taking its lock (readonly)', () => {
    const file = join(tmp(), 'baton.db')
    const writer = openDatabase(file)
    writer.prepare("INSERT INTO settings (key, value) VALUES ('a', '1')").run()
    const reader = openDatabase(file, { readonly: true })
    expect(reader.prepare('SELECT value FROM settings').get()).toEqual({ value: '1' })
    expect(() => reader.prepare("INSERT INTO settings (key, value) VALUES ('b', '2')").run()).toThrow(/readonly/)
    reader.close()
    writer.close()
  })
})
