// The composition root: builds Baton's services from its options. Both entries
// (desktop: index.ts, headless: serve.ts) call createCore and serve its API.
// Nothing here imports electron.
import { statSync } from 'node:fs'
import type { AppStatus } from '../shared/api'
import { dispatch, type Handlers } from './api/dispatch'
import { paths, prepareDataDir } from './data-dir'
import { EventHub } from './events'
import { acquireLock, type InstanceLock } from './instance-lock'
import { createLogger, type Logger } from './log'
import { storeHandlers } from './api/store-handlers'
import { defaultPipeline } from './pipeline/definition'
import { AppError } from '../shared/errors'
import type { ApiMethod } from '../shared/api'
import { audit } from './store/audit'
import { migrations } from './store/migrations/index'
import { openDatabase, schemaVersion, type Db } from './store/open'
import { readSettings, writeSettings } from './store/settings'
import { VERSION } from './version'

export interface CoreOptions {
  dataDir: string
  mode: AppStatus['mode']
  sandbox?: boolean
  /** better_sqlite3.node for the running runtime (the desktop app passes Electron's build). */
  nativeBinding?: string
  log?: Logger
}

export interface Core {
  readonly dataDir: string
  readonly db: Db
  readonly events: EventHub
  readonly lock: InstanceLock
  readonly log: Logger
  readonly handlers: Handlers
  call(method: unknown, input: unknown): ReturnType<typeof dispatch>
  close(): Promise<void>
}

export async function createCore(options: CoreOptions): Promise<Core> {
  const log = options.log ?? createLogger()
  const dataDir = prepareDataDir(options.dataDir)
  // The lock comes first: a second instance must not touch the database at all.
  const lock = acquireLock(dataDir, options.mode)
  let db: Db
  try {
    db = openDatabase(paths.database(dataDir), { nativeBinding: options.nativeBinding })
  } catch (error) {
    lock.release()
    throw error
  }
  const events = new EventHub()
  const startedAt = new Date()
  audit(db, { kind: 'app.start', message: `Baton ${VERSION} started (${options.mode}${options.sandbox ? ', sandbox' : ''})` })

  const status = (): AppStatus => {
    const dbPath = paths.database(dataDir)
    let sizeBytes = 0
    try {
      sizeBytes = statSync(dbPath).size
    } catch {
      /* not yet flushed */
    }
    return {
      version: VERSION,
      mode: options.mode,
      sandbox: options.sandbox ?? false,
      dataDir,
      database: {
        path: dbPath,
        schemaVersion: schemaVersion(db),
        latestVersion: migrations.length,
        sizeBytes,
        journalMode: String(db.pragma('journal_mode', { simple: true }))
      },
      startedAt: startedAt.toISOString(),
      uptimeSec: Math.round((Date.now() - startedAt.getTime()) / 1000),
      platform: `${process.platform}-${process.arch}`,
      node: process.versions.node,
      pid: process.pid
    }
  }

  const waits = new Map<string, string>()
  const notYet = (method: ApiMethod) => () => {
    throw new AppError('unavailable', `${method} is not available in this build yet.`)
  }
  const handlers: Handlers = {
    ...storeHandlers(db, { pipeline: () => defaultPipeline, waits }),
    'app.status': () => status(),
    'agents.list': () => [],
    'agents.control': notYet('agents.control'),
    'agents.output': () => [],
    'issues.create': notYet('issues.create'),
    'drafts.retry': notYet('drafts.retry'),
    'drafts.discard': notYet('drafts.discard'),
    'prs.detail': notYet('prs.detail'),
    'prs.merge': notYet('prs.merge'),
    'prs.requestChanges': notYet('prs.requestChanges'),
    'inbox.answer': notYet('inbox.answer'),
    'auth.status': notYet('auth.status'),
    'auth.signInToken': notYet('auth.signInToken'),
    'auth.deviceStart': notYet('auth.deviceStart'),
    'auth.deviceWait': notYet('auth.deviceWait'),
    'auth.useGhToken': notYet('auth.useGhToken'),
    'auth.signOut': notYet('auth.signOut'),
    'repos.connect': notYet('repos.connect'),
    'repos.disconnect': notYet('repos.disconnect'),
    'repos.syncNow': notYet('repos.syncNow'),
    'settings.get': () => readSettings(db),
    'settings.update': (patch) => {
      const next = writeSettings(db, patch)
      audit(db, { kind: 'settings.update', message: `Settings changed: ${Object.keys(patch).join(', ')}` })
      events.changed('settings', 'events')
      return next
    }
  }

  let closed = false
  return {
    dataDir,
    db,
    events,
    lock,
    log,
    handlers,
    call: (method, input) => dispatch(handlers, method, input, log),
    async close() {
      if (closed) return
      closed = true
      audit(db, { kind: 'app.stop', message: 'Baton stopped' })
      db.close()
      lock.release()
    }
  }
}
