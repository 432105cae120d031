import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { DEFAULT_SETTINGS } from '../../../src/shared/api'
import { openDatabase } from '../../../src/main/store/open'
import { readSettings, writeSettings } from '../../../src/main/store/settings'

it('settings start at the defaults, persist a patch, and ignore a damaged row', () => {
  const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'baton-settings-')), 'baton.db'))
  expect(readSettings(db)).toEqual(DEFAULT_SETTINGS)
  expect(writeSettings(db, { theme: 'dark', loopCap: 4 })).toEqual({ ...DEFAULT_SETTINGS, theme: 'dark', loopCap: 4 })
  db.prepare("UPDATE settings SET value = '{broken' WHERE key = 'theme'").run()
  db.prepare("INSERT INTO settings (key, value) VALUES ('pollIntervalSec', '\"fast\"')").run()
  expect(readSettings(db)).toEqual({ ...DEFAULT_SETTINGS, loopCap: 4 })
  db.close()
})
