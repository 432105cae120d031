import { DEFAULT_SETTINGS, Settings } from '../../shared/api'
import type { Db } from './open'

/** Settings are rows of key → JSON; unknown or invalid rows fall back to the defaults. */
export function readSettings(db: Db): Settings {
  const rows = db.prepare('SELECT key, value FROM settings').all() as Array<{ key: string; value: string }>
  const stored: Record<string, unknown> = {}
  for (const row of rows) {
    try {
      stored[row.key] = JSON.parse(row.value)
    } catch {
      /* a damaged row is ignored; the default stands */
    }
  }
  const merged: Record<string, unknown> = { ...DEFAULT_SETTINGS }
  for (const key of Object.keys(DEFAULT_SETTINGS) as Array<keyof Settings>) {
    const field = Settings.shape[key].safeParse(stored[key])
    if (field.success) merged[key] = field.data
  }
  return merged as Settings
}

export function writeSettings(db: Db, patch: Partial<Settings>): Settings {
  const upsert = db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value')
  db.transaction(() => {
    for (const [key, value] of Object.entries(patch)) {
      if (value !== undefined) upsert.run(key, JSON.stringify(value))
    }
  })()
  return readSettings(db)
}
