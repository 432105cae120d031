// Shared set-up for the GitHub client's integration tests: a forge on
// 127.0.0.1 in a fresh folder, a Baton database, and a logger whose lines the
// tests can read (to look for the token in them).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
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

/** A branch with one commit on the forge's bare repository (plumbing: no clone). */
export function pushBranch(forge: Forge, owner: string, name: string, branch: string, file: string, content: string): void {
  const gitDir = forge.gitDir(owner, name)
  const git = (args: string[], input?: string) =>
    execFileSync('git', ['--git-dir', gitDir, ...args], {
      input,
      env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' }
    })
      .toString()
      .trim()
  const base = git(['rev-parse', 'refs/heads/main'])
  const blob = git(['hash-object', '-w', '--stdin'], content)
  const tree = git(['ls-tree', base])
    .split('\n')
    .filter((l) => l && !l.endsWith(`\t${file}`))
    .concat(`100644 blob ${blob}\t${file}`)
    .join('\n')
  const newTree = git(['mktree'], tree + '\n')
  const commit = git(['commit-tree', newTree, '-p', base, '-m', `Add ${file}`])
  git(['update-ref', `refs/heads/${branch}`, commit])
}
