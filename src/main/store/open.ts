// Opens Baton's SQLite database: WAL, busy_timeout, foreign keys, and the
// numbered migrations applied at start (DESIGN.md §7).
import Database from 'better-sqlite3'
import { AppError } from '../../shared/errors'
import { migrations as defaultMigrations } from './migrations/index'

export type Db = Database.Database

export interface OpenOptions {
  /** Path to a better_sqlite3.node built for the running runtime (Electron builds its own). */
  nativeBinding?: string
  /** Open read-only and apply no migration (the CLI beside a running app). */
  readonly?: boolean
  /** Migrations to apply; tests pass a prefix to make an old schema. */
  migrations?: readonly string[]
}

export function openDatabase(file: string, options: OpenOptions = {}): Db {
  const migrations = options.migrations ?? defaultMigrations
  let db: Db
  try {
    db = new Database(file, {
      readonly: options.readonly ?? false,
      fileMustExist: options.readonly ?? false,
      nativeBinding: options.nativeBinding
    })
  } catch (error) {
    throw new AppError('unavailable', `Cannot open the database ${file}: ${(error as Error).message}.`, { file })
  }
  try {
    db.pragma('busy_timeout = 5000')
    if (!options.readonly) {
      // The first statement that reads the file is where SQLite notices a damaged one.
      db.pragma('journal_mode = WAL')
      db.pragma('synchronous = NORMAL')
      db.pragma('foreign_keys = ON')
      migrate(db, migrations)
    } else {
      db.pragma('user_version')
    }
    return db
  } catch (error) {
    db.close()
    if (error instanceof AppError) throw error
    const code = (error as { code?: string }).code
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
      throw new AppError(
        'unavailable',
        `The database ${file} is damaged or is not a Baton database. Baton left it untouched. ` +
          `Move it aside (for example rename it to ${file}.broken) to start with a fresh one, or restore a backup.`,
        { file, sqlite: code }
      )
    }
    throw new AppError('unavailable', `Cannot use the database ${file}: ${(error as Error).message}.`, { file, sqlite: code })
  }
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number
}

function migrate(db: Db, migrations: readonly string[]): void {
  const current = schemaVersion(db)
  if (current > migrations.length) {
    throw new AppError(
      'unavailable',
      `The database was written by a newer Baton (schema ${current}; this version knows ${migrations.length}). ` +
        'Update Baton, or use another data folder. Nothing was changed.',
      { schema: current, known: migrations.length }
    )
  }
  for (let version = current + 1; version <= migrations.length; version++) {
    const sql = migrations[version - 1] as string
    db.transaction(() => {
      db.exec(sql)
      db.pragma(`user_version = ${version}`)
    })()
  }
}
