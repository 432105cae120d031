// Shared set-up for the GitHub client's integration tests: a forge on
// 127.0.0.1 in a fresh folder, a Baton database, and a logger whose lines the
// tests can read (to look for the token in them).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createForge } from '../../../src/forge'
import type { Forge, ForgeOptions, ForgeSeed } from '../../../src/forge'
import { createLogger, type Logger } from '../../../src/main/log'
import { openDatabase, type Db } from '../../../src/main/store/open'
import type { ClientTiming } from '../../../src/main/github/client'

export const TOKENS = { owner: 'ghp_ownerToken0001', alice: 'ghp_aliceToken0002', reader: 'ghp_readerToken003', noscope: 'ghp_noscopeToken04' } as const

/** owner/app (alice writes), owner/secret (private; reader reads), owner/old (archived). */
export function seed(): ForgeSeed {
  return {
    users: [
      { login: 'owner', token: TOKENS.owner, scopes: ['repo'] },
      { login: 'alice', token: TOKENS.alice, scopes: ['repo'] },
      { login: 'reader', token: TOKENS.reader, scopes: ['repo'] },
      { login: 'nobody', token: TOKENS.noscope, scopes: ['gist'] }
    ],
    repositories: [
      {
        owner: 'owner',
        name: 'app',
        files: { 'README.md': '# app\n' },
        labels: [{ name: 'bug', color: '123456', description: 'Our own bug label' }, { name: 'wontfix', color: 'ffffff', description: null }],
        collaborators: { alice: 'write', reader: 'read' },
        issues: [
          { title: 'First issue', body: 'Hello', author: 'alice', labels: ['bug'], comments: [{ author: 'owner', body: 'Thanks' }] },
          { title: 'Second issue', body: 'World', author: 'owner' }
        ]
      },
      { owner: 'owner', name: 'secret', private: true, files: { 'a.txt': 'a\n' }, collaborators: { reader: 'read', alice: 'write' } },
      { owner: 'owner', name: 'old', archived: true, files: { 'a.txt': 'a\n' }, collaborators: { alice: 'write' } }
    ]
  }
}

/** Fast timing for tests: no gap between writes, short back-offs, real clock. */
export const FAST: Partial<ClientTiming> = { writeGapMs: 0, retryBaseMs: 10, minLimitWaitMs: 1000 }

export interface Env {
  forge: Forge
  dir: string
  dataDir: string
  db: Db
  log: Logger
  lines: string[]
  close(): Promise<void>
}

export async function setup(options: Partial<ForgeOptions> & { seed?: ForgeSeed } = {}): Promise<Env> {
  const dir = mkdtempSync(join(tmpdir(), 'baton-gh-'))
  const forge = await createForge({ dataDir: join(dir, 'forge'), seed: options.seed ?? seed(), deviceFlowInterval: 0, ...options })
  const dataDir = join(dir, 'data')
  const { mkdirSync } = await import('node:fs')
  mkdirSync(dataDir, { recursive: true })
  const db = openDatabase(join(dataDir, 'baton.sqlite'))
  const lines: string[] = []
  const log = createLogger({ level: 'debug', write: (line) => lines.push(line) })
  return {
    forge,
    dir,
    dataDir,
    db,
    log,
    lines,
    close: async () => {
      db.close()
      await forge.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
