// The `baton` command. Every subcommand parses its flags strictly: an unknown
// flag is named in a clear message with the usage, and nothing runs.
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { AppError } from '../shared/errors'
import { createCore } from './app'
import { defaultDataDir, paths } from './data-dir'
import { readLock } from './instance-lock'
import { createLogger } from './log'
import { startServer } from './serve'
import { openDatabase, schemaVersion } from './store/open'
import { listRepos } from './store/queries'
import { VERSION } from './version'

const here = dirname(fileURLToPath(import.meta.url))

export class UsageError extends Error {}

const USAGE = `Baton ${VERSION} — a team of AI role agents for your GitHub issues

Usage:
  baton serve [--port N] [--data-dir DIR] [--sandbox]
      Run headless: the dashboard and API on http://127.0.0.1:N (default 4646;
      0 picks a free port). Prints the address to open, with its token.
      BATON_TOKEN chooses the token; BATON_GITHUB_TOKEN holds GitHub's.
  baton status [--json] [--data-dir DIR]
      What Baton knows: the running instance, the database, the repositories.
      Safe beside a running app: it reads the database without taking its lock.
  baton forge [--port N] [--data-dir DIR] [--seed FILE]
      Run the local GitHub-compatible forge (the sandbox's and the tests' GitHub).
  baton --version | baton help

Data folder: --data-dir, else ${defaultDataDir()}.`

const common = {
  'data-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' }
} as const satisfies ParseArgsConfig['options']

function parse<T extends NonNullable<ParseArgsConfig['options']>>(command: string, argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options: { ...common, ...options }, strict: true, allowPositionals: false }).values
  } catch (error) {
    throw new UsageError(`baton ${command}: ${(error as Error).message}`)
  }
}

function port(value: string | undefined): number {
  if (value === undefined) return 4646
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`baton serve: --port expects a number from 0 to 65535, got "${value}".`)
  return n
}

async function serve(argv: string[]): Promise<void> {
  const flags = parse('serve', argv, { port: { type: 'string' }, sandbox: { type: 'boolean' } })
  if (flags.help) return void console.log(USAGE)
  const log = createLogger()
  const core = await createCore({
    dataDir: (flags['data-dir'] as string | undefined) ?? defaultDataDir(),
    mode: 'headless',
    sandbox: Boolean(flags.sandbox),
    log
  })
  let server
  try {
    server = await startServer(core, {
      port: port(flags.port as string | undefined),
      token: process.env.BATON_TOKEN || undefined,
      rendererDir: join(here, '..', 'renderer')
    })
  } catch (error) {
    await core.close()
    throw error
  }
  core.lock.update({ url: server.url, token: server.token })
  console.log(`Baton ${VERSION} is running${flags.sandbox ? ' in the sandbox' : ''}.`)
  console.log(`Data folder: ${core.dataDir}`)
  console.log(`Open: ${server.url}`)
  const stop = async (signal: string) => {
    log.info(`Stopping (${signal})`)
    await server.close()
    await core.close()
    process.exit(0)
  }
  process.once('SIGINT', () => void stop('SIGINT'))
  process.once('SIGTERM', () => void stop('SIGTERM'))
}

async function status(argv: string[]): Promise<void> {
  const flags = parse('status', argv, { json: { type: 'boolean' } })
  if (flags.help) return void console.log(USAGE)
  const dataDir = (flags['data-dir'] as string | undefined) ?? defaultDataDir()
  const lock = readLock(dataDir)
  const dbFile = paths.database(dataDir)
  const report: Record<string, unknown> = {
    version: VERSION,
    dataDir,
    running: lock ? { pid: lock.pid, mode: lock.mode, startedAt: lock.startedAt, url: lock.url?.replace(/\?token=.*/, '') ?? null } : null,
    database: null,
    repos: []
  }
  if (existsSync(dbFile)) {
    const db = openDatabase(dbFile, { readonly: true })
    try {
      report.database = { path: dbFile, schemaVersion: schemaVersion(db) }
      report.repos = listRepos(db).map((r) => ({ repo: `${r.owner}/${r.name}`, host: r.host, openIssues: r.openIssues, lastSyncAt: r.lastSyncAt }))
    } finally {
      db.close()
    }
  }
  if (flags.json) {
    console.log(JSON.stringify(report, null, 2))
    return
  }
  console.log(`Baton ${VERSION}`)
  console.log(`Data folder: ${dataDir}`)
  console.log(lock ? `Running: ${lock.mode}, pid ${lock.pid}` : 'Running: no')
  console.log(report.database ? `Database: schema ${(report.database as { schemaVersion: number }).schemaVersion}` : 'Database: none yet')
  const repos = report.repos as Array<{ repo: string }>
  console.log(repos.length ? `Repositories: ${repos.map((r) => r.repo).join(', ')}` : 'Repositories: none connected')
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  try {
    switch (command) {
      case 'serve':
        await serve(rest)
        return -1 // keeps running
      case 'status':
        await status(rest)
        return 0
      case 'forge': {
        // The local GitHub stand-in, standalone (DESIGN.md §8).
        const { runForgeCli, ForgeCliError } = await import('../forge/cli')
        try {
          await runForgeCli(rest)
        } catch (error) {
          if (error instanceof ForgeCliError) throw new UsageError(error.message)
          throw error
        }
        return -1
      }
      case '--version':
      case '-v':
      case 'version':
        console.log(VERSION)
        return 0
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        console.log(USAGE)
        return 0
      default:
        throw new UsageError(`baton: unknown command "${command}".`)
    }
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n\n${USAGE}`)
      return 2
    }
    if (error instanceof AppError) {
      console.error(`baton: ${error.message}`)
      return 1
    }
    console.error(`baton: ${(error as Error).stack ?? String(error)}`)
    return 1
  }
}
