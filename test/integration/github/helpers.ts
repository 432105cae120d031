// Shared set-up for the GitHub side's integration tests: a forge on
// 127.0.0.1 in a fresh folder, a Baton database, a logger whose lines the
// tests can read (to look for the token in them), the service on them, and a
// proxy that loses or holds back the forge's answers.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createForge } from '../../../src/forge'
import type { Forge, ForgeOptions, ForgeSeed } from '../../../src/forge'
import { EventHub } from '../../../src/main/events'
import type { GateTiming } from '../../../src/main/github/octokit'
import { GitHubService, type GitHubServiceOptions } from '../../../src/main/github/service'
import { createLogger, type Logger } from '../../../src/main/log'
import { createTokenStore } from '../../../src/main/secrets/token-store'
import { openDatabase, type Db } from '../../../src/main/store/open'

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
export const FAST: Partial<GateTiming> = { writeGapMs: 0, retryBaseMs: 10, minLimitWaitMs: 1000 }

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

/** The service as app.ts builds it, on the test's database, its token kept in `dataDir` (default the env's). */
export function makeService(env: Env, over: Partial<GitHubServiceOptions> & { dataDir?: string } = {}): GitHubService {
  const { dataDir, ...rest } = over
  return new GitHubService({
    db: env.db,
    tokens: createTokenStore({ dataDir: dataDir ?? env.dataDir, env: {} }),
    log: env.log,
    events: new EventHub(),
    defaultApiUrl: env.forge.apiUrl,
    pollMs: () => 15_000,
    timing: FAST,
    ...rest
  })
}

/** Timers the test fires by hand: `pending` holds what the loop armed. */
export function manualTimers(): { timers: NonNullable<GitHubServiceOptions['timers']>; pending: Array<{ fn: () => void; ms: number }> } {
  const pending: Array<{ fn: () => void; ms: number }> = []
  return {
    pending,
    timers: {
      setTimeout: (fn, ms) => {
        const t = { fn, ms }
        pending.push(t)
        return t
      },
      clearTimeout: (h) => {
        const i = pending.indexOf(h as never)
        if (i >= 0) pending.splice(i, 1)
      }
    }
  }
}

export interface Proxy {
  apiUrl: string
  /** The next request with this method reaches the forge; its answer is dropped (the connection closed instead). */
  loseNextAnswer(method: string): void
  /** The next GET whose path matches is answered by the forge at once, and relayed only after `ms`: a stale answer. */
  holdNextAnswer(path: RegExp, ms: number): void
  close(): Promise<void>
}

/**
 * A proxy on 127.0.0.1 in front of the forge. The forge's own faults act
 * before a request is handled; these act after: GitHub applied the request
 * (or answered it) and the answer is lost, or arrives late.
 */
export async function proxy(forgeUrl: string): Promise<Proxy> {
  const target = new URL(forgeUrl)
  let lose: string | null = null
  let hold: { path: RegExp; ms: number } | null = null
  const server = http.createServer((req, res) => {
    const upstream = http.request({ host: '127.0.0.1', port: target.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      if (lose !== null && req.method === lose) {
        lose = null
        answer.resume()
        answer.on('end', () => req.socket.destroy())
        return
      }
      const delay = hold && req.method === 'GET' && hold.path.test(req.url ?? '') ? hold.ms : 0
      if (delay) hold = null
      const chunks: Buffer[] = []
      answer.on('data', (c: Buffer) => chunks.push(c))
      answer.on('end', () =>
        setTimeout(() => {
          res.writeHead(answer.statusCode ?? 502, answer.headers)
          res.end(Buffer.concat(chunks))
        }, delay)
      )
    })
    req.pipe(upstream)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return {
    apiUrl: `http://127.0.0.1:${port}/api/v3`,
    loseNextAnswer: (method) => (lose = method),
    holdNextAnswer: (path, ms) => (hold = { path, ms }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
