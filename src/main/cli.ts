// The `baton` command. Every subcommand parses its flags strictly: an unknown
// flag is named in a clear message with the usage, and nothing runs.
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { AppError } from '../shared/errors'
import { createCore } from './app'
import { callApi } from './cli-client'
import { defaultDataDir, paths } from './data-dir'
import { readLock } from './instance-lock'
import { createLogger } from './log'
import { startServer } from './serve'
import { startMetricsServer } from './metrics/http'
import { openDatabase, schemaVersion } from './store/open'
import { listRepos } from './store/queries'
import { VERSION } from './version'
import { takeEnvSecrets } from './secrets/env-secrets'

const here = dirname(fileURLToPath(import.meta.url))

export class UsageError extends Error {}

const USAGE = `Baton ${VERSION} — a team of AI role agents for your GitHub issues

Usage:
  baton serve [--port N] [--data-dir DIR] [--sandbox [--forge-port N]] [--metrics-port N]
      Run headless: the dashboard and API on http://127.0.0.1:N (default 4646;
      0 picks a free port). Prints the address to open, with its token.
      Prometheus metrics at /metrics (the same token, as a Bearer header);
      --metrics-port: also on 127.0.0.1:N/metrics without the token.
      --forge-port: the sandbox's local GitHub on that port (default: the one
      it had last time, else a free one); its address is printed too.
      BATON_TOKEN chooses the token; BATON_GITHUB_TOKEN holds GitHub's.
  baton status [--json] [--data-dir DIR]
      What Baton knows: the running instance, the database, the repositories.
      Safe beside a running app: it reads the database without taking its lock.
  baton repo connect <owner/name | URL | ssh remote> [--data-dir DIR]
  baton repo list [--json] [--data-dir DIR]
  baton issue create --repo <owner/name> --title T [--body TEXT | --body-file F] [--label L]… [--data-dir DIR]
  baton issues list [--json] [--data-dir DIR]
  baton task retry <owner/name#number> [--data-dir DIR]
      An issue whose stage failed its budget of attempts gets one more budget.
  baton task stop <owner/name#number> [--data-dir DIR]
      Stop the issue's running task; its stage waits until you retry it.
  baton issue approve <owner/name#number> [--data-dir DIR]
      Approve an outsider's issue (adds the approval label): agents may take it.
  baton issue comment <owner/name#number> (--body TEXT | --body-file F) [--data-dir DIR]
  baton issue label <owner/name#number> [--add L]… [--remove L]… [--data-dir DIR]
  baton issue close <owner/name#number> [--not-planned] [--data-dir DIR]
  baton issue reopen <owner/name#number> [--data-dir DIR]
      The issue page's writes, through GitHub as the signed-in person; a repeat changes nothing.
  baton providers [--check] [--json] [--data-dir DIR]
      Claude Code and Codex: installed, version, how each signs in; --check runs
      one short real turn through each ready one (its answer, time and cost).
      These talk to the running Baton on the data folder, or run the core for the one call.
  baton metrics [--data-dir DIR]
      The running Baton's Prometheus metrics (docs/METRICS.md), as /metrics serves them.
  baton mcp [--data-dir DIR]
      An MCP server on stdio for Claude Code, Codex or any MCP client (tools:
      issue_status, list_tasks, create_issue, who_is_online), talking to the
      running Baton on the data folder. Claude Code: claude mcp add baton -- baton mcp
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

function port(value: string | undefined, flag = '--port'): number {
  if (value === undefined) return 4646
  const n = value.trim() === '' ? NaN : Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`baton serve: ${flag} expects a number from 0 to 65535, got "${value}".`)
  return n
}

async function serve(argv: string[]): Promise<void> {
  const flags = parse('serve', argv, { port: { type: 'string' }, sandbox: { type: 'boolean' }, 'forge-port': { type: 'string' }, 'metrics-port': { type: 'string' } })
  if (flags.help) return void console.log(USAGE)
  // A bad flag is named before the data folder is touched.
  const listenPort = port(flags.port as string | undefined)
  const forgeFlag = flags['forge-port'] as string | undefined
  if (forgeFlag !== undefined && !flags.sandbox) throw new UsageError('baton serve: --forge-port is the sandbox\'s forge: add --sandbox (or use npm run sandbox).')
  const forgePort = forgeFlag === undefined ? undefined : port(forgeFlag, '--forge-port')
  const metricsFlag = flags['metrics-port'] as string | undefined
  const metricsPort = metricsFlag === undefined ? undefined : port(metricsFlag, '--metrics-port')
  const log = createLogger()
  // Before anything starts a child: the secrets leave process.env (secrets/env-secrets.ts).
  const env = takeEnvSecrets()
  const core = await createCore({
    dataDir: (flags['data-dir'] as string | undefined) ?? defaultDataDir(),
    mode: 'headless',
    sandbox: Boolean(flags.sandbox),
    sandboxForgePort: forgePort,
    log,
    env
  })
  let server
  try {
    server = await startServer(core, {
      port: listenPort,
      token: env.BATON_TOKEN || undefined,
      rendererDir: join(here, '..', 'renderer')
    })
  } catch (error) {
    await core.close()
    throw error
  }
  // The metrics alone on a loopback port, without the token (metrics/http.ts), when asked for.
  const metricsServer = metricsPort === undefined ? null : await startMetricsServer(core.metrics, { port: metricsPort, log }).catch(async (error: unknown) => {
    await server.close()
    await core.close()
    throw error
  })
  core.lock.update({ url: server.url, token: server.token })
  console.log(`Baton ${VERSION} is running${flags.sandbox ? ' in the sandbox' : ''}.`)
  console.log(`Data folder: ${core.dataDir}`)
  const forge = core.sandbox()?.forge
  if (forge) console.log(`Forge (the sandbox's GitHub): ${forge.url} — API ${forge.apiUrl}`)
  if (metricsServer) console.log(`Metrics (no token, 127.0.0.1 only): ${metricsServer.url}`)
  // The address to open comes last, alone on its line: the one thing to copy.
  console.log(`Open: ${server.url}`)
  const stop = async (signal: string) => {
    log.info(`Stopping (${signal})`)
    await metricsServer?.close()
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

function dataDirOf(flags: { 'data-dir'?: unknown }): string {
  return (flags['data-dir'] as string | undefined) ?? defaultDataDir()
}

async function repo(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv
  if (sub === 'connect') {
    const { values, positionals } = (() => {
      try {
        return parseArgs({ args: rest, options: { ...common }, strict: true, allowPositionals: true })
      } catch (error) {
        throw new UsageError(`baton repo connect: ${(error as Error).message}`)
      }
    })()
    const remote = positionals[0]
    if (!remote || positionals.length > 1) throw new UsageError('baton repo connect: give one repository: owner/name, an https URL or an ssh remote.')
    const summary = await callApi(dataDirOf(values), 'repos.connect', { remote })
    console.log(`Connected ${summary.owner}/${summary.name} (${summary.host}), default branch ${summary.defaultBranch}.`)
    return
  }
  if (sub === 'list') {
    const flags = parse('repo list', rest, { json: { type: 'boolean' } })
    const repos = await callApi(dataDirOf(flags), 'repos.list', {})
    if (flags.json) return void console.log(JSON.stringify(repos, null, 2))
    if (!repos.length) return void console.log('No repository connected. Connect one with: baton repo connect owner/name')
    for (const r of repos) console.log(`${r.id}\t${r.owner}/${r.name}\t${r.host}\t${r.openIssues} open\tsynced ${r.lastSyncAt ?? 'never'}${r.syncError ? `\t(${r.syncError})` : ''}`)
    return
  }
  throw new UsageError(`baton repo: unknown subcommand "${sub ?? ''}" (connect, list).`)
}

async function findRepoId(dataDir: string, name: string): Promise<number> {
  const repos = await callApi(dataDir, 'repos.list', {})
  const wanted = name.toLowerCase()
  const match = repos.find((r) => `${r.owner}/${r.name}`.toLowerCase() === wanted || r.key === wanted)
  if (!match) throw new AppError('not_found', `${name} is not connected. Connected: ${repos.map((r) => `${r.owner}/${r.name}`).join(', ') || 'none'}.`)
  return match.id
}

async function issue(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv
  if (sub === 'approve') {
    const { ref, dataDir } = issueCommand('baton issue approve', rest)
    const result = await callApi(dataDir, 'issues.approve', { repoId: await findRepoId(dataDir, ref.repo), issue: ref.number })
    console.log(result.added ? `Approved ${ref.repo}#${ref.number}: label "${result.label}" added, agents may take it.` : `${ref.repo}#${ref.number} was approved already (label "${result.label}").`)
    return
  }
  if (sub === 'comment' || sub === 'label' || sub === 'close' || sub === 'reopen') return issueWrite(sub, rest)
  if (sub !== 'create') throw new UsageError(`baton issue: unknown subcommand "${sub ?? ''}" (create, approve, comment, label, close, reopen).`)
  const flags = parse('issue create', rest, {
    repo: { type: 'string' },
    title: { type: 'string' },
    body: { type: 'string' },
    'body-file': { type: 'string' },
    label: { type: 'string', multiple: true }
  })
  if (!flags.repo || !flags.title) throw new UsageError('baton issue create: --repo and --title are needed.')
  const dataDir = dataDirOf(flags)
  const { readFileSync } = await import('node:fs')
  const body = flags['body-file'] ? readFileSync(flags['body-file'] as string, 'utf8') : ((flags.body as string | undefined) ?? '')
  const result = await callApi(dataDir, 'issues.create', {
    repoId: await findRepoId(dataDir, flags.repo as string),
    title: flags.title as string,
    body,
    labels: (flags.label as string[] | undefined) ?? []
  })
  if (result.created) console.log(`Created #${result.number}: ${result.url}`)
  else {
    console.error(`GitHub did not take the issue: ${result.draft.error}. It is kept as draft ${result.draft.id}; retry from the app or the API.`)
    process.exitCode = 1
  }
}

// The issue page's writes from a terminal (issue #13): the same API methods as the page.
async function issueWrite(sub: 'comment' | 'label' | 'close' | 'reopen', rest: string[]): Promise<void> {
  const command = `baton issue ${sub}`
  const { values, positionals } = (() => {
    try {
      return parseArgs({
        args: rest,
        options: {
          ...common,
          body: { type: 'string' },
          'body-file': { type: 'string' },
          add: { type: 'string', multiple: true },
          remove: { type: 'string', multiple: true },
          'not-planned': { type: 'boolean' }
        },
        strict: true,
        allowPositionals: true
      })
    } catch (error) {
      throw new UsageError(`${command}: ${(error as Error).message}`)
    }
  })()
  if (positionals.length > 1) throw new UsageError(`${command}: give one issue, as owner/name#number.`)
  const ref = parseIssueRef(positionals[0], command)
  const allowed = { comment: ['body', 'body-file'], label: ['add', 'remove'], close: ['not-planned'], reopen: [] as string[] }[sub]
  const stray = ['body', 'body-file', 'add', 'remove', 'not-planned'].find((f) => values[f as keyof typeof values] !== undefined && !allowed.includes(f))
  if (stray) throw new UsageError(`${command}: --${stray} is not an option of this command.`)
  const dataDir = dataDirOf(values)
  const at = `${ref.repo}#${ref.number}`
  if (sub === 'comment') {
    if ((values.body === undefined) === (values['body-file'] === undefined)) throw new UsageError(`${command}: give the comment as --body TEXT or --body-file F (one of them).`)
    const { readFileSync } = await import('node:fs')
    const body = values['body-file'] !== undefined ? readFileSync(values['body-file'], 'utf8') : (values.body as string)
    const result = await callApi(dataDir, 'issues.comment', { repoId: await findRepoId(dataDir, ref.repo), issue: ref.number, body })
    return void console.log(`Commented on ${at}${result.url ? `: ${result.url}` : '.'}`)
  }
  if (sub === 'label') {
    const add = values.add ?? []
    const remove = values.remove ?? []
    if (!add.length && !remove.length) throw new UsageError(`${command}: name a label with --add L or --remove L.`)
    const result = await callApi(dataDir, 'issues.setLabels', { repoId: await findRepoId(dataDir, ref.repo), issue: ref.number, add, remove })
    return void console.log(`${at} labels: ${result.labels.join(', ') || 'none'}`)
  }
  const repoId = await findRepoId(dataDir, ref.repo)
  if (sub === 'close') {
    const result = await callApi(dataDir, 'issues.close', { repoId, issue: ref.number, reason: values['not-planned'] ? 'not_planned' : 'completed' })
    const how = result.reason === 'not_planned' ? 'not planned' : 'completed'
    return void console.log(result.changed ? `Closed ${at} as ${how}.` : `${at} was closed as ${how} already.`)
  }
  const result = await callApi(dataDir, 'issues.reopen', { repoId, issue: ref.number })
  console.log(result.changed ? `Reopened ${at}.` : `${at} was open already.`)
}

/** `owner/name#12` → the repository and the number, or a usage error that shows the shape. */
export function parseIssueRef(ref: string | undefined, command = 'baton task retry'): { repo: string; number: number } {
  const match = /^([A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+)#([1-9][0-9]{0,9})$/.exec(ref ?? '')
  if (!match) throw new UsageError(`${command}: expected an issue as owner/name#number (e.g. acme/shop#12), got "${ref ?? ''}".`)
  return { repo: match[1] as string, number: Number(match[2]) }
}

/** A command that takes one issue as owner/name#number (and --data-dir). */
function issueCommand(command: string, rest: string[]): { ref: { repo: string; number: number }; dataDir: string } {
  const { values, positionals } = (() => {
    try {
      return parseArgs({ args: rest, options: { ...common }, strict: true, allowPositionals: true })
    } catch (error) {
      throw new UsageError(`${command}: ${(error as Error).message}`)
    }
  })()
  if (positionals.length > 1) throw new UsageError(`${command}: give one issue, as owner/name#number.`)
  return { ref: parseIssueRef(positionals[0], command), dataDir: dataDirOf(values) }
}

async function task(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv
  if (sub === 'stop') {
    const { ref, dataDir } = issueCommand('baton task stop', rest)
    const result = await callApi(dataDir, 'tasks.stop', { repoId: await findRepoId(dataDir, ref.repo), issue: ref.number })
    console.log(`Stopped task ${result.task} on ${ref.repo}#${ref.number} (${result.stage}); \`baton task retry ${ref.repo}#${ref.number}\` runs it again.`)
    return
  }
  if (sub !== 'retry') throw new UsageError(`baton task: unknown subcommand "${sub ?? ''}" (retry, stop).`)
  const { values, positionals } = (() => {
    try {
      return parseArgs({ args: rest, options: { ...common }, strict: true, allowPositionals: true })
    } catch (error) {
      throw new UsageError(`baton task retry: ${(error as Error).message}`)
    }
  })()
  if (positionals.length > 1) throw new UsageError('baton task retry: give one issue, as owner/name#number.')
  const ref = parseIssueRef(positionals[0])
  const dataDir = dataDirOf(values)
  const result = await callApi(dataDir, 'tasks.retry', { repoId: await findRepoId(dataDir, ref.repo), issue: ref.number })
  console.log(`Retrying ${ref.repo}#${ref.number} (${result.stage}): one more budget of attempts${result.task ? ` for task ${result.task}` : ''}.`)
}

async function issues(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv
  if (sub !== 'list') throw new UsageError(`baton issues: unknown subcommand "${sub ?? ''}" (list).`)
  const flags = parse('issues list', rest, { json: { type: 'boolean' } })
  const dataDir = dataDirOf(flags)
  let cards
  if (readLock(dataDir)?.url) cards = await callApi(dataDir, 'issues.board', {})
  else {
    // No app running: read the database directly, without taking a lock.
    const { board } = await import('./store/board')
    const { defaultPipeline } = await import('./pipeline/definition')
    const dbFile = paths.database(dataDir)
    if (!existsSync(dbFile)) throw new AppError('not_found', `No Baton database in ${dataDir}.`)
    const db = openDatabase(dbFile, { readonly: true })
    try {
      // Read-only, it cannot be brought forward here: the board reads columns later migrations add.
      const { migrations } = await import('./store/migrations/index')
      if (schemaVersion(db) < migrations.length) {
        throw new AppError('unavailable', `The database in ${dataDir} is from an older Baton (schema ${schemaVersion(db)}, this one knows ${migrations.length}): start Baton once (baton serve) to bring it up to date.`)
      }
      cards = board(db, {}, { pipeline: () => defaultPipeline, waits: new Map() })
    } finally {
      db.close()
    }
  }
  if (flags.json) {
    console.log(
      JSON.stringify(
        cards.map((c) => ({ repo: c.repo, number: c.number, title: c.title, stage: c.stage, state: c.activity, agent: c.agent, reason: c.reason, pr: c.pr })),
        null,
        2
      )
    )
    return
  }
  if (!cards.length) return void console.log('No issues.')
  for (const c of cards) console.log(`${c.repo}#${c.number}\t${c.stage ?? '—'}\t${c.activity}${c.reason ? ` (${c.reason})` : ''}\t${c.title}`)
}

/** `baton providers`: what Settings → Providers shows; exit 1 when none is ready (or a check failed). */
async function providersCommand(argv: string[]): Promise<number> {
  const flags = parse('providers', argv, { json: { type: 'boolean' }, check: { type: 'boolean' } })
  if (flags.help) return (console.log(USAGE), 0)
  const dataDir = dataDirOf(flags)
  const list = await callApi(dataDir, 'providers.status', {})
  const checks = flags.check ? await Promise.all(list.filter((p) => p.ready).map((p) => callApi(dataDir, 'providers.check', { provider: p.provider }))) : []
  if (flags.json) console.log(JSON.stringify(flags.check ? { providers: list, checks } : list, null, 2))
  else {
    for (const p of list) {
      console.log(`${p.title} (${p.provider}): ${p.ready ? 'ready' : `not ready — ${p.todo ?? ''}`}`)
      console.log(`  CLI: ${p.cli.installed ? `${p.cli.version ?? 'version unknown'} — ${p.cli.source === 'bundled' ? "Baton's own copy" : p.cli.source === 'env' ? `from ${p.provider === 'codex' ? 'BATON_CODEX_PATH' : 'BATON_CLAUDE_PATH'}` : 'on PATH'}, ${p.cli.path}` : 'not installed'}${p.cli.problem && p.cli.installed ? ` (${p.cli.problem})` : ''}`)
      console.log(`  Sign-in: ${p.auth.ready ? p.auth.detail : 'none found'}`)
      if (p.roles.length) console.log(`  Roles on it: ${p.roles.join(', ')}`)
      const c = checks.find((x) => x.provider === p.provider)
      if (c) {
        console.log(
          c.ok
            ? `  Check: answered "${c.answer}" in ${(c.durationMs / 1000).toFixed(1)} s, ${c.costUsd !== null ? `$${c.costUsd.toFixed(4)}` : c.tokens ? `${c.tokens.input + c.tokens.output} tokens (no price reported)` : 'no usage reported'}`
            : `  Check failed: ${c.error}${c.todo ? ` — ${c.todo}` : ''}`
        )
      }
    }
  }
  return list.some((p) => p.ready) && checks.every((c) => c.ok) ? 0 : 1
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
      case 'repo':
        await repo(rest)
        return 0
      case 'issue':
        await issue(rest)
        return 0
      case 'issues':
        await issues(rest)
        return 0
      case 'task':
        await task(rest)
        return 0
      case 'providers':
        return await providersCommand(rest)
      case 'metrics': {
        const flags = parse('metrics', rest, {})
        if (flags.help) return (console.log(USAGE), 0)
        const { runningMetrics } = await import('./metrics/cli')
        process.stdout.write(await runningMetrics(dataDirOf(flags)))
        return 0
      }
      case 'mcp': {
        const flags = parse('mcp', rest, {})
        if (flags.help) return (console.log(USAGE), 0)
        // Loaded here: the SDK costs start time for every other command.
        const { runMcpStdio } = await import('./mcp/stdio')
        await runMcpStdio(dataDirOf(flags))
        return 0
      }
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
